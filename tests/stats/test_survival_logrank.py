"""Log-rank test against R `survival` 3.5-3 survdiff; Cox wrapper against R coxph.
Values typed from R output printed with sprintf("%.12g"); tolerance relative 1e-9 unless stated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_lung

from nakip.stats.survival import CoxPH, logrank_test
from nakip.stats.survival.logrank import compare_survival
from tests.stats.test_survival_km import AML

REL = 1e-9


def test_aml_equals_r_survdiff() -> None:
    # R: survdiff(Surv(time, status) ~ x, data = aml): chisq 3.39638869898, p 0.0653393220405,
    #    expected 10.6893359923 (Maintained), 7.3106640077 (Nonmaintained)
    res = logrank_test(AML["time"], AML["status"], AML["x"])
    assert res.chisq == pytest.approx(3.39638869898, rel=REL)
    assert res.df == 1
    assert res.p == pytest.approx(0.0653393220405, rel=REL)
    assert res.expected == pytest.approx((10.6893359923, 7.3106640077), rel=REL)
    assert res.observed == (7, 11)
    assert res.groups == ("Maintained", "Nonmaintained")


def test_lung_by_sex_equals_r_survdiff() -> None:
    # R: survdiff(Surv(time, status) ~ sex, data = lung): chisq 10.3267419549, p 0.00131116452036
    lung = load_lung()
    res = logrank_test(lung["time"], lung["status"], lung["sex"])
    assert res.chisq == pytest.approx(10.3267419549, rel=REL)
    assert res.p == pytest.approx(0.00131116452036, rel=REL)


def test_lung_four_groups_equals_r_survdiff() -> None:
    # R: survdiff(Surv(time, status) ~ ph.ecog, data = lung): chisq 21.9621316825 on 3 df,
    #    p 6.6425353558e-05 (one patient with missing ph.ecog dropped, as R's na.omit)
    lung = load_lung().dropna(subset=["ph.ecog"])
    res = logrank_test(lung["time"], lung["status"], lung["ph.ecog"])
    assert (res.chisq, res.df) == (pytest.approx(21.9621316825, rel=REL), 3)
    assert res.p == pytest.approx(6.6425353558e-05, rel=REL)
    assert res.groups == ("0", "1", "2", "3")


def test_group_with_no_expected_events_drops_out_as_r() -> None:
    # R: survdiff(Surv(t, s) ~ g) with t = c(1,2,3,4,5,0.5), s = c(1,1,0,1,0,0),
    #    g = c("a","a","a","b","b","c"): group c (one subject, censored before any event) has
    #    expected 0 and drops out -> chisq 1.65306122449 on 1 df, expected 1.1, 1.9, 0
    res = logrank_test([1, 2, 3, 4, 5, 0.5], [1, 1, 0, 1, 0, 0], ["a", "a", "a", "b", "b", "c"])
    assert res.df == 1
    assert res.expected == pytest.approx((1.1, 1.9, 0.0), rel=REL)
    assert res.chisq == pytest.approx(1.65306122449, rel=REL)


def test_zero_events_in_one_group() -> None:
    # R: survdiff(Surv(c(1,2,3,4,5,6), c(1,1,0,0,0,0)) ~ rep(c("a","b"), each = 3)):
    #    chisq 2.4693877551, p 0.116083133739, expected 0.9 and 1.1
    res = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 0, 0, 0, 0], ["a", "a", "a", "b", "b", "b"])
    assert res.observed == (2, 0)
    assert res.expected == pytest.approx((0.9, 1.1), rel=REL)
    assert res.chisq == pytest.approx(2.4693877551, rel=REL)
    assert res.p == pytest.approx(0.116083133739, rel=REL)


def test_no_events_at_all_gives_chisq_zero_p_one() -> None:
    # R: no event -> every expected count is 0: chisq 0 on 0 df, pchisq(0, 0, lower = FALSE) = 1
    res = logrank_test([1, 2, 3, 4], [0, 0, 0, 0], ["a", "a", "b", "b"])
    assert (res.chisq, res.df, res.p) == (0.0, 0, 1.0)


def test_single_group_is_a_clear_error_as_r() -> None:
    # R: survdiff with one level stops with "There is only 1 group"
    with pytest.raises(ValueError, match="groups: the log-rank test needs at least two groups"):
        logrank_test([1, 2], [1, 1], ["a", "a"])
    with pytest.raises(ValueError, match="at least two groups, got 0"):
        logrank_test([], [], [])


def test_compare_survival_with_one_group_has_no_test() -> None:
    fits, test = compare_survival([1, 2, 3], [1, 0, 1], ["x", "x", "x"])
    assert test is None and list(fits) == ["x"]


def test_group_of_size_one() -> None:
    # R: survdiff(Surv(c(1,2,3,4,5), c(1,1,1,0,1)) ~ c("a","a","a","a","b")):
    #    chisq 1.07703559239, p 0.299361661957, expected 2.21666666667, 1.78333333333
    res = logrank_test([1, 2, 3, 4, 5], [1, 1, 1, 0, 1], ["a", "a", "a", "a", "b"])
    fits, _ = compare_survival([1, 2, 3, 4, 5], [1, 1, 1, 0, 1], ["a", "a", "a", "a", "b"])
    assert res.chisq == pytest.approx(1.07703559239, rel=REL)
    assert res.p == pytest.approx(0.299361661957, rel=REL)
    assert res.expected == pytest.approx((2.21666666667, 1.78333333333), rel=REL)
    assert fits["b"].table["survival"].tolist() == [0.0] and fits["b"].median == 5.0


def test_missing_group_is_named() -> None:
    with pytest.raises(ValueError, match="groups: 1 missing value"):
        logrank_test([1, 2, 3], [1, 1, 1], ["a", None, "b"])


def test_result_to_dict_is_plain_json() -> None:
    out = logrank_test(AML["time"], AML["status"], AML["x"]).to_dict()
    assert set(out) == {"chisq", "df", "p", "groups", "observed", "expected"}
    assert out["groups"] == ["Maintained", "Nonmaintained"]


def test_cox_lung_equals_r_coxph() -> None:
    # R: coxph(Surv(time, status) ~ age + sex, data = lung) (Efron ties):
    #    age coef 0.0170453318454 se 0.00922327347697 p 0.06459101212955
    #    sex coef -0.5132185171084 se 0.16745796235577 p 0.00217844504671
    #    sex exp(coef) 0.598565980407, lower .95 0.431093578804, upper .95 0.831098514374
    # tolerance 1e-5 relative: lifelines' Newton-Raphson stops at its own convergence criterion
    cox = CoxPH().fit(load_lung(), "time", "status", ["age", "sex"])
    age, sex = cox.hazard_ratios["age"], cox.hazard_ratios["sex"]
    assert age.coef == pytest.approx(0.0170453318454, rel=1e-5)
    assert age.se == pytest.approx(0.00922327347697, rel=1e-5)
    assert age.p == pytest.approx(0.06459101212955, rel=1e-5)
    assert sex.hazard_ratio == pytest.approx(0.598565980407, rel=1e-5)
    assert (sex.lower, sex.upper) == (
        pytest.approx(0.431093578804, rel=1e-5),
        pytest.approx(0.831098514374, rel=1e-5),
    )
    assert sex.p == pytest.approx(0.00217844504671, rel=1e-4)
    assert cox.n == 228 and cox.n_events == 165
    assert list(cox.summary["covariate"]) == ["age", "sex"]


@pytest.mark.parametrize(
    ("frame", "covariates", "message"),
    [
        (pd.DataFrame({"t": [1, 2], "e": [1, 0]}), ["x"], "column 'x' not found"),
        (pd.DataFrame({"t": [1, 2], "e": [0, 0], "x": [1, 2]}), ["x"], "e: no events"),
        (pd.DataFrame({"t": [1, 2], "e": [1, 0], "x": [1, np.nan]}), ["x"], "x: missing"),
        (pd.DataFrame({"t": [1, -2], "e": [1, 0], "x": [1, 2]}), ["x"], "t: negative time"),
        (pd.DataFrame({"t": [1, 2], "e": [1, 0]}), [], "covariates: give at least one"),
    ],
)
def test_cox_bad_input(frame: pd.DataFrame, covariates: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CoxPH().fit(frame, "t", "e", covariates)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_agrees_with_lifelines_on_random_tied_data(seed: int) -> None:
    from lifelines.statistics import multivariate_logrank_test

    rng = np.random.default_rng(seed)
    n = 400
    t = rng.integers(1, 60, n).astype(float)  # many ties
    e = rng.random(n) < 0.6
    g = rng.choice(["a", "b", "c"], n)
    ours = logrank_test(t, e, g)
    ref = multivariate_logrank_test(t, g, e)
    assert ours.chisq == pytest.approx(ref.test_statistic, rel=1e-10)
    assert ours.p == pytest.approx(ref.p_value, rel=1e-8)


def test_all_distinct_times_take_the_sorting_path_with_the_same_answer() -> None:
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    from nakip.stats.survival.event_counts import EventCounts

    rng = np.random.default_rng(7)
    n = 6000  # above the 4096-row sample: continuous times are sorted, not hashed
    t = rng.exponential(100.0, n)
    e = rng.random(n) < 0.7
    g = rng.choice(["a", "b"], n)
    hashed = EventCounts.build(np.round(t), e.astype(np.int64))  # ties: hashing path
    assert hashed.times.shape[0] < n / 2
    fits, test = compare_survival(t, e, g)
    ref = multivariate_logrank_test(t, g, e)
    assert test is not None and test.chisq == pytest.approx(ref.test_statistic, rel=1e-10)
    km = KaplanMeierFitter().fit(t[g == "a"], e[g == "a"]).survival_function_["KM_estimate"]
    table = fits["a"].table
    assert np.allclose(table["survival"], km.loc[table["time"]].to_numpy(), rtol=1e-12)
    assert fits["a"].n == int((g == "a").sum())
