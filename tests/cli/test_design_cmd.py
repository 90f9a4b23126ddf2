"""Tests of `nakip design simon|single|oc|infer` through Typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from scipy import stats
from typer.testing import CliRunner

import nakip.cli.main  # noqa: F401  (registers every command module)
from nakip.cli.apps import app

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def _bad(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def test_simon_json_nakip_design() -> None:
    out = json.loads(
        _ok(
            [
                "design",
                "simon",
                "--p0",
                "0.35",
                "--p1",
                "0.60",
                "--alpha",
                "0.05",
                "--power",
                "0.80",
                "--json",
            ]
        )
    )
    assert set(out) == {"optimal", "minimax", "admissible"}
    opt = out["optimal"]
    assert (opt["r1"], opt["n1"], opt["r"], opt["n"]) == (3, 9, 13, 27)
    for key in ("r1", "n1", "r", "n"):
        assert isinstance(opt[key], int)
    for key in ("en0", "pet0", "alpha", "power"):
        assert isinstance(opt[key], float)
    assert out["admissible"][0] == out["minimax"]


def test_simon_table_simon1989_row() -> None:
    # Simon (1989) Table 1, p0 0.10, p1 0.30, alpha 0.05, beta 0.20: optimal 1/10, 5/29.
    text = _ok(["design", "simon", "--p0", "0.1", "--p1", "0.3"])
    assert "1/10" in text and "5/29" in text and "1/15" in text and "5/25" in text


def test_simon_nmax_too_small_suggests_nmax() -> None:
    text = _bad(["design", "simon", "--p0", "0.1", "--p1", "0.3", "--nmax", "20"])
    assert "--nmax 25" in text


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["--p0", "0.6", "--p1", "0.3"], "p0 must be smaller than p1"),
        (["--p0", "0.1", "--p1", "0.3", "--alpha", "2"], "alpha"),
        (["--p0", "-0.1", "--p1", "0.3"], "p0"),
    ],
)
def test_simon_bad_input(args: list[str], word: str) -> None:
    assert word in _bad(["design", "simon", *args])


def test_single_json() -> None:
    out = json.loads(_ok(["design", "single", "--p0", "0.35", "--p1", "0.6", "--json"]))
    assert (out["r"], out["n"]) == (14, 26)
    assert out["alpha"] == pytest.approx(stats.binom.sf(13, 26, 0.35))
    assert "power" in _bad(["design", "single", "--p0", "0.35", "--p1", "0.6", "--power", "1"])


def test_oc_simon_and_single() -> None:
    out = json.loads(
        _ok(
            [
                "design",
                "oc",
                "--design",
                "simon",
                "--r1",
                "3",
                "--n1",
                "9",
                "--r",
                "13",
                "--n",
                "27",
                "--p",
                "0.2,0.35,0.5,0.6",
                "--json",
            ]
        )
    )
    rows = out["rows"]
    assert [row["p"] for row in rows] == [0.2, 0.35, 0.5, 0.6]
    assert rows[1]["pet"] == pytest.approx(stats.binom.cdf(3, 9, 0.35))
    single = json.loads(
        _ok(
            [
                "design",
                "oc",
                "--design",
                "single",
                "--r",
                "14",
                "--n",
                "26",
                "--p",
                "0.35",
                "--json",
            ]
        )
    )
    assert single["rows"][0]["prob_reject"] == pytest.approx(stats.binom.sf(13, 26, 0.35))
    assert "P(reject H0)" in _ok(
        ["design", "oc", "--r1", "3", "--n1", "9", "--r", "13", "--n", "27", "--p", "0.35"]
    )


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["--r1", "3", "--n1", "9", "--r", "13", "--n", "27", "--p", "0.2,x"], "--p"),
        (["--r1", "3", "--n1", "9", "--r", "13", "--n", "27", "--p", "1.5"], "--p"),
        (["--r1", "9", "--n1", "9", "--r", "13", "--n", "27", "--p", "0.3"], "r1"),
        (["--n1", "9", "--r", "13", "--n", "27", "--p", "0.3"], "--r1"),
        (["--design", "single", "--r", "30", "--n", "27", "--p", "0.3"], "r"),
    ],
)
def test_oc_bad_input(args: list[str], word: str) -> None:
    assert word in _bad(["design", "oc", *args])


def test_infer_json_and_edges() -> None:
    base = ["design", "infer", "--r1", "3", "--n1", "9", "--r", "13", "--n", "27"]
    out = json.loads(_ok([*base, "--x1", "5", "--x2", "10", "--p0", "0.35", "--json"]))
    assert out["stage"] == 2 and out["x_total"] == 15 and out["reject_h0"] is True
    assert 0 < out["p_value"] < 0.05
    stop = json.loads(_ok([*base, "--x1", "0", "--json"]))
    assert stop["ci_lower"] == 0.0 and stop["p_value"] is None
    full = json.loads(_ok([*base, "--x1", "9", "--x2", "18", "--json"]))
    assert full["ci_upper"] == 1.0
    assert "UMVUE" in _ok([*base, "--x1", "5", "--x2", "10"])
    assert "stops after stage 1" in _bad([*base, "--x1", "2", "--x2", "1"])
    assert "x2" in _bad([*base, "--x1", "5"])
