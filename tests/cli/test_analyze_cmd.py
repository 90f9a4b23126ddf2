"""Tests of `nakip analyze survival|cif|response` through Typer's CliRunner.

Numbers are the stats layer's (checked against R there); here: the JSON shapes of issue 9 §5,
values typed from R for one call of each command, and one-line errors with exit code 2.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nakip.cli.main  # noqa: F401  (registers every command module)
from nakip.cli.apps import app
from nakip.stats.simon import TwoStageInference, TwoStageRule
from tests.stats.test_survival_competing import CUMINC
from tests.stats.test_survival_km import AML, AML_NONMAINTAINED

runner = CliRunner()
REL = 1e-9
CR = Path(__file__).parents[1] / "data" / "competing_risks.csv"


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def _bad(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1
    return result.output


@pytest.fixture
def aml_csv(tmp_path: Path) -> Path:
    path = tmp_path / "aml.csv"
    AML.rename(columns={"time": "weeks", "status": "relapse", "x": "arm"}).to_csv(path, index=False)
    return path


def test_survival_json_shape_and_r_values(aml_csv: Path) -> None:
    args = ["analyze", "survival", "--csv", str(aml_csv), "--time", "weeks", "--event", "relapse"]
    out = json.loads(_ok([*args, "--group", "arm", "--json"]))
    assert set(out) == {"groups", "logrank"}
    assert set(out["groups"]) == {"Maintained", "Nonmaintained"}
    group = out["groups"]["Nonmaintained"]
    assert set(group) == {
        "time", "n_risk", "n_event", "survival", "lower", "upper",
        "median", "median_lower", "median_upper",
    }  # fmt: skip
    # R: survfit(Surv(time, status) ~ x, data = aml, conf.type = "log-log")
    assert group["time"] == AML_NONMAINTAINED["time"]
    assert group["survival"] == pytest.approx(AML_NONMAINTAINED["surv"], rel=REL)
    assert group["lower"][:-1] == pytest.approx(AML_NONMAINTAINED["lower"][:-1], rel=REL)
    assert group["lower"][-1] is None  # R: NA where S = 0
    assert (group["median"], group["median_lower"], group["median_upper"]) == (23.0, 5.0, 33.0)
    assert out["groups"]["Maintained"]["median_upper"] is None  # not reached
    # R: survdiff(Surv(time, status) ~ x, data = aml): chisq 3.39638869898, p 0.0653393220405
    assert out["logrank"]["chisq"] == pytest.approx(3.39638869898, rel=REL)
    assert (out["logrank"]["df"], out["logrank"]["p"]) == (1, pytest.approx(0.0653393220405))
    single = json.loads(_ok([*args, "--json"]))
    assert list(single["groups"]) == ["all"] and single["logrank"] is None


def test_survival_tables(aml_csv: Path) -> None:
    text = _ok(
        ["analyze", "survival", "--csv", str(aml_csv), "--time", "weeks", "--event", "relapse",
         "--group", "arm"]
    )  # fmt: skip
    assert "Kaplan-Meier, Maintained (n = 11, events = 7)" in text
    assert "31 (13 - NE)" in text and "23 (5 - 33)" in text
    assert "Log-rank: chi-square 3.3964 on 1 df" in text


def test_survival_empty_file_is_not_estimable(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("t,e\n")
    out = json.loads(
        _ok(["analyze", "survival", "--csv", str(path), "--time", "t", "--event", "e", "--json"])
    )
    assert out["groups"]["all"]["time"] == [] and out["groups"]["all"]["median"] is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("t,e\n1,1\n-2,0\n", "--time t: negative time -2 on line 3"),
        ("t,e\n1,1\n,0\n", r"--time t: 1 missing \(NaN\) value\(s\), first on line 3"),
        ("t,e\n1,1\n2,2\n", "--event e: value 2 on line 3 is not 0 or 1"),
        ("t,e\n1,1\nx,1\n", "--time t: not numeric"),
    ],
)
def test_survival_bad_values_name_the_column_and_line(
    tmp_path: Path, rows: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(rows)
    out = _bad(["analyze", "survival", "--csv", str(path), "--time", "t", "--event", "e"])
    assert re.search(message, out), out


def test_survival_unknown_column_and_missing_file(aml_csv: Path, tmp_path: Path) -> None:
    base = ["analyze", "survival", "--time", "weeks", "--event", "relapse"]
    out = _bad([*base, "--csv", str(aml_csv), "--group", "site"])
    assert "--group: no column 'site'" in out and "columns: weeks, relapse, arm" in out
    assert "--csv: file not found" in _bad([*base, "--csv", str(tmp_path / "nope.csv")])
    (tmp_path / "blank.csv").write_text("")
    assert "--csv: cannot read" in _bad([*base, "--csv", str(tmp_path / "blank.csv")])


def test_cif_json_shape_and_r_values() -> None:
    args = ["analyze", "cif", "--csv", str(CR), "--time", "months", "--status", "status"]
    out = json.loads(_ok([*args, "--cause", "1", "--group", "group", "--json"]))
    assert set(out) == {"groups", "gray"}
    assert set(out["groups"]["A"]) == {"time", "cif", "variance"}
    time, est, var = CUMINC[("A", 1)]
    assert out["groups"]["A"]["time"] == time
    assert out["groups"]["A"]["cif"] == pytest.approx(est, rel=REL)
    assert out["groups"]["A"]["variance"] == pytest.approx(var, rel=REL)
    # R: cuminc(cr$months, cr$status, cr$group)$Tests cause 1: 1.2167148590821, p 0.270006327037
    assert out["gray"] == {
        "stat": pytest.approx(1.2167148590821, rel=REL),
        "df": 1,
        "p": pytest.approx(0.270006327037, rel=REL),
    }
    cause2 = json.loads(_ok([*args, "--cause", "2", "--json"]))
    assert cause2["gray"] is None and list(cause2["groups"]) == ["all"]
    text = _ok([*args, "--cause", "2", "--group", "group"])
    assert "Cumulative incidence of cause 2, B (n = 30)" in text and "Gray's test: 0.0962" in text


def test_cif_bad_input() -> None:
    args = ["analyze", "cif", "--csv", str(CR), "--time", "months", "--status", "status"]
    assert "--cause: must be a positive status code, got 0" in _bad([*args, "--cause", "0"])
    assert "--cause: no row of column 'status' has status 3" in _bad([*args, "--cause", "3"])
    assert "--status: no column 'state'" in _bad(
        [
            "analyze",
            "cif",
            "--csv",
            str(CR),
            "--time",
            "months",
            "--status",
            "state",
            "--cause",
            "1",
        ]
    )


def test_response_json_single_stage_equals_r_binom_test() -> None:
    # R: binom.test(14, 27, 0.35, alternative = "greater")$p.value = 0.053622974029;
    #    binom.test(14, 27, 0.35)$conf.int = 0.319496546133 0.713327451868
    out = json.loads(
        _ok(["analyze", "response", "--k", "14", "--n", "27", "--p0", "0.35", "--json"])
    )
    assert set(out) == {"k", "n", "estimate", "p_value", "ci"}
    assert (out["k"], out["n"]) == (14, 27) and out["estimate"] == pytest.approx(14 / 27)
    assert out["p_value"] == pytest.approx(0.053622974029, rel=REL)
    assert out["ci"] == pytest.approx([0.319496546133, 0.713327451868], rel=REL)


def test_response_two_stage_completed() -> None:
    # R: clinfun::twostage.inference(14, 3, 9, 27, 0.35, alpha = 0.05): pumvue 0.5621607481525,
    #    p.value 0.0463726203082, 5% LCL 0.3533 (clinfun searches a 1e-4 grid; its UCL uses
    #    P(T >= t) >= 1 - alpha, a different tail convention, so the CI is checked against
    #    nakip.stats.simon, which `nakip design infer` uses)
    out = json.loads(
        _ok(["analyze", "response", "--k", "14", "--n", "27", "--p0", "0.35",
             "--two-stage", "3,9,13,27", "--json"])
    )  # fmt: skip
    ts = out["two_stage"]
    assert set(ts) == {"stage", "p_value", "estimate", "umvue", "ci"}
    assert ts["stage"] == 2
    assert ts["umvue"] == pytest.approx(0.5621607481525, rel=REL)
    assert ts["p_value"] == pytest.approx(0.0463726203082, rel=REL)
    assert ts["ci"][0] == pytest.approx(0.3533, abs=1e-4)
    direct = TwoStageInference(TwoStageRule(3, 9, 13, 27), p0=0.35, conf_level=0.90)
    res = direct.fit(5, 9).result_
    assert res is not None
    assert ts["ci"] == pytest.approx([res.ci_lower, res.ci_upper], rel=1e-12)
    assert ts["estimate"] == pytest.approx(res.mue, rel=1e-12)


def test_response_two_stage_stopped_at_stage_one() -> None:
    # R: clinfun::twostage.inference(2, 3, 9, 27, 0.35): pumvue 2/9, p.value 0.878914971102
    out = json.loads(
        _ok(["analyze", "response", "--k", "2", "--n", "9", "--p0", "0.35",
             "--two-stage", "3,9,13,27", "--alpha", "0.025", "--json"])
    )  # fmt: skip
    ts = out["two_stage"]
    assert ts["stage"] == 1 and ts["umvue"] == pytest.approx(2 / 9)
    assert ts["p_value"] == pytest.approx(0.878914971102, rel=REL)
    res = TwoStageInference(TwoStageRule(3, 9, 13, 27), p0=0.35, conf_level=0.95).fit(2).result_
    assert res is not None and ts["ci"] == pytest.approx([res.ci_lower, res.ci_upper])
    text = _ok(["analyze", "response", "--k", "2", "--n", "9", "--p0", "0.35",
                "--two-stage", "3,9,13,27"])  # fmt: skip
    assert "two-stage: exact 90% CI" in text and "two-stage: stage reached" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "2", "--n", "27", "--p0", "0.35", "--two-stage", "3,9,13,27"],
         "--n: the trial stopped after stage 1 (K=2 <= R1=3), so N must be 9, got 27"),
        (["--k", "14", "--n", "20", "--p0", "0.35", "--two-stage", "3,9,13,27"],
         "--n: the trial completed stage 2, so N must be 27, got 20"),
        (["--k", "2", "--n", "9", "--p0", "0.35", "--two-stage", "3,9,x,27"],
         "--two-stage: expected R1,N1,R,N as four whole numbers, got '3,9,x,27'"),
        (["--k", "2", "--n", "9", "--p0", "0.35", "--two-stage", "3,9,13,5"], "--two-stage: "),
        (["--k", "10", "--n", "9", "--p0", "0.35"], "--k: must be between 0 and --n (9), got 10"),
        (["--k", "1", "--n", "0", "--p0", "0.35"], "--n: must be at least 1, got 0"),
        (["--k", "1", "--n", "9", "--p0", "1.5"], "--p0: p0 must lie strictly between 0 and 1"),
        (["--k", "1", "--n", "9", "--p0", "0.3", "--alpha", "0.6"], "--alpha: must lie strictly"),
    ],
)  # fmt: skip
def test_response_bad_input(args: list[str], message: str) -> None:
    assert message in _bad(["analyze", "response", *args])
