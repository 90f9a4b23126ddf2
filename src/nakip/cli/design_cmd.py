"""`nakip design simon|single|oc|infer`: exact single-arm phase II designs from the command line.

Thin layer over nakip.stats.simon and nakip.stats.binomial: parse, validate, print (tables for
people, plain when piped, `--json` for scripts). Bad input exits with code 2 and one line.
Every rule is Simon's: r (or r1) is the largest responder count that does not reject (continue).
"""

# No `from __future__ import annotations` here: Typer would evaluate every option's annotation
# string again each time it builds the command tree, a few ms of each command's start.
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from nakip.cli.apps import design_app
from nakip.cli.errors import fail, print_warning
from nakip.cli.table_output import print_table

if TYPE_CHECKING:
    from nakip.stats.simon import SimonDesign

# The statistics modules are imported inside each command, so that every other `nakip` command
# starts without paying for them; all four need only the standard library (no numpy, scipy or
# pandas: tests/cli/test_design_cmd.py checks it).

SINGLE_RULE_HELP = "Reject H0 if more than r of n respond (X > r), as in Simon (1989)."

P0 = Annotated[float, typer.Option("--p0", help="Uninteresting (null) response rate p0.")]
P1 = Annotated[float, typer.Option("--p1", help="Target response rate p1 (> p0).")]
ALPHA = Annotated[float, typer.Option("--alpha", help="Largest allowed type-I error (exact).")]
POWER = Annotated[float, typer.Option("--power", help="Smallest allowed power at p1 (exact).")]
JSON = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


class DesignKind(StrEnum):
    """Design families known to `nakip design oc`."""

    simon = "simon"
    single = "single"


def _print_json(payload: object) -> None:
    import json

    typer.echo(json.dumps(payload, indent=2))


def _design_row(label: str, d: "SimonDesign") -> list[str]:
    q = "" if d.q_low is None else f"{d.q_low:.3f}-{d.q_high:.3f}"
    return [
        label,
        f"{d.r1}/{d.n1}",
        f"{d.r}/{d.n}",
        f"{d.en0:.2f}",
        f"{d.pet0:.3f}",
        f"{d.alpha:.4f}",
        f"{d.power:.4f}",
        q,
    ]


@design_app.command("simon")
def simon_cmd(
    p0: P0,
    p1: P1,
    alpha: ALPHA = 0.05,
    power: POWER = 0.80,
    nmax: Annotated[int, typer.Option("--nmax", help="Largest total sample size searched.")] = 100,
    as_json: JSON = False,
) -> None:
    """Simon (1989) optimal and minimax two-stage designs, and all admissible designs.

    Stop after stage 1 if at most r1 of n1 respond; reject H0 if more than r of n respond.
    Warns on stderr when nmax cut the search off, with the nmax that is needed.
    """
    from nakip.stats.simon import NoDesignError, search

    try:
        result = search(p0, p1, alpha, power, nmax)
    except NoDesignError as exc:
        hint = f"; rerun with --nmax {exc.smallest_nmax}" if exc.smallest_nmax is not None else ""
        fail(f"--nmax: {exc}{hint}")
    except ValueError as exc:
        fail(str(exc))
    if result.nmax_warning is not None:
        print_warning(result.nmax_warning)
    if as_json:
        _print_json(result.to_dict())
        return
    rows = []
    for d in result.admissible:
        names = [
            name
            for name, ref in (("minimax", result.minimax), ("optimal", result.optimal))
            if ref.rule == d.rule
        ]
        rows.append(_design_row("/".join(names) or "admissible", d))
    print_table(
        f"Simon two-stage designs (p0={result.p0:g}, p1={result.p1:g}, "
        f"alpha<={result.nominal_alpha:g}, power>={result.nominal_power:g}, nmax={nmax})",
        ("design", "r1/n1", "r/n", "EN(p0)", "PET(p0)", "alpha", "power", "q range"),
        rows,
        notes=(
            "Stop after stage 1 if responders <= r1; declare efficacy if total responders > r. "
            "Admissible: Jung et al. (2004); q weights n against EN(p0).",
        ),
    )


@design_app.command("single")
def single_cmd(
    p0: P0,
    p1: P1,
    alpha: ALPHA = 0.05,
    power: POWER = 0.80,
    nmax: Annotated[int, typer.Option("--nmax", help="Largest sample size searched.")] = 1000,
    as_json: JSON = False,
) -> None:
    """Smallest exact single-stage design (A'Hern 2001): reject H0 if more than r of n respond.

    Rule X > r: r is the largest count that does not reject, as in Simon's designs and
    `design oc`.
    """
    from nakip.stats.binomial import NoSingleStageDesignError, single_stage_design

    try:
        d = single_stage_design(p0, p1, alpha, power, nmax)
    except NoSingleStageDesignError as exc:
        fail(f"--nmax: {exc}")
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        _print_json(d.to_dict())
        return
    print_table(
        f"Exact single-stage design (p0={d.p0:g}, p1={d.p1:g})",
        ("r/n", "alpha", "power"),
        [[f"{d.r}/{d.n}", f"{d.alpha:.4f}", f"{d.power:.4f}"]],
        notes=(f"Reject H0 if more than {d.r} of {d.n} respond (X > {d.r}).",),
    )


def _parse_rates(text: str) -> list[float]:
    try:
        rates = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        fail(f"--p: expected comma-separated response rates such as 0.2,0.35; got {text!r}")
    if not rates:
        fail("--p: give at least one response rate")
    bad = [r for r in rates if not 0.0 <= r <= 1.0]
    if bad:
        fail(f"--p: response rates must lie in [0, 1]; got {bad[0]:g}")
    return rates


@design_app.command("oc")
def oc_cmd(
    p: Annotated[str, typer.Option("--p", help="Comma-separated true response rates.")],
    design: Annotated[DesignKind, typer.Option("--design", help="Design family.")] = (
        DesignKind.simon
    ),
    r1: Annotated[int | None, typer.Option("--r1", help="Stage-1 futility bound (simon).")] = None,
    n1: Annotated[int | None, typer.Option("--n1", help="Stage-1 sample size (simon).")] = None,
    r: Annotated[
        int | None,
        typer.Option("--r", help="Final bound: reject H0 if more than r of n respond (X > r)."),
    ] = None,
    n: Annotated[int | None, typer.Option("--n", help="Total sample size.")] = None,
    as_json: JSON = False,
) -> None:
    """Exact operating characteristics of a design at the given true response rates.

    Both designs use Simon's convention: simon stops if X1 <= r1 of n1 and declares efficacy
    if X > r of n; single declares efficacy if X > r of n (r/n = 13/27: 14 or more of 27).
    """
    from nakip.stats.binomial import single_stage_reject_prob
    from nakip.stats.simon import TwoStageRule, operating_characteristics

    rates = _parse_rates(p)
    if r is None or n is None:
        fail("--r and --n are required")
    if design is DesignKind.simon:
        if r1 is None or n1 is None:
            fail("--r1 and --n1 are required with --design simon")
        try:
            rule = TwoStageRule(r1, n1, r, n)
        except ValueError as exc:
            fail(str(exc))
        ocs = [operating_characteristics(rule, rate) for rate in rates]  # floats: no numpy
        rows = [
            {"p": pp, "prob_reject": oc.prob_reject, "pet": oc.pet, "en": oc.en}
            for pp, oc in zip(rates, ocs, strict=True)
        ]
        title = f"Simon two-stage {rule}"
    else:
        if r1 is not None or n1 is not None:
            fail("--r1/--n1 apply only to --design simon")
        try:
            reject = [single_stage_reject_prob(r, n, rate) for rate in rates]
        except ValueError as exc:
            fail(str(exc))
        rows = [
            {"p": pp, "prob_reject": float(a), "pet": 0.0, "en": float(n)}
            for pp, a in zip(rates, reject, strict=True)
        ]
        title = f"Single-stage: reject H0 if X > {r} of {n}"
    if as_json:
        _print_json({"design": design.value, "rows": rows})
        return
    print_table(
        title,
        ("true p", "P(reject H0)", "P(early stop)", "E[N]"),
        [
            [f"{x['p']:g}", f"{x['prob_reject']:.4f}", f"{x['pet']:.4f}", f"{x['en']:.2f}"]
            for x in rows
        ],
    )


@design_app.command("infer")
def infer_cmd(
    r1: Annotated[int, typer.Option("--r1", help="Stage-1 futility bound.")],
    n1: Annotated[int, typer.Option("--n1", help="Stage-1 sample size.")],
    r: Annotated[int, typer.Option("--r", help="Final efficacy bound (efficacy if X > r).")],
    n: Annotated[int, typer.Option("--n", help="Total sample size.")],
    x1: Annotated[int, typer.Option("--x1", help="Responders in stage 1.")],
    x2: Annotated[int | None, typer.Option("--x2", help="Responders in stage 2.")] = None,
    p0: Annotated[
        float | None, typer.Option("--p0", help="Null rate for the p-value (optional).")
    ] = None,
    conf_level: Annotated[
        float, typer.Option("--conf-level", help="Two-sided confidence level.")
    ] = 0.95,
    as_json: JSON = False,
) -> None:
    """Exact inference after a two-stage trial (stage-wise ordering, Koyama & Chen 2008)."""
    from nakip.stats.simon import TwoStageInference, TwoStageRule

    try:
        rule = TwoStageRule(r1, n1, r, n)
        fitted = TwoStageInference(rule, p0=p0, conf_level=conf_level).fit(x1, x2)
    except ValueError as exc:
        fail(str(exc))
    res = fitted.result_
    assert res is not None
    if as_json:
        _print_json(res.to_dict())
        return
    stage_text = "stopped after stage 1" if res.stage == 1 else "completed stage 2"
    rows = [
        ["trial", stage_text],
        ["responders / treated", f"{res.x_total} / {res.n_treated}"],
        ["H0 rejected (X > r)", "yes" if res.reject_h0 else "no"],
        ["MLE (naive)", f"{res.mle:.4f}"],
        ["median-unbiased estimate", f"{res.mue:.4f}"],
        ["UMVUE (Jung & Kim 2004)", f"{res.umvue:.4f}"],
        [f"{100 * res.conf_level:g}% CI", f"{res.ci_lower:.4f} - {res.ci_upper:.4f}"],
    ]
    if res.p_value is not None:
        rows.append([f"p-value (H0: p <= {res.p0:g})", f"{res.p_value:.4g}"])
    print_table(f"Two-stage inference, {rule}", ("quantity", "value"), rows)
