"""`nakip design simulate`: Monte Carlo OC over a scenario file, locally or on Dask.

Scenarios as in nakip.stats.oc; the exact OC beside the simulated ones. `--json` as elsewhere.
"""

# No `from __future__ import annotations`: Typer would evaluate every option's annotation string
# again each time it builds the command tree. pandas, scipy, YAML and Rich load only in the
# commands that need them: `design monitor` and `design boin` start fast (issue 13).
from pathlib import Path
from typing import Annotated

import typer

from nakip.cli.apps import design_app
from nakip.cli.design_io import JsonOpt, emit_json, print_frame
from nakip.cli.errors import fail


@design_app.command("simulate")
def simulate(
    scenarios: Annotated[
        Path, typer.Option("--scenarios", help="YAML or JSON scenario file (see nakip.stats.oc).")
    ],
    trials: Annotated[int, typer.Option("--trials", help="Simulated trials per scenario.")] = (
        100_000
    ),
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address tcp://HOST:PORT (else local)."),
    ] = None,
    dask: Annotated[bool, typer.Option("--dask", help="Use a new Dask LocalCluster.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Trials per task.")] = 250_000,
    as_json: JsonOpt = False,
) -> None:
    """Monte Carlo OC of every scenario in a file, beside the exact values (local or Dask)."""
    import yaml

    from nakip.stats.oc import load_scenarios, simulate_grid

    if trials < 1:
        fail(f"--trials must be a positive integer, got {trials}")
    if chunk_size < 1:
        fail(f"--chunk-size must be a positive integer, got {chunk_size}")
    if seed < 0:
        fail(f"--seed must be >= 0, got {seed}")
    if not scenarios.is_file():
        fail(f"--scenarios: no such file {scenarios}")
    try:
        scs = load_scenarios(scenarios)
    except (ValueError, KeyError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        fail(f"--scenarios {scenarios}: {exc}")
    except yaml.YAMLError as exc:
        fail(f"--scenarios {scenarios}: YAML syntax: {getattr(exc, 'problem', None) or exc}")
    except OSError as exc:
        fail(f"--scenarios {scenarios}: {exc.strerror or exc}")
    if scheduler is not None and "://" not in scheduler:
        fail(f"--scheduler: expected an address like tcp://HOST:PORT, got {scheduler!r}")
    backend = "dask" if (scheduler or dask) else "local"
    try:
        result = simulate_grid(
            scs,
            trials,
            seed=seed,
            backend=backend,  # type: ignore[arg-type]
            scheduler=scheduler,
            chunk_size=chunk_size,
            progress=not as_json,
        )
    except (OSError, TimeoutError) as exc:
        fail(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({type(exc).__name__})")
    if as_json:
        emit_json(result.to_dict())
        return
    cols = {
        "rate": "rate",
        "prob_early_stop": "P(early)",
        "mcse_early_stop": "±se",
        "exact_prob_early_stop": "exact",
        "prob_success": "P(success)",
        "mcse_success": "±se",
        "exact_prob_success": "exact",
        "expected_n": "E[N]",
        "exact_expected_n": "exact",
    }
    shown = result.summary[list(cols)]
    shown.columns = list(cols.values())
    print_frame(f"Monte Carlo OC ({trials} trials each, seed {seed})", shown, digits=4)
    rate = result.patients_simulated / max(result.seconds, 1e-9)
    typer.echo(
        f"{result.patients_simulated:,} simulated patients in {result.seconds:.2f} s ({backend})"
    )
    typer.echo(f"{rate / 1e6:.1f} million patients per second")
