"""`nakip model simulate`: one model patient three ways, a PNG and a JSON summary; bad input in
one line with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nakip.cli.main import app

runner = CliRunner()


def test_simulate_writes_the_figure_and_the_three_arms(tmp_path: Path) -> None:
    res = runner.invoke(app, ["model", "simulate", "--seed", "9", "--out", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    png = Path(out["figure"])
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    arms = {row["arm"]: row for row in out["leukaemic_share_pct"]}
    assert set(arms) == {"as treated", "without talazoparib", "failed NK product"}
    # the hypothesis, visible: the combination clears what either part alone does not
    assert arms["as treated"]["EOT"] < arms["without talazoparib"]["EOT"] / 100
    assert arms["as treated"]["EOT"] < arms["failed NK product"]["EOT"] / 100


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cohort", "cns"], "--cohort: unknown cohort 'cns'"),
        (["--scenario", "miracle"], "--scenario: unknown scenario 'miracle'"),
        (["--seed", "-3"], "--seed must be >= 0"),
    ],
)
def test_bad_input_fails_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    res = runner.invoke(app, ["model", "simulate", "--out", str(tmp_path / "f"), *args])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
    assert not (tmp_path / "f").exists()
