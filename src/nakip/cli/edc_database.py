"""The one way a command reaches the EDC database: Django set up for `--data-dir` (SQLite file
`nakip.sqlite3` there; default ./nakip-data/ as `nakip serve`) or for NAKIP_DATABASE_URL.

`setup_django` + `ensure_database` serve commands that may create the database (`nakip serve`,
`nakip db migrate`, users and sites); `open_database` serves commands that only read it
(`nakip export`, reports) and fails in one line when there is nothing to read; `parse_cutoff`
reads their `--cutoff DATE`.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

from nakip.cli.errors import fail

DB_FILE = "nakip.sqlite3"


def _django_ready() -> bool:
    from django.apps import apps

    return apps.ready


def setup_django(data_dir: Path | None = None) -> None:
    """Configure Django once (settings from the environment; see docs/edc.md). With `data_dir`
    the SQLite database in that folder is used, whatever NAKIP_DATABASE_URL says."""
    if data_dir is not None:
        target = (data_dir / DB_FILE).resolve()
        if "django.conf" in sys.modules:
            from django.conf import settings

            if settings.configured and Path(str(settings.DATABASES["default"]["NAME"])) != target:
                fail("Django is already configured for another database in this process")
        if data_dir.exists() and not data_dir.is_dir():
            fail(f"--data-dir {data_dir} is a file, not a folder")
        os.environ["NAKIP_DATA_DIR"] = str(data_dir.resolve())
        os.environ.pop("NAKIP_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nakip.edc.settings")
    import django
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        if not settings.configured or not _django_ready():
            django.setup()
    except ImproperlyConfigured as exc:
        fail(f"configuration: {exc}")


def _pending_migrations() -> int:
    from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except OperationalError as exc:
        fail(f"database: {exc}")


def ensure_database(verbose: bool = False) -> int:
    """Create the data folder (SQLite) and apply pending migrations; return how many ran."""
    from django.conf import settings
    from django.core.management import call_command

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and str(db["NAME"]) != ":memory:":
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    pending = _pending_migrations()
    if pending:
        call_command("migrate", interactive=False, verbosity=1 if verbose else 0)
    return pending


def open_database(data_dir: Path | None = None) -> None:
    """Set Django up on an existing, migrated EDC database (nothing is created or changed)."""
    setup_django(data_dir)
    from django.conf import settings

    db = settings.DATABASES["default"]
    name = str(db["NAME"])
    in_memory = name == ":memory:" or "mode=memory" in name
    if db["ENGINE"].endswith("sqlite3") and not in_memory and not Path(name).is_file():
        fail(
            f"no EDC database at {name}: give --data-dir the folder `nakip serve` uses, "
            "or set NAKIP_DATABASE_URL"
        )
    if _pending_migrations():
        fail("the EDC database schema is not up to date: run `nakip db migrate` first")


def parse_cutoff(text: str | None) -> date | None:
    """--cutoff as an ISO date (YYYY-MM-DD); a one-line error otherwise."""
    if text is None:
        return None
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--cutoff {text!r}: expected a date as YYYY-MM-DD")
