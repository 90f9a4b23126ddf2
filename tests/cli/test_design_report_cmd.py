"""Tests of `nakip design report` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

import nakip.cli.main  # noqa: F401  (registers every command module)
from nakip.cli.apps import app
from nakip.protocol import default_protocol_path

runner = CliRunner()


def _bad(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    return result.output


def _protocol_copy(tmp_path: Path, planned: dict[str, int]) -> Path:
    data = yaml.safe_load(default_protocol_path().read_text(encoding="utf-8"))
    data["cohorts"][0]["design"]["planned"] = planned
    path = tmp_path / "protocol.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_report_writes_html_pdf_and_figures(tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder"  # created if missing
    result = runner.invoke(app, ["design", "report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "design-report.html").stat().st_size > 0
    assert (out / "design-report.pdf").read_bytes().startswith(b"%PDF")
    assert len(list(out.glob("fig-*.png"))) == 6
    assert "13/27" in result.stdout and "matches" in result.stdout


def test_report_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["design", "report", "--out", str(tmp_path), "--json", "--no-pdf"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    overt = data["cohorts"][0]
    assert (overt["chosen"]["r1"], overt["chosen"]["n1"]) == (3, 9)
    assert (overt["chosen"]["r"], overt["chosen"]["n"]) == (13, 27)
    assert overt["planned_check"]["status"] == "match"
    assert data["files"]["pdf"] is None
    assert Path(data["files"]["html"]).exists()
    assert not (tmp_path / "design-report.pdf").exists()


def test_explicit_protocol_file(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "design",
            "report",
            "--protocol",
            str(default_protocol_path()),
            "--out",
            str(tmp_path),
            "--no-pdf",
        ],
    )
    assert result.exit_code == 0, result.output


def test_missing_protocol_exits_2(tmp_path: Path) -> None:
    out = _bad(
        ["design", "report", "--protocol", str(tmp_path / "nope.yaml"), "--out", str(tmp_path)]
    )
    assert "--protocol" in out


def test_invalid_protocol_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\ntrial: [unclosed\n", encoding="utf-8")
    assert "--protocol" in _bad(
        ["design", "report", "--protocol", str(bad), "--out", str(tmp_path / "o")]
    )
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("schema_version: 1\n", encoding="utf-8")
    assert "--protocol" in _bad(
        ["design", "report", "--protocol", str(invalid), "--out", str(tmp_path / "o")]
    )


def test_unwritable_out_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    out = _bad(["design", "report", "--out", str(blocker / "sub")])
    assert "--out" in out


def test_mismatch_warns_and_strict_fails(tmp_path: Path) -> None:
    proto = _protocol_copy(tmp_path, {"r1": 2, "n1": 9, "r": 13, "n": 27})
    args = ["design", "report", "--protocol", str(proto), "--out", str(tmp_path / "o"), "--no-pdf"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "MISMATCH" in result.output
    strict = runner.invoke(app, [*args, "--strict"])
    assert strict.exit_code == 1
