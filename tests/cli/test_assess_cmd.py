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


# =========================================================================== every rule
def assess(command: str, records: list[dict], *args: str):  # type: ignore[no-untyped-def]
    stdin = "\n".join(json.dumps(r) for r in records) + "\n"
    return runner.invoke(app, ["assess", command, *args], input=stdin)


def test_response_accepts_edc_form_names_and_reports_responder_flags() -> None:
    """EDC form names (anc, platelets, cellularity_pct, aspirate_date) as well as the old ones;
    a CRh with ANC 0.6 / platelets 60 is no registered CR/CRi (docs/clinical-rules.md)."""
    form = {"aspirate_date": "2026-02-09", "bm_blasts_pct": 2, "pb_blasts_pct": 0, "anc": 0.6,
            "platelets": 60, "cellularity_pct": 30}  # fmt: skip
    result = assess("response", [form, CR], "--cohort", "overt")
    assert result.exit_code == 0, result.output
    crh, cr = lines(result)
    assert (crh["category"], crh["responder"], crh["responder_cr_crh_cri"]) == ("CRh", False, True)
    assert crh["assessment_date"] == "2026-02-09"
    assert (cr["category"], cr["responder"], cr["responder_definition"]) == (
        "CR", True, "cr_cri_registered",
    )  # fmt: skip


def test_response_same_value_twice_exits_2() -> None:
    result = assess("response", [{"anc": 1.0, "anc_per_nl": 1.0}], "--cohort", "overt")
    assert result.exit_code == 2 and "'anc', 'anc_per_nl'" in result.stderr


def test_response_mrd_form_names_and_not_evaluable() -> None:
    result = assess("response", [{"value": 0.02, "assay": "NGS"}], "--cohort", "mrd")
    assert result.exit_code == 0, result.output
    [out] = lines(result)
    assert (out["evaluable"], out["responder"], out["assay"]) == (False, False, "NGS")
    assert "mrd_baseline missing" in out["not_evaluable_reason"]


CRS_FORM = {"onset_date": "2026-01-20", "assessment_date": "2026-01-20",
            "antipyretics_or_anticytokine_given": True, "hypotension": "none",
            "hypoxia": "low_flow", "death_from_crs": False}  # fmt: skip


def test_crs_command() -> None:
    """Lee 2019 Table 4: premedication + low-flow O2 without fever is no CRS; no temperature
    cannot be graded (null); fever with low-flow O2 is grade 2."""
    records = [{**CRS_FORM, "fever_c": 37.1}, CRS_FORM, {**CRS_FORM, "fever_c": 38.4}]
    result = assess("crs", records)
    assert result.exit_code == 0, result.output
    assert [o["grade"] for o in lines(result)] == [0, None, 2]
    bad = assess("crs", [{**CRS_FORM, "hypoxia": "mask"}])
    assert bad.exit_code == 2 and "hypoxia" in bad.stderr


def test_icans_command() -> None:
    """Lee 2019 Table 5: ICE 5 -> 2; wakes to touch -> 3."""
    base = {"ice_score": 5, "unarousable": False, "consciousness": "normal", "seizure": "none",
            "motor_weakness": False, "raised_icp": "none"}  # fmt: skip
    result = assess("icans", [base, {**base, "consciousness": "wakes_to_touch"}])
    assert result.exit_code == 0, result.output
    assert [o["grade"] for o in lines(result)] == [2, 3]


def test_lab_command() -> None:
    """CTCAE v5.0 Anemia mmol/L: 6.2 -> 1 (with LLN), 4.9 -> 2; ANC exactly 1.0 -> 2."""
    records = [
        {"term": "anemia", "value": 6.2, "unit": "mmol/L", "lln": 7.4},
        {"term": "anemia", "value": 4.9, "unit": "mmol/L"},
        {"term": "neutrophil_count_decreased", "value": 1000, "unit": "/uL",
         "baseline_value": 1600, "lln": 1800},
    ]  # fmt: skip
    result = assess("lab", records)
    assert result.exit_code == 0, result.output
    out = lines(result)
    assert [o["grade"] for o in out] == [1, 2, 2]
    assert (out[2]["baseline_grade"], out[2]["worsened"]) == (1, True)
    bad = assess("lab", [{"term": "anemia", "value": 6.2, "unit": "mg/dL"}])
    assert bad.exit_code == 2 and "unit" in bad.stderr


AE = {"term": "Pneumonitis", "ctcae_grade": 3, "attribution_talazoparib": "possible",
      "attribution_nk": "unlikely", "category": "nonhematologic",
      "treatment_start_date": "2026-01-12", "first_nk_date": "2026-01-19"}  # fmt: skip


def test_dlt_command_window_day_1_and_last_day() -> None:
    """DLT window: talazoparib C1D1 (day 1) to first NK + 28 days (2026-02-16) inclusive."""
    days = ["2026-01-11", "2026-01-12", "2026-02-16", "2026-02-17"]
    result = assess("dlt", [{**AE, "onset_date": d} for d in days])
    assert result.exit_code == 0, result.output
    out = lines(result)
    assert [(o["is_dlt"], o["in_window"]) for o in out] == [
        (False, False), (True, True), (True, True), (False, False),
    ]  # fmt: skip
    assert out[1]["window"] == {"start": "2026-01-12", "end": "2026-02-16"}
    missing = assess("dlt", [{**AE, "onset_date": "2026-01-12", "treatment_start_date": None}])
    assert missing.exit_code == 2 and "treatment_start_date" in missing.stderr


SCREENING = {"consent_signed": True, "diagnosis": "AML_de_novo", "apl": False, "prior_lines": 1,
             "prior_hsct": False, "prior_intensive_therapy": False,
             "prior_palliative_drug": "venetoclax", "last_therapy_kind": "investigational",
             "last_therapy_half_life_days": 2.5, "days_since_last_therapy": 13, "age_years": 70,
             "ecog": 1, "childbearing_potential": False, "active_gvhd_grade": 0,
             "creatinine_clearance_ml_min": 70, "worst_liver_x_uln_exceeds": False,
             "active_cns_disease": False, "pregnant_or_breastfeeding": False,
             "systemic_immunosuppression": False, "uncontrolled_infection": False,
             "unsafe_condition": False, "relapsed_or_refractory": True, "bm_blasts_pct": 12,
             "pb_blasts_pct": 3}  # fmt: skip


def test_eligibility_command() -> None:
    """Washout 13 days >= 5 x 2.5-day half-life: eligible (IN4b); --cohort mrd is not it."""
    result = assess("eligibility", [SCREENING], "--cohort", "mrd")
    assert result.exit_code == 0, result.output
    [out] = lines(result)
    assert (out["status"], out["cohort"], out["eligible_for_requested"]) == (
        "eligible", "overt", False,
    )  # fmt: skip
    in4b = next(c for c in out["criteria"] if c["id"] == "IN4b")
    assert in4b["status"] == "met"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"ecog": "1"}, "ecog"), ({"diagnosis": "AML"}, "diagnosis"), ({"blasts": 3}, "blasts")],
)
def test_eligibility_bad_field_exits_2(change: dict, field: str) -> None:
    result = assess("eligibility", [{**SCREENING, **change}])
    assert result.exit_code == 2 and field in result.stderr and result.stdout == ""


def test_events_command() -> None:
    """ELN 2022 Table 9: responder censored at the last follow-up with blood counts."""
    history = {
        "enrolment_date": "2026-01-12",
        "responses": [{"date": "2026-02-09", "category": "CR"}],
        "last_assessment_date": "2026-07-01",
        "last_known_alive_date": "2026-09-01",
    }
    result = assess("events", [history], "--cohort", "overt")
    assert result.exit_code == 0, result.output
    [out] = lines(result)
    assert (out["efs_event"], out["efs_date"], out["rfs_date"]) == (
        False, "2026-07-01", "2026-09-01",
    )  # fmt: skip
    assert [r["endpoint"] for r in out["rows"]] == ["OS", "EFS", "RFS", "CIR", "CID"]
    bad = assess("events", [{**history, "responses": [{"date": "2026-02-09", "category": "X"}]}],
                 "--cohort", "overt")  # fmt: skip
    assert bad.exit_code == 2 and "responses.0.category" in bad.stderr
    none = assess("events", [history])
    assert none.exit_code == 2 and "cohort" in none.stderr
