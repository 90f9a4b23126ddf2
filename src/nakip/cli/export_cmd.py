"""`nakip export csv|xpt|sdtm|odm --out DIR [--cutoff DATE] [--data-dir DIR]`: the trial's data
from the EDC database as files, each export with a manifest (docs/exports.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nakip.cli.apps import app
from nakip.cli.edc_database import open_database, parse_cutoff
from nakip.cli.errors import fail
from nakip.wording import count

_out = Console(highlight=False, soft_wrap=True)  # paths are never broken across lines
FORMAT_NAMES = ("csv", "xpt", "sdtm", "odm")


@app.command("export")
def export_cmd(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="csv, xpt, sdtm or odm.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files into.")],
    cutoff: Annotated[
        str | None, typer.Option("--cutoff", help="Data cut-off date (YYYY-MM-DD).")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="EDC data folder (default ./nakip-data/, as nakip serve)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Export the EDC's data: analysis datasets as CSV, ADaM-like XPT, SDTM-like domains, or
    CDISC ODM 1.3.2 with the audit trail."""
    if fmt not in FORMAT_NAMES:
        fail(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMAT_NAMES)}")
    when = parse_cutoff(cutoff)
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file, not a folder")
    open_database(data_dir)
    from nakip.edc.datasets import CutoffError, load_snapshot
    from nakip.edc.exports import export
    from nakip.edc.services import get_protocol

    try:
        snapshot = load_snapshot(get_protocol(), when)
    except CutoffError as exc:
        fail(f"--cutoff: {exc}")
    try:
        manifest = export(fmt, snapshot, out)
    except OSError as exc:
        fail(f"--out {out}: cannot write ({exc.strerror or exc})")
    if as_json:
        typer.echo(json.dumps(manifest.to_dict()))
        return
    for f in manifest.files:
        _out.print(f"{out / f.name}  {count(f.rows, 'row')}")
    cut = manifest.data_cutoff.isoformat() if manifest.data_cutoff else "none (all data)"
    _out.print(
        f"{fmt} export: {count(len(manifest.files), 'file')}, data cut-off {cut}, "
        f"fingerprint {manifest.fingerprint[:16]}, code {manifest.code_version}"
    )
