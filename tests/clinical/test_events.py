"""OS/EFS/RFS/CIR event and censoring dates (ELN 2022, Döhner et al. Blood 2022, Table 9;
docs/clinical-rules.md) with the packaged protocol: landmark day 180, overt events treatment
failure/relapse/death, MRD events relapse/MRD progression/death. Expected days are computed by
hand from the dates (enrolment = day 0; ELN's day-1 event = 1 day at the enrolment date)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from nakip.clinical.events import SubjectHistory, derive_events, overall_survival
from nakip.protocol import load_protocol

E = date(2025, 1, 6)  # enrolment


def d(day: int) -> date:
    """Date of a day counted from enrolment = day 0."""
    return E + timedelta(days=day)


def overt(**kw):
    return derive_events(SubjectHistory(E, **kw), "overt")


def test_landmark_comes_from_protocol() -> None:
    assert load_protocol().response_criteria.eln2022.response_landmark_days == 180


# ---------------------------------------------------------------------------- OS
def test_os_death_and_censoring() -> None:
    r = overt(responses=[(d(29), "PD")], death_date=d(75))
    assert (r.os_event, r.os_date, r.os_days) == (True, d(75), 75)
    r2 = overt(responses=[(d(29), "CR")], last_known_alive_date=d(400))
    assert (r2.os_event, r2.os_date, r2.os_days) == (False, d(400), 400)


def test_os_last_known_alive_defaults_to_latest_date() -> None:
    ev, when, days, reason = overall_survival(
        SubjectHistory(E, responses=[(d(29), "CR")], last_assessment_date=d(113))
    )
    assert (ev, when, days) == (False, d(113), 113) and "censored" in reason


# ---------------------------------------------------------------------------- EFS overt
def test_responder_relapse_is_event_at_relapse() -> None:
    r = overt(responses=[(d(29), "CRi"), (d(85), "CR")], relapse_date=d(240), death_date=d(300))
    assert (r.efs_event, r.efs_date, r.efs_days) == (True, d(240), 240)
    assert "relapse" in r.efs_reason


def test_responder_death_without_relapse() -> None:
    r = overt(responses=[(d(29), "CRh")], death_date=d(150))
    assert (r.efs_event, r.efs_date, r.efs_days) == (True, d(150), 150)
    assert r.efs_reason.startswith("death")


def test_responder_censored_at_last_response_assessment() -> None:
    r = overt(
        responses=[(d(29), "CR"), (d(85), "CR"), (d(113), "CR")], last_known_alive_date=d(500)
    )
    assert (r.efs_event, r.efs_date, r.efs_days) == (False, d(113), 113)
    r2 = overt(responses=[(d(29), "CR")], last_assessment_date=d(200), last_known_alive_date=d(500))
    assert (r2.efs_event, r2.efs_date) == (False, d(200))


def test_treatment_failure_is_event_at_day_1() -> None:
    r = overt(
        responses=[(d(29), "SD"), (d(85), "PR"), (d(113), "PD")], last_known_alive_date=d(250)
    )
    assert (r.efs_event, r.efs_date, r.efs_days) == (True, E, 1)
    assert "treatment failure" in r.efs_reason


def test_pr_and_mlfs_are_not_remission() -> None:
    for cat in ("PR", "MLFS"):
        r = overt(responses=[(d(29), cat)], last_known_alive_date=d(200))
        assert (r.efs_event, r.efs_days) == (True, 1)


@pytest.mark.parametrize(("remission_day", "event"), [(180, False), (181, True)])
def test_remission_on_landmark_day_counts(remission_day: int, event: bool) -> None:
    r = overt(responses=[(d(29), "SD"), (d(remission_day), "CR")], last_known_alive_date=d(300))
    assert r.efs_event is event
    assert r.efs_days == (1 if event else remission_day)


def test_death_before_landmark_without_assessment_is_event_day_1() -> None:
    r = overt(death_date=d(20))
    assert (r.efs_event, r.efs_date, r.efs_days) == (True, E, 1)
    assert "without response assessment" in r.efs_reason
    assert (r.os_event, r.os_days) == (True, 20)


@pytest.mark.parametrize("death_day", [179, 180, 181])
def test_death_around_landmark_without_remission(death_day: int) -> None:
    r = overt(responses=[(d(29), "PD")], death_date=d(death_day))
    assert (r.efs_event, r.efs_date, r.efs_days) == (True, E, 1)
    # on or before the landmark it is "death before the landmark"; after, plain failure
    assert ("death before the landmark" in r.efs_reason) is (death_day <= 180)


def test_alive_non_evaluable_at_landmark_then_death_is_censored_day_1() -> None:
    """ELN 2022 Table 9 (revised): alive and non-evaluable at the landmark -> censored at day 1,
    even if death comes later."""
    for responses in ([], [(d(29), "NE")]):
        r = overt(responses=responses, death_date=d(200))
        assert (r.efs_event, r.efs_date, r.efs_days) == (False, E, 1)
        assert "non-evaluable" in r.efs_reason
    r2 = overt(responses=[(d(29), "NE")], death_date=d(180))  # death on the landmark day
    assert (r2.efs_event, r2.efs_days) == (True, 1)


def test_alive_non_evaluable_censored_at_day_1() -> None:
    for responses in ([], [(d(29), "NE")]):
        r = overt(responses=responses, last_known_alive_date=d(300))
        assert (r.efs_event, r.efs_date, r.efs_days) == (False, E, 1)
        assert "non-evaluable" in r.efs_reason


def test_before_landmark_without_remission_censored_at_last_assessment() -> None:
    r = overt(responses=[(d(29), "SD"), (d(85), "PR")], last_known_alive_date=d(100))
    assert (r.efs_event, r.efs_date, r.efs_days) == (False, d(85), 85)
    # last known alive exactly on the landmark: the landmark is reached -> failure
    r2 = overt(responses=[(d(29), "SD")], last_known_alive_date=d(180))
    assert (r2.efs_event, r2.efs_days) == (True, 1)


def test_failure_not_at_day_1_option() -> None:
    p = load_protocol()
    efs = p.time_to_event.efs["overt"].model_copy(update={"treatment_failure_at_day_1": False})
    tte = p.time_to_event.model_copy(update={"efs": {**p.time_to_event.efs, "overt": efs}})
    p2 = p.model_copy(update={"time_to_event": tte})
    r = derive_events(
        SubjectHistory(E, responses=[(d(29), "SD")], last_known_alive_date=d(300)), "overt", p2
    )
    assert (r.efs_event, r.efs_date, r.efs_days) == (True, d(180), 180)
    r2 = derive_events(SubjectHistory(E, responses=[(d(29), "PD")], death_date=d(60)), "overt", p2)
    assert (r2.efs_event, r2.efs_days) == (True, 60)


# ---------------------------------------------------------------------------- EFS MRD
def mrd(**kw):
    return derive_events(SubjectHistory(E, **kw), "mrd")


def test_mrd_events_and_no_day_1_event() -> None:
    r = mrd(responses=[(d(29), "CR")], mrd_progression_date=d(90), relapse_date=d(150))
    assert (r.efs_event, r.efs_date, r.efs_days) == (True, d(90), 90)
    assert "MRD progression" in r.efs_reason
    r2 = mrd(responses=[(d(29), "CR")], relapse_date=d(150), death_date=d(160))
    assert (r2.efs_event, r2.efs_days) == (True, 150)
    r3 = mrd(death_date=d(40))
    assert (r3.efs_event, r3.efs_date, r3.efs_days) == (True, d(40), 40)


def test_mrd_censored_at_last_assessment() -> None:
    r = mrd(responses=[(d(29), "CR"), (d(113), "CR")], last_known_alive_date=d(300))
    assert (r.efs_event, r.efs_date, r.efs_days) == (False, d(113), 113)
    # never assessed: censored at enrolment (day 0), not a day-1 event
    r2 = mrd(last_known_alive_date=d(10))
    assert (r2.efs_event, r2.efs_days) == (False, 0)


def test_overt_ignores_mrd_progression() -> None:
    r = overt(responses=[(d(29), "CR")], mrd_progression_date=d(60), last_known_alive_date=d(90))
    assert (r.efs_event, r.efs_days) == (False, 29)


# ---------------------------------------------------------------------------- RFS / CIR
def test_rfs_cir_relapse() -> None:
    r = overt(responses=[(d(29), "SD"), (d(85), "CRi")], relapse_date=d(200), death_date=d(250))
    assert r.rfs_start == d(85)
    assert (r.rfs_event, r.rfs_date, r.rfs_days) == (True, d(200), 115)
    assert (r.cir_code, r.cir_date, r.cir_days) == (1, d(200), 115)


def test_rfs_cir_death_is_competing() -> None:
    r = overt(responses=[(d(29), "CR")], death_date=d(100))
    assert (r.rfs_event, r.rfs_days) == (True, 71)
    assert (r.cir_code, r.cir_days) == (2, 71)


def test_rfs_cir_censored() -> None:
    """ELN 2022 Table 9: RFS censored on the date last known alive; CIR on the date last
    assessed for response."""
    r = overt(responses=[(d(29), "CR"), (d(113), "CR")], last_known_alive_date=d(400))
    assert (r.rfs_event, r.rfs_date, r.rfs_days) == (False, d(400), 371)
    assert (r.cir_code, r.cir_date, r.cir_days) == (0, d(113), 84)


def test_rfs_not_defined_for_non_responders() -> None:
    r = overt(responses=[(d(29), "PR")], last_known_alive_date=d(60))
    assert r.rfs_start is None and r.rfs_event is None and r.cir_code is None


def test_rfs_after_late_remission_while_efs_is_failure() -> None:
    r = overt(responses=[(d(29), "SD"), (d(200), "CR")], last_known_alive_date=d(300))
    assert (r.efs_event, r.efs_days) == (True, 1)
    assert r.rfs_start == d(200) and r.cir_code == 0


def test_mrd_rfs_from_enrolment() -> None:
    r = mrd(relapse_date=d(120))
    assert (r.rfs_start, r.rfs_days, r.cir_code) == (E, 120, 1)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"death_date": d(-1)}, "death_date"),
        ({"responses": [(d(-3), "CR")]}, r"responses\[0\]"),
        ({"responses": [(d(3), "CRR")]}, r"responses\[0\].category"),
        ({"responses": [("2025-02-01", "CR")]}, r"responses\[0\].date"),
        ({"responses": [(d(3),)]}, r"responses\[0\]"),
        ({"responses": [(d(50), "CR")], "death_date": d(40)}, r"responses\[0\].date"),
        ({"last_known_alive_date": d(10), "last_assessment_date": d(20)}, "last_known_alive"),
        ({"relapse_date": d(50)}, "relapse_date"),  # relapse without remission
        ({"responses": [(d(60), "CR")], "relapse_date": d(50)}, "relapse_date"),
        ({"death_date": "2025-05-01"}, "death_date"),
    ],
)
def test_bad_input_names_field(kw: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        overt(**kw)


def test_missing_enrolment_and_unknown_cohort() -> None:
    with pytest.raises(ValueError, match="enrolment_date"):
        derive_events(SubjectHistory(None), "overt")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cohort"):
        derive_events(SubjectHistory(E), "phase3")


def test_datetimes_are_taken_as_dates_and_to_dict() -> None:
    r = derive_events(
        SubjectHistory(datetime(2025, 1, 6, 9, 30), death_date=datetime(2025, 1, 26, 8)), "overt"
    )
    assert r.os_days == 20
    out = r.to_dict()
    assert out["os_date"] == "2025-01-26" and out["efs_days"] == 1


# ---------------------------------------------------------------------------- revised censoring
def test_efs_responder_censored_at_follow_up_remission_visit() -> None:
    """ELN 2022 Table 9 (revised): a responder is censored on the date last assessed for
    response, a follow-up visit with blood counts included (day 293), not at the last protocol
    marrow (day 113) — the same visits that would have found a relapse."""
    r = overt(responses=[(d(29), "CR"), (d(113), "CR")], last_assessment_date=d(293),
              last_known_alive_date=d(300))  # fmt: skip
    assert (r.efs_event, r.efs_date, r.efs_days) == (False, d(293), 293)
    assert "last assessed for response" in r.efs_reason
    assert (r.cir_code, r.cir_date) == (0, d(293))
    relapsed = overt(responses=[(d(29), "CR"), (d(113), "CR")], relapse_date=d(293),
                     last_known_alive_date=d(300))  # fmt: skip
    assert (relapsed.efs_event, relapsed.efs_days) == (True, 293)


def test_cir_death_competes_and_cid_is_its_mirror() -> None:
    """CIR: death without relapse is the competing event (status 2); CID counts it as the
    event and relapse as competing."""
    r = overt(responses=[(d(29), "CRi")], death_date=d(150))
    rows = {row.endpoint: row for row in r.rows()}
    assert set(rows) == {"OS", "EFS", "RFS", "CIR", "CID"}
    assert (rows["CIR"].status, rows["CIR"].event, rows["CIR"].days) == (2, False, 121)
    assert (rows["CID"].status, rows["CID"].event) == (1, True)
    assert (rows["RFS"].event, rows["RFS"].date) == (True, d(150))
    rel = overt(responses=[(d(29), "CR")], relapse_date=d(90), last_known_alive_date=d(120))
    rrows = {row.endpoint: row for row in rel.rows()}
    assert (rrows["CIR"].status, rrows["CID"].status) == (1, 2)
    assert rrows["OS"].to_dict() == {
        "endpoint": "OS", "origin_date": E.isoformat(), "date": d(120).isoformat(),
        "days": 120, "event": False, "status": 0, "reason": "censored: last known alive",
    }  # fmt: skip


def test_rows_of_a_non_responder_have_os_and_efs_only() -> None:
    r = overt(responses=[(d(29), "SD")], last_known_alive_date=d(200))
    assert [row.endpoint for row in r.rows()] == ["OS", "EFS"]
