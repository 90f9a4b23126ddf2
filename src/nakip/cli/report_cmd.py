"""`nakip report dsmb|final --out DIR [--cutoff DATE] [--data-dir DIR]`: the closed DSMB report
or the final study report from the EDC database, as HTML, PDF and figure PNGs (docs/reports.md).

Reads the database like `nakip export` (one set-up: `nakip.cli.edc_database.open_database`),
builds the analysis datasets at the cut-off and writes the files whole or not at all. Bad input
(a date that is not YYYY-MM-DD, a cut-off before the first enrolment, no database, --out a file)
exits 2 with one line. `nakip design report` (the statistical design) is a separate command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from nakip.cli.apps import app
from nakip.cli.edc_database import open_database, parse_cutoff
from nakip.cli.errors import fail

_out = Console(highlight=False)

report_app = typer.Typer(
    help="The trial's results: closed DSMB report and final study report.", no_args_is_help=True
)
app.add_typer(report_app, name="report")

OutOpt = Annotated[Path, typer.Option("--out", help="Folder for the HTML, PDF and figures.")]
CutoffOpt = Annotated[
    str | None, typer.Option("--cutoff", help="Data cut-off date (YYYY-MM-DD); default: all data.")
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="EDC data folder (default ./nakip-data/, as nakip serve)."),
]
PdfOpt = Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also typeset the PDF.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the files and provenance as JSON.")]


def _write(
    kind: Literal["dsmb", "final"],
    out: Path,
    cutoff: str | None,
    data_dir: Path | None,
    pdf: bool,
    as_json: bool,
) -> None:
    when = parse_cutoff(cutoff)
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file, not a folder")
    open_database(data_dir)
    from nakip.edc.datasets import CutoffError, build_trial_data
    from nakip.edc.exports.files import staged
    from nakip.edc.services import get_protocol
    from nakip.report.dsmb import build_dsmb_report
    from nakip.report.final import build_final_report
    from nakip.report.render import write_results_report

    protocol = get_protocol()
    try:
        data = build_trial_data(protocol, when)
    except CutoffError as exc:
        fail(f"--cutoff: {exc}")
    build = build_dsmb_report if kind == "dsmb" else build_final_report
    report = build(data, protocol)
    try:
        with staged(out) as folder:
            files = write_results_report(report, folder, pdf=pdf)
    except OSError as exc:
        fail(f"--out {out}: cannot write ({exc.strerror or exc})")
    names = [p.name for p in (files.html, files.pdf, *files.figures) if p is not None]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "kind": kind,
                    "files": [str(out / n) for n in names],
                    "cutoff": report.cutoff,
                    "fingerprint": report.fingerprint,
                    "code_version": report.code_version,
                    "notes": list(report.notes),
                }
            )
        )
        return
    _out.print(f"wrote {out / files.html.name}")
    if files.pdf is not None:
        _out.print(f"wrote {out / files.pdf.name}")
    _out.print(f"wrote {len(files.figures)} figures in {out}")
    _out.print(
        f"{report.title}: data cut-off {report.cutoff}, fingerprint {report.fingerprint[:16]}, "
        f"{report.code_version}"
    )
    for note in report.notes:
        _out.print(f"[yellow]note:[/] {note}")


@report_app.command("dsmb")
def dsmb_cmd(
    out: OutOpt,
    cutoff: CutoffOpt = None,
    data_dir: DataDirOpt = None,
    pdf: PdfOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """The closed DSMB report: enrolment, deviations, primary endpoint, safety, monitoring,
    survival and short listings."""
    _write("dsmb", out, cutoff, data_dir, pdf, as_json)


@report_app.command("final")
def final_cmd(
    out: OutOpt,
    cutoff: CutoffOpt = None,
    data_dir: DataDirOpt = None,
    pdf: PdfOpt = True,
    as_json: JsonOpt = False,
) -> None:
    """The final study report: everything in the DSMB report, with full tables and listings."""
    _write("final", out, cutoff, data_dir, pdf, as_json)
