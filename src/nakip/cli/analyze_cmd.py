"""`nakip analyze survival|cif|response`: analyses for statisticians working from files.

Thin layer over nakip.stats: read a CSV file, check the named columns, print Rich tables for
people or `--json` for scripts (shapes in docs/analysis.md). Bad input exits with code 2 and
one line naming the option or column; nothing is recomputed here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from nakip.cli.apps import app
from nakip.cli.errors import fail

if TYPE_CHECKING:
    import pandas as pd

    from nakip.stats.survival import AalenJohansen, KaplanMeier

analyze_app = typer.Typer(
    help="Survival, cumulative incidence and response-rate inference from files.",
    no_args_is_help=True,
)
app.add_typer(analyze_app, name="analyze")

_out = Console(highlight=False)

CSV = Annotated[Path, typer.Option("--csv", help="CSV file with one row per patient.")]
TIME = Annotated[str, typer.Option("--time", help="Column of times (>= 0, any one unit).")]
GROUP = Annotated[
    str | None, typer.Option("--group", help="Column of groups to compare (optional).")
]
JSON = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ALL = "all"


def _print_json(payload: object) -> None:
    typer.echo(json.dumps(payload, indent=2, allow_nan=False))


def _read(path: Path, columns: dict[str, str | None]) -> pd.DataFrame:
    """The CSV file with the named columns (option -> column); exit 2 naming what is wrong."""
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        fail(f"--csv: file not found: {path}")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        fail(f"--csv: cannot read {path} as CSV ({str(exc).splitlines()[0]})")
    for option, column in columns.items():
        if column is not None and column not in frame.columns:
            have = ", ".join(map(str, frame.columns))
            fail(f"{option}: no column {column!r} in {path} (columns: {have})")
    return frame


def _fail_on_row(option: str, exc: ValueError) -> None:
    """Re-word a stats-layer message for a CSV reader: data row i is line i + 2 of the file."""
    text = str(exc).split(": ", 1)[-1]
    text = re.sub(r"at row (\d+)", lambda m: f"on line {int(m.group(1)) + 2}", text)
    fail(f"{option}: {text}")


def _groups(frame: pd.DataFrame, group: str | None) -> tuple[list[str], Any]:
    """Group labels and per-row labels; every row is group 'all' without --group."""
    import numpy as np

    from nakip.stats.survival.event_counts import check_groups

    if group is None:
        return [ALL], np.full(len(frame), ALL, dtype=object)
    try:
        labels, index = check_groups(frame[group].to_numpy(), len(frame), "groups")
    except ValueError as exc:
        _fail_on_row(f"--group {group}", exc)
    return labels, np.asarray(labels, dtype=object)[index]


def _checked_times(frame: pd.DataFrame, time: str) -> Any:
    from nakip.stats.survival.event_counts import check_durations

    try:
        return check_durations(frame[time].to_numpy(), "durations")
    except ValueError as exc:
        _fail_on_row(f"--time {time}", exc)


def _fmt(value: float | None, digits: int = 4) -> str:
    return "NE" if value is None else f"{value:.{digits}g}"


def _median_text(fit: KaplanMeier) -> str:
    if fit.median is None:
        return "not reached"
    return f"{_fmt(fit.median)} ({_fmt(fit.median_lower)} - {_fmt(fit.median_upper)})"


@analyze_app.command("survival")
def survival_cmd(
    csv: CSV,
    time: TIME,
    event: Annotated[str, typer.Option("--event", help="Column: 1/True event, 0/False censored.")],
    group: GROUP = None,
    as_json: JSON = False,
) -> None:
    """Kaplan–Meier with log-log 95% limits and median (as R survfit), log-rank between groups."""
    from nakip.stats.survival import compare_survival
    from nakip.stats.survival.event_counts import check_status

    frame = _read(csv, {"--time": time, "--event": event, "--group": group})
    t = _checked_times(frame, time)
    try:
        e = check_status(frame[event].to_numpy(), len(frame), "events")
    except ValueError as exc:
        _fail_on_row(f"--event {event}", exc)
    _, labels = _groups(frame, group)
    fits, test = compare_survival(t, e, labels)
    if not fits:  # an empty file: one empty, not-estimable curve
        from nakip.stats.survival import KaplanMeier

        fits = {ALL: KaplanMeier().fit([], [], label=ALL)}
    keys = ("time", "n_risk", "n_event", "survival", "lower", "upper")
    keys += ("median", "median_lower", "median_upper")
    if as_json:
        groups = {name: {k: fit.to_dict()[k] for k in keys} for name, fit in fits.items()}
        logrank = None if test is None else {k: test.to_dict()[k] for k in ("chisq", "df", "p")}
        _print_json({"groups": groups, "logrank": logrank})
        return
    for name, fit in fits.items():
        table = Table(title=f"Kaplan-Meier, {name} (n = {fit.n}, events = {fit.n_events})")
        for col in ("time", "at risk", "events", "censored", "survival", "95% CI"):
            table.add_column(col, justify="right")
        for row in fit.table.itertuples(index=False):
            ci = "NE" if row.lower != row.lower else f"{row.lower:.4f} - {row.upper:.4f}"
            table.add_row(
                f"{row.time:g}", str(row.n_risk), str(row.n_event), str(row.n_censor),
                f"{row.survival:.4f}", ci,
            )  # fmt: skip
        _out.print(table)
    summary = Table(title=f"Median {time} (95% CI, Brookmeyer-Crowley)")
    for col in ("group", "n", "events", "median (95% CI)"):
        summary.add_column(col, justify="right" if col != "group" else "left")
    for name, fit in fits.items():
        summary.add_row(name, str(fit.n), str(fit.n_events), _median_text(fit))
    _out.print(summary)
    if test is not None:
        _out.print(f"Log-rank: chi-square {test.chisq:.4f} on {test.df} df, p = {test.p:.4g}")


@analyze_app.command("cif")
def cif_cmd(
    csv: CSV,
    time: TIME,
    status: Annotated[
        str, typer.Option("--status", help="Column: 0 censored, 1..k cause of failure.")
    ],
    cause: Annotated[int, typer.Option("--cause", help="Status code of the cause of interest.")],
    group: GROUP = None,
    as_json: JSON = False,
) -> None:
    """Cumulative incidence with competing risks (as R cmprsk::cuminc), Gray's test."""
    from nakip.stats.survival import AalenJohansen, gray_test
    from nakip.stats.survival.event_counts import check_status

    if cause < 1:
        fail(f"--cause: must be a positive status code, got {cause}")
    frame = _read(csv, {"--time": time, "--status": status, "--group": group})
    t = _checked_times(frame, time)
    try:
        s = check_status(frame[status].to_numpy(), len(frame), "status", max_code=None)
    except ValueError as exc:
        _fail_on_row(f"--status {status}", exc)
    if len(s) and not (s == cause).any():
        fail(f"--cause: no row of column {status!r} has status {cause}")
    names, labels = _groups(frame, group)
    fits: dict[str, AalenJohansen] = {
        name: AalenJohansen().fit(t[labels == name], s[labels == name], cause=cause, label=name)
        for name in names
    }
    gray = gray_test(t, s, labels, cause=cause) if len(names) >= 2 else None
    if as_json:
        groups = {
            name: {k: fit.to_dict()[k] for k in ("time", "cif", "variance")}
            for name, fit in fits.items()
        }
        out = None if gray is None else {"stat": gray.stat, "df": gray.df, "p": gray.p}
        _print_json({"groups": groups, "gray": out})
        return
    for name, fit in fits.items():
        table = Table(title=f"Cumulative incidence of cause {cause}, {name} (n = {fit.n})")
        for col in ("time", "at risk", "events", "CIF", "variance", "95% CI"):
            table.add_column(col, justify="right")
        for row in fit.table.itertuples(index=False):
            ci = "NE" if row.lower != row.lower else f"{row.lower:.4f} - {row.upper:.4f}"
            table.add_row(
                f"{row.time:g}", str(row.n_risk), str(row.n_event), f"{row.cif:.4f}",
                f"{row.variance:.3g}", ci,
            )  # fmt: skip
        _out.print(table)
    if gray is not None:
        note = " (singular variance: not testable)" if gray.singular else ""
        _out.print(f"Gray's test: {gray.stat:.4f} on {gray.df} df, p = {gray.p:.4g}{note}")


def _two_stage_rule(text: str) -> tuple[int, int, int, int]:
    parts = text.split(",")
    try:
        values = tuple(int(p.strip()) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4:
        fail(f"--two-stage: expected R1,N1,R,N as four whole numbers, got {text!r}")
    return values  # type: ignore[return-value]


@analyze_app.command("response")
def response_cmd(
    k: Annotated[int, typer.Option("--k", help="Responders.")],
    n: Annotated[int, typer.Option("--n", help="Patients treated (N1 if stopped at stage 1).")],
    p0: Annotated[float, typer.Option("--p0", help="Null response rate for the p-value.")],
    two_stage: Annotated[
        str | None,
        typer.Option("--two-stage", help="Simon-type design R1,N1,R,N the trial followed."),
    ] = None,
    alpha: Annotated[
        float, typer.Option("--alpha", help="One-sided level: the two-stage CI is 1 - 2 alpha.")
    ] = 0.05,
    as_json: JSON = False,
) -> None:
    """Exact one-sided binomial p-value against p0 and 95% Clopper-Pearson CI; after a two-stage
    design also the stage-wise p-value, median-unbiased estimate, UMVUE and exact CI."""
    from nakip.stats.binomial import binom_test, clopper_pearson_interval
    from nakip.stats.simon import TwoStageInference, TwoStageRule

    if n < 1:
        fail(f"--n: must be at least 1, got {n}")
    if not 0 <= k <= n:
        fail(f"--k: must be between 0 and --n ({n}), got {k}")
    if not 0.0 < alpha < 0.5:
        fail(f"--alpha: must lie strictly between 0 and 0.5, got {alpha}")
    try:
        test = binom_test(k, n, p0, alternative="greater")
        ci = clopper_pearson_interval(k, n, 0.95)
    except ValueError as exc:
        fail(f"--p0: {exc}" if "p0" in str(exc) else str(exc))
    payload: dict[str, Any] = {
        "k": k,
        "n": n,
        "estimate": test.estimate,
        "p_value": test.p_value,
        "ci": [ci.lower, ci.upper],
    }
    if two_stage is not None:
        r1, n1, r, n_total = _two_stage_rule(two_stage)
        try:
            rule = TwoStageRule(r1, n1, r, n_total)
        except ValueError as exc:
            fail(f"--two-stage: {exc}")
        stopped = k <= r1
        expected_n = n1 if stopped else n_total
        if n != expected_n:
            where = f"stopped after stage 1 (K={k} <= R1={r1})" if stopped else "completed stage 2"
            fail(f"--n: the trial {where}, so N must be {expected_n}, got {n}")
        # the stage-wise ordering depends on the stage and the total only: any valid split works
        x1 = k if stopped else max(r1 + 1, k - rule.n2)
        res = TwoStageInference(rule, p0=p0, conf_level=1.0 - 2.0 * alpha)
        res = res.fit(x1) if stopped else res.fit(x1, x_total=k)
        out = res.result_
        assert out is not None
        payload["two_stage"] = {
            "stage": out.stage,
            "p_value": out.p_value,
            "estimate": out.mue,
            "umvue": out.umvue,
            "ci": [out.ci_lower, out.ci_upper],
        }
    if as_json:
        _print_json(payload)
        return
    table = Table(title=f"Response {k}/{n} against p0 = {p0:g}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("estimate", f"{payload['estimate']:.4f}")
    table.add_row("exact one-sided p (binomial)", f"{payload['p_value']:.4g}")
    table.add_row("95% CI (Clopper-Pearson)", f"{ci.lower:.4f} - {ci.upper:.4f}")
    if "two_stage" in payload:
        ts = payload["two_stage"]
        table.add_row("two-stage: stage reached", str(ts["stage"]))
        table.add_row("two-stage: stage-wise p", f"{ts['p_value']:.4g}")
        table.add_row("two-stage: median-unbiased estimate", f"{ts['estimate']:.4f}")
        table.add_row("two-stage: UMVUE", f"{ts['umvue']:.4f}")
        pct = f"{100 * (1 - 2 * alpha):g}%"
        table.add_row(f"two-stage: exact {pct} CI", f"{ts['ci'][0]:.4f} - {ts['ci'][1]:.4f}")
    _out.print(table)
