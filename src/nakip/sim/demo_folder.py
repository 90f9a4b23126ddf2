"""Whose data is in a demo folder: the check that keeps `nakip demo` from deleting real work.

The demo may delete and rebuild its SQLite database only when everything in it was written by
the demo itself: its one site, its four staff users, and history rows by those users (or by
no user, as the demo's own setup steps). Anything else — another site, another login, a
history row by another user, an unreadable file — is someone's work and is never removed.
Read with the sqlite3 module in read-only mode, so checking never changes the file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from nakip.sim.driver import STAFF_ROLES

#: The demo's site code and the usernames its driver creates (prefix "demo").
DEMO_SITE = "VS01"
DEMO_USERS = frozenset(f"demo_{suffix}" for suffix, _ in STAFF_ROLES)
#: Marker file the demo writes next to its database.
MARKER = ".nakip-demo.json"


def foreign_writes(db: Path) -> list[str]:
    """Reasons why `db` holds data written by someone other than the demo (empty: none).

    An unreadable or non-SQLite file counts as foreign (we cannot prove it is the demo's).
    """
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [f"cannot be read ({exc})"]
    try:
        return _foreign(con)
    except sqlite3.Error as exc:
        return [f"cannot be read ({exc})"]
    finally:
        con.close()


def _foreign(con: sqlite3.Connection) -> list[str]:
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    reasons: list[str] = []
    if "edc_site" in tables:
        sites = [
            r[0] for r in con.execute("SELECT code FROM edc_site WHERE code != ?", [DEMO_SITE])
        ]
        if sites:
            reasons.append(f"site(s) not created by the demo: {', '.join(sorted(sites)[:5])}")
    demo_ids: set[int] = set()
    if "auth_user" in tables:
        users = list(con.execute("SELECT id, username FROM auth_user"))
        demo_ids = {uid for uid, name in users if name in DEMO_USERS}
        others = sorted(name for _, name in users if name not in DEMO_USERS)
        if others:
            reasons.append(f"user(s) not created by the demo: {', '.join(others[:5])}")
    for table in sorted(t for t in tables if t.startswith("edc_historical")):
        cols = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}  # noqa: S608
        if "history_user_id" not in cols:
            continue
        writers = {
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT history_user_id FROM {table} "  # noqa: S608
                "WHERE history_user_id IS NOT NULL"
            )
        }
        if writers - demo_ids:
            reasons.append(f"history rows in {table} written by non-demo users")
    return reasons


def holds_data(db: Path) -> bool:
    """Whether an SQLite file holds any EDC data (a site, a screening or a user); unreadable
    counts as yes."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            return any(
                con.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() is not None  # noqa: S608
                for t in ("edc_site", "edc_screeningrecord", "auth_user")
                if t in tables
            )
        finally:
            con.close()
    except sqlite3.Error:
        return True
