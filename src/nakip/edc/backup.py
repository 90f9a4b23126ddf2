"""Backup and restore of the EDC database, while it runs.

SQLite: the online backup API (a consistent copy page by page, writers keep working);
PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --single-transaction`. A backup
holds everything: records, the audit trail (history tables), users, tokens and the lockout log.
The restore drill (docs/operations.md) checks a restore gives the same export and audit trail.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why (one line)."""


@dataclass(frozen=True)
class BackupResult:
    """What was written or read: the engine, the file and its size in bytes."""

    engine: str
    path: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "path": self.path, "size": self.size}


def _settings(alias: str) -> dict[str, Any]:
    return connections[alias].settings_dict


def engine(alias: str = "default") -> str:
    """'sqlite' or 'postgresql' (BackupError for any other database)."""
    vendor = connections[alias].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backup supports SQLite and PostgreSQL, not {vendor}")
    return vendor


def _pg_url(alias: str) -> str:
    s = _settings(alias)
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgresql://{auth}{s.get('HOST') or 'localhost'}{port}/{s['NAME']}"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return path


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{Path(args[0]).name} failed: {message[-1] if message else 'no output'}")


def backup(path: Path, alias: str = "default") -> BackupResult:
    """Write a consistent copy of the running database to `path` (never overwrites a file)."""
    kind = engine(alias)
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists; choose a new file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        conn = connections[alias]
        conn.ensure_connection()
        target = sqlite3.connect(path)
        try:
            conn.connection.backup(target)
        finally:
            target.close()
    else:
        _run([_tool("pg_dump"), "--format=custom", f"--file={path}", f"--dbname={_pg_url(alias)}"])
    return BackupResult(kind, str(path), path.stat().st_size)


def _check_file(path: Path, kind: str) -> None:
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    head = path.read_bytes()[:16]
    magic = SQLITE_MAGIC if kind == "sqlite" else PG_MAGIC
    if not head.startswith(magic):
        what = "SQLite database" if kind == "sqlite" else "pg_dump custom-format archive"
        raise BackupError(f"{path} is not a {what} (the current database is {kind})")
    if kind == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = source.execute("PRAGMA quick_check").fetchone()[0]
            has = source.execute(
                "select count(*) from sqlite_master where name = 'django_migrations'"
            ).fetchone()[0]
        finally:
            source.close()
        if ok != "ok" or not has:
            raise BackupError(f"{path} is damaged or is not an EDC database ({ok})")


def restore(path: Path, alias: str = "default") -> BackupResult:
    """Replace the database's content with the backup at `path`, in one step.

    SQLite: the backup API copies the file into the live database (other connections see the
    restored data once it completes); PostgreSQL: pg_restore --clean in a single transaction.
    """
    kind = engine(alias)
    path = Path(path)
    _check_file(path, kind)
    conn = connections[alias]
    if kind == "sqlite":
        conn.ensure_connection()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(conn.connection)
        finally:
            source.close()
    else:
        conn.close()  # pg_restore drops and recreates the tables this connection may hold
        _run(
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
             f"--dbname={_pg_url(alias)}", str(path)]
        )  # fmt: skip
    return BackupResult(kind, str(path), path.stat().st_size)
