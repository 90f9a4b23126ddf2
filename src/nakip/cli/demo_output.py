"""What `nakip demo` prints for people: the protocol and designs, the scenario's truth, the
monitoring decisions as they happened, the analysis layer's results and the true rates beside
what the trial found (Rich tables)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from nakip.protocol import Protocol
from nakip.wording import count

out = Console(highlight=False, width=None if sys.stdout.isatty() else 110)


def print_protocol(path: Path, proto: Protocol) -> None:
    t = proto.trial
    out.rule(f"[bold]{t.acronym}[/] virtual trial — protocol {t.protocol_version}")
    out.print(f"[green]valid[/]: {path}")
    out.print(f"{t.registry_id} · {t.study_id} · {t.sponsor} · phase {t.phase}")
    table = Table(title="Cohorts (analysed independently)")
    for col in ("cohort", "primary endpoint", "design", "rule (planned n)"):
        table.add_column(col, overflow="fold")
    from nakip.analysis.design_choice import chosen_designs

    choices = chosen_designs(proto)
    for c in proto.cohorts:
        d = choices[c.code]
        table.add_row(
            f"{c.code}: {c.name}",
            c.primary_endpoint.description,
            f"{d.design_type}, p0 {d.p0:g} vs p1 {d.p1:g}, alpha {d.alpha:g}, power {d.power:g}",
            f"{d.rule_text} (n = {d.planned_n})",
        )
    out.print(table)
    rules = "; ".join(
        f"{m.code}: stop if Pr({m.event} rate > {m.limit:g}) > {m.cutoff:g}"
        f" ({'per cohort' if m.per_cohort else 'trial-wide'})"
        for m in proto.monitoring
    )
    out.print(f"Monitoring: {rules}")


def print_designs(designs: list[dict[str, Any]], bounds: list[dict[str, Any]]) -> None:
    table = Table(title="Simon two-stage designs (nakip.stats.simon, exact)")
    for col in ("cohort", "design", "r1/n1", "r/n", "EN0", "PET0", "alpha", "power"):
        table.add_column(
            col, justify="right" if col not in ("cohort", "design") else "left", overflow="fold"
        )
    for d in designs:
        for kind in ("optimal", "minimax"):
            x = d[kind]
            table.add_row(
                d["cohort"],
                kind,
                f"{x['r1']}/{x['n1']}",
                f"{x['r']}/{x['n']}",
                f"{x['en0']:.2f}",
                f"{x['pet0']:.3f}",
                f"{x['alpha']:.4f}",
                f"{x['power']:.4f}",
            )
    out.print(table)
    for d in designs:
        text = d["chosen"]["message"]
        out.print(f"{d['cohort']}: " + (f"[yellow]{text}[/]" if "MISMATCH" in text else text))
    for b in bounds:
        cells = ", ".join(
            (f"n {r['n_from']}" if r["n_from"] == r["n_to"] else f"n {r['n_from']}-{r['n_to']}")
            + f": >= {r['stop_if_at_least']}"
            for r in b["boundary"]
        )
        out.print(
            f"[bold]{b['code']}[/] boundary ({b['scope']}, stop if >= b events among the first "
            f"n; Beta({b['prior'][0]:g}, {b['prior'][1]:g}) prior): {cells}",
            soft_wrap=False,
        )


def print_results(res: Any, report: Any, db: Path, data_dir: Path) -> None:
    """The TrialAnalysis of the demo's data (nakip.analysis), for people."""
    consort = res.consort
    out.rule("[bold]Results at the data cut[/] " + res.cutoff.isoformat())
    out.print(
        f"Screened {consort.screened} · not eligible {consort.not_eligible} · "
        f"in screening {consort.in_screening} · enrolled {consort.enrolled}"
    )
    if consort.reasons:
        reasons = Table(title="Criteria not met by the patients not eligible (CONSORT)")
        reasons.add_column("criterion", overflow="fold")
        reasons.add_column("n", justify="right", overflow="fold")
        for reason, n in consort.reasons.items():
            reasons.add_row(reason, str(n))
        out.print(reasons)
    codes = list(consort.cohorts)
    table = Table(title="Per cohort (nakip.analysis on the EDC's datasets)", show_lines=True)
    table.add_column("", overflow="fold")
    for code in codes:
        table.add_column(code, overflow="fold")
    eff, mon = res.efficacy.cohorts, res.monitoring
    safety = res.safety.overview.set_index("cohort")
    rows: list[tuple[str, list[str]]] = [
        (
            "screened / not eligible",
            [f"{consort.cohorts[c].screened} / {consort.cohorts[c].not_eligible}" for c in codes],
        ),
        (
            "enrolled / treated",
            [f"{consort.cohorts[c].enrolled} / {eff[c].treated}" for c in codes],
        ),
        ("responders (ITT)", [eff[c].primary.rate.text() for c in codes]),
        (
            "best response",
            [", ".join(f"{k} {v}" for k, v in eff[c].best_response.items()) for c in codes],
        ),
        ("Simon stage 1", [mon.simon[c].stage1_text for c in codes]),
        ("Simon final", [mon.simon[c].final_text for c in codes]),
        (
            "DLT patients / treated",
            [
                f"{safety.loc[c, 'dlt']} / {safety.loc[c, 'patients']}"
                if c in safety.index
                else "-"
                for c in codes
            ],
        ),
        ("NK product failures", [res.feasibility.rates[c].rate.text() for c in codes]),
        ("monitoring", ["\n".join(f"{m.code}: {m.text}" for m in mon.rules[c]) for c in codes]),
    ]
    for label, cells in rows:
        table.add_row(label, *cells)
    out.print(table)
    for m in mon.rules["all"]:
        out.print(f"Trial-wide {m.code} monitoring: {m.text}")
    if report is not None:
        out.print(
            f"EDC activity: {count(report.records, 'record')} at "
            f"{count(report.visits, 'visit')}, {count(report.corrections, 'correction')} with "
            f"reasons, {count(report.manual_queries, 'monitor query', 'monitor queries')} and "
            f"{count(report.automatic_queries, 'edit-check query', 'edit-check queries')} (all "
            f"closed), {count(report.missed_visits, 'missed visit')}, "
            f"{count(report.sae_reports, 'expedited SAE report')} (24-hour notices and "
            f"follow-ups), {count(report.source_verified, 'record')} source-verified, "
            f"{count(report.signatures, 'casebook')} signed, {report.locks} locked."
        )
    out.rule("[bold]Look at it in the browser[/]")
    out.print(f"Database: {db}")
    out.print(
        f"Run   [bold]NAKIP_DATA_DIR={data_dir} nakip serve[/]   (or [bold]nakip demo --keep "
        f"--out {data_dir} --serve[/]) and open http://127.0.0.1:8000/"
    )
    if report is not None:
        users = Table(title="Demo users (passwords shown once, stored nowhere)")
        for col in ("username", "role", "password"):
            users.add_column(col, overflow="fold")
        for u in report.users:
            users.add_row(u.username, u.role, u.password)
        out.print(users)
    else:
        out.print(
            "The demo users' passwords were shown when the data were created; "
            "run `nakip demo` again (fresh) for new ones."
        )


def print_truth(truth: Any, n: int) -> None:
    out.rule(f"[bold]Scenario '{truth.name}'[/] (the truth the trial does not see)")
    out.print(truth.description, soft_wrap=True)
    table = Table(title=f"True per-patient rates ({n} patients requested per cohort)")
    for col in ("cohort", "response", "DLT", "NK-product failure", "early drop-out", "NK potency"):
        table.add_column(col, justify="left" if col == "cohort" else "right", overflow="fold")
    for code, c in truth.cohorts.items():
        r = c.rates
        table.add_row(
            code,
            f"{c.response_rate:.2f}",
            f"{r.dlt_rate:.2f}",
            f"{r.feasibility_failure_rate:.2f}",
            f"{r.early_dropout_rate:.2f}",
            f"{r.potency:.3g}",
        )
    out.print(table)


def print_events(trial: Any) -> None:
    if not trial.events:
        out.print("Monitoring: no pause or stop while the data arrived.")
        return
    table = Table(title="Monitoring as the data arrived (when and why)")
    for col in ("date", "cohort", "rule", "decision"):
        table.add_column(col, overflow="fold")
    for e in trial.events:
        table.add_row(trial.event_date(e).isoformat(), e.cohort or "trial-wide", e.rule, e.text)
    out.print(table)


def print_true_vs_found(truth: Any, res: Any) -> None:
    """The scenario's true rates beside the analysis layer's estimates (exact CI, p-value of
    the two-stage inference when the rule settled, else the exact binomial test); the full
    decision text with the median-unbiased estimate follows the table."""
    table = Table(title="True rates of the scenario beside what the trial found (nakip.analysis)")
    for col in ("cohort", "response: true", "found (ITT, 95% CI)", "p-value vs p0", "decision",
                "DLT: true", "found", "product failure: true", "found"):  # fmt: skip
        table.add_column(
            col, justify="left" if col in ("cohort", "decision") else "right", overflow="fold"
        )
    safety = res.safety.overview.set_index("cohort")
    for code, t in truth.cohorts.items():
        eff = res.efficacy.cohorts[code]
        ts = eff.two_stage
        p = ts.p_value if ts is not None and ts.estimable else eff.primary.rate.p_value
        dlt = (
            f"{safety.loc[code, 'dlt']}/{safety.loc[code, 'patients']}"
            if code in safety.index
            else "-"
        )
        table.add_row(
            code,
            f"{t.response_rate:.2f}",
            eff.primary.rate.text(),
            "-" if p is None else f"{p:.4f}",
            eff.simon.final_decision.replace("_", " "),
            f"{t.rates.dlt_rate:.2f}",
            dlt,
            f"{t.rates.feasibility_failure_rate:.2f}",
            res.feasibility.rates[code].rate.text(),
        )
    out.print(table)
    for code in truth.cohorts:
        out.print(f"[bold]{code}[/]: {res.efficacy.cohorts[code].decision}", soft_wrap=True)
