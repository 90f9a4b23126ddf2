"""`nakip demo`: the NAKIP-AML protocol, its designs and a whole virtual trial run through the EDC.

Steps: validate and summarise the protocol; Simon designs and monitoring boundaries; a fresh
SQLite EDC database under --out (the demo's own folder, ./nakip-demo by default: never the
EDC's ./nakip-data); seeded virtual patients entered through the EDC services
(audit trail, edit checks, derivations); per-cohort results; how to open it in the browser.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nakip.cli import demo_output
from nakip.cli.apps import app
from nakip.cli.edc_database import DB_FILE, ensure_database, setup_django
from nakip.cli.errors import fail
from nakip.protocol import Protocol, ProtocolError, default_protocol_path, load_protocol_file
from nakip.sim.demo_folder import MARKER, foreign_writes, holds_data

_out = demo_output.out
SITE_CODE = "VS01"
SITE_NAME = "Virtual site (NAKIP demo)"
MAX_PATIENTS = 200
MAX_REPLICATES = 100_000


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


def _database(data_dir: Path, fresh: bool, force: bool = False) -> tuple[Path, bool]:
    """Point the EDC settings at `data_dir`, reset a previous demo database when `fresh`, set
    Django up and migrate (`nakip.cli.edc_database`). Returns (database file, whether demo data
    already exist).

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
    os.environ.setdefault("NAKIP_DEBUG", "false")  # no SQL logging while replaying the trial
    # the demo always uses its own SQLite file, whatever NAKIP_DATABASE_URL says
    setup_django(data_dir)
    if fresh and db.exists():
        from django.db import connections

        connections.close_all()
        marker.unlink(missing_ok=True)
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    ensure_database()
    from nakip.edc.models import Site

    return db, Site.objects.filter(code=SITE_CODE).exists()


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
        demo_output.print_protocol(path, proto)
        demo_output.print_designs(designs, bounds)
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
            demo_output.print_truth(truth, n)
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
        demo_output.print_events(trial)
    demo_output.print_results(results, report, db, folder)
    if trial is not None:
        demo_output.print_true_vs_found(truth, results)
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
