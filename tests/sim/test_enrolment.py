"""Monitoring acts as data arrive: the toxic scenario stops a cohort exactly where the design
table of nakip.stats.bayes_monitor says, the Simon stage-1 look pauses accrual and stops a
futile cohort, and nothing is enrolled in a cohort after it stopped."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd

from nakip.analysis.design_choice import chosen_design
from nakip.protocol import load_protocol
from nakip.sim.patients import Scenario, generate_trial
from nakip.stats.bayes_monitor import BayesianToxicityMonitor

CUT = date(2026, 11, 25)
PROTO = load_protocol()


def _design_table_stop(dlts: list[bool], nmax: int) -> int | None:
    """First n where the DLTs among the first n reach the table's `stop_if_at_least`."""
    rule = next(r for r in PROTO.monitoring if r.event == "dlt")
    table = BayesianToxicityMonitor(
        rule.prior_a, rule.prior_b, rule.limit, rule.cutoff, nmax, rule.min_patients
    ).boundaries
    x = 0
    for n, e in enumerate(dlts, start=1):
        x += e
        b = table.loc[n, "stop_if_at_least"]
        if not pd.isna(b) and x >= int(b):
            return n
    return None


def test_toxic_scenario_stops_where_the_design_table_predicts() -> None:
    window = PROTO.safety.dlt.window_days
    first_infusion = PROTO.treatment.nk_cells.infusion_days[0] - 1
    stopped = 0
    for seed in (1, 2, 3):
        trial = generate_trial(Scenario(patients_per_cohort=27, seed=seed, scenario="toxic"), CUT)
        for code in ("overt", "mrd"):
            # results known when each DLT window closes: enrolment order (products were made)
            known = sorted(trial.patients(code), key=lambda p: p.enrolment_date)
            n = _design_table_stop([p.truth.dlt for p in known], chosen_design(PROTO, code).n)
            stops = [e for e in trial.events if e.rule == "toxicity" and e.cohort == code]
            if n is None:
                assert stops == []
                continue
            stopped += 1
            (e,) = stops
            said = int(re.search(r"among the first (\d+) evaluable", e.text).group(1))
            assert said == n
            stop_date = trial.event_date(e)
            deciding = known[n - 1].enrolment_date + timedelta(days=first_infusion + window)
            assert stop_date == deciding
            # no consent for this cohort after the stop
            later = [s for s in trial.screenings
                     if s.intended_cohort == code and s.consent_date > stop_date]  # fmt: skip
            assert later == []
    assert stopped >= 4  # a 45 % DLT rate crosses the 30 % boundary in most cohorts


def test_simon_stage1_pauses_then_stops_a_futile_cohort() -> None:
    d = chosen_design(PROTO, "mrd")
    stopped = 0
    for seed in range(1, 5):
        trial = generate_trial(
            Scenario(patients_per_cohort=27, seed=seed, scenario="futile-mrd"), CUT
        )
        mrd = [e for e in trial.events if e.cohort == "mrd" and e.rule == "simon_stage1"]
        assert [e.action for e in mrd][0] == "pause"
        x1 = sum(p.truth.responder for p in trial.patients("mrd")[: d.n1])
        look = mrd[1]
        assert look.action == ("stop" if x1 <= d.r1 else "continue")
        if look.action == "stop":
            stopped += 1
            assert len(trial.patients("mrd")) == d.n1
            assert f"{x1} <= {d.r1} of {d.n1}" in look.text
        # the look waits for the n1-th patient's end-of-treatment assessment
        nth = trial.patients("mrd")[d.n1 - 1].enrolment_date
        assert trial.event_date(look) > nth + timedelta(days=112)
    assert stopped >= 1


def test_without_monitoring_every_cohort_fills() -> None:
    trial = generate_trial(
        Scenario(patients_per_cohort=27, seed=1, scenario="toxic", monitoring=False), CUT
    )
    assert trial.events == ()
    assert [len(trial.patients(c)) for c in ("overt", "mrd")] == [27, 27]
