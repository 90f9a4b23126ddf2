"""Settings from the environment: production refuses to run without a secret key and hosts,
and turns on secure cookies; the database URL switches the engine."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for key in ("NAKIP_ENV", "NAKIP_SECRET_KEY", "NAKIP_ALLOWED_HOSTS", "NAKIP_DATABASE_URL",
                "NAKIP_DATA_DIR", "NAKIP_DEBUG"):  # fmt: skip
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    origin = importlib.util.find_spec("nakip.edc.settings").origin
    spec = importlib.util.spec_from_file_location("_nakip_settings_probe", origin)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # a fresh copy; Django's live settings are untouched
    return vars(module)


def test_production_needs_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="NAKIP_SECRET_KEY"):
        _settings(monkeypatch, NAKIP_ENV="production", NAKIP_ALLOWED_HOSTS="edc.example.org")


def test_production_needs_allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="NAKIP_ALLOWED_HOSTS"):
        _settings(monkeypatch, NAKIP_ENV="production", NAKIP_SECRET_KEY="x" * 50)


def test_production_is_locked_down(monkeypatch: pytest.MonkeyPatch) -> None:
    s = _settings(
        monkeypatch,
        NAKIP_ENV="production",
        NAKIP_SECRET_KEY="k" * 50,
        NAKIP_ALLOWED_HOSTS="edc.example.org, localhost",
        NAKIP_DATABASE_URL="postgresql://nakip:pw@db.example.org:5432/nakip",
    )
    assert s["DEBUG"] is False
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"]
    assert s["ALLOWED_HOSTS"] == ["edc.example.org", "localhost"]
    db = s["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql" and db["NAME"] == "nakip"
    assert "nakip.edc.write_transactions.WriteTransactionMiddleware" in s["MIDDLEWARE"]
    assert "transaction_mode" not in db.get("OPTIONS", {})  # PostgreSQL: row locks instead
    assert "CompressedManifest" in s["STORAGES"]["staticfiles"]["BACKEND"]


def test_development_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    s = _settings(monkeypatch)
    assert s["SECRET_KEY"]
    assert s["DATABASES"]["default"]["NAME"] == str(tmp_path / "nakip-data" / "nakip.sqlite3")
    assert s["SESSION_COOKIE_AGE"] == 1800 and s["SESSION_EXPIRE_AT_BROWSER_CLOSE"]
    assert s["DATA_UPLOAD_MAX_MEMORY_SIZE"] <= 1024 * 1024
    assert "axes.middleware.AxesMiddleware" in s["MIDDLEWARE"]
    assert "django.middleware.csrf.CsrfViewMiddleware" in s["MIDDLEWARE"]
    assert not (tmp_path / "nakip-data").exists()  # importing settings creates nothing
    other = _settings(monkeypatch, NAKIP_DATA_DIR=str(tmp_path / "elsewhere"))
    assert other["DATABASES"]["default"]["NAME"].startswith(str(tmp_path / "elsewhere"))
