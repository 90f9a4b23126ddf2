"""`nakip db backup FILE | db restore FILE`: a consistent copy of the running EDC database and
its restore (SQLite online backup API, PostgreSQL pg_dump/pg_restore; docs/operations.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from nakip.cli.apps import db_app
from nakip.cli.edc_cmd import JsonOpt
from nakip.cli.edc_database import ensure_database, setup_django
from nakip.cli.errors import fail

_out = Console(highlight=False)
FileArg = Annotated[Path, typer.Argument(help="The backup file.")]


@db_app.command("backup")
def db_backup(path: FileArg, as_json: JsonOpt = False) -> None:
    """Write a consistent copy of the EDC database (records, audit trail, users) to FILE."""
    setup_django()
    from nakip.edc.backup import BackupError, backup

    try:
        result = backup(path)
    except BackupError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        _out.print(f"{result.engine} backup written to {result.path} ({result.size:,} bytes)")


@db_app.command("restore")
def db_restore(
    path: FileArg,
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the current data without asking.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Replace the EDC database's content with the backup FILE (everything since is lost)."""
    setup_django()
    from nakip.edc.backup import BackupError, restore

    if not yes and not typer.confirm(f"Replace the EDC database with {path}?", default=False):
        fail("restore cancelled; nothing changed")
    try:
        result = restore(path)
    except BackupError as exc:
        fail(str(exc))
    ensure_database()  # a backup from an older release is brought up to this schema
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        _out.print(f"{result.engine} database restored from {result.path}")
