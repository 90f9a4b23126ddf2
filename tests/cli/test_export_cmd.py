"""`nakip export`: a manifest and the files on success; bad input (unknown format, bad date,
a cut-off before the first enrolment, a missing or unmigrated database, --out a file) fails in
one line with exit 2 and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nakip.cli.main import app
from tests.cli.conftest import one_line_error

NAKIP = str(Path(sys.executable).with_name("nakip"))
runner = CliRunner()


@pytest.mark.parametrize("fmt", ["csv", "xpt", "sdtm", "odm"])
def test_export_writes_files_and_manifest(enrolled: None, tmp_path: Path, fmt: str) -> None:
    res = runner.invoke(app, ["export", fmt, "--out", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    manifest = json.loads(res.output)
    assert manifest["format"] == fmt and manifest["data_cutoff"] is None
    assert len(manifest["fingerprint"]) == 64
    for f in manifest["files"]:
        assert (tmp_path / f["name"]).is_file()
    assert json.loads((tmp_path / "manifest.json").read_text())["files"] == manifest["files"]


def test_export_with_cutoff_in_words(enrolled: None, tmp_path: Path) -> None:
    res = runner.invoke(app, ["export", "csv", "--out", str(tmp_path), "--cutoff", "2026-02-01"])
    assert res.exit_code == 0, res.output
    assert "data cut-off 2026-02-01" in " ".join(res.output.split())
    assert "adsl.csv" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pdf"], "unknown export format 'pdf'; choose one of: csv, xpt, sdtm, odm"),
        (["csv", "--cutoff", "2026-02-30"], "--cutoff '2026-02-30': expected a date as YYYY-MM-DD"),
        (["csv", "--cutoff", "20260201"], "--cutoff '20260201': expected a date"),
    ],
)
def test_bad_input_fails_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    res = runner.invoke(app, ["export", args[0], "--out", str(tmp_path / "x"), *args[1:]])
    one_line_error(res, message)
    assert not (tmp_path / "x").exists()


def test_cutoff_before_first_enrolment(enrolled: None, tmp_path: Path) -> None:
    res = runner.invoke(app, ["export", "csv", "--out", str(tmp_path), "--cutoff", "2026-01-11"])
    one_line_error(
        res, "--cutoff: data cut-off 2026-01-11 is before the first enrolment (2026-01-12)"
    )
    assert list(tmp_path.iterdir()) == []


def test_out_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    res = runner.invoke(app, ["export", "csv", "--out", str(target)])
    one_line_error(res, "is a file, not a folder")


def _export(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAKIP_", "DJANGO_"))}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [NAKIP, "export", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_missing_database(tmp_path: Path) -> None:
    res = _export(tmp_path, "csv", "--out", "out", "--data-dir", "nowhere")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip().count("\n") == 0
    assert "no EDC database at" in res.stderr and "nowhere/nakip.sqlite3" in res.stderr
    assert not (tmp_path / "nowhere").exists() and not (tmp_path / "out").exists()
    res = _export(tmp_path, "odm", "--out", "out")  # default ./nakip-data/ as nakip serve
    assert res.returncode == 2 and "nakip-data/nakip.sqlite3" in res.stderr


def test_unmigrated_database(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nakip.sqlite3").write_bytes(b"")
    res = _export(tmp_path, "csv", "--out", "out", "--data-dir", "data")
    assert res.returncode == 2 and "run `nakip db migrate` first" in res.stderr
    assert res.stderr.strip().count("\n") == 0


def test_one_row_is_one_row(enrolled: None, tmp_path: Path) -> None:
    """One enrolled subject: ADSL has "1 row", not "1 rows"."""
    res = runner.invoke(app, ["export", "csv", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    lines = [" ".join(x.split()) for x in res.output.splitlines()]
    assert any(x.endswith("adsl.csv 1 row") for x in lines), res.output
    assert not any(x.endswith(" 1 rows") for x in lines)
