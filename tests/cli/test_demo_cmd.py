"""`nakip demo`: bad input fails in one line (exit 2); a small virtual trial in an empty folder
exits 0 with the per-cohort summary, `--json` is parseable and never shows passwords, and a
database the demo did not create is never wiped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nakip.cli.main import app

NAKIP = str(Path(sys.executable).with_name("nakip"))
runner = CliRunner()


def _env(columns: int = 140) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAKIP_", "DJANGO_"))}
    env["COLUMNS"] = str(columns)
    return env


def _demo(cwd: Path, *args: str, columns: int = 140) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NAKIP, "demo", *args], cwd=cwd, env=_env(columns), capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patients-per-cohort", "0"], "--patients-per-cohort must be between 1 and"),
        (["--data-cut", "yesterday"], "--data-cut: expected a date YYYY-MM-DD"),
        (["--seed", "-1"], "--seed must be >= 0"),
        (["--scenario", "miracle"], "--scenario: unknown scenario 'miracle'; choose one of target"),
        (["--replicates", "0"], "--replicates must be between 1 and"),
    ],
)
def test_bad_input_fails_in_one_line(args: list[str], message: str) -> None:
    res = runner.invoke(app, ["demo", *args])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
    assert "Traceback" not in res.output


def test_a_seed_that_is_not_an_integer_fails_with_exit_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["demo", "--seed", "abc", "--out", str(tmp_path / "d")])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == ["error: --seed: expected an integer, got 'abc'"]
    assert not (tmp_path / "d").exists()  # nothing written


@pytest.mark.slow
def test_replicates_json_compares_with_the_exact_oc(tmp_path: Path) -> None:
    res = _demo(tmp_path, "--replicates", "20", "--scenario", "null", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["scenario"] == "null" and out["replicates"] == 20
    quantities = {(r["cohort"], r["quantity"]) for r in out["rows"]}
    assert ("overt", "P(reject H0)") in quantities and ("mrd", "E[N]") in quantities
    assert not (tmp_path / "nakip-demo" / "nakip.sqlite3").exists()  # light path: no database


@pytest.mark.slow
def test_demo_in_an_empty_folder_json_then_keep(tmp_path: Path) -> None:
    res = _demo(tmp_path, "--patients-per-cohort", "1", "--data-cut", "2026-11-25", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (tmp_path / "nakip-demo" / "nakip.sqlite3").exists()
    assert not (tmp_path / "nakip-data").exists()  # never the EDC's default folder
    assert out["protocol"]["valid"] is True
    assert all(d["planned_matches_search"] for d in out["designs"])
    assert {u["role"] for u in out["users"]} == {
        "investigator",
        "study_nurse",
        "monitor",
        "data_manager",
    }
    assert "password" not in res.stdout.lower()
    results = out["results"]
    assert results["consort"]["enrolled"] == 2
    assert [c["enrolled"] for c in results["consort"]["cohorts"].values()] == [1, 1]
    assert results["designs"]["overt"]["planned_n"] == 27
    assert out["edc"]["records"] > 20 and out["edc"]["signatures"] == 2
    # seed 2026: each patient has one serious adverse event, its notice and follow-up filed
    assert out["edc"]["sae_reports"] == 4
    # --keep summarises the same database again, for people (no new passwords)
    res = _demo(tmp_path, "--keep")
    assert res.returncode == 0, res.stderr
    text = " ".join(res.stdout.split())
    assert "Results at the data cut 2026-11-25" in text
    assert "Simon" in text and "nakip serve" in text
    assert "keeping the demo data" in text
    assert "Nk-" not in res.stdout


def test_piped_tables_fold_their_cells_instead_of_cutting_them(tmp_path: Path) -> None:
    """Piped to an 80-column file, the summary's tables wrap a long cell (a rate with its
    confidence interval) onto more lines: no value is cut to an ellipsis."""
    res = _demo(tmp_path, "--patients-per-cohort", "2", "--data-cut", "2026-11-25", columns=80)
    assert res.returncode == 0, res.stderr
    assert "True rates of the scenario" in res.stdout and "95% CI" in res.stdout
    assert "…" not in res.stdout


@pytest.mark.slow
def test_a_database_the_demo_did_not_create_is_not_wiped(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "nakip.sqlite3").write_bytes(b"not a database")
    res = _demo(tmp_path, "--data-dir", str(data), "--patients-per-cohort", "1")
    assert res.returncode == 2
    assert "holds an EDC database the demo did not create" in " ".join(res.stderr.split())
    assert (data / "nakip.sqlite3").read_bytes() == b"not a database"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (["site", "create", "HD01", "Heidelberg"], "site(s) not created by the demo: HD01"),
        (
            ["user", "create", "alice", "--role", "monitor", "--password-stdin"],
            "user(s) not created by the demo: alice",
        ),
    ],
)
def test_a_demo_database_someone_else_wrote_to_is_not_wiped(
    tmp_path: Path, command: list[str], reason: str
) -> None:
    out = tmp_path / "demo"
    res = _demo(tmp_path, "--out", str(out), "--patients-per-cohort", "1", "--json")
    assert res.returncode == 0, res.stderr
    env = {**_env(), "NAKIP_DATA_DIR": str(out)}
    real = subprocess.run(
        [NAKIP, *command], env=env, input="Xk-7be0d9f1c2a4e6\n", capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert real.returncode == 0, real.stderr
    before = (out / "nakip.sqlite3").read_bytes()
    res = _demo(tmp_path, "--out", str(out), "--patients-per-cohort", "1")
    assert res.returncode == 2
    err = " ".join(res.stderr.split())
    assert "holds data not written by the demo" in err and reason in err
    assert "Traceback" not in res.stderr
    assert (out / "nakip.sqlite3").read_bytes() == before  # nothing touched
    res = _demo(tmp_path, "--out", str(out), "--patients-per-cohort", "1", "--force", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["results"]["consort"]["enrolled"] == 2
