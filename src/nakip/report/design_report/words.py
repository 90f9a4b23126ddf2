"""Decision rules and monitoring rules in words, as the design report prints them.

Worded from the same numbers as the tables, so that the words and the tables cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from nakip.protocol.model import MonitoringRule
from nakip.report.design_report.results import BoundaryRange

_EVENT_WORDS = {
    "dlt": ("dose-limiting toxicity", "DLT"),
    "feasibility_failure": ("feasibility failure", "feasibility failure"),
}


def _fmt(p: float) -> str:
    """A rate as a percentage without needless decimals: 0.35 -> '35%'."""
    return f"{100 * p:.4g}%"


def simon_decision_rules(r1: int, n1: int, r: int, n: int) -> tuple[str, ...]:
    """The two-stage rule in words (Simon 1989): stage-1 futility stop, final decision.

    Example for 3/9, 13/27: "Enrol 9 patients. If 3 or fewer respond, stop for futility. ..."
    """
    n2 = n - n1
    stop = "If none responds" if r1 == 0 else f"If {r1} or fewer respond"
    return (
        f"Enrol {n1} patients. {stop}, stop for futility. Otherwise enrol {n2} more; the "
        f"treatment is declared promising if more than {r} of {n} respond.",
        f"Stage 1: {n1} patients; the trial continues only with at least {r1 + 1} "
        f"{'response' if r1 + 1 == 1 else 'responses'} among them.",
        f"Stage 2: {n2} further patients ({n} in total); at least {r + 1} responses among "
        f"the {n} patients reject H0; {r} or fewer do not.",
    )


def single_stage_decision_rules(r: int, n: int) -> tuple[str, ...]:
    """A single-stage rule in words: promising if more than r of n respond."""
    return (
        f"Enrol {n} patients. The treatment is declared promising if more than {r} of {n} "
        f"respond (at least {r + 1}); otherwise it is not.",
    )


def monitoring_rule_words(rule: MonitoringRule, ranges: Sequence[BoundaryRange], scope: str) -> str:
    """The Bayesian stopping rule in words, with the first boundaries spelled out."""
    long_name, short = _EVENT_WORDS.get(rule.event, (rule.event.replace("_", " "), rule.event))
    ess = rule.prior_a + rule.prior_b
    prior_mean = rule.prior_a / ess
    head = (
        f"From the {_ordinal(rule.min_patients)} evaluable patient onwards, {scope}, "
        f"stop enrolment if Pr({short} rate > {_fmt(rule.limit)} | data) > {rule.cutoff:g}, "
        f"under a Beta({rule.prior_a:g}, {rule.prior_b:g}) prior (mean {_fmt(prior_mean)}, "
        f"worth {ess:g} patient{'' if ess == 1 else 's'})."
    )
    if not ranges:
        return head + f" With this sample size no number of {long_name}s stops the trial."
    parts = [
        f"{b.stop_if_at_least} or more {_plural_event(short, b.stop_if_at_least)} among the "
        f"first {b.patients} patients"
        for b in ranges[:3]
    ]
    tail = "; and so on (table below)" if len(ranges) > 3 else ""
    return head + " That is: stop with " + "; ".join(parts) + tail + "."


def _plural_event(short: str, k: int) -> str:
    if short == "DLT":
        return "DLT" if k == 1 else "DLTs"
    return short if k == 1 else f"{short}s"


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"
