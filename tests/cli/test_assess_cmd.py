"""`nakip assess response`: JSON records in, one JSON line per record out; bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nakip.cli.main  # noqa: F401  (registers every command)
from nakip.cli.apps import app

runner = CliRunner()

CR = {"bm_blasts_pct": 2, "pb_blasts_pct": 0, "anc_per_nl": 1.0, "platelets_per_nl": 100}


def run(args: list[str], stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["assess", "response", *args], input=stdin)


def lines(result) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(x) for x in result.stdout.splitlines() if x.strip()]


def test_overt_from_stdin_one_object() -> None:
    """ELN 2022 Table 6: marrow < 5 %, no blood blasts, ANC 1.0, platelets 100 -> CR."""
    result = run(["--cohort", "overt"], json.dumps(CR))
    assert result.exit_code == 0, result.output
    [out] = lines(result)
    assert out["category"] == "CR" and out["cohort"] == "overt"
    assert out["rule"].startswith("ELN 2022 Table 6: CR")
    assert out["missing"] == []


def test_pretty_printed_single_object_and_dash() -> None:
    result = run(["-", "--cohort", "overt"], json.dumps(CR, indent=2))
    assert result.exit_code == 0, result.output
    assert [o["category"] for o in lines(result)] == ["CR"]


def test_json_lines_file_one_output_line_per_record(tmp_path: Path) -> None:
    """Records of both cohorts; the record's own cohort wins over --cohort."""
    f = tmp_path / "in.jsonl"
    records = [
        CR,
        {"bm_blasts_pct": 1},
        {"bm_blasts_pct": 25, "baseline_bm_blasts_pct": 10},
        {"cohort": "mrd", "mrd_baseline": 1.0, "mrd_value": 0.1, "mrd_assay": "qPCR"},
        {"cohort": "mrd", "mrd_baseline": 1.0, "mrd_value": 0.0, "mrd_lod": 0.001},
    ]
    f.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    result = run([str(f), "--cohort", "overt"])
    assert result.exit_code == 0, result.output
    out = lines(result)
    assert [o["cohort"] for o in out] == ["overt", "overt", "overt", "mrd", "mrd"]
    assert [o.get("category") for o in out[:3]] == ["CR", "NE", "PD"]
    assert out[1]["missing"] == ["pb_blasts_pct", "anc_per_nl", "platelets_per_nl"]
    # exactly -1 log10 is not a response (strict); the LOD bound -3 is
    assert (out[3]["log10_change"], out[3]["responder"], out[3]["assay"]) == (-1.0, False, "qPCR")
    assert (out[4]["log10_change"], out[4]["is_bound"], out[4]["responder"]) == (-3.0, True, True)


def test_mrd_cohort_option_and_undetectable_query() -> None:
    result = run(["--cohort", "mrd"], json.dumps({"mrd_baseline": 0.5, "mrd_value": 0}))
    assert result.exit_code == 0, result.output
    [out] = lines(result)
    assert out["log10_change"] is None and out["responder"] is False and out["query"]


def test_missing_cohort_exits_2_naming_line() -> None:
    result = run([], json.dumps(CR))
    assert result.exit_code == 2
    assert "line 1" in result.stderr and "cohort" in result.stderr


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"bm_blasts_pct": "3"}, "bm_blasts_pct"),  # string for a number
        ({"bm_blasts_pct": True}, "bm_blasts_pct"),  # JSON boolean is not a number
        ({"extramedullary_disease": 1}, "extramedullary_disease"),  # number for a bool
        ({"blasts": 3}, "blasts"),  # unknown field
        ({"mrd_assay": "PCR"}, "mrd_assay"),
        ({"bm_blasts_pct": 120}, "bm_blasts_pct"),  # impossible value (clinical ValueError)
        ({"anc_per_nl": -1}, "anc_per_nl"),
    ],
)
def test_bad_record_exits_2_naming_field_and_line(record: dict, field: str) -> None:
    stdin = json.dumps(CR) + "\n" + json.dumps(record) + "\n"
    result = run(["--cohort", "overt"], stdin)
    assert result.exit_code == 2
    assert "line 2" in result.stderr and field in result.stderr
    assert result.stdout == ""  # nothing is written when any record is bad


def test_nan_is_refused() -> None:
    result = run(["--cohort", "overt"], '{"bm_blasts_pct": NaN}')
    assert result.exit_code == 2 and "bm_blasts_pct" in result.stderr


def test_invalid_json_and_non_object() -> None:
    bad = run(["--cohort", "overt"], json.dumps(CR) + "\n{oops\n")
    assert bad.exit_code == 2 and "line 2" in bad.stderr
    arr = run(["--cohort", "overt"], "[1, 2]")
    assert arr.exit_code == 2 and "JSON object" in arr.stderr


def test_bad_cohort_option_and_missing_file(tmp_path: Path) -> None:
    assert run(["--cohort", "both"], json.dumps(CR)).exit_code == 2
    missing = run([str(tmp_path / "nope.json"), "--cohort", "overt"])
    assert missing.exit_code == 2 and "FILE" in missing.stderr
    empty = run(["--cohort", "overt"], "\n")
    assert empty.exit_code == 2
