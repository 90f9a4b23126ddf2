"""`nakip protocol validate|show`: check a protocol file and print a readable summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nakip.cli.apps import protocol_app
from nakip.protocol import Protocol, ProtocolError, default_protocol_path, load_protocol_file

_out = Console(highlight=False)

FileArg = Annotated[
    Path | None,
    typer.Argument(help="Protocol YAML file (default: the packaged NAKIP-AML protocol)."),
]


def _load(file: Path | None) -> Protocol:
    path = file or default_protocol_path()
    try:
        return load_protocol_file(path)
    except ProtocolError as exc:
        err = Console(stderr=True, highlight=False)
        err.print(f"[bold red]{path}: {len(exc.issues)} error(s)[/]")
        for issue in exc.issues:
            err.print(f"  {issue}", soft_wrap=True)
        raise typer.Exit(2) from None


def _rule_words(proto: Protocol, code: str) -> str:
    """The cohort's governing rule and planned n, as nakip.analysis.design_choice decides."""
    from nakip.analysis.design_choice import chosen_design

    try:
        choice = chosen_design(proto, code)
    except ValueError as exc:
        return f"[red]{exc}[/]"
    return f"{choice.rule_text} (planned n {choice.planned_n})"


@protocol_app.command("validate")
def validate(
    file: FileArg = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Validate a protocol file; every error is listed with its line (exit 2 if invalid)."""
    path = file or default_protocol_path()
    if as_json:
        try:
            proto = load_protocol_file(path)
        except ProtocolError as exc:
            typer.echo(json.dumps({"valid": False, "errors": [i.to_dict() for i in exc.issues]}))
            raise typer.Exit(2) from None
        typer.echo(json.dumps({"valid": True, "trial": proto.trial.acronym}))
        return
    proto = _load(file)
    _out.print(
        f"[green]valid[/]: {path} — {proto.trial.acronym} protocol {proto.trial.protocol_version}"
        f", {len(proto.cohorts)} cohorts, {len(proto.forms)} form versions"
    )


@protocol_app.command("show")
def show(file: FileArg = None) -> None:
    """Print a readable summary of the protocol: cohorts, design, treatment, schedule, rules."""
    proto = _load(file)
    t = proto.trial
    _out.rule(f"[bold]{t.acronym}[/] — protocol {t.protocol_version} ({t.protocol_date})")
    _out.print(t.title)
    _out.print(f"{t.registry_id} · {t.study_id} · {t.sponsor} · phase {t.phase}\n")

    cohorts = Table(title="Cohorts (analysed independently)", show_lines=True)
    for col in ("cohort", "entry", "primary endpoint", "design"):
        cohorts.add_column(col)
    for c in proto.cohorts:
        if c.overt_entry:
            e = c.overt_entry
            entry = (
                f"relapsed/refractory AML, marrow blasts < {e.bm_blasts_below_pct:g} %, "
                f"blood blasts < {e.pb_blasts_below_pct:g} %"
            )
        else:
            m = c.mrd_entry
            assert m is not None  # guaranteed by the model's validator
            entry = (
                f"haematological remission (marrow blasts < {m.remission_bm_blasts_below_pct:g} %)"
                f", MRD rising > {m.rise_fold_above:g}-fold vs {m.rise_reference} sample "
                f"({'/'.join(m.assays)})"
            )
        d = c.design
        design = f"{d.type}: p0 {d.p0:g} vs p1 {d.p1:g}, alpha {d.alpha:g}, power {d.power:g}"
        design += "\n" + _rule_words(proto, c.code)
        ep = c.primary_endpoint
        endpoint = ep.description
        if ep.responder_categories:
            endpoint += f"\nresponders: {', '.join(ep.responder_categories)}"
        cohorts.add_row(f"{c.code}\n{c.name}", entry, endpoint, design)
    _out.print(cohorts)

    tx = proto.treatment
    tal, nk = tx.talazoparib, tx.nk_cells
    _out.print(
        f"[bold]Treatment[/]: talazoparib {tal.dose_mg:g} mg {tal.route} {tal.frequency}, "
        f"days 1-{tal.dosing_days_per_cycle} of {tal.cycle_length_days}-day cycles, up to "
        f"{tal.max_cycles} cycles (reductions {' -> '.join(f'{x:g}' for x in tal.dose_levels_mg)}"
        f" mg); NK cells {nk.target_dose_per_kg / 1e6:g} x 10^6/kg on days "
        f"{', '.join(map(str, nk.infusion_days))}; {nk.lymphodepletion}; {nk.cytokine_support}; "
        f"washout {tx.washout_days} days."
    )

    crit = Table(title="Eligibility")
    for col in ("id", "criterion", "decided by"):
        crit.add_column(col)
    for c in [*proto.eligibility.inclusion, *proto.eligibility.exclusion]:
        crit.add_row(c.id, c.text, "data" if c.kind == "data" else "investigator")
    _out.print(crit)

    visits = Table(title="Visit schedule (day 1 = first talazoparib dose)")
    for col in ("visit", "day", "window", "forms"):
        visits.add_column(col)
    for v in proto.schedule.visits:
        mark = " (response)" if v.response_assessment else ""
        visits.add_row(
            f"{v.code} {v.name}{mark}",
            str(v.day),
            f"-{v.window_before}/+{v.window_after}",
            ", ".join(v.forms),
        )
    fu = proto.schedule.follow_up
    visits.add_row(
        "FU follow-up",
        f"every {fu.interval_days}",
        f"±{fu.window_days}",
        f"{', '.join(fu.forms)} for {fu.duration_days} days",
    )
    _out.print(visits)

    mon = Table(title="Continuous monitoring (stop when Pr(rate > limit | data) > cutoff)")
    for col in ("rule", "event", "prior", "limit", "cutoff", "from n", "scope"):
        mon.add_column(col)
    for m in proto.monitoring:
        mon.add_row(
            m.code,
            m.event,
            f"Beta({m.prior_a:g}, {m.prior_b:g})",
            f"{m.limit:g}",
            f"{m.cutoff:g}",
            str(m.min_patients),
            "per cohort" if m.per_cohort else "pooled",
        )
    _out.print(mon)

    rc = proto.response_criteria
    dlt = proto.safety.dlt
    _out.print(
        f"[bold]Response criteria[/]: {rc.overt_guideline} (overt), {rc.mrd_guideline} (mrd: "
        f"responder if MRD falls by more than {rc.mrd.responder_log10_decrease_above:g} log10). "
        f"[bold]Safety[/]: CTCAE v{proto.safety.ctcae_version}, {proto.safety.crs_icans_grading};"
        f" DLT window {dlt.window_description}."
    )
