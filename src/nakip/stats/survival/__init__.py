"""Survival analysis equal to R `survival` and `cmprsk`: Kaplan–Meier with log-log limits and the
median's confidence interval, the log-rank test, Aalen–Johansen cumulative incidence with
cuminc's variance, Gray's test, and a Cox wrapper over lifelines.
"""

from nakip.stats.survival.competing_risks import AalenJohansen, GrayResult, gray_test
from nakip.stats.survival.cox import CoxPH, HazardRatio
from nakip.stats.survival.kaplan_meier import KaplanMeier
from nakip.stats.survival.logrank import LogRankResult, compare_survival, logrank_test

__all__ = [
    "AalenJohansen",
    "CoxPH",
    "GrayResult",
    "HazardRatio",
    "KaplanMeier",
    "LogRankResult",
    "compare_survival",
    "gray_test",
    "logrank_test",
]
