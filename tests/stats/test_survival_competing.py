"""Aalen–Johansen cumulative incidence and Gray's test against R `cmprsk` 2.2-11 (R 4.2.2) on
the competing-risk data shipped in tests/data/competing_risks.csv (60 subjects, groups A and B,
status 0 censored, 1 relapse, 2 death without relapse; integer months, so many ties). It was
simulated once (numpy default_rng(20261202); per group 30 subjects with exponential relapse
hazard 0.05/0.09 and death hazard 0.03 per month, uniform censoring 5-40 months, times rounded
up to whole months) and is kept as a fixed file so that R and NAKIP read the same rows.
Values typed from R output printed with sprintf("%.12g"); tolerance relative 1e-9.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nakip.stats.survival import AalenJohansen, gray_test

REL = 1e-9
DATA = Path(__file__).parents[1] / "data" / "competing_risks.csv"

# R: cr <- read.csv("tests/data/competing_risks.csv"); ci <- cuminc(cr$months, cr$status, cr$group)
#    ci[["A 1"]]$time, $est, $var at every jump (cuminc lists each jump twice, for plotting;
#    one value per jump here)
CUMINC = {  # (group, cause) -> time, est, var at each jump
    ("A", 1): (
        [1, 2, 3, 4, 6, 9, 12, 22, 26, 34],
        [
            0.0666666666667,
            0.1,
            0.133333333333,
            0.166666666667,
            0.266666666667,
            0.302222222222,
            0.347474747475,
            0.405656565657,
            0.475474747475,
            0.580202020202,
        ],
        [
            0.00214559386973,
            0.00310618500274,
            0.00398856234669,
            0.00479615285633,
            0.00675259476586,
            0.00734310506972,
            0.00843640682383,
            0.0103248662561,
            0.0127500358316,
            0.0199558497019,
        ],
    ),
    ("B", 1): (
        [1, 3, 4, 5, 6, 7, 9, 11, 16, 18],
        [
            0.0666666666667,
            0.133333333333,
            0.233333333333,
            0.3,
            0.366666666667,
            0.4,
            0.437037037037,
            0.521693121693,
            0.574603174603,
            0.627513227513,
        ],
        [
            0.00214559386973,
            0.00399602293549,
            0.00618918059694,
            0.00723313974041,
            0.00797177035349,
            0.00820588476316,
            0.00854890974125,
            0.00932203180028,
            0.0101181534884,
            0.0109599771034,
        ],
    ),
    ("A", 2): (
        [2, 4, 6, 12, 27],
        [0.0666666666667, 0.133333333333, 0.2, 0.245252525253, 0.315070707071],
        [0.00215086460297, 0.00399544499267, 0.00552895274358, 0.00695210037517, 0.0110310374601],
    ),
    ("B", 2): (
        [2, 3, 4, 5, 6, 17],
        [0.0666666666667, 0.1, 0.166666666667, 0.2, 0.266666666667, 0.319576719577],
        [
            0.00215086460297,
            0.00311421585368,
            0.00480661791389,
            0.00551963984962,
            0.00671520376692,
            0.00912579210489,
        ],
    ),
}


def _data() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.mark.parametrize(("group", "cause"), list(CUMINC))
def test_cif_and_variance_equal_r_cuminc(group: str, cause: int) -> None:
    rows = _data()[lambda d: d["group"] == group]
    aj = AalenJohansen().fit(rows["months"], rows["status"], cause=cause, label=group)
    time, est, var = CUMINC[(group, cause)]
    assert aj.table["time"].tolist() == time
    assert aj.table["cif"].tolist() == pytest.approx(est, rel=REL)
    assert aj.table["variance"].tolist() == pytest.approx(var, rel=REL)
    assert aj.n == 30 and aj.n_events == int((rows["status"] == cause).sum())


def test_limits_on_the_loglog_scale() -> None:
    # R: k <- seq(3, length(x$time) - 1, by = 2); est <- x$est[k]; v <- x$var[k]
    #    est^exp(qnorm(0.025) * sqrt(v) / (est * log(est))) and with -qnorm(0.025) for the upper
    #    (Pintilie 2006 section 4.3, as tidycmprsk), x = ci[["A 1"]]
    lower = [
        0.0113600110897,
        0.0247142762596,
        0.0410016249136,
        0.059438854017,
        0.124012694146,
        0.148986922906,
        0.178053897868,
        0.211257430684,
        0.248967765035,
        0.270362555951,
    ]
    upper = [
        0.194405918937, 0.238639669775, 0.280544106807, 0.320681040006, 0.433026542887,
        0.471397079386, 0.523348846105, 0.592375429236, 0.671993780174, 0.79726548353,
    ]  # fmt: skip
    rows = _data()[lambda d: d["group"] == "A"]
    aj = AalenJohansen().fit(rows["months"], rows["status"], cause=1)
    assert aj.table["lower"].tolist() == pytest.approx(lower, rel=REL)
    assert aj.table["upper"].tolist() == pytest.approx(upper, rel=REL)


def test_cif_at_equals_r_timepoints() -> None:
    # R: timepoints(ci, c(6, 12, 24)): est for "A 1" and "B 2", var for "A 1"
    rows = _data()
    a1 = AalenJohansen().fit(
        rows.loc[rows.group == "A", "months"], rows.loc[rows.group == "A", "status"]
    )
    b2 = AalenJohansen().fit(
        rows.loc[rows.group == "B", "months"], rows.loc[rows.group == "B", "status"], cause=2
    )
    at = a1.cif_at([6, 12, 24])
    assert at["cif"].tolist() == pytest.approx(
        [0.266666666667, 0.347474747475, 0.405656565657], rel=REL
    )
    assert at["variance"].tolist() == pytest.approx(
        [0.00675259476586, 0.00843640682383, 0.01032486625613], rel=REL
    )
    assert b2.cif_at([6, 12, 24])["cif"].tolist() == pytest.approx(
        [0.266666666667, 0.266666666667, 0.319576719577], rel=REL
    )
    before_after = a1.cif_at([0.5, 36, 37])
    assert before_after["cif"].iloc[0] == 0.0 and before_after["lower"].iloc[0] == 0.0
    assert before_after["cif"].iloc[1] == pytest.approx(0.580202020202, rel=REL)
    assert math.isnan(before_after["cif"].iloc[2])  # after the last follow-up (36): not estimable


def test_pooled_curve_equals_r() -> None:
    # R: cuminc(cr$months, cr$status)[["1 1"]]: last jump at 34, est 0.594175925926,
    #    var 0.00635418641677; the first jump at 1, est 0.0666666666667, var 0.00105461393597
    rows = _data()
    aj = AalenJohansen().fit(rows["months"], rows["status"])
    assert len(aj.table) == 15
    assert aj.table["cif"].iloc[[0, -1]].tolist() == pytest.approx(
        [0.0666666666667, 0.594175925926], rel=REL
    )
    assert aj.table["variance"].iloc[[0, -1]].tolist() == pytest.approx(
        [0.00105461393597, 0.00635418641677], rel=REL
    )


def test_last_follow_up_is_a_failure_of_the_cause() -> None:
    # R: cuminc(t, s, g2)[["a 1"]] with t = c(1,2,3,4,5,6,7,8,2), s = c(1,2,1,0,1,2,0,1,2):
    #    est 0.111111111111, 0.222222222222, 0.361111111111, 0.638888888889 at 1, 3, 5, 8;
    #    var 0.0123456790123, 0.022385728983, 0.0355885554453, 0.114667344883
    aj = AalenJohansen().fit([1, 2, 3, 4, 5, 6, 7, 8, 2], [1, 2, 1, 0, 1, 2, 0, 1, 2])
    assert aj.table["time"].tolist() == [1, 3, 5, 8]
    assert aj.table["cif"].tolist() == pytest.approx(
        [0.111111111111, 0.222222222222, 0.361111111111, 0.638888888889], rel=REL
    )
    assert aj.table["variance"].tolist() == pytest.approx(
        [0.0123456790123, 0.022385728983, 0.0355885554453, 0.114667344883], rel=REL
    )


def test_gray_two_groups_equals_r() -> None:
    # R: cuminc(cr$months, cr$status, cr$group)$Tests:
    #    cause 1 stat 1.2167148590821 p 0.270006327037
    #    cause 2 stat 0.0961538434407 p 0.756494925540
    rows = _data()
    g1 = gray_test(rows["months"], rows["status"], rows["group"], cause=1)
    g2 = gray_test(rows["months"], rows["status"], rows["group"], cause=2)
    assert (g1.stat, g1.df, g1.p) == (
        pytest.approx(1.2167148590821, rel=REL),
        1,
        pytest.approx(0.270006327037, rel=REL),
    )
    assert (g2.stat, g2.p) == (
        pytest.approx(0.0961538434407, rel=REL),
        pytest.approx(0.756494925540, rel=REL),
    )
    assert g1.groups == ("A", "B") and not g1.singular


def test_gray_three_groups_equals_r() -> None:
    # R: cuminc(cr$months, cr$status, rep(c("a","b","c"), 20))$Tests:
    #    cause 1 stat 1.928481395344 p 0.381272591024 (2 df); cause 2 stat 0.902382596943
    rows = _data()
    groups = np.array(["a", "b", "c"] * 20)
    g1 = gray_test(rows["months"], rows["status"], groups, cause=1)
    g2 = gray_test(rows["months"], rows["status"], groups, cause=2)
    assert (g1.stat, g1.df, g1.p) == (
        pytest.approx(1.928481395344, rel=REL),
        2,
        pytest.approx(0.381272591024, rel=REL),
    )
    assert g2.stat == pytest.approx(0.902382596943, rel=REL)


def test_gray_group_without_events_of_the_cause_and_group_of_one() -> None:
    # R: t <- c(1,2,3,4,5,6,7,8,2,3); s <- c(1,2,1,0,1,2,0,1,2,0)
    #    cuminc(t, s, c(rep("a", 8), "b", "b"))$Tests: cause 1 0.510852990782 p 0.474769835877,
    #    cause 2 1.261443716844 p 0.261377991521 (group b has no relapse)
    #    cuminc(t, s, c(rep("a", 9), "b"))$Tests: cause 1 0.244649076345, cause 2 0.249649616982
    t = [1, 2, 3, 4, 5, 6, 7, 8, 2, 3]
    s = [1, 2, 1, 0, 1, 2, 0, 1, 2, 0]
    two = ["a"] * 8 + ["b"] * 2
    one = ["a"] * 9 + ["b"]
    assert gray_test(t, s, two, 1).stat == pytest.approx(0.510852990782, rel=REL)
    assert gray_test(t, s, two, 1).p == pytest.approx(0.474769835877, rel=REL)
    assert gray_test(t, s, two, 2).stat == pytest.approx(1.261443716844, rel=REL)
    assert gray_test(t, s, one, 1).stat == pytest.approx(0.244649076345, rel=REL)
    assert gray_test(t, s, one, 2).stat == pytest.approx(0.249649616982, rel=REL)


def test_gray_without_any_event_is_singular_not_a_crash() -> None:
    res = gray_test([1, 2, 3, 4], [0, 0, 0, 0], ["a", "a", "b", "b"])
    assert res.singular and (res.stat, res.p) == (0.0, 1.0)


def test_all_censored_and_empty_fit() -> None:
    aj = AalenJohansen().fit([1, 2, 3], [0, 0, 0])
    assert aj.table.empty and aj.cif_at([2])["cif"].tolist() == [0.0]
    empty = AalenJohansen().fit([], [])
    assert empty.table.empty and empty.n == 0
    assert math.isnan(empty.cif_at([1])["cif"].iloc[0])
    assert empty.summary["final_cif"].tolist() == [None]


def test_to_dict_is_plain_json() -> None:
    rows = _data()
    out = AalenJohansen().fit(rows["months"], rows["status"], cause=2, label="all").to_dict()
    assert out["cause"] == 2 and len(out["time"]) == len(out["cif"]) == len(out["variance"])
    assert all(isinstance(v, float) for v in out["lower"])


@pytest.mark.parametrize(
    ("status", "cause", "groups", "message"),
    [
        ([1, -1], 1, ["a", "b"], "status: value -1 at row 1 is not 0 .censored. or a positive"),
        ([1, 1.5], 1, ["a", "b"], "status: value 1.5 at row 1"),
        ([1, 2], 0, ["a", "b"], "cause must be a positive integer"),
        ([1, 2], 1, ["a", "a"], "groups: Gray's test needs at least two groups, got 1"),
        ([1, 2], 1, ["a"], r"groups: length 1 differs from durations \(2\)"),
    ],
)
def test_bad_input_names_the_problem(status: list, cause: int, groups: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gray_test([1, 2], status, groups, cause=cause)


def test_negative_time_in_cif() -> None:
    with pytest.raises(ValueError, match="durations: negative time -3 at row 0"):
        AalenJohansen().fit([-3, 2], [1, 2])


def test_curve_is_final_after_everyone_failed() -> None:
    # all four subjects fail (no censoring): the incidence after the last time is known,
    # unlike a curve whose last follow-up is censored (cmprsk::timepoints gives NA there)
    aj = AalenJohansen().fit([1, 2, 3, 4], [1, 2, 1, 1])
    assert aj.all_failed
    assert aj.cif_at([10])["cif"].tolist() == [0.75]
    censored = AalenJohansen().fit([1, 2, 3, 4], [1, 2, 1, 0])
    assert not censored.all_failed and math.isnan(censored.cif_at([10])["cif"].iloc[0])
