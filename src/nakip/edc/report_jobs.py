"""Reports generated from the browser: the DSMB and final reports and the export bundles.

`start()` records a running `GeneratedReport` and hands the generation to a runner (by default
a daemon thread, which opens its own database connection); the job writes its files under
<data dir>/reports/<id>/ and marks the record done (fingerprint, code version, file) or failed
(the error). The runner is a module attribute so tests run the job synchronously.

A job dies with its server process: `mark_interrupted()` (called when reports are listed) turns
a "running" record whose job is not alive in this process into "failed: interrupted" when it
was started before this process (the server restarted) or has run longer than `MAX_RUNTIME`,
so the page stops waiting for it and offers to generate it again.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from nakip.edc.models import GeneratedReport, ReportStatus
from nakip.edc.protocol_forms import get_protocol

log = logging.getLogger(__name__)

DSMB = "dsmb"
FINAL = "final"
RESULTS_KINDS = (DSMB, FINAL)
EXPORT_KINDS = ("csv", "xpt", "sdtm", "odm")
KINDS = (*RESULTS_KINDS, *EXPORT_KINDS)

MAX_RUNTIME = timedelta(hours=2)
"""Longer than any generation takes (a final report of the full trial runs in minutes): a job
still "running" after this is dead even if another server process started it."""
INTERRUPTED = "interrupted (server restarted before it finished); generate it again"
PROCESS_STARTED = timezone.now()
"""When this server process loaded the module: jobs started before it cannot be alive here."""
_alive: set[int] = set()
_alive_lock = threading.Lock()

Job = Callable[[], None]


def in_thread(job: Job) -> None:
    """Default runner: the job in a daemon thread with its own database connection."""

    def run() -> None:
        close_old_connections()
        try:
            job()
        finally:
            connection.close()

    threading.Thread(target=run, name="nakip-report", daemon=True).start()


runner: Callable[[Job], None] = in_thread


def reports_dir() -> Path:
    """Where generated reports are kept: <data dir>/reports/."""
    return Path(settings.DATA_DIR) / "reports"


def file_of(report: GeneratedReport, suffix: str) -> Path | None:
    """The kept file of a finished report with this suffix (.html, .pdf, .zip), if present."""
    if report.status != ReportStatus.DONE or not report.file_path:
        return None
    path = (reports_dir() / report.file_path).with_suffix(suffix)
    return path if path.is_file() else None


def start(kind: str, user: Any, cutoff: date | None) -> GeneratedReport:
    """Record a running report of `kind` asked by `user` and hand its generation to `runner`."""
    if kind not in KINDS:
        raise ValueError(f"unknown report kind {kind!r}; choose one of: {', '.join(KINDS)}")
    report = GeneratedReport(kind=kind, cutoff=cutoff, created_by=user)
    report._history_user = user  # the audit trail names who asked for it
    report.save()
    runner(lambda: generate(report.pk))
    return report


def mark_interrupted(now: Any = None) -> int:
    """Mark running reports whose job cannot be alive as failed (see the module docstring);
    returns how many were marked."""
    now = now or timezone.now()
    with _alive_lock:
        alive = set(_alive)
    dead = 0
    stale = GeneratedReport.objects.filter(status=ReportStatus.RUNNING).exclude(pk__in=alive)
    for report in stale:
        if report.created_at < PROCESS_STARTED or now - report.created_at > MAX_RUNTIME:
            report._history_user = report.created_by
            report.status = ReportStatus.FAILED
            report.error = INTERRUPTED
            report.save()
            dead += 1
    return dead


def generate(pk: int) -> None:
    """Write the report's files and record the outcome; a failure is kept with its message."""
    with _alive_lock:
        _alive.add(pk)
    try:
        _generate(pk)
    finally:
        with _alive_lock:
            _alive.discard(pk)


def _generate(pk: int) -> None:
    report = GeneratedReport.objects.get(pk=pk)
    report._history_user = report.created_by
    folder = reports_dir() / str(pk)
    try:
        make = _results if report.kind in RESULTS_KINDS else _export
        stem, fingerprint, version = make(report, folder)
    except Exception as exc:  # any failure is shown on the page, not lost in a thread
        log.exception("report %s (%s) failed", pk, report.kind)
        shutil.rmtree(folder, ignore_errors=True)
        report.status = ReportStatus.FAILED
        report.error = str(exc) or type(exc).__name__
        report.save()
        return
    report.status = ReportStatus.DONE
    report.fingerprint = fingerprint
    report.code_version = version
    report.file_path = f"{pk}/{stem}"
    report.save()


def _results(report: GeneratedReport, folder: Path) -> tuple[str, str, str]:
    from nakip.edc.datasets import build_trial_data
    from nakip.provenance import code_version
    from nakip.report.dsmb import build_dsmb_report
    from nakip.report.final import build_final_report
    from nakip.report.render import write_results_report

    build = build_dsmb_report if report.kind == DSMB else build_final_report
    protocol = get_protocol()
    data = build_trial_data(protocol, report.cutoff)
    files = write_results_report(build(data, protocol), folder, pdf=True)
    return files.html.stem, data.fingerprint, code_version()


def _export(report: GeneratedReport, folder: Path) -> tuple[str, str, str]:
    from nakip.edc.datasets import load_snapshot
    from nakip.edc.exports import export

    snapshot = load_snapshot(get_protocol(), report.cutoff)
    stem = f"export-{report.kind}"
    manifest = export(report.kind, snapshot, folder / stem)
    shutil.make_archive(str(folder / stem), "zip", root_dir=folder / stem)
    shutil.rmtree(folder / stem)
    return stem, manifest.fingerprint, manifest.code_version
