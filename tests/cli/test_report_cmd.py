"""`nakip report dsmb|final`: the report files from the EDC database; bad input (a bad date, a
cut-off before the first enrolment, --out a file, no database) fails in one line with exit 2
and writes nothing."""

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


def test_dsmb_report_from_the_database(enrolled: None, tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", "dsmb", "--out", str(tmp_path), "--json",
                              "--cutoff", "2026-02-01"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["kind"] == "dsmb" and out["cutoff"] == "2026-02-01"
    assert len(out["fingerprint"]) == 64 and out["code_version"].startswith("nakip ")
    names = {Path(f).name for f in out["files"]}
    assert {"dsmb-report.html", "dsmb-report.pdf", "fig-consort.png"} <= names
    assert (tmp_path / "dsmb-report.pdf").read_bytes().startswith(b"%PDF")
    html = (tmp_path / "dsmb-report.html").read_text(encoding="utf-8")
    assert "Closed DSMB report" in html and out["fingerprint"] in html
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".nakip")]  # staging gone


def test_final_report_words(enrolled: None, tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", "final", "--out", str(tmp_path), "--no-pdf"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "final-report.html" in text and "Final study report: data cut-off all data" in text
    assert not (tmp_path / "final-report.pdf").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cutoff", "2026-02-30"], "--cutoff '2026-02-30': expected a date as YYYY-MM-DD"),
        (["--cutoff", "20260201"], "--cutoff '20260201': expected a date"),
    ],
)
def test_bad_cutoff_fails_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    res = runner.invoke(app, ["report", "dsmb", "--out", str(tmp_path / "x"), *args])
    one_line_error(res, message)
    assert not (tmp_path / "x").exists()


def test_cutoff_before_first_enrolment(enrolled: None, tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", "dsmb", "--out", str(tmp_path), "--cutoff", "2026-01-11"])
    one_line_error(res, "--cutoff: data cut-off 2026-01-11 is before the first enrolment")
    assert list(tmp_path.iterdir()) == []


def test_out_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    res = runner.invoke(app, ["report", "final", "--out", str(target)])
    one_line_error(res, "is a file, not a folder")


def test_missing_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAKIP_", "DJANGO_"))}
    env["COLUMNS"] = "200"
    res = subprocess.run(
        [NAKIP, "report", "dsmb", "--out", "out", "--data-dir", "nowhere"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "no EDC database at" in res.stderr and "nowhere/nakip.sqlite3" in res.stderr
    assert not (tmp_path / "out").exists()
