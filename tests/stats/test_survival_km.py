"""Kaplan–Meier against R `survival` 3.5-3 (R 4.2.2): survfit(conf.type = "log-log") and its
median with confidence limits (quantile.survfit, Brookmeyer–Crowley). Values typed from R output
printed with sprintf("%.12g"); tolerance: relative 1e-9 (12 significant digits printed).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_lung

from nakip.stats.survival import KaplanMeier
from nakip.stats.survival.logrank import compare_survival

REL = 1e-9

# survival::aml (Miller 1981): time in weeks, status 1 = relapse, x = maintenance chemotherapy
AML = pd.DataFrame(
    {
        "time": [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161,
                 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45],
        "status": [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0,
                   1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
        "x": ["Maintained"] * 11 + ["Nonmaintained"] * 12,
    }
)  # fmt: skip

# R: s <- summary(survfit(Surv(time, status) ~ 1, data = subset(aml, x == "Maintained"),
#                 conf.type = "log-log"), censored = FALSE); s$time, s$n.risk, ... s$upper
AML_MAINTAINED = {
    "time": [9, 13, 18, 23, 31, 34, 48],
    "n_risk": [11, 10, 8, 7, 5, 4, 2],
    "n_event": [1, 1, 1, 1, 1, 1, 1],
    "surv": [0.909090909091, 0.818181818182, 0.715909090909, 0.613636363636, 0.490909090909,
             0.368181818182, 0.184090909091],
    "lower": [0.50808020577, 0.447428614682, 0.350190385908, 0.265752040001, 0.167330909777,
              0.092829574937, 0.0117384801232],
    "upper": [0.986673822668, 0.951162228582, 0.899023974191, 0.83529924325, 0.753399790371,
              0.657040832398, 0.525014842727],
}  # fmt: skip
# R: the same call with x == "Nonmaintained" (R gives NA for the limits where S = 0)
AML_NONMAINTAINED = {
    "time": [5, 8, 12, 23, 27, 30, 33, 43, 45],
    "n_risk": [12, 10, 8, 6, 5, 4, 3, 2, 1],
    "n_event": [2, 2, 1, 1, 1, 1, 1, 1, 1],
    "surv": [0.833333333333, 0.666666666667, 0.583333333333, 0.486111111111, 0.388888888889,
             0.291666666667, 0.194444444444, 0.0972222222222, 0],
    "lower": [0.481714942195, 0.337018932541, 0.270138924085, 0.191876619619, 0.126272012195,
              0.0724016089078, 0.0311986429312, 0.00574630569586, None],
    "upper": [0.955509365728, 0.859711799084, 0.800940192333, 0.729671569779, 0.649817408289,
              0.560886052671, 0.461429476238, 0.348903861111, None],
}  # fmt: skip
# R: quantile(fit, probs = 0.5) -> quantile, lower, upper (also summary(fit)$table):
# Maintained 31 [13, NA], Nonmaintained 23 [5, 33]
AML_MEDIANS = {"Maintained": (31.0, 13.0, None), "Nonmaintained": (23.0, 5.0, 33.0)}

# survival::lung (lifelines.datasets.load_lung is the same data with status recoded 0/1).
# R: summary(survfit(Surv(time, status) ~ 1, data = subset(lung, sex == 1),
#    conf.type = "log-log"), censored = FALSE): row -> (time, n.risk, n.event, surv, lower, upper)
LUNG_MALE_ROWS = {
    0: (11, 138, 3, 0.978260869565, 0.934121582525, 0.992936557511),
    10: (60, 124, 1, 0.891304347826, 0.826195512422, 0.932998202948),
    20: (110, 112, 1, 0.804347826087, 0.7278074602, 0.861397146672),
    30: (163, 100, 3, 0.702898550725, 0.619060078188, 0.771690825161),
    40: (189, 83, 1, 0.614994668777, 0.528276976588, 0.690491966576),
    50: (230, 66, 1, 0.535984424802, 0.448104144231, 0.615992040626),
    60: (288, 52, 1, 0.44991067095, 0.36243360161, 0.533360706391),
    70: (363, 37, 1, 0.345690344201, 0.261723001686, 0.430970281728),
    80: (457, 24, 1, 0.245532858268, 0.169900378631, 0.328703975283),
    90: (613, 13, 1, 0.133927013601, 0.0756788884224, 0.208903010991),
    98: (883, 3, 1, 0.0357138702935, 0.00860267883495, 0.0968278320086),
}
# R: the same with sex == 2
LUNG_FEMALE_ROWS = {
    0: (5, 90, 1, 0.988888888889, 0.923743477867, 0.998427343805),
    10: (153, 77, 1, 0.865169319252, 0.774744652108, 0.921100312313),
    20: (239, 57, 1, 0.732163946787, 0.624412113079, 0.813532502061),
    30: (350, 36, 1, 0.576911574824, 0.455372654457, 0.680695630568),
    40: (520, 19, 1, 0.389412127996, 0.267282897711, 0.509603242322),
    50: (765, 3, 1, 0.0832144435134, 0.0185052512122, 0.212363854832),
}
# R: quantile(fit, 0.5) per sex: 270 [210, 306] and 426 [345, 524]
LUNG_MEDIANS = {"1": (270.0, 210.0, 306.0), "2": (426.0, 345.0, 524.0)}
# R: summary(survfit(Surv(time, status) ~ sex, data = lung, conf.type = "log-log"),
#            times = c(180, 365, 730)): surv, lower, upper, n.risk for sex 1 then sex 2
LUNG_LANDMARKS = {
    "1": ([0.644465001542, 0.336087834639, 0.078124091267],
          [0.558412473005, 0.252729143328, 0.0352038844508],
          [0.718013598161, 0.421302168223, 0.143389617998], [89, 35, 7]),
    "2": ([0.842401705588, 0.526463030186, 0.187232497905],
          [0.748380916153, 0.403579823267, 0.0846596532273],
          [0.903504304285, 0.635316232824, 0.320832676867], [71, 30, 6]),
}  # fmt: skip


def _approx(values: list[float | None]) -> list[object]:
    return [None if v is None else pytest.approx(v, rel=REL) for v in values]


def _column(km: KaplanMeier, col: str) -> list[float | None]:
    return [None if math.isnan(v) else v for v in km.table[col].to_numpy(dtype=float)]


@pytest.mark.parametrize(
    ("group", "expected"), [("Maintained", AML_MAINTAINED), ("Nonmaintained", AML_NONMAINTAINED)]
)
def test_aml_table_equals_r_survfit_loglog(group: str, expected: dict[str, list]) -> None:
    rows = AML[AML["x"] == group]
    km = KaplanMeier().fit(rows["time"], rows["status"], label=group)
    assert km.table["time"].tolist() == expected["time"]
    assert km.table["n_risk"].tolist() == expected["n_risk"]
    assert km.table["n_event"].tolist() == expected["n_event"]
    assert _column(km, "survival") == _approx(expected["surv"])
    assert _column(km, "lower") == _approx(expected["lower"])
    assert _column(km, "upper") == _approx(expected["upper"])
    assert (km.median, km.median_lower, km.median_upper) == AML_MEDIANS[group]


def test_aml_censored_at_an_event_time_counts_in_n_censor() -> None:
    rows = AML[AML["x"] == "Maintained"]
    km = KaplanMeier().fit(rows["time"], rows["status"])
    # time 13: one relapse and one censored (R survfit: n.event 1, n.censor 1)
    assert km.table.loc[km.table["time"] == 13, ["n_event", "n_censor"]].values.tolist() == [[1, 1]]
    assert km.n == 11 and km.n_events == 7


@pytest.mark.parametrize(("sex", "rows"), [("1", LUNG_MALE_ROWS), ("2", LUNG_FEMALE_ROWS)])
def test_lung_with_ties_equals_r(sex: str, rows: dict[int, tuple]) -> None:
    lung = load_lung()
    fits, _ = compare_survival(lung["time"], lung["status"], lung["sex"])
    km = fits[sex]
    for i, (time, n_risk, n_event, surv, lower, upper) in rows.items():
        got = km.table.iloc[i]
        assert (got["time"], got["n_risk"], got["n_event"]) == (time, n_risk, n_event)
        assert [got["survival"], got["lower"], got["upper"]] == _approx([surv, lower, upper])
    assert (km.median, km.median_lower, km.median_upper) == LUNG_MEDIANS[sex]
    surv, lower, upper, n_risk = LUNG_LANDMARKS[sex]
    at = km.survival_at([180, 365, 730])
    assert at["survival"].tolist() == _approx(surv)
    assert at["lower"].tolist() == _approx(lower)
    assert at["upper"].tolist() == _approx(upper)
    assert at["n_risk"].tolist() == n_risk


def test_lung_single_fit_equals_grouped_fit() -> None:
    lung = load_lung()
    male = lung[lung["sex"] == 1]
    alone = KaplanMeier().fit(male["time"], male["status"])
    grouped = compare_survival(lung["time"], lung["status"], lung["sex"])[0]["1"]
    pd.testing.assert_frame_equal(alone.table, grouped.table)


def test_median_on_a_flat_half_is_the_midpoint_as_r() -> None:
    # R: quantile(survfit(Surv(c(1,2,3,4), c(1,1,1,1)) ~ 1, conf.type = "log-log"), 0.5)
    #    -> 2.5, lower 1, upper NA (S = 0.5 on [2, 3))
    km = KaplanMeier().fit([1, 2, 3, 4], [1, 1, 1, 1])
    assert (km.median, km.median_lower, km.median_upper) == (2.5, 1.0, None)
    # S = 0 at the end: R gives NA limits there
    assert km.table["survival"].iloc[-1] == 0.0
    assert math.isnan(km.table["lower"].iloc[-1]) and math.isnan(km.table["upper"].iloc[-1])


def test_median_flat_half_to_the_last_follow_up() -> None:
    # R: quantile(survfit(Surv(c(1,2,3,5), c(1,1,0,0)) ~ 1), 0.5) -> 3.5 = (2 + 5) / 2
    km = KaplanMeier().fit([1, 2, 3, 5], [1, 1, 0, 0])
    assert (km.median, km.median_lower, km.median_upper) == (3.5, 1.0, None)


def test_all_censored_is_flat_and_median_not_reached() -> None:
    # R: survfit(Surv(c(1,2,3), c(0,0,0)) ~ 1): no event rows, median NA
    km = KaplanMeier().fit([1, 2, 3], [0, 0, 0])
    assert km.table.empty and km.n == 3 and km.n_events == 0
    assert (km.median, km.median_lower, km.median_upper) == (None, None, None)
    at = km.survival_at([0, 2, 3, 4])
    assert at["survival"].tolist()[:3] == [1.0, 1.0, 1.0]
    assert math.isnan(at["survival"].iloc[3])  # after the last follow-up: not estimable
    assert at["n_risk"].tolist() == [3, 2, 1, 0]


def test_single_subject_with_an_event() -> None:
    # R: survfit(Surv(4, 1) ~ 1): S = 0 at 4, median 4, limits NA
    km = KaplanMeier().fit([4], [1])
    assert km.table["survival"].tolist() == [0.0]
    assert (km.median, km.median_lower, km.median_upper) == (4.0, None, None)
    assert km.survival_at([10])["survival"].tolist() == [0.0]  # stays 0 after the curve hits 0


def test_empty_data_is_not_estimable_not_a_crash() -> None:
    km = KaplanMeier().fit([], [])
    assert km.table.empty and km.n == 0
    assert km.median is None
    at = km.survival_at([6.0])
    assert math.isnan(at["survival"].iloc[0]) and at["n_risk"].tolist() == [0]
    assert km.to_dict()["survival"] == [] and km.summary["n"].tolist() == [0]


def test_at_risk_counts_times_at_or_after() -> None:
    km = KaplanMeier().fit([1, 2, 2, 5], [1, 0, 1, 1])
    assert km.at_risk([0, 2, 2.5, 5, 6]) == [4, 3, 1, 1, 0]


def test_to_dict_has_no_nan() -> None:
    rows = AML[AML["x"] == "Nonmaintained"]
    out = KaplanMeier().fit(rows["time"], rows["status"], label="N").to_dict()
    assert out["lower"][-1] is None and out["upper"][-1] is None
    assert out["label"] == "N" and out["median"] == 23.0
    assert all(isinstance(v, float) for v in out["survival"])


def test_alpha_changes_the_limits() -> None:
    rows = AML[AML["x"] == "Maintained"]
    wide = KaplanMeier().fit(rows["time"], rows["status"], alpha=0.01)
    narrow = KaplanMeier().fit(rows["time"], rows["status"], alpha=0.05)
    assert (wide.table["lower"] < narrow.table["lower"]).all()
    assert (wide.table["upper"] > narrow.table["upper"]).all()


def test_matches_lifelines_survival_on_random_data() -> None:
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(3)
    t = rng.integers(1, 40, 300).astype(float)
    e = rng.random(300) < 0.7
    km = KaplanMeier().fit(t, e)
    ref = KaplanMeierFitter().fit(t, e).survival_function_["KM_estimate"]
    assert np.allclose(km.table["survival"], ref.loc[km.table["time"]].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    ("durations", "events", "message"),
    [
        ([1, -2, 3], [1, 1, 1], "durations: negative time -2 at row 1"),
        (
            [1, float("nan"), 3],
            [1, 1, 1],
            r"durations: 1 missing \(NaN\) value\(s\), first at row 1",
        ),
        ([1, float("inf")], [1, 1], "durations: infinite value at row 1"),
        ([1, 2], [1, 2], "events: value 2 at row 1 is not 0 or 1"),
        ([1, 2], [1, float("nan")], "events: 1 missing value"),
        ([1, 2], [1], r"events: length 1 differs from durations \(2\)"),
        (["a", "b"], [1, 1], "durations: not numeric"),
    ],
)
def test_bad_input_names_the_problem(durations: list, events: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KaplanMeier().fit(durations, events)


def test_bad_alpha() -> None:
    with pytest.raises(ValueError, match="alpha must be between 0 and 1"):
        KaplanMeier().fit([1], [1], alpha=1.5)


def test_first_occurrences_fast_path_equals_the_general_rule() -> None:
    # R's findq keeps the first occurrence of every curve value (duplicated()); the monotone
    # fast path must give what the general rule (np.unique first indices) gives
    from nakip.stats.survival.kaplan_meier import _first_occurrences

    rng = np.random.default_rng(0)
    for _ in range(2000):
        n = int(rng.integers(1, 12))
        y = np.sort(rng.integers(0, 5, n) / 4.0)
        if rng.random() < 0.3:
            y[int(rng.integers(0, n)) :] = np.nan
        if rng.random() < 0.2:
            y = rng.permutation(y)
        x = np.arange(n, dtype=float)
        _, first = np.unique(y, return_index=True, equal_nan=True)
        first.sort()
        expected_last = y[first][-1]
        keep = ~np.isnan(y[first])
        got_x, got_y, got_last, order = _first_occurrences(x, y)
        assert np.array_equal(got_x, x[first][keep]) and np.array_equal(got_y, y[first][keep])
        assert got_last == expected_last or (np.isnan(got_last) and np.isnan(expected_last))
        assert np.all(np.diff(got_y[order]) >= 0)
