"""The NAKIP-AML protocol file validates, holds the registered numbers, and bad files are named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nakip.protocol import ProtocolError, load_protocol, parse_protocol
from nakip.protocol.loader import default_protocol_path


@pytest.fixture(scope="module")
def text() -> str:
    return default_protocol_path().read_text(encoding="utf-8")


def _mutated(text: str, edit) -> str:
    data = yaml.safe_load(text)
    edit(data)
    return yaml.safe_dump(data, sort_keys=False)


def test_packaged_protocol_validates() -> None:
    proto = load_protocol()
    assert proto.trial.registry_id == "NCT05319249"
    assert [c.code for c in proto.cohorts] == ["overt", "mrd"]


def test_registered_numbers() -> None:
    """Registry NCT05319249: 35 % vs 60 %, < 20 % blasts, > 3-fold MRD rise, 1 mg talazoparib."""
    proto = load_protocol()
    for cohort in proto.cohorts:
        assert (cohort.design.p0, cohort.design.p1) == (0.35, 0.60)
    overt = proto.cohort("overt")
    assert overt.overt_entry is not None
    assert overt.overt_entry.bm_blasts_below_pct == 20
    assert overt.overt_entry.pb_blasts_below_pct == 20
    assert overt.primary_endpoint.responder_definition == "cr_cri_registered"
    mrd = proto.cohort("mrd")
    assert mrd.mrd_entry is not None and mrd.mrd_entry.rise_fold_above == 3
    assert proto.response_criteria.mrd.responder_log10_decrease_above == 1.0
    assert proto.treatment.talazoparib.dose_mg == 1.0
    ages = [c for c in proto.eligibility.inclusion if c.check and c.check[0].field == "age_years"]
    assert ages[0].check[0].op == ">=" and ages[0].check[0].value == 18


def test_unknown_cohort_is_named() -> None:
    with pytest.raises(KeyError, match="known: overt, mrd"):
        load_protocol().cohort("pediatric")


def test_every_error_is_reported_with_its_line(text: str) -> None:
    def edit(d: dict) -> None:
        d["cohorts"][0]["design"]["p0"] = 0.7  # above p1
        d["cohorts"][1]["design"]["alpha"] = 1.5  # outside (0, 1)
        d["treatment"]["talazoparib"]["dose_mg"] = -1

    bad = _mutated(text, edit)
    with pytest.raises(ProtocolError) as info:
        parse_protocol(bad, "bad.yaml")
    issues = info.value.issues
    locations = {i.location for i in issues}
    assert "cohorts.mrd.design.alpha" in locations
    assert "treatment.talazoparib.dose_mg" in locations
    assert any("p0 (0.7) must be below p1" in i.message for i in issues)
    lines = bad.splitlines()
    for issue in issues:
        assert issue.line is not None and issue.path == "bad.yaml"
    alpha = next(i for i in issues if i.location == "cohorts.mrd.design.alpha")
    assert lines[alpha.line - 1].strip().startswith("alpha:")


def test_unknown_key_is_an_error(text: str) -> None:
    bad = _mutated(text, lambda d: d["trial"].update(sponsr="typo"))
    with pytest.raises(ProtocolError, match="sponsr"):
        parse_protocol(bad)


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_protocol("schema_version: 1\ntrial: [unclosed\n", "x.yaml")
    assert info.value.issues[0].line is not None
    assert "YAML syntax" in info.value.issues[0].message


def test_duplicate_key_is_an_error() -> None:
    with pytest.raises(ProtocolError, match="duplicate key 'trial'"):
        parse_protocol("schema_version: 1\ntrial: {}\ntrial: {}\n")


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="empty"):
        parse_protocol("")
    with pytest.raises(ProtocolError):
        load_protocol(tmp_path / "nope.yaml")


def test_duplicate_criterion_ids_rejected(text: str) -> None:
    def edit(d: dict) -> None:
        d["eligibility"]["exclusion"][0]["id"] = "IN1"

    with pytest.raises(ProtocolError, match="duplicate criterion ids: IN1"):
        parse_protocol(_mutated(text, edit))


def test_visits_must_be_in_day_order(text: str) -> None:
    def edit(d: dict) -> None:
        visits = d["schedule"]["visits"]
        visits[0], visits[1] = visits[1], visits[0]

    with pytest.raises(ProtocolError, match="study-day order"):
        parse_protocol(_mutated(text, edit))


def test_planned_design_must_be_ordered(text: str) -> None:
    def edit(d: dict) -> None:
        d["cohorts"][0]["design"]["planned"] = {"r1": 9, "n1": 9, "r": 13, "n": 27}

    with pytest.raises(ProtocolError, match="r1 < n1 < n"):
        parse_protocol(_mutated(text, edit))


def test_missing_efs_definition_for_a_cohort(text: str) -> None:
    with pytest.raises(ProtocolError, match="lacks cohort"):
        parse_protocol(_mutated(text, lambda d: d["time_to_event"]["efs"].pop("mrd")))


def test_judgement_criterion_needs_confirm_field(text: str) -> None:
    def edit(d: dict) -> None:
        d["eligibility"]["exclusion"][-1].pop("confirm_field")

    with pytest.raises(ProtocolError, match="confirm_field"):
        parse_protocol(_mutated(text, edit))


def test_error_names_field_path_and_line(text: str) -> None:
    """`cohorts.overt.design.p0: must be < 1 (line N)`: list items named by their code."""
    bad = _mutated(text, lambda d: d["cohorts"][0]["design"].update(p0=1.2))
    with pytest.raises(ProtocolError) as info:
        parse_protocol(bad, "bad.yaml")
    [issue] = [i for i in info.value.issues if i.location == "cohorts.overt.design.p0"]
    line = next(n for n, t in enumerate(bad.splitlines(), 1) if t.strip().startswith("p0: 1.2"))
    assert str(issue) == f"cohorts.overt.design.p0: must be < 1 (line {line})"
    assert str(info.value).startswith("bad.yaml: ")


def test_forms_are_named_by_code_and_version(text: str) -> None:
    def edit(d: dict) -> None:
        form = next(f for f in d["forms"] if f["code"] == "screening" and f["version"] == 2)
        form["fields"][0]["type"] = "number"

    with pytest.raises(ProtocolError) as info:
        parse_protocol(_mutated(text, edit), "bad.yaml")
    [issue] = info.value.issues
    assert issue.location == "forms.screening.v2.fields.consent_signed.type"
    assert issue.message.startswith("must be one of")


def test_responder_definition_is_validated(text: str) -> None:
    """The primary responder definition is a named option: unknown values are errors."""

    def edit(d: dict) -> None:
        d["cohorts"][0]["primary_endpoint"]["responder_definition"] = "cr_crh"

    with pytest.raises(ProtocolError) as info:
        parse_protocol(_mutated(text, edit), "bad.yaml")
    [issue] = info.value.issues
    assert issue.location == "cohorts.overt.primary_endpoint.responder_definition"
    assert "cr_cri_registered" in issue.message

    def mrd(d: dict) -> None:
        d["cohorts"][1]["primary_endpoint"]["responder_definition"] = "cr_only"

    with pytest.raises(ProtocolError, match="ELN 2022 endpoint only"):
        parse_protocol(_mutated(text, mrd), "bad.yaml")


def test_dlt_window_in_words() -> None:
    """The packaged window: talazoparib C1D1 through 28 days after the first NK infusion."""
    d = load_protocol().safety.dlt
    assert d.window_description == (
        "from the first talazoparib dose (C1D1) through 28 days after the first NK-cell infusion"
    )
    legacy = d.model_copy(update={"window_start": "first_nk_infusion",
                                  "window_end_anchor": "window_start"})  # fmt: skip
    assert legacy.window_description == "28 days from the first NK-cell infusion"
