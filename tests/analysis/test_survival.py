"""SurvivalAnalysis over ADTTE: each estimate is the stats layer's (checked against R there),
here on trial-shaped data: per cohort, landmarks in months (days / 30.4375), not-estimable
cohorts and endpoints, excluded rows with their reason, and the competing-risks pair CIR/CID.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nakip.analysis.data import TrialData, empty_frame
from nakip.analysis.survival import SurvivalAnalysis
from nakip.stats.survival import DAYS_PER_MONTH, AalenJohansen, KaplanMeier
from tests.stats.test_survival_competing import CUMINC
from tests.stats.test_survival_km import AML, AML_MAINTAINED

REL = 1e-9
CR = pd.read_csv(Path(__file__).parents[1] / "data" / "competing_risks.csv")


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    columns = list(empty_frame(name).columns)
    return pd.DataFrame(rows, dtype=object).reindex(columns=columns)


def _tte(cohort: str, paramcd: str, days: list, codes: list, prefix: str) -> list[dict]:
    code_col = "status" if paramcd == "CIR" else "event"
    rows = []
    for i, (d, c) in enumerate(zip(days, codes, strict=True)):
        row = {"usubjid": f"{prefix}{i:03d}", "cohort": cohort, "paramcd": paramcd, "days": d}
        row[code_col] = c if paramcd == "CIR" else (None if c is None else bool(c))
        rows.append(row)
    return rows


def _trial(extra_adsl: list[dict] | None = None, extra_tte: list[dict] | None = None) -> TrialData:
    maint = AML[AML["x"] == "Maintained"]
    non = AML[AML["x"] == "Nonmaintained"]
    a = CR[CR["group"] == "A"]
    tte = (
        _tte("overt", "OS", maint["time"].tolist(), maint["status"].tolist(), "O")
        + _tte("overt", "EFS", [10, 20, 30, 40], [0, 0, 0, 0], "O")
        + _tte("overt", "CIR", a["months"].tolist(), a["status"].tolist(), "O")
        + _tte("mrd", "OS", non["time"].tolist(), non["status"].tolist(), "M")
        + (extra_tte or [])
    )
    ids = sorted({r["usubjid"]: r["cohort"] for r in tte}.items())
    adsl = [{"usubjid": u, "cohort": c} for u, c in ids] + (extra_adsl or [])
    return TrialData(adsl=_frame("adsl", adsl), adtte=_frame("adtte", tte))


def test_os_per_cohort_is_the_stats_layer_kaplan_meier() -> None:
    fit = SurvivalAnalysis(landmarks_months=(1, 2)).fit(_trial())
    os = fit.endpoints[("overt", "OS")]
    assert os.n == 11 and os.events == 7 and os.estimable
    # the curve is the one checked against R survfit(aml, Maintained)
    assert os.km is not None
    assert os.km.table["survival"].tolist() == pytest.approx(AML_MAINTAINED["surv"], rel=REL)
    # median 31 days [13, not reached] in months
    assert os.median_months == pytest.approx(31 / DAYS_PER_MONTH)
    assert os.median_lower_months == pytest.approx(13 / DAYS_PER_MONTH)
    assert os.median_upper_months is None
    # 1 month = 30.4375 days: S(23) = 0.613636363636 (R summary(fit, times = 30.4375))
    one = os.landmarks[0]
    assert one.months == 1.0 and one.estimate == pytest.approx(0.613636363636, rel=REL)
    assert one.n_risk == 5 and one.reason is None
    assert fit.endpoints[("mrd", "OS")].median_months == pytest.approx(23 / DAYS_PER_MONTH)


def test_all_censored_endpoint_has_flat_curve_and_no_median() -> None:
    fit = SurvivalAnalysis(landmarks_months=(1, 2)).fit(_trial())
    efs = fit.endpoints[("overt", "EFS")]
    assert efs.events == 0 and efs.median_months is None
    assert efs.landmarks[0].estimate == 1.0  # 30.4 days, follow-up to 40
    late = efs.landmarks[1]  # 60.9 days after the last follow-up (40)
    assert late.estimate is None and late.reason == "follow-up shorter than 2 months"


def test_missing_endpoint_and_empty_cohort_are_not_estimable() -> None:
    data = _trial(extra_adsl=[{"usubjid": "X001", "cohort": "extra"}])
    fit = SurvivalAnalysis().fit(data)
    rfs = fit.endpoints[("overt", "RFS")]
    assert not rfs.estimable and rfs.n == 0
    assert rfs.reason == "no patient with this endpoint in the cohort"
    assert fit.competing["extra"].cir is None and not fit.competing["extra"].estimable
    assert set(fit.cohorts) == {"extra", "mrd", "overt"}


def test_cir_and_cid_are_cuminc_causes_one_and_two() -> None:
    fit = SurvivalAnalysis(landmarks_months=(6 / DAYS_PER_MONTH,)).fit(_trial())
    cr = fit.competing["overt"]
    assert cr.cir is not None and cr.cid is not None
    time, est, var = CUMINC[("A", 1)]
    assert cr.cir.table["time"].tolist() == time
    assert cr.cir.table["cif"].tolist() == pytest.approx(est, rel=REL)
    assert cr.cir.table["variance"].tolist() == pytest.approx(var, rel=REL)
    assert cr.cid.table["cif"].tolist() == pytest.approx(CUMINC[("A", 2)][1], rel=REL)
    assert (cr.n, cr.relapses, cr.deaths_without_relapse) == (30, 13, 8)
    # landmark at 6 days: R timepoints(ci, 6) "A 1" 0.266666666667, "A 2" 0.2
    assert cr.cir_landmarks[0].estimate == pytest.approx(0.266666666667, rel=REL)
    assert cr.cid_landmarks[0].estimate == pytest.approx(0.2, rel=REL)
    assert fit.competing["mrd"].reason == "no patient with this endpoint in the cohort"


def test_bad_rows_are_excluded_with_their_reason() -> None:
    extra = [
        {"usubjid": "B1", "cohort": "mrd", "paramcd": "OS", "days": -4.0, "event": True},
        {"usubjid": "B2", "cohort": "mrd", "paramcd": "OS", "days": None, "event": False},
        {"usubjid": "B3", "cohort": "mrd", "paramcd": "OS", "days": 5.0, "event": None},
        {"usubjid": "B4", "cohort": "mrd", "paramcd": "CIR", "days": 5.0, "status": 7},
    ]
    fit = SurvivalAnalysis().fit(_trial(extra_tte=extra))
    os = fit.endpoints[("mrd", "OS")]
    assert os.n == 12  # the 12 good rows only
    reasons = {e.usubjid: e.reason for e in os.excluded}
    assert reasons["B1"] == "time -4.0 days is missing or negative"
    assert "missing or negative" in reasons["B2"]
    assert reasons["B3"] == "event None is not one of (0, 1)"
    cir = fit.competing["mrd"]
    assert [e.usubjid for e in cir.excluded] == ["B4"] and cir.n == 0


def test_compare_by_gives_logrank_equal_to_r() -> None:
    # both aml arms in one cohort, compared by an ADSL column: R survdiff(Surv(time, status) ~ x,
    # data = aml): chisq 3.39638869898
    tte = _tte("overt", "OS", AML["time"].tolist(), AML["status"].tolist(), "S")
    adsl = [
        {"usubjid": r["usubjid"], "cohort": "overt", "site": x}
        for r, x in zip(tte, AML["x"], strict=True)
    ]
    data = TrialData(adsl=_frame("adsl", adsl), adtte=_frame("adtte", tte))
    fit = SurvivalAnalysis(compare_by="site").fit(data)
    test = fit.endpoints[("overt", "OS")].logrank
    assert test is not None and test.chisq == pytest.approx(3.39638869898, rel=REL)
    with pytest.raises(ValueError, match="compare_by: ADSL has no column 'arm'"):
        SurvivalAnalysis(compare_by="arm").fit(data)


def test_summary_and_json_have_no_nan() -> None:
    fit = SurvivalAnalysis().fit(_trial())
    summary = fit.summary
    assert len(summary) == 2 * 5  # overt and mrd x OS, EFS, RFS, CIR, CID
    assert all(v is None or v == v for v in summary.to_numpy().ravel())  # None, never NaN
    rfs = summary[(summary["cohort"] == "overt") & (summary["endpoint"] == "RFS")].iloc[0]
    assert rfs["note"] == "no patient with this endpoint in the cohort" and rfs["at_6m"] is None
    json.dumps(fit.to_dict(), allow_nan=False)
    assert set(fit.to_dict()["cohorts"]["overt"]["endpoints"]) == {"OS", "EFS", "RFS"}


def test_empty_trial_data() -> None:
    fit = SurvivalAnalysis().fit(TrialData())
    assert fit.endpoints == {} and fit.competing == {} and fit.summary.empty
    assert fit.to_dict()["cohorts"] == {}


def test_results_before_fit_and_bad_parameters() -> None:
    with pytest.raises(RuntimeError, match="call fit"):
        _ = SurvivalAnalysis().summary
    with pytest.raises(ValueError, match="landmarks_months must be positive"):
        SurvivalAnalysis(landmarks_months=(0,))
    with pytest.raises(ValueError, match="alpha"):
        SurvivalAnalysis(alpha=0)


def test_same_numbers_as_direct_stats_calls() -> None:
    a = CR[CR["group"] == "A"]
    direct = AalenJohansen().fit(a["months"], a["status"], cause=2)
    fit = SurvivalAnalysis().fit(_trial())
    assert fit.competing["overt"].cid is not None
    pd.testing.assert_frame_equal(fit.competing["overt"].cid.table, direct.table)
    m = AML[AML["x"] == "Maintained"]
    km = KaplanMeier().fit(m["time"], m["status"])
    assert fit.endpoints[("overt", "OS")].km is not None
    pd.testing.assert_frame_equal(fit.endpoints[("overt", "OS")].km.table, km.table)


def test_landmark_where_the_curve_reached_zero_says_why_limits_are_missing() -> None:
    tte = _tte("mrd", "OS", [10.0, 20.0], [1, 1], "Z")
    data = TrialData(
        adsl=_frame("adsl", [{"usubjid": r["usubjid"], "cohort": "mrd"} for r in tte]),
        adtte=_frame("adtte", tte),
    )
    lm = SurvivalAnalysis(landmarks_months=(1,)).fit(data).endpoints[("mrd", "OS")].landmarks[0]
    assert (lm.estimate, lm.lower, lm.upper, lm.n_risk) == (0.0, None, None, 0)
    assert lm.reason == "confidence limits undefined at an estimate of 0"
