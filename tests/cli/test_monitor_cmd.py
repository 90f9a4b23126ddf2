"""`nakip design monitor|tse|predictive|bop2|boin|threeplusthree|simulate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nakip.cli.main  # noqa: F401  (registers every command)
from nakip.cli.apps import app

runner = CliRunner()


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, ["design", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_monitor_json_boundaries_and_oc() -> None:
    out = _json(
        ["monitor", "--prior-a", "1", "--prior-b", "1", "--limit", "0.3", "--cutoff", "0.9",
         "--nmax", "24", "--rates", "0.1,0.2,0.3,0.4"]
    )  # fmt: skip
    rows = out["boundaries"]
    assert len(rows) == 24
    # Beta(1,1): 1/1 gives Pr(p > 0.3) = 0.91 > 0.9, so one event stops at n = 1
    assert rows[0] == {"n": 1, "stop_if_at_least": 1, "posterior_prob_at_boundary": 0.91}
    oc = out["operating_characteristics"]
    assert oc["rates"] == [0.1, 0.2, 0.3, 0.4]
    assert all(0 <= p <= 1 for p in oc["prob_stop"])
    assert oc["prob_stop"] == sorted(oc["prob_stop"])


def test_monitor_human_output_shows_no_stop_rows() -> None:
    result = runner.invoke(
        app, ["design", "monitor", "--prior-a", "0.3", "--prior-b", "0.7", "--min-patients", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "Exact operating characteristics" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["monitor", "--cutoff", "1.5"],
        ["monitor", "--rates", "0.1,1.2"],
        ["monitor", "--rates", "abc"],
        ["monitor", "--prior-a", "0"],
        ["monitor", "--nmax", "0"],
        ["predictive", "--p0", "0.2", "--nmax", "-3"],
        ["bop2", "--null-eff", "0.4", "--alt-eff", "0.2"],
        ["bop2", "--null-eff", "0.2", "--alt-eff", "0.4", "--null-tox", "0.3"],
        ["boin", "--target", "0.3", "--doses", "0"],
        ["boin", "--target", "0.3", "--doses", "3", "--scenario", "0.1,0.2"],
        ["threeplusthree", "--scenario", "0.1,-0.2"],
        ["tse", "--standard-a", "15", "--standard-b", "35", "--direction", "sideways"],
        ["simulate", "--scenarios", "/nonexistent.yaml"],
        ["simulate", "--scenarios", "/nonexistent.yaml", "--trials", "0"],
    ],
)
def test_bad_input_exits_2_without_traceback(args: list[str]) -> None:
    result = runner.invoke(app, ["design", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_predictive_and_tse_json() -> None:
    out = _json(["predictive", "--p0", "0.2", "--nmax", "40", "--prior-a", "0.6", "--prior-b",
                 "0.4", "--theta-l", "0.05", "--rates", "0.2,0.4"])  # fmt: skip
    assert out["boundaries"][-1]["n"] == 40
    assert out["operating_characteristics"]["prob_success"][0] < 0.2
    out = _json(["tse", "--standard-a", "15", "--standard-b", "35", "--delta", "0.15",
                 "--nmax", "30", "--rates", "0.3,0.5"])  # fmt: skip
    assert len(out["boundaries"]) == 30


def test_bop2_json_small_grid() -> None:
    out = _json(["bop2", "--null-eff", "0.2", "--alt-eff", "0.4", "--looks", "10,20,30,40"])
    assert out["type_i_error"] <= 0.10
    assert len(out["boundaries"]["stop_if_responses_at_most"]) == 4


def test_boin_json_published_boundaries() -> None:
    out = _json(["boin", "--target", "0.3", "--doses", "3", "--cohorts", "4"])
    assert round(out["lambda_e"], 3) == 0.236
    by_n = {r["n"]: r for r in out["boundaries"]}
    assert by_n[3]["eliminate_if_at_least"] == 3 and by_n[12]["eliminate_if_at_least"] == 7
    assert by_n[1]["eliminate_if_at_least"] is None


def test_threeplusthree_json() -> None:
    out = _json(["threeplusthree", "--scenario", "0.05,0.1,0.3"])
    oc = out["operating_characteristics"]
    assert sum(oc["prob_select"]) + oc["prob_no_mtd"] == pytest.approx(1.0)


def test_simulate_yaml_local(tmp_path: Path) -> None:
    f = tmp_path / "grid.yaml"
    f.write_text(
        "- name: simon\n"
        "  design: {type: simon, r1: 3, n1: 9, r: 13, n: 27}\n"
        "  rates: [0.35, 0.6]\n",
        encoding="utf-8",
    )
    out = _json(["simulate", "--scenarios", str(f), "--trials", "20000", "--seed", "3"])
    assert out["backend"] == "local" and len(out["scenarios"]) == 2
    for s in out["scenarios"]:
        assert abs(s["prob_success"] - s["exact_prob_success"]) < 4 * s["mcse_success"] + 1e-9
    again = _json(["simulate", "--scenarios", str(f), "--trials", "20000", "--seed", "3"])
    assert [s["prob_success"] for s in again["scenarios"]] == [
        s["prob_success"] for s in out["scenarios"]
    ]


def test_simulate_bad_file_content(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("- design: {type: simon}\n  rate: 0.3\n", encoding="utf-8")
    result = runner.invoke(app, ["design", "simulate", "--scenarios", str(f)])
    assert result.exit_code == 2
    assert "r1" in result.output


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [("bad.yaml", "- design: {type: simon\n", "YAML syntax"), ("bad.json", "[{", "--scenarios")],
)
def test_simulate_unparsable_file(tmp_path: Path, name: str, text: str, expected: str) -> None:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["design", "simulate", "--scenarios", str(f)])
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output


def test_monitor_rule_from_protocol() -> None:
    import yaml

    from nakip.protocol import default_protocol_path

    raw = yaml.safe_load(default_protocol_path().read_text(encoding="utf-8"))
    rule = next(r for r in raw["monitoring"] if r["code"] == "toxicity")
    out = _json(["monitor", "--rule", "toxicity"])
    params = out["parameters"]
    for key in ("prior_a", "prior_b", "limit", "cutoff", "min_patients"):
        assert params[key] == rule[key]
    rows = out["boundaries"]
    assert all(r["stop_if_at_least"] is None for r in rows[: rule["min_patients"] - 1])
    override = _json(["monitor", "--rule", "toxicity", "--cutoff", "0.95", "--nmax", "12"])
    assert override["parameters"]["cutoff"] == 0.95 and override["parameters"]["nmax"] == 12


def test_unknown_rule_exits_2() -> None:
    result = runner.invoke(app, ["design", "monitor", "--rule", "no-such-rule"])
    assert result.exit_code == 2
    assert "toxicity" in result.output  # names the rules that exist


def test_malformed_scheduler_address_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "ok.yaml"
    f.write_text("- design: {type: single_stage, r: 5, n: 20}\n  rate: 0.3\n", encoding="utf-8")
    result = runner.invoke(
        app, ["design", "simulate", "--scenarios", str(f), "--scheduler", "localhost:1"]
    )
    assert result.exit_code == 2
    assert "--scheduler" in result.output
