"""Safety events the virtual patients file beyond the model's DLT: seriousness with expedited
reports, acute GVHD after the allogeneic NK product, and hepatic toxicity written into the
chemistry panel. Checked on the plan (no database) with the clinical rules the EDC applies:
MAGIC staging (`nakip.clinical.gvhd`), CTCAE grading relative to ULN (`nakip.clinical.ctcae`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from nakip.clinical import ctcae
from nakip.clinical.gvhd import stage_gvhd
from nakip.sim.patients import Scenario, VirtualTrial, generate_trial
from nakip.sim.patients.serious_events import NONHAEMATOLOGICAL, safety_spec

CUT = date(2026, 11, 25)
CRITERIA = ("sae_death", "sae_life_threatening", "sae_hospitalisation", "sae_disability",
            "sae_congenital_anomaly", "sae_medically_important")  # fmt: skip


@pytest.fixture(scope="module")
def trial() -> VirtualTrial:
    # the toxic scenario (45 % DLTs) so every DLT kind, GVHD grade II included, occurs
    return generate_trial(Scenario(patients_per_cohort=27, seed=16, scenario="toxic"), CUT)


def _aes(trial: VirtualTrial) -> list:
    return [e for p in trial.patients() for e in p.entries if e.form_code == "adverse_event"]


def test_serious_events_tick_a_criterion_and_carry_their_reports(trial: VirtualTrial) -> None:
    aes = _aes(trial)
    serious = [e for e in aes if e.values["serious"]]
    assert len(serious) >= 10
    for e in aes:
        ticked = [c for c in CRITERIA if e.values.get(c)]
        assert bool(ticked) == e.values["serious"], e.values
        assert bool(e.sae_reports) <= e.values["serious"]  # only serious events are reported
    late = 0
    for e in serious:
        kinds = [r["report_type"] for r in e.sae_reports]
        assert kinds in (["initial"], ["initial", "follow_up"]) or (
            not kinds and e.entry_date >= CUT - timedelta(days=4)  # notice due after the cut
        )
        if kinds:
            first = e.sae_reports[0]
            aware = datetime.fromisoformat(first["site_aware_at"])
            sent = datetime.fromisoformat(first["sponsor_notified_at"])
            assert aware.date() >= date.fromisoformat(e.values["onset_date"])
            assert sent > aware
            late += (sent - aware).total_seconds() > 24 * 3600
        if len(kinds) == 2:
            follow = e.sae_reports[1]
            assert follow["site_aware_at"] > first["sponsor_notified_at"]
            assert follow["event_ongoing"] == (e.values["outcome"] not in ("recovered", "fatal"))
            if e.values.get("resolution_date"):
                assert follow["site_aware_at"][:10] > e.values["resolution_date"]
    assert 0 < late < len(serious) / 2  # now and then late (rate 0.1), mostly on time


def test_grade_3_nonhaematological_events_are_hospitalised_now_and_then(
    trial: VirtualTrial,
) -> None:
    drawn = [
        e.values for e in _aes(trial)
        if e.values["ctcae_grade"] == 3 and e.values["category"] in NONHAEMATOLOGICAL
        and e.values["term"] in ("Nausea", "Diarrhea", "Alanine aminotransferase increased")
    ]  # fmt: skip
    hospital = sum(bool(v.get("sae_hospitalisation")) for v in drawn)
    assert len(drawn) >= 6 and 0 < hospital < len(drawn)  # probability 0.5 per event
    for v in _aes(trial):
        if v.values["ctcae_grade"] < 3 and v.values["category"] != "agvhd":
            assert not v.values["serious"]  # low-grade events are not hospitalised


def test_gvhd_forms_stage_to_the_intended_grade(trial: VirtualTrial) -> None:
    grades = []
    for p in trial.patients():
        worst = 0
        for e in p.entries:
            if e.form_code == "gvhd":
                v = e.values
                st = stage_gvhd(
                    v["rash_bsa_pct"], v["bilirubin"], v["persistent_nausea_vomiting_anorexia"],
                    None, v["stool_episodes_per_day"], v["severe_pain_ileus_or_bloody_stool"],
                )  # fmt: skip
                worst = max(worst, st.grade)
        assert worst == p.truth.gvhd_grade
        if worst >= 2:  # grade II is a DLT (agvhd_min_grade 2)
            assert p.truth.dlt
            agvhd = [e for e in p.entries if e.form_code == "adverse_event"
                     and e.values["category"] == "agvhd"]  # fmt: skip
            assert agvhd and agvhd[0].values["serious"] and agvhd[0].sae_reports
        grades.append(worst)
    assert 2 in grades  # the toxic scenario draws GVHD DLTs
    assert grades.count(0) > len(grades) * 0.8  # GVHD stays rare


def test_hepatic_adverse_events_match_the_chemistry_grade(trial: VirtualTrial) -> None:
    seen = set()
    for p in trial.patients():
        chem = {e.entry_date: e.values for e in p.entries if e.form_code == "chemistry"}
        base = next(e.values for e in p.entries if e.form_code == "chemistry")
        for e in p.entries:
            v = e.values
            if e.form_code != "adverse_event" or not v["term"].startswith("Alanine"):
                continue
            lab = chem[date.fromisoformat(v["onset_date"])]
            g = ctcae.grade_uln("alt_increased", lab["alt"], lab["alt_uln"], base["alt"])
            assert g.grade == v["ctcae_grade"], (lab, v)
            seen.add(g.grade)
    assert seen == {2, 3}  # transient grade 2 and the grade 3 DLT both occur


def test_every_safety_parameter_says_where_it_comes_from() -> None:
    spec = safety_spec()
    for name, entry in spec.items():
        assert isinstance(entry, dict), name
        if "value" in entry or "weights" in entry:  # ranges carry a comment in the file
            assert entry.get("source") or entry.get("rationale"), name
    assert abs(sum(spec["dlt_kinds"]["weights"].values()) - 1.0) < 1e-9


def test_severe_icans_grades_3_and_is_a_serious_event(trial: VirtualTrial) -> None:
    from nakip.clinical.crs_icans import ICANSSigns, grade_icans

    severe = 0
    for p in trial.patients():
        for e in p.entries:
            if e.form_code == "icans" and not e.visit_code:  # the unscheduled assessment
                v = e.values
                signs = ICANSSigns(v["ice_score"], v["unarousable"], v["consciousness"],
                                   v["seizure"], v["motor_weakness"], v["raised_icp"])  # fmt: skip
                assert grade_icans(signs).grade == 3  # ASTCT 2019: ICE 0-2 / wakes to touch
                ae = [a for a in p.entries if a.form_code == "adverse_event"
                      and a.values["category"] == "icans"]  # fmt: skip
                assert ae and ae[0].values["serious"] and ae[0].values["ctcae_grade"] == 3
                assert p.truth.dlt
                severe += 1
    assert severe >= 1
