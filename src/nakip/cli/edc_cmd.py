"""`nakip serve | db migrate | site create/list | user create/token`: run and administer the EDC.

Django is set up lazily (settings `nakip.edc.settings`); with the default SQLite database the
folder ./nakip-data/ of the current directory is created and migrated on first use.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from nakip.cli.apps import app, db_app, site_app, user_app
from nakip.cli.edc_database import ensure_database, setup_django
from nakip.cli.errors import fail

_out = Console(highlight=False, soft_wrap=True)  # paths are never broken across lines
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _django() -> None:
    setup_django()
    ensure_database()


# --------------------------------------------------------------------------- serve, db
@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    noreload: Annotated[
        bool, typer.Option("--noreload", help="Do not restart when code changes.")
    ] = False,
) -> None:
    """Run the EDC with Django's development server (production: gunicorn, see docs/edc.md)."""
    if host not in LOOPBACK and not os.environ.get("NAKIP_ALLOWED_HOSTS"):
        os.environ["NAKIP_ALLOWED_HOSTS"] = "*" if host in ("0.0.0.0", "::") else host
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    # Django's autoreloader runs this command again in a child process (RUN_MAIN=true): the
    # migrations and the banner belong to the first run only, or the banner prints twice.
    if os.environ.get("RUN_MAIN") != "true":
        ran = ensure_database(verbose=True)
        if ran:
            _out.print(f"applied {ran} migration(s)")
        db = settings.DATABASES["default"]
        where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db['ENGINE']} {db['NAME']}"
        _out.print(f"NAKIP EDC on http://{host}:{port}/ — database {where}")
    addr = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    call_command("runserver", addr, use_reloader=not noreload)


@db_app.command("migrate")
def migrate(as_json: JsonOpt = False) -> None:
    """Create or upgrade the EDC database schema (Django migrations)."""
    setup_django()
    from django.conf import settings

    ran = ensure_database(verbose=not as_json)
    db = settings.DATABASES["default"]
    if as_json:
        typer.echo(json.dumps({"applied": ran, "database": str(db["NAME"])}))
    else:
        _out.print(f"database {db['NAME']}: {ran} migration(s) applied, schema up to date")


# --------------------------------------------------------------------------- sites
@site_app.command("create")
def site_create(
    code: Annotated[str, typer.Argument(help="Site code, e.g. HD01 (upper case).")],
    name: Annotated[str, typer.Argument(help="Site name.")],
    as_json: JsonOpt = False,
) -> None:
    """Create a trial site."""
    _django()
    from nakip.edc import services
    from nakip.edc.exceptions import FormValidationError
    from nakip.edc.models import Site

    if Site.objects.filter(code=code.strip().upper()).exists():
        fail(f"site {code.strip().upper()!r} already exists (CODE)")
    try:
        site = services.create_site(None, code, name)
    except FormValidationError as exc:
        fail(f"invalid site: {exc.message}")
    if as_json:
        typer.echo(json.dumps({"code": site.code, "name": site.name, "id": site.pk}))
    else:
        _out.print(f"site {site.code} created: {site.name}")


@site_app.command("list")
def site_list(as_json: JsonOpt = False) -> None:
    """List the trial sites."""
    _django()
    from nakip.edc.models import Site

    sites = list(Site.objects.order_by("code"))
    if as_json:
        typer.echo(
            json.dumps([{"code": s.code, "name": s.name, "active": s.active} for s in sites])
        )
        return
    table = Table("code", "name", "active")
    for s in sites:
        table.add_row(s.code, s.name, "yes" if s.active else "no")
    _out.print(table)


# --------------------------------------------------------------------------- users
def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            fail("no password on standard input (--password-stdin)")
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="investigator, study_nurse, monitor, data_manager, statistician, dsmb or admin.",
        ),
    ],  # fmt: skip
    site: Annotated[
        str | None,
        typer.Option(
            "--site",
            help="Site code; omit for a role at every site (not for investigator/study_nurse).",
        ),
    ] = None,  # fmt: skip
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create an EDC user with a role at a site (password prompted or read from stdin)."""
    _django()
    from django.contrib.auth import get_user_model

    from nakip.edc import services
    from nakip.edc.exceptions import EDCError, FormValidationError, NotFoundError
    from nakip.edc.models import Role

    if role not in Role.values:
        fail(f"unknown role {role!r} (--role); known: {', '.join(Role.values)}")
    site_obj = None
    if site is not None:
        try:
            site_obj = services.get_site(site)
        except NotFoundError:
            fail(f"unknown site {site!r} (--site); create it with `nakip site create`")
    if get_user_model().objects.filter(username__iexact=username.strip()).exists():
        fail(f"user {username.strip()!r} already exists (USERNAME)")
    password = _read_password(password_stdin)
    try:
        user = services.create_user(None, username, password, role, site_obj, email=email)
    except FormValidationError as exc:
        field, messages = next(iter(exc.errors.items()))
        fail(f"{field}: {' '.join(messages)}")
    except EDCError as exc:
        fail(exc.message)
    where = site_obj.code if site_obj else "all sites"
    if as_json:
        typer.echo(json.dumps({"username": user.username, "role": role, "site": where}))
    else:
        _out.print(f"user {user.username} created: {role} at {where}")


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="Login name.")],
    as_json: JsonOpt = False,
) -> None:
    """Print the user's REST API token (created on first use)."""
    _django()
    from django.contrib.auth import get_user_model

    from nakip.edc import services

    user: Any = get_user_model().objects.filter(username=username).first()
    if user is None:
        fail(f"unknown user {username!r} (USERNAME)")
    key = services.api_token(None, user)
    if as_json:
        typer.echo(json.dumps({"username": user.username, "token": key}))
    else:
        typer.echo(key)
