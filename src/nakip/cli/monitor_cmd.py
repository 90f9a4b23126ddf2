"""`nakip design monitor|tse|predictive|bop2|boin|threeplusthree|simulate`.

Monitoring boundaries and their exact operating characteristics, BOP2 calibration, phase-I
rules and Monte Carlo OC over a scenario file (local or Dask). Every command has `--json`.
"""

# No `from __future__ import annotations`: Typer would evaluate every option's annotation string
# again each time it builds the command tree. pandas, scipy, YAML and Rich load only in the
# commands that need them: `design monitor` and `design boin` start fast (issue 13).
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nakip.cli.apps import design_app
from nakip.cli.errors import fail
from nakip.cli.table_output import print_table

if TYPE_CHECKING:
    import pandas as pd

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
RatesOpt = Annotated[
    str,
    typer.Option("--rates", help="True rates for the operating characteristics, comma-separated."),
]


def _floats(text: str, option: str, *, open_unit: bool = True) -> list[float]:
    """Parse 'a,b,c'; every value must lie in (0, 1) (fail naming the option otherwise)."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        fail(f"{option}: expected comma-separated numbers, got {text!r}")
    if not values:
        fail(f"{option}: give at least one value")
    for v in values:
        if open_unit and not (0.0 < v < 1.0 and math.isfinite(v)):
            fail(f"{option}: {v} is outside (0, 1)")
    return values


def _ints(text: str, option: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        fail(f"{option}: expected comma-separated integers, got {text!r}")
    if not values or any(v < 1 for v in values):
        fail(f"{option}: give positive integers")
    return values


def _unit(value: float, option: str) -> None:
    if not 0.0 < value < 1.0:
        fail(f"{option} must lie in (0, 1), got {value}")


def _positive(value: float, option: str) -> None:
    if not value > 0:
        fail(f"{option} must be > 0, got {value}")


def _sizes(nmax: int, min_patients: int, smallest_nmax: int = 1) -> None:
    """--nmax at least `smallest_nmax`, and the first look --min-patients within [1, --nmax]."""
    if nmax < smallest_nmax:
        kind = "a positive integer" if smallest_nmax == 1 else f"an integer >= {smallest_nmax}"
        fail(f"--nmax must be {kind}, got {nmax}")
    if not 1 <= min_patients <= nmax:
        fail(f"--min-patients must lie in [1, --nmax], got {min_patients}")


def _records(df: "pd.DataFrame") -> list[dict[str, Any]]:
    """DataFrame (index included) to JSON-ready rows, <NA>/NaN as null."""
    import pandas as pd  # imported here: `nakip` starts without pandas

    flat = df.reset_index()
    rows = []
    for rec in flat.to_dict(orient="records"):
        rows.append({k: (None if pd.isna(v) else v) for k, v in rec.items()})
    return json.loads(json.dumps(rows, default=lambda o: o.item() if hasattr(o, "item") else o))


def _cell(value: Any, digits: int) -> str:
    """One table cell: '-' for a missing value (None, NaN, <NA>), floats to `digits` places."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if not isinstance(value, str) and type(value).__name__ in ("NAType", "NaTType"):
        return "-"
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        return f"{float(value):.{digits}f}"
    return str(value)


def _print_rows(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], digits: int = 4
) -> None:
    print_table(title, [str(c) for c in columns], [[_cell(v, digits) for v in r] for r in rows])


def _table(title: str, df: "pd.DataFrame", digits: int = 4) -> None:
    """Print a DataFrame, its index as the first column."""
    flat = df.reset_index()
    _print_rows(title, list(flat.columns), flat.itertuples(index=False), digits)


def _emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


def _protocol_rule(code: str, protocol: Path | None) -> tuple[dict[str, float], int]:
    """Monitoring rule `code` from the protocol file, and its default nmax (the patients the rule
    can see, as `nakip.analysis.design_choice.monitoring_nmax` decides)."""
    from nakip.protocol import ProtocolError, default_protocol_path, load_protocol_file

    path = protocol or default_protocol_path()
    try:
        proto = load_protocol_file(path)
    except ProtocolError as exc:
        fail(f"--protocol {path}: invalid protocol ({len(exc.issues)} error(s))")
    except OSError as exc:
        fail(f"--protocol {path}: cannot read ({exc.strerror})")
    rules = {r.code: r for r in proto.monitoring}
    if code not in rules:
        fail(f"--rule: no monitoring rule {code!r} in {path} (have: {', '.join(rules) or 'none'})")
    rule = rules[code]
    from nakip.analysis.design_choice import monitoring_nmax

    try:
        nmax = monitoring_nmax(proto, rule)
    except ValueError as exc:
        fail(f"--protocol {path}: {exc}")
    params = {
        "prior_a": rule.prior_a,
        "prior_b": rule.prior_b,
        "limit": rule.limit,
        "cutoff": rule.cutoff,
        "min_patients": rule.min_patients,
    }
    return params, nmax


@design_app.command("monitor")
def monitor(
    prior_a: Annotated[float | None, typer.Option("--prior-a", help="Beta prior a (> 0).")] = None,
    prior_b: Annotated[float | None, typer.Option("--prior-b", help="Beta prior b (> 0).")] = None,
    limit: Annotated[float | None, typer.Option("--limit", help="Unacceptable rate.")] = None,
    cutoff: Annotated[
        float | None, typer.Option("--cutoff", help="Stop if Pr(rate > limit) > this.")
    ] = None,
    nmax: Annotated[int | None, typer.Option("--nmax", help="Maximum number of patients.")] = None,
    min_patients: Annotated[
        int | None, typer.Option("--min-patients", help="First n to check.")
    ] = None,
    rule: Annotated[
        str | None,
        typer.Option("--rule", help="Take the parameters from this protocol monitoring rule."),
    ] = None,
    # A plain str (made a Path below): Typer converts Path options through pydantic, whose
    # import would cost this command's start more than its arithmetic.
    protocol: Annotated[
        str | None, typer.Option("--protocol", help="Protocol file for --rule.")
    ] = None,
    rates: RatesOpt = "0.1,0.2,0.3,0.4,0.5",
    as_json: JsonOpt = False,
) -> None:
    """Bayesian toxicity/infeasibility monitoring: boundary table and its exact OC.

    Without --rule the defaults are Beta(1, 1), limit 0.3, cutoff 0.9, nmax 24; with --rule
    (e.g. toxicity, feasibility) they come from the protocol; explicit options win.
    """
    from nakip.stats.toxicity_monitor import BayesianToxicityMonitor

    base: dict[str, float] = {
        "prior_a": 1.0,
        "prior_b": 1.0,
        "limit": 0.3,
        "cutoff": 0.9,
        "min_patients": 1,
    }
    base_nmax = 24
    if rule is not None:
        base, base_nmax = _protocol_rule(rule, None if protocol is None else Path(protocol))
    a = base["prior_a"] if prior_a is None else prior_a
    b = base["prior_b"] if prior_b is None else prior_b
    lim = base["limit"] if limit is None else limit
    cut = base["cutoff"] if cutoff is None else cutoff
    n_max = base_nmax if nmax is None else nmax
    n_min = int(base["min_patients"]) if min_patients is None else min_patients
    _positive(a, "--prior-a")
    _positive(b, "--prior-b")
    _unit(lim, "--limit")
    _unit(cut, "--cutoff")
    _sizes(n_max, n_min)
    rate_list = _floats(rates, "--rates")
    mon = BayesianToxicityMonitor(a, b, lim, cut, n_max, n_min)
    oc = mon.operating_characteristics(rate_list)
    boundary_columns = ("n", "stop_if_at_least", "posterior_prob_at_boundary")
    if as_json:
        _emit(
            {
                "rule": rule,
                "parameters": mon.parameters,
                "boundaries": [
                    dict(zip(boundary_columns, r, strict=True)) for r in mon.boundary_rows
                ],
                "operating_characteristics": oc.to_dict(),
            }
        )
        return
    _print_rows(
        f"Stop if Pr(rate > {lim}) > {cut}, Beta({a:g}, {b:g}) prior"
        + (f" (protocol rule {rule})" if rule else ""),
        boundary_columns,
        mon.boundary_rows,
    )
    oc_columns = ("rate", "prob_stop", "prob_early_stop", "expected_n", "expected_events")
    oc_values = oc.to_dict()
    _print_rows(
        "Exact operating characteristics",
        oc_columns,
        zip(*(oc_values[c] for c in ("rates", *oc_columns[1:])), strict=True),
    )


@design_app.command("tse")
def tse(
    standard_a: Annotated[float, typer.Option("--standard-a", help="Standard prior a.")],
    standard_b: Annotated[float, typer.Option("--standard-b", help="Standard prior b.")],
    delta: Annotated[float, typer.Option("--delta", help="Targeted improvement.")] = 0.0,
    cutoff: Annotated[float, typer.Option("--cutoff", help="Probability cutoff.")] = 0.05,
    nmax: Annotated[int, typer.Option("--nmax", help="Maximum number of patients.")] = 40,
    direction: Annotated[
        str, typer.Option("--direction", help="'efficacy' (futility) or 'toxicity'.")
    ] = "efficacy",
    experimental_ess: Annotated[
        float, typer.Option("--experimental-ess", help="Experimental prior effective size.")
    ] = 2.0,
    min_patients: Annotated[int, typer.Option("--min-patients", help="First n to check.")] = 1,
    rates: RatesOpt = "0.2,0.3,0.4,0.5",
    as_json: JsonOpt = False,
) -> None:
    """Thall-Simon-Estey (1995) monitoring against a standard-therapy prior, with exact OC."""
    from nakip.stats.bayes_monitor import ThallSimonEsteyMonitor

    _positive(standard_a, "--standard-a")
    _positive(standard_b, "--standard-b")
    _positive(experimental_ess, "--experimental-ess")
    _unit(cutoff, "--cutoff")
    if not -1 < delta < 1:
        fail(f"--delta must lie in (-1, 1), got {delta}")
    if direction not in ("efficacy", "toxicity"):
        fail(f"--direction must be 'efficacy' or 'toxicity', got {direction!r}")
    _sizes(nmax, min_patients)
    rate_list = _floats(rates, "--rates")
    mon = ThallSimonEsteyMonitor(
        standard_a,
        standard_b,
        delta,
        cutoff,
        nmax,
        direction=direction,  # type: ignore[arg-type]
        experimental_ess=experimental_ess,
        min_patients=min_patients,
    )
    oc = mon.operating_characteristics(rate_list)
    if as_json:
        _emit({"boundaries": _records(mon.boundaries), "operating_characteristics": oc.to_dict()})
        return
    _table(f"Thall-Simon-Estey {direction} boundaries", mon.boundaries)
    _table("Exact operating characteristics", oc.summary)


@design_app.command("predictive")
def predictive(
    p0: Annotated[float, typer.Option("--p0", help="Uninteresting response rate.")],
    nmax: Annotated[int, typer.Option("--nmax", help="Maximum number of patients.")],
    prior_a: Annotated[float, typer.Option("--prior-a", help="Beta prior a.")] = 1.0,
    prior_b: Annotated[float, typer.Option("--prior-b", help="Beta prior b.")] = 1.0,
    theta_t: Annotated[float, typer.Option("--theta-t", help="Final success cutoff.")] = 0.9,
    theta_l: Annotated[float, typer.Option("--theta-l", help="Futility cutoff on PP.")] = 0.05,
    min_patients: Annotated[int, typer.Option("--min-patients", help="First look.")] = 10,
    rates: RatesOpt = "0.2,0.3,0.4,0.5",
    as_json: JsonOpt = False,
) -> None:
    """Lee & Liu (2008) predictive-probability futility boundaries with exact OC."""
    from nakip.stats.bayes_monitor import PredictiveProbabilityMonitor

    _positive(prior_a, "--prior-a")
    _positive(prior_b, "--prior-b")
    _unit(p0, "--p0")
    _unit(theta_t, "--theta-t")
    _unit(theta_l, "--theta-l")
    _sizes(nmax, min_patients, smallest_nmax=2)
    rate_list = _floats(rates, "--rates")
    mon = PredictiveProbabilityMonitor(
        prior_a, prior_b, p0, theta_t, theta_l, nmax, min_patients=min_patients
    )
    oc = mon.operating_characteristics(rate_list)
    if as_json:
        _emit({"boundaries": _records(mon.boundaries), "operating_characteristics": oc.to_dict()})
        return
    _table("Predictive-probability futility boundaries", mon.boundaries)
    _table("Exact operating characteristics", oc.summary)


@design_app.command("bop2")
def bop2(
    null_eff: Annotated[float, typer.Option("--null-eff", help="Null response rate.")],
    alt_eff: Annotated[float, typer.Option("--alt-eff", help="Target response rate.")],
    looks: Annotated[str, typer.Option("--looks", help="Cumulative n at each look.")] = (
        "10,20,30,40"
    ),
    alpha: Annotated[float, typer.Option("--alpha", help="Type-I error bound.")] = 0.10,
    null_tox: Annotated[
        float | None, typer.Option("--null-tox", help="Unacceptable toxicity rate.")
    ] = None,
    alt_tox: Annotated[
        float | None, typer.Option("--alt-tox", help="Acceptable toxicity rate.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """BOP2 (Zhou, Lee & Yuan 2017): calibrate lambda, gamma; boundaries and exact OC."""
    from nakip.stats.bop2 import calibrate_bop2

    _unit(null_eff, "--null-eff")
    _unit(alt_eff, "--alt-eff")
    _unit(alpha, "--alpha")
    if alt_eff <= null_eff:
        fail("--alt-eff must exceed --null-eff")
    if (null_tox is None) != (alt_tox is None):
        fail("--null-tox and --alt-tox go together")
    if null_tox is not None and alt_tox is not None:
        _unit(null_tox, "--null-tox")
        _unit(alt_tox, "--alt-tox")
        if alt_tox >= null_tox:
            fail("--alt-tox must be below --null-tox")
    look_list = _ints(looks, "--looks")
    if any(b <= a for a, b in zip(look_list, look_list[1:], strict=False)):
        fail("--looks must be strictly increasing")
    try:
        cal = calibrate_bop2(look_list, null_eff, alt_eff, alpha, null_tox, alt_tox)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        _emit(cal.to_dict())
        return
    b = cal.boundaries
    _table(
        f"BOP2 boundaries (lambda={b.lam:g}, gamma={b.gamma:g}; type-I error "
        f"{cal.type_i_error:.4f}, power {cal.power:.4f})",
        b.table,
    )
    shown = cal.summary.rename(
        columns={
            "prob_early_stop": "P(early)",
            "prob_stop_futility": "P(futile)",
            "prob_stop_toxicity": "P(toxic)",
            "prob_go": "P(go)",
            "expected_n": "E[N]",
        }
    )
    if null_tox is None:
        shown = shown.drop(columns=["p_tox", "P(toxic)"])
    _table("Exact operating characteristics", shown, digits=3)


@design_app.command("boin")
def boin(
    target: Annotated[float, typer.Option("--target", help="Target DLT rate.")] = 0.3,
    doses: Annotated[int, typer.Option("--doses", help="Number of dose levels.")] = 3,
    cohort_size: Annotated[int, typer.Option("--cohort-size", help="Patients per cohort.")] = 3,
    cohorts: Annotated[int, typer.Option("--cohorts", help="Number of cohorts.")] = 10,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="True DLT rate per dose, comma-separated.")
    ] = None,
    trials: Annotated[int, typer.Option("--trials", help="Simulated trials.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """BOIN (Liu & Yuan 2015): boundary table, and simulated OC for a --scenario."""
    from nakip.stats.phase1 import BOIN_BOUNDARY_COLUMNS, BoinDesign

    _unit(target, "--target")
    for value, name in ((doses, "--doses"), (cohort_size, "--cohort-size"), (cohorts, "--cohorts")):
        if value < 1:
            fail(f"{name} must be a positive integer, got {value}")
    if trials < 1:
        fail(f"--trials must be a positive integer, got {trials}")
    design = BoinDesign(target, doses, cohort_size, cohorts)
    oc = None
    if scenario is not None:
        rates = _floats(scenario, "--scenario")
        if len(rates) != doses:
            fail(f"--scenario needs {doses} rates (one per dose), got {len(rates)}")
        oc = design.simulate(rates, trials, seed)
    rows = design.boundary_rows
    if as_json:
        _emit(
            {
                "lambda_e": design.lambda_e,
                "lambda_d": design.lambda_d,
                "boundaries": [
                    dict(zip(("n", *BOIN_BOUNDARY_COLUMNS), r, strict=True)) for r in rows
                ],
                "operating_characteristics": None if oc is None else oc.to_dict(),
            }
        )
        return
    typer.echo(
        f"BOIN target {target}: escalate if DLT rate <= {design.lambda_e:.3f}, "
        f"de-escalate if >= {design.lambda_d:.3f}"
    )
    _print_rows(
        "BOIN boundaries",
        ["n", *(r[0] for r in rows)],
        [[name, *(r[i] for r in rows)] for i, name in enumerate(BOIN_BOUNDARY_COLUMNS, 1)],
    )
    if oc is not None:
        _table(f"Simulated OC ({trials} trials)", oc.summary)
        typer.echo(
            f"no MTD: {oc.prob_no_mtd:.4f}; expected N {oc.expected_n:.2f}; "
            f"expected DLTs {oc.expected_dlts:.2f}"
        )


@design_app.command("threeplusthree")
def threeplusthree(
    scenario: Annotated[
        str, typer.Option("--scenario", help="True DLT rate per dose, comma-separated.")
    ],
    confirm_top: Annotated[
        bool, typer.Option("--confirm-top/--no-confirm-top", help="Expand top dose to 6.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """The 3+3 rule: decision table and exact OC for a scenario."""
    from nakip.stats.phase1 import ThreePlusThree

    rates = _floats(scenario, "--scenario")
    design = ThreePlusThree(confirm_top)
    oc = design.operating_characteristics(rates)
    if as_json:
        _emit(
            {
                "decision_table": _records(design.decision_table),
                "operating_characteristics": oc.to_dict(),
            }
        )
        return
    _table("3+3 decision table", design.decision_table.set_index("patients"))
    _table("Exact operating characteristics", oc.summary)
    typer.echo(
        f"no MTD: {oc.prob_no_mtd:.4f}; expected N {oc.expected_n:.2f}; "
        f"expected DLTs {oc.expected_dlts:.2f}"
    )


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
        _emit(result.to_dict())
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
    _table(f"Monte Carlo OC ({trials} trials each, seed {seed})", shown, digits=4)
    rate = result.patients_simulated / max(result.seconds, 1e-9)
    typer.echo(
        f"{result.patients_simulated:,} simulated patients in {result.seconds:.2f} s ({backend})"
    )
    typer.echo(f"{rate / 1e6:.1f} million patients per second")
