"""`nakip demo`: the NAKIP-AML protocol, its designs and a whole virtual trial run through the EDC.

Steps: validate and summarise the protocol; Simon designs and monitoring boundaries; a fresh
SQLite EDC database under --out (the demo's own folder, ./nakip-demo by default: never the
EDC's ./nakip-data); seeded virtual patients entered through the EDC services
(audit trail, edit checks, derivations); per-cohort results; how to open it in the browser.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nakip.cli.apps import app
from nakip.cli.errors import fail
from nakip.protocol import Protocol, ProtocolError, default_protocol_path, load_protocol_file
from nakip.sim.demo_folder import MARKER, foreign_writes, holds_data

_out = Console(highlight=False, width=None if sys.stdout.isatty() else 110)
SITE_CODE = "VS01"
SITE_NAME = "Virtual site (NAKIP demo)"
DB_FILE = "nakip.sqlite3"  # the name nakip.edc.settings gives the SQLite file in NAKIP_DATA_DIR
MAX_PATIENTS = 200
MAX_REPLICATES = 100_000


# =========================================================================== protocol and designs
def _load_protocol() -> tuple[Path, Protocol]:
    """The protocol the EDC runs (NAKIP_PROTOCOL_FILE or the packaged one), validated."""
    path = Path(os.environ.get("NAKIP_PROTOCOL_FILE") or default_protocol_path())
    try:
        return path, load_protocol_file(path)
    except ProtocolError as exc:
        err = Console(stderr=True, highlight=False)
        err.print(f"[bold red]{path}: {len(exc.issues)} error(s)[/]")
        for issue in exc.issues:
            err.print(f"  {issue}", soft_wrap=True)
        raise typer.Exit(2) from None


def _designs(proto: Protocol) -> list[dict[str, Any]]:
    """Each cohort's chosen design (nakip.analysis.design_choice) beside the Simon optimal and
    minimax designs of its parameters."""
    from nakip.analysis.design_choice import chosen_designs
    from nakip.stats import simon

    out = []
    for code, choice in chosen_designs(proto).items():
        found = simon.search(choice.p0, choice.p1, choice.alpha, choice.power, choice.nmax)
        out.append(
            {
                "cohort": code,
                "type": choice.design_type,
                "p0": choice.p0,
                "p1": choice.p1,
                "alpha": choice.alpha,
                "power": choice.power,
                "chosen": choice.to_dict(),
                "planned": None if choice.source == "search" else choice.design.to_dict(),
                "optimal": found.optimal.to_dict(),
                "minimax": found.minimax.to_dict(),
                "planned_matches_search": choice.matches_search,
            }
        )
    return out


def _boundaries(proto: Protocol) -> list[dict[str, Any]]:
    """Each monitoring rule's stop boundary as ranges of n sharing the same stop count."""
    from nakip.analysis.design_choice import monitoring_nmax
    from nakip.stats.bayes_monitor import BayesianToxicityMonitor

    out = []
    for rule in proto.monitoring:
        nmax = monitoring_nmax(proto, rule)
        mon = BayesianToxicityMonitor(
            rule.prior_a, rule.prior_b, rule.limit, rule.cutoff, nmax, rule.min_patients
        )
        ranges: list[dict[str, int]] = []
        for n, b in enumerate((int(x) for x in mon.stop_counts), start=1):
            if b > n:
                continue
            if ranges and ranges[-1]["stop_if_at_least"] == b and ranges[-1]["n_to"] == n - 1:
                ranges[-1]["n_to"] = n
            else:
                ranges.append({"n_from": n, "n_to": n, "stop_if_at_least": b})
        out.append(
            {
                "code": rule.code,
                "event": rule.event,
                "scope": "per cohort" if rule.per_cohort else "trial-wide",
                "limit": rule.limit,
                "cutoff": rule.cutoff,
                "prior": [rule.prior_a, rule.prior_b],
                "nmax": nmax,
                "boundary": ranges,
            }
        )
    return out


def _print_protocol(path: Path, proto: Protocol) -> None:
    t = proto.trial
    _out.rule(f"[bold]{t.acronym}[/] virtual trial — protocol {t.protocol_version}")
    _out.print(f"[green]valid[/]: {path}")
    _out.print(f"{t.registry_id} · {t.study_id} · {t.sponsor} · phase {t.phase}")
    table = Table(title="Cohorts (analysed independently)")
    for col in ("cohort", "primary endpoint", "design", "rule (planned n)"):
        table.add_column(col)
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
    _out.print(table)
    rules = "; ".join(
        f"{m.code}: stop if Pr({m.event} rate > {m.limit:g}) > {m.cutoff:g}"
        f" ({'per cohort' if m.per_cohort else 'trial-wide'})"
        for m in proto.monitoring
    )
    _out.print(f"Monitoring: {rules}")


def _print_designs(designs: list[dict[str, Any]], bounds: list[dict[str, Any]]) -> None:
    table = Table(title="Simon two-stage designs (nakip.stats.simon, exact)")
    for col in ("cohort", "design", "r1/n1", "r/n", "EN0", "PET0", "alpha", "power"):
        table.add_column(col, justify="right" if col not in ("cohort", "design") else "left")
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
    _out.print(table)
    for d in designs:
        text = d["chosen"]["message"]
        _out.print(f"{d['cohort']}: " + (f"[yellow]{text}[/]" if "MISMATCH" in text else text))
    for b in bounds:
        cells = ", ".join(
            (f"n {r['n_from']}" if r["n_from"] == r["n_to"] else f"n {r['n_from']}-{r['n_to']}")
            + f": >= {r['stop_if_at_least']}"
            for r in b["boundary"]
        )
        _out.print(
            f"[bold]{b['code']}[/] boundary ({b['scope']}, stop if >= b events among the first "
            f"n; Beta({b['prior'][0]:g}, {b['prior'][1]:g}) prior): {cells}",
            soft_wrap=False,
        )


# =========================================================================== database
def _database(data_dir: Path, fresh: bool, force: bool = False) -> tuple[Path, bool]:
    """Point the EDC settings at `data_dir`, reset a previous demo database when `fresh`, set
    Django up and migrate. Returns (database file, whether demo data already exist).

    A database is deleted only when the demo created it (marker file) and nothing in it was
    written by anyone else (`foreign_writes`), unless `force`; otherwise exit 2, untouched."""
    if data_dir.exists() and not data_dir.is_dir():
        fail(f"--out {data_dir} is a file, not a folder")
    db = data_dir / DB_FILE
    marker = data_dir / MARKER
    if fresh and db.exists() and not force:
        if not marker.exists() and holds_data(db):
            fail(
                f"--out {data_dir} holds an EDC database the demo did not create; nothing was "
                "removed: use another folder (--keep adds the demo to it, --force deletes it)"
            )
        reasons = foreign_writes(db) if marker.exists() else []
        if reasons:
            fail(
                f"--out {data_dir}: the database holds data not written by the demo "
                f"({'; '.join(reasons)}); nothing was removed: use another folder, or --force "
                "to delete it"
            )
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out {data_dir}: cannot create ({exc.strerror})")
    if "django.conf" in sys.modules:
        from django.conf import settings

        if settings.configured:
            name = Path(str(settings.DATABASES["default"]["NAME"]))
            if name != db:
                fail("Django is already configured for another database in this process")
    os.environ["NAKIP_DATA_DIR"] = str(data_dir)
    os.environ.pop("NAKIP_DATABASE_URL", None)  # the demo always uses its own SQLite file
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nakip.edc.settings")
    os.environ.setdefault("NAKIP_DEBUG", "false")  # no SQL logging while replaying the trial
    if fresh and db.exists():
        marker.unlink(missing_ok=True)
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    import django
    from django.conf import settings
    from django.core.management import call_command

    if Path(str(settings.DATABASES["default"]["NAME"])) != db:
        fail(f"the EDC settings do not place the database in --out ({db})")
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from nakip.edc.models import Site

    return db, Site.objects.filter(code=SITE_CODE).exists()


# =========================================================================== output
def _print_results(res: Any, report: Any, db: Path, data_dir: Path) -> None:
    """The TrialAnalysis of the demo's data (nakip.analysis), for people."""
    consort = res.consort
    _out.rule("[bold]Results at the data cut[/] " + res.cutoff.isoformat())
    _out.print(
        f"Screened {consort.screened} · not eligible {consort.not_eligible} · "
        f"in screening {consort.in_screening} · enrolled {consort.enrolled}"
    )
    if consort.reasons:
        reasons = Table(title="Criteria not met by the patients not eligible (CONSORT)")
        reasons.add_column("criterion")
        reasons.add_column("n", justify="right")
        for reason, n in consort.reasons.items():
            reasons.add_row(reason, str(n))
        _out.print(reasons)
    codes = list(consort.cohorts)
    table = Table(title="Per cohort (nakip.analysis on the EDC's datasets)", show_lines=True)
    table.add_column("")
    for code in codes:
        table.add_column(code)
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
    _out.print(table)
    for m in mon.rules["all"]:
        _out.print(f"Trial-wide {m.code} monitoring: {m.text}")
    if report is not None:
        _out.print(
            f"EDC activity: {report.records} records at {report.visits} visits, "
            f"{report.corrections} corrections with reasons, {report.manual_queries} monitor "
            f"queries and {report.automatic_queries} edit-check queries (all closed), "
            f"{report.missed_visits} missed visits, {report.source_verified} records "
            f"source-verified, {report.signatures} casebooks signed, {report.locks} locked."
        )
    _out.rule("[bold]Look at it in the browser[/]")
    _out.print(f"Database: {db}")
    _out.print(
        f"Run   [bold]NAKIP_DATA_DIR={data_dir} nakip serve[/]   (or [bold]nakip demo --keep "
        f"--out {data_dir} --serve[/]) and open http://127.0.0.1:8000/"
    )
    if report is not None:
        users = Table(title="Demo users (passwords shown once, stored nowhere)")
        for col in ("username", "role", "password"):
            users.add_column(col)
        for u in report.users:
            users.add_row(u.username, u.role, u.password)
        _out.print(users)
    else:
        _out.print(
            "The demo users' passwords were shown when the data were created; "
            "run `nakip demo` again (fresh) for new ones."
        )


# =========================================================================== the command
@app.command("demo")
def demo(
    patients_per_cohort: Annotated[
        int | None,
        typer.Option(
            "--patients-per-cohort",
            help="Patients enrolled in each cohort (default: the protocol's planned n).",
        ),
    ] = None,
    scenario: Annotated[
        str,
        typer.Option(help="Scenario of scenarios.yaml: target, null, toxic, futile-mrd, ..."),
    ] = "target",
    seed_text: Annotated[
        str,
        typer.Option(
            "--seed",
            metavar="INTEGER",
            help="Seed of the virtual patients (same seed, same trial).",
        ),
    ] = "2026",
    data_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            "--data-dir",
            help="The demo's own folder for its SQLite EDC database (never the EDC's nakip-data).",
        ),
    ] = Path("nakip-demo"),
    force: Annotated[
        bool,
        typer.Option("--force", help="Delete the folder's database even if others wrote to it."),
    ] = False,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh/--keep",
            help="Start from an empty demo database (default), or keep the existing one.",
        ),
    ] = True,
    data_cut: Annotated[
        str | None,
        typer.Option("--data-cut", help="Data-cut date YYYY-MM-DD (default: today)."),
    ] = None,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then start the web app on the demo database.")
    ] = False,
    reports: Annotated[
        bool,
        typer.Option(
            "--reports/--no-reports", help="Write the DSMB and final reports (HTML and figures)."
        ),
    ] = True,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also typeset the reports as PDF.")] = False,
    replicates: Annotated[
        int | None,
        typer.Option(
            "--replicates",
            help="Run R virtual trials on the light path (no database) and compare with the "
            "exact operating characteristics.",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler for --replicates (default: a local cluster)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Run a seeded virtual NAKIP-AML trial through the EDC and summarise it per cohort."""
    from nakip.sim.scenario import ScenarioError, get_scenario

    if patients_per_cohort is not None and not 1 <= patients_per_cohort <= MAX_PATIENTS:
        fail(
            f"--patients-per-cohort must be between 1 and {MAX_PATIENTS}, got {patients_per_cohort}"
        )
    try:
        seed = int(seed_text)
    except ValueError:
        fail(f"--seed: expected an integer, got {seed_text!r}")
    if seed < 0:
        fail(f"--seed must be >= 0, got {seed}")
    if replicates is not None and not 1 <= replicates <= MAX_REPLICATES:
        fail(f"--replicates must be between 1 and {MAX_REPLICATES}, got {replicates}")
    try:
        truth = get_scenario(scenario)
    except ScenarioError as exc:
        fail(str(exc))
    cut = date.today()
    if data_cut:
        try:
            cut = date.fromisoformat(data_cut)
        except ValueError:
            fail(f"--data-cut: expected a date YYYY-MM-DD, got {data_cut!r}")
    if data_dir.exists() and not data_dir.is_dir():
        fail(f"--out {data_dir} is a file, not a folder")
    path, proto = _load_protocol()
    if replicates is not None:
        from nakip.cli.demo_replicates import run_replicates

        run_replicates(
            proto, truth, replicates, seed, patients_per_cohort, scheduler, as_json,
            data_dir.expanduser(),
        )  # fmt: skip
        return
    designs = _designs(proto)
    bounds = _boundaries(proto)
    if not as_json:
        _print_protocol(path, proto)
        _print_designs(designs, bounds)
    folder = data_dir.expanduser().resolve()
    db, existing = _database(folder, fresh, force)

    from nakip.analysis.design_choice import chosen_designs
    from nakip.sim.patients import Scenario, generate_trial
    from nakip.sim.results import summarize

    n = patients_per_cohort or max(d.planned_n for d in chosen_designs(proto).values())
    sim = Scenario(patients_per_cohort=n, seed=seed, scenario=scenario)
    report = None
    trial = None
    if existing:
        if not as_json:
            _out.print(f"[yellow]keeping the demo data already in {db}[/]")
        marker = _read_marker(folder)
        cut = date.fromisoformat(marker["data_cut"]) if marker.get("data_cut") else cut
    else:
        if not as_json:
            _print_truth(truth, n)
        trial = _generate(generate_trial, sim, cut, proto, as_json)
        report = _drive(trial, as_json)
        cut = trial.data_cut
        (folder / MARKER).write_text(
            json.dumps(
                {
                    "seed": seed,
                    "scenario": scenario,
                    "patients_per_cohort": n,
                    "data_cut": cut.isoformat(),
                    "site": SITE_CODE,
                }
            ),  # fmt: skip
            encoding="utf-8",
        )
    results = summarize(proto, cut, SITE_CODE)
    written = _write_reports(proto, cut, folder, pdf, as_json) if reports else {}
    if as_json:
        payload = {
            "protocol": {"path": str(path), "valid": True, "trial": proto.trial.acronym},
            "scenario": sim.to_dict() if report else _read_marker(folder),
            "designs": designs,
            "monitoring_boundaries": bounds,
            "monitoring_events": [trial.event_dict(e) for e in trial.events] if trial else [],
            "database": str(db),
            "edc": report.to_dict() if report else None,
            "users": [u.to_dict() for u in report.users] if report else [],
            "results": results.to_dict(),
            "reports": {k: [str(p) for p in v] for k, v in written.items()},
        }
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    if trial is not None:
        _print_events(trial)
    _print_results(results, report, db, folder)
    if trial is not None:
        _print_true_vs_found(truth, results)
    for kind, paths in written.items():
        _out.print(f"{kind.upper()} report: " + ", ".join(str(p) for p in paths))
    if written and not pdf:
        _out.print(f"PDF: [bold]nakip report final --data-dir {folder} --out DIR[/] (or --pdf)")
    if serve:
        from django.core.management import call_command

        _out.rule("[bold]Serving the demo EDC[/] (Ctrl-C to stop)")
        call_command("runserver", "127.0.0.1:8000", use_reloader=False)


def _write_reports(
    proto: Protocol, cut: date, folder: Path, pdf: bool, quiet: bool
) -> dict[str, list[Path]]:
    """The DSMB and final results reports (nakip.report) of the demo's data at the data cut,
    under <out>/reports/{dsmb,final}/; returns the HTML (and PDF) paths by kind."""
    from nakip.edc.datasets import build_trial_data
    from nakip.report.dsmb import build_dsmb_report
    from nakip.report.final import build_final_report
    from nakip.report.render import write_results_report

    data = build_trial_data(proto, cut)
    out: dict[str, list[Path]] = {}
    with Progress(
        TextColumn("[bold]reports[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[kind]}"),
        TimeElapsedColumn(),
        console=_out,
        disable=quiet,
    ) as bar:
        task = bar.add_task("reports", total=2, kind="DSMB")
        for kind, build in (("dsmb", build_dsmb_report), ("final", build_final_report)):
            bar.update(task, kind=f"{kind} report (figures, HTML{', PDF' if pdf else ''})")
            files = write_results_report(build(data, proto), folder / "reports" / kind, pdf=pdf)
            out[kind] = [p for p in (files.html, files.pdf) if p is not None]
            bar.advance(task)
    return out


def _generate(generate: Any, sim: Any, cut: date, proto: Protocol, quiet: bool) -> Any:
    """Plan the trial (the model runs here) under a progress spinner."""
    if quiet:
        return generate(sim, cut, proto)
    with Progress(
        TextColumn("[bold]model patients[/]"),
        BarColumn(),
        TextColumn("solving the NK/talazoparib model and planning enrolment"),
        TimeElapsedColumn(),
        console=_out,
    ) as bar:
        task = bar.add_task("model", total=1)
        trial = generate(sim, cut, proto)
        bar.update(task, completed=1)
    return trial


def _print_truth(truth: Any, n: int) -> None:
    _out.rule(f"[bold]Scenario '{truth.name}'[/] (the truth the trial does not see)")
    _out.print(truth.description, soft_wrap=True)
    table = Table(title=f"True per-patient rates ({n} patients requested per cohort)")
    for col in ("cohort", "response", "DLT", "NK-product failure", "early drop-out", "NK potency"):
        table.add_column(col, justify="left" if col == "cohort" else "right")
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
    _out.print(table)


def _print_events(trial: Any) -> None:
    if not trial.events:
        _out.print("Monitoring: no pause or stop while the data arrived.")
        return
    table = Table(title="Monitoring as the data arrived (when and why)")
    for col in ("date", "cohort", "rule", "decision"):
        table.add_column(col)
    for e in trial.events:
        table.add_row(trial.event_date(e).isoformat(), e.cohort or "trial-wide", e.rule, e.text)
    _out.print(table)


def _print_true_vs_found(truth: Any, res: Any) -> None:
    """The scenario's true rates beside the analysis layer's estimates (exact CI, p-value of
    the two-stage inference when the rule settled, else the exact binomial test); the full
    decision text with the median-unbiased estimate follows the table."""
    table = Table(title="True rates of the scenario beside what the trial found (nakip.analysis)")
    for col in ("cohort", "response: true", "found (ITT, 95% CI)", "p-value vs p0", "decision",
                "DLT: true", "found", "product failure: true", "found"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("cohort", "decision") else "right")
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
    _out.print(table)
    for code in truth.cohorts:
        _out.print(f"[bold]{code}[/]: {res.efficacy.cohorts[code].decision}", soft_wrap=True)


def _read_marker(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _drive(trial: Any, quiet: bool) -> Any:
    from nakip.sim.driver import run_trial

    total = len(trial.screenings)
    if quiet:
        return run_trial(trial, site_code=SITE_CODE, site_name=SITE_NAME)
    with Progress(
        TextColumn("[bold]virtual trial[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=_out,
    ) as bar:
        task = bar.add_task("trial", total=total, counts="creating site and users")

        def progress(done: int, total: int, counts: Any) -> None:
            bar.update(
                task,
                completed=done,
                counts=f"screened {counts['screened']} · enrolled {counts['enrolled']} · "
                f"visits {counts['visits']} · records {counts['records']}",
            )

        return run_trial(trial, site_code=SITE_CODE, site_name=SITE_NAME, progress=progress)
