"""Tests of `nakip design simon|single|oc|infer` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert set(out) == {"optimal", "minimax", "admissible", "optimal_beyond_nmax", "nmax_warning"}
    assert out["nmax_warning"] is None and out["optimal_beyond_nmax"] is None
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
    assert (out["r"], out["n"]) == (13, 26)  # Simon's convention: promising if X > 13
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
                "13",
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


# ------------------------------------------------------------------ issue 13, defect 1
def test_single_stage_same_design_same_numbers_on_every_path(tmp_path: Path) -> None:
    """r/n = 13/27 means "reject H0 if X > 13" everywhere: 0.0536 at p = 0.35, not 0.1106."""
    from nakip.report.design_report import DesignRow
    from nakip.stats.binomial import single_stage_design, single_stage_reject_prob
    from nakip.stats.oc import SingleStage, exact_oc

    expected = float(stats.binom.sf(13, 27, 0.35))  # P(X > 13 | 27, 0.35) = 0.05362
    assert expected == pytest.approx(0.0536, abs=5e-5)
    cli_oc = json.loads(
        _ok(
            [
                "design",
                "oc",
                "--design",
                "single",
                "--r",
                "13",
                "--n",
                "27",
                "--p",
                "0.35",
                "--json",
            ]
        )
    )["rows"][0]["prob_reject"]
    scenario = tmp_path / "single.yaml"
    scenario.write_text("- design: {type: single_stage, r: 13, n: 27}\n  rate: 0.35\n")
    simulated = json.loads(
        _ok(["design", "simulate", "--scenarios", str(scenario), "--trials", "1000", "--json"])
    )["scenarios"][0]["exact_prob_success"]
    api = single_stage_reject_prob(13, 27, 0.35)
    lattice = exact_oc(SingleStage(13, 27), 0.35).prob_success
    for value in (cli_oc, simulated, api, lattice):
        assert value == pytest.approx(expected, rel=1e-10)
    # `design single` and the report row give an r that `design oc` reads the same way.
    found = json.loads(_ok(["design", "single", "--p0", "0.35", "--p1", "0.6", "--json"]))
    again = json.loads(
        _ok(
            [
                "design",
                "oc",
                "--design",
                "single",
                "--r",
                str(found["r"]),
                "--n",
                str(found["n"]),
                "--p",
                "0.35,0.6",
                "--json",
            ]
        )
    )["rows"]
    assert again[0]["prob_reject"] == pytest.approx(found["alpha"], rel=1e-12)
    assert again[1]["prob_reject"] == pytest.approx(found["power"], rel=1e-12)
    row = DesignRow.from_single("Single-stage", single_stage_design(0.35, 0.6))
    assert (row.r, row.n) == (found["r"], found["n"])


def test_single_stage_help_texts_state_the_rule() -> None:
    for command in ("single", "oc"):
        text = " ".join(_ok(["design", command, "--help"]).split())
        assert "X > r" in text and "X >= r" not in text


# ------------------------------------------------------------------ issue 13, defect 2
def test_simon_warns_when_nmax_cuts_the_search_off() -> None:
    # clinfun ph2simon(0.3, 0.4, 0.05, 0.2, nmax=150) gives optimal 20/65, 53/148 (EN0 97.12)
    # and warns "Optimal sample size too close to nmax"; with nmax=200 it gives 19/59, 59/168
    # (EN0 91.68).
    args = ["design", "simon", "--p0", "0.3", "--p1", "0.4", "--nmax", "150"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1
    assert "19/59, 59/168" in warning[0] and "--nmax 168" in warning[0]
    assert "20/65" in result.stdout and "53/148" in result.stdout
    out = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert out["optimal_beyond_nmax"]["n"] == 168
    assert "--nmax 168" in out["nmax_warning"]
    wide = runner.invoke(app, ["design", "simon", "--p0", "0.3", "--p1", "0.4", "--nmax", "200"])
    assert wide.exit_code == 0 and "warning" not in wide.stderr


# ------------------------------------------------------------------ issue 13, defect 3
def test_simon_lists_design_admissible_at_a_single_weight() -> None:
    # clinfun ph2simon(0.5, 0.65, 0.1, 0.1) prints 16/33, 43/76 with qLo = qHi = 0.333.
    text = _ok(
        ["design", "simon", "--p0", "0.5", "--p1", "0.65", "--alpha", "0.1", "--power", "0.9"]
    )
    line = next(row for row in text.splitlines() if "16/33" in row)
    assert "43/76" in line and "0.333-0.333" in line


# ------------------------------------------------------------------ issue 13, defect 4
@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["design", "simon", "--p0", "abc", "--p1", "0.6"], "--p0"),
        (["design", "simon", "--p0", "0.35"], "--p1"),
        (["design", "simon", "--p0", "0.35", "--p1", "0.6", "--nmax", "2.5"], "--nmax"),
        (
            ["design", "oc", "--design", "double", "--r", "13", "--n", "27", "--p", "0.3"],
            "--design",
        ),
        (["design", "single", "--p0", "0.35", "--p1", "0.6", "--alpah", "0.1"], "--alpah"),
        (["design", "infer", "--r1", "3", "--n1", "9", "--r", "13", "--n", "27"], "--x1"),
        (["design", "oc", "--p"], "--p"),
        (["design", "boin", "--target", "x"], "--target"),
        (["design", "monitor", "--nmax", "ten"], "--nmax"),
        (["design", "simulate"], "--scenarios"),
        (["protocol", "validate", "--jsn"], "--jsn"),
    ],
)
def test_parse_errors_are_one_line_naming_the_option(args: list[str], option: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {option}:")
    assert "Usage" not in result.output and "Traceback" not in result.output


def test_unknown_command_is_one_line() -> None:
    result = runner.invoke(app, ["design", "simn"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "simon" in result.output


# ------------------------------------------------------------------ issue 13, defect 5
def test_piped_table_is_plain_and_whole() -> None:
    # CliRunner's stdout is not a terminal: no box characters, nothing cut to a width.
    text = _ok(
        ["design", "simon", "--p0", "0.5", "--p1", "0.65", "--alpha", "0.1", "--power", "0.9"]
    )
    assert "0.556-1.000" in text
    assert "…" not in text and "┃" not in text and "│" not in text
    header = next(line for line in text.splitlines() if line.startswith("design"))
    assert header.split() == [
        "design",
        "r1/n1",
        "r/n",
        "EN(p0)",
        "PET(p0)",
        "alpha",
        "power",
        "q",
        "range",
    ]


# ------------------------------------------------------------------ issue 13, start-up
_PROBE = """
import io, sys, contextlib
from nakip.cli.main import app
sys.argv = ["nakip", *sys.argv[1:]]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        app()
    except SystemExit as exc:
        assert exc.code in (0, None), exc.code
heavy = ("numpy", "scipy", "pandas", "pydantic", "rich", "django", "yaml")
print(" ".join(m for m in heavy if m in sys.modules))
"""


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (["design", "simon", "--p0", "0.35", "--p1", "0.6"], set()),
        (["design", "simon", "--p0", "0.3", "--p1", "0.4", "--nmax", "150", "--json"], set()),
        (["design", "single", "--p0", "0.35", "--p1", "0.6"], set()),
        (
            ["design", "oc", "--r1", "3", "--n1", "9", "--r", "13", "--n", "27", "--p", "0.35"],
            set(),
        ),
        (
            ["design", "infer", "--r1", "3", "--n1", "9", "--r", "13", "--n", "27", "--x1", "2"],
            set(),
        ),
        (
            ["design", "monitor", "--prior-a", "0.3", "--prior-b", "0.7", "--limit", "0.3"]
            + ["--cutoff", "0.9", "--nmax", "27"],
            set(),
        ),
        (["design", "monitor", "--nmax", "12", "--json"], set()),
        (["design", "boin", "--target", "0.25"], set()),
        (["design", "boin", "--doses", "4", "--json"], set()),
    ],
)
def test_design_commands_import_only_what_they_need(args: list[str], allowed: set[str]) -> None:
    # What a process start costs is measured in bench/bench_simon.py against Rscript + clinfun;
    # this guards its cause: no scipy, pandas, pydantic (Typer's option conversion) or Rich.
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True
    )
    assert set(out.stdout.split()) == allowed, out.stdout + out.stderr
