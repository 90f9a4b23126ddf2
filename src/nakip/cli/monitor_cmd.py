"""`nakip design monitor|tse|predictive|bop2`: monitoring boundaries and their exact OC.

Bayesian toxicity monitoring (default rule from the protocol file), Thall-Simon-Estey, predictive
probability and BOP2 calibration. Every command has `--json`.
"""

# No `from __future__ import annotations`: Typer would evaluate every option's annotation string
# again each time it builds the command tree. pandas, scipy, YAML and Rich load only in the
# commands that need them: `design monitor` and `design boin` start fast (issue 13).
from pathlib import Path
from typing import Annotated

import typer

from nakip.cli.apps import design_app
from nakip.cli.design_io import (
    JsonOpt,
    RatesOpt,
    check_positive,
    check_sizes,
    check_unit,
    emit_json,
    frame_records,
    parse_floats,
    parse_ints,
    print_frame,
    print_rows,
)
from nakip.cli.errors import fail


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
    check_positive(a, "--prior-a")
    check_positive(b, "--prior-b")
    check_unit(lim, "--limit")
    check_unit(cut, "--cutoff")
    check_sizes(n_max, n_min)
    rate_list = parse_floats(rates, "--rates")
    mon = BayesianToxicityMonitor(a, b, lim, cut, n_max, n_min)
    oc = mon.operating_characteristics(rate_list)
    boundary_columns = ("n", "stop_if_at_least", "posterior_prob_at_boundary")
    if as_json:
        emit_json(
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
    print_rows(
        f"Stop if Pr(rate > {lim}) > {cut}, Beta({a:g}, {b:g}) prior"
        + (f" (protocol rule {rule})" if rule else ""),
        boundary_columns,
        mon.boundary_rows,
    )
    oc_columns = ("rate", "prob_stop", "prob_early_stop", "expected_n", "expected_events")
    oc_values = oc.to_dict()
    print_rows(
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

    check_positive(standard_a, "--standard-a")
    check_positive(standard_b, "--standard-b")
    check_positive(experimental_ess, "--experimental-ess")
    check_unit(cutoff, "--cutoff")
    if not -1 < delta < 1:
        fail(f"--delta must lie in (-1, 1), got {delta}")
    if direction not in ("efficacy", "toxicity"):
        fail(f"--direction must be 'efficacy' or 'toxicity', got {direction!r}")
    check_sizes(nmax, min_patients)
    rate_list = parse_floats(rates, "--rates")
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
        emit_json(
            {"boundaries": frame_records(mon.boundaries), "operating_characteristics": oc.to_dict()}
        )
        return
    print_frame(f"Thall-Simon-Estey {direction} boundaries", mon.boundaries)
    print_frame("Exact operating characteristics", oc.summary)


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

    check_positive(prior_a, "--prior-a")
    check_positive(prior_b, "--prior-b")
    check_unit(p0, "--p0")
    check_unit(theta_t, "--theta-t")
    check_unit(theta_l, "--theta-l")
    check_sizes(nmax, min_patients, smallest_nmax=2)
    rate_list = parse_floats(rates, "--rates")
    mon = PredictiveProbabilityMonitor(
        prior_a, prior_b, p0, theta_t, theta_l, nmax, min_patients=min_patients
    )
    oc = mon.operating_characteristics(rate_list)
    if as_json:
        emit_json(
            {"boundaries": frame_records(mon.boundaries), "operating_characteristics": oc.to_dict()}
        )
        return
    print_frame("Predictive-probability futility boundaries", mon.boundaries)
    print_frame("Exact operating characteristics", oc.summary)


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

    check_unit(null_eff, "--null-eff")
    check_unit(alt_eff, "--alt-eff")
    check_unit(alpha, "--alpha")
    if alt_eff <= null_eff:
        fail("--alt-eff must exceed --null-eff")
    if (null_tox is None) != (alt_tox is None):
        fail("--null-tox and --alt-tox go together")
    if null_tox is not None and alt_tox is not None:
        check_unit(null_tox, "--null-tox")
        check_unit(alt_tox, "--alt-tox")
        if alt_tox >= null_tox:
            fail("--alt-tox must be below --null-tox")
    look_list = parse_ints(looks, "--looks")
    if any(b <= a for a, b in zip(look_list, look_list[1:], strict=False)):
        fail("--looks must be strictly increasing")
    try:
        cal = calibrate_bop2(look_list, null_eff, alt_eff, alpha, null_tox, alt_tox)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        emit_json(cal.to_dict())
        return
    b = cal.boundaries
    print_frame(
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
    print_frame("Exact operating characteristics", shown, digits=3)
