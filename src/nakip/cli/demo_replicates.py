"""`nakip demo --replicates R`: many virtual trials on the light path (no database) compared with
the exact operating characteristics, as a table and a figure (nakip.sim.replicates)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nakip.protocol import Protocol

_out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)


def run_replicates(
    proto: Protocol,
    truth: Any,
    replicates: int,
    seed: int,
    n: int | None,
    scheduler: str | None,
    as_json: bool,
    figure_dir: Path = Path("nakip-demo"),
) -> None:
    """Run, print the comparison (or JSON) and write the figure into `figure_dir` (--out)."""
    from nakip.sim.replicates import plot_comparison
    from nakip.sim.replicates import run_replicates as run

    if as_json:
        result = run(proto, truth, replicates, seed, n, scheduler=scheduler)
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    _out.rule(f"[bold]{replicates} virtual trials per cohort[/], scenario '{truth.name}'")
    _out.print(
        "Light path: mechanistic model -> readouts -> clinical rules -> Simon and toxicity "
        "decisions, on Dask " + (f"({scheduler})" if scheduler else "(local cluster)")
    )
    with Progress(
        TextColumn("[bold]replicates[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks of 100 trials"),
        TimeElapsedColumn(),
        console=_out,
    ) as bar:
        task = bar.add_task("replicates", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run(proto, truth, replicates, seed, n, scheduler=scheduler, tick=tick)
    table = Table(title="Empirical vs exact operating characteristics (MC SE = Monte Carlo SE)")
    for col in ("cohort", "quantity", "empirical", "MC SE", "exact at target",
                "exact at model rate", "z"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("cohort", "quantity") else "right")
    for r in result.rows:
        table.add_row(
            r.cohort, r.quantity, f"{r.empirical:.4f}", f"{r.mc_se:.4f}",
            f"{r.exact_at_target:.4f}", f"{r.exact_at_model_rate:.4f}", f"{r.z:+.2f}",
        )  # fmt: skip
    _out.print(table)
    rates = ", ".join(
        f"{c}: target {result.target_rates[c]:.3f}, model {result.model_rates[c]:.4f}"
        for c in result.model_rates
    )
    _out.print(f"Response rates — {rates}. {result.seconds:.1f} s.")
    figure_dir.mkdir(parents=True, exist_ok=True)
    path = plot_comparison(result, figure_dir / f"replicates-{truth.name}-{replicates}.png")
    _out.print(f"Figure: {path}")
