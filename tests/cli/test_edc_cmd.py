"""`nakip serve | db migrate | site create | user create | user token`: one-line errors (exit 2)
for bad input, JSON for scripts, and a server that starts from an empty folder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nakip.cli.main import app

runner = CliRunner()
PASSWORD = "Cli-test-Pa55word!"


def _run(*args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin)


@pytest.mark.django_db
def test_site_and_user_lifecycle() -> None:
    from django.contrib.auth import get_user_model

    from nakip.edc import permissions
    from nakip.edc.models import Site

    res = _run("site", "create", "hd01", "Heidelberg", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["code"] == "HD01"
    assert Site.objects.get(code="HD01").name == "Heidelberg"
    res = _run(
        "user", "create", "alice", "--role", "investigator", "--site", "HD01",
        "--password-stdin", "--json", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    alice = get_user_model().objects.get(username="alice")
    assert alice.check_password(PASSWORD)
    assert permissions.roles(alice) == {"investigator"}
    res = _run("user", "token", "alice", "--json")
    assert res.exit_code == 0
    token = json.loads(res.output)["token"]
    assert len(token) == 40
    assert _run("user", "token", "alice", "--json").output == res.output  # stable


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "wizard", "--site", "HD01"], "unknown role 'wizard'"),
        (["--role", "monitor", "--site", "XX99"], "unknown site 'XX99'"),
        (["--role", "investigator"], "the role investigator needs a site"),
    ],
)
def test_user_create_errors(args: list[str], message: str) -> None:
    assert _run("site", "create", "HD01", "Heidelberg").exit_code == 0
    res = _run("user", "create", "bob", *args, "--password-stdin", stdin=PASSWORD + "\n")
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
    assert "Traceback" not in res.output


@pytest.mark.django_db
def test_duplicate_user_and_site_and_weak_password() -> None:
    assert _run("site", "create", "HD01", "Heidelberg").exit_code == 0
    res = _run("site", "create", "HD01", "Again")
    assert res.exit_code == 2 and "already exists" in res.output
    args = ["user", "create", "carol", "--role", "monitor", "--site", "HD01", "--password-stdin"]
    assert _run(*args, stdin=PASSWORD + "\n").exit_code == 0
    res = _run(*args, stdin=PASSWORD + "\n")
    assert res.exit_code == 2 and "already exists" in res.output
    weak = ["user", "create", "dave", "--role", "monitor", "--site", "HD01", "--password-stdin"]
    res = _run(*weak, stdin="short\n")
    assert res.exit_code == 2 and "password" in res.output
    res = _run("user", "token", "nobody")
    assert res.exit_code == 2 and "unknown user" in res.output


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAKIP_", "DJANGO_"))}
    env["HOME"] = str(tmp_path)
    return env


def _nakip() -> list[str]:
    exe = Path(sys.executable).with_name("nakip")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nakip.cli.main"]


def test_db_migrate_in_an_empty_folder(tmp_path: Path) -> None:
    res = subprocess.run(
        [*_nakip(), "db", "migrate", "--json"],
        cwd=tmp_path, env=_clean_env(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["applied"] > 0
    assert (tmp_path / "nakip-data" / "nakip.sqlite3").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_starts_from_an_empty_folder(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [*_nakip(), "serve", "--port", str(port), "--noreload"],
        cwd=tmp_path, env=_clean_env(tmp_path), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        status = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    status = r.status
            except urllib.error.HTTPError as exc:  # a 404/302 still proves it serves
                status = exc.code
            except OSError:
                time.sleep(0.3)
                continue
            break
        assert status is not None, "the server did not answer"
        assert (tmp_path / "nakip-data" / "nakip.sqlite3").is_file()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_serve_banner_once_under_the_autoreloader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Django's autoreloader re-runs `nakip serve` in a child with RUN_MAIN=true: the child
    starts the server but prints no second banner (and runs no migrations)."""
    import django.core.management

    calls: list[tuple] = []
    monkeypatch.setattr(django.core.management, "call_command", lambda *a, **k: calls.append(a))
    monkeypatch.setenv("RUN_MAIN", "true")
    res = runner.invoke(app, ["serve", "--port", "8765"])
    assert res.exit_code == 0, res.output
    assert "NAKIP EDC on" not in res.output and "migration" not in res.output
    assert calls == [("runserver", "127.0.0.1:8765")]
