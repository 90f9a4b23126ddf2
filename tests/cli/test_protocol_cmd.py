"""`nakip protocol validate|show` and the top-level options."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import nakip.cli.main  # noqa: F401  (registers every command)
from nakip import __version__
from nakip.cli.apps import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_validate_packaged_protocol() -> None:
    result = runner.invoke(app, ["protocol", "validate", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"valid": True, "trial": "NAKIP-AML"}


def test_validate_bad_file_exits_2_with_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 2\ntrial: {acronym: X}\n", encoding="utf-8")
    result = runner.invoke(app, ["protocol", "validate", str(bad), "--json"])
    assert result.exit_code == 2
    payload = json.loads(result.output)
    assert payload["valid"] is False
    assert any(e["location"] == "schema_version" and e["line"] == 1 for e in payload["errors"])
    human = runner.invoke(app, ["protocol", "validate", str(bad)])
    assert human.exit_code == 2
    assert "bad.yaml" in human.output and "schema_version: must be one of" in human.output
    assert "(line 1)" in human.output


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["protocol", "validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_show_summarises_cohorts_and_design() -> None:
    result = runner.invoke(app, ["protocol", "show"])
    assert result.exit_code == 0, result.output
    for expected in ("NAKIP-AML", "overt", "mrd", "0.35", "13/27", "Visit schedule", "EX9"):
        assert expected in result.output
