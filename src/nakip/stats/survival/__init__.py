"""Survival analysis equal to R `survival` and `cmprsk`: Kaplan–Meier with log-log limits and the
median's confidence interval, the log-rank test, Aalen–Johansen cumulative incidence with
cuminc's variance, Gray's test, and a Cox wrapper over lifelines.
"""

from nakip.stats.survival.competing_risks import AalenJohansen, GrayResult, gray_test
from nakip.stats.survival.cox import CoxPH, HazardRatio
from nakip.stats.survival.kaplan_meier import KaplanMeier
from nakip.stats.survival.logrank import LogRankResult, compare_survival, logrank_test

DAYS_PER_MONTH = 30.4375
"""Days in an average Gregorian month (365.25 / 12): months = days / DAYS_PER_MONTH."""

__all__ = [
    "DAYS_PER_MONTH",
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
