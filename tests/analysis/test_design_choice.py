"""The protocol's chosen design: every design type is honoured, planned boundaries govern."""

from __future__ import annotations

import pytest
from scipy import stats

from nakip.analysis.design_choice import chosen_design, chosen_designs, monitoring_nmax
from nakip.protocol import Protocol, default_protocol_path, load_protocol_file


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol_file(default_protocol_path())


def variant(protocol: Protocol, **design: object) -> Protocol:
    """The protocol with every cohort's design block updated."""
    cohorts = [
        c.model_copy(update={"design": c.design.model_copy(update=design)})
        for c in protocol.cohorts
    ]
    return protocol.model_copy(update={"cohorts": cohorts})


def test_nakip_protocol_runs_by_its_planned_optimal_design(protocol: Protocol) -> None:
    for code in ("overt", "mrd"):
        d = chosen_design(protocol, code)
        # Simon optimal for p0 0.35, p1 0.60, alpha 0.05, power 0.80 (clinfun::ph2simon)
        assert (d.r1, d.n1, d.r, d.n, d.planned_n) == (3, 9, 13, 27, 27)
        assert d.source == "protocol" and d.matches_search is True
        assert d.design_type == "simon_optimal"


def test_minimax_protocol_is_honoured(protocol: Protocol) -> None:
    # Simon (1989) Table 1, p0 0.30, p1 0.50, alpha 0.05, beta 0.20: minimax 6/19, 16/39
    proto = variant(protocol, type="simon_minimax", p0=0.30, p1=0.50, planned=None)
    d = chosen_design(proto, "overt")
    assert (d.r1, d.n1, d.r, d.n) == (6, 19, 16, 39)
    assert d.planned_n == 39 and d.source == "search" and d.matches_search is None
    assert d.two_stage and d.rule_text == "stop if <= 6/19; efficacy if > 16/39"


def test_optimal_without_plan_is_searched(protocol: Protocol) -> None:
    # Simon (1989) Table 1, same rates: optimal 5/15, 18/46
    d = chosen_design(variant(protocol, p0=0.30, p1=0.50, planned=None), "mrd")
    assert (d.r1, d.n1, d.r, d.n, d.planned_n) == (5, 15, 18, 46, 46)


def test_single_stage_protocol_is_honoured_in_simons_convention(protocol: Protocol) -> None:
    d = chosen_design(variant(protocol, type="single_stage", planned=None), "overt")
    assert not d.two_stage and d.r1 is None and d.n1 is None
    # Reject H0 if X > r: the exact level and power follow from scipy's binomial tail
    assert d.design.alpha == pytest.approx(stats.binom.sf(d.r, d.n, 0.35), rel=1e-12)
    assert d.design.power == pytest.approx(stats.binom.sf(d.r, d.n, 0.60), rel=1e-12)
    assert d.design.alpha <= 0.05 and d.design.power >= 0.80
    # the smallest n: no n - 1 design meets both constraints
    m = d.n - 1
    assert not any(
        stats.binom.sf(r, m, 0.35) <= 0.05 and stats.binom.sf(r, m, 0.60) >= 0.80
        for r in range(m + 1)
    )
    assert d.planned_n == d.n and d.rule_text == f"single stage: efficacy if > {d.r}/{d.n}"


def test_planned_mismatch_governs_and_is_flagged(protocol: Protocol) -> None:
    proto = variant(protocol, type="simon_minimax")  # planned 3/9, 13/27 is the optimal design
    d = chosen_design(proto, "overt")
    assert (d.r1, d.n1, d.r, d.n) == (3, 9, 13, 27)
    assert d.matches_search is False and "MISMATCH" in d.message
    assert d.searched.key != d.design.key


def test_single_stage_with_two_stage_plan_is_an_error(protocol: Protocol) -> None:
    with pytest.raises(ValueError, match="cohort overt: design type single_stage"):
        chosen_design(variant(protocol, type="single_stage"), "overt")


def test_no_design_within_nmax_is_an_error(protocol: Protocol) -> None:
    with pytest.raises(ValueError, match="cohort overt"):
        chosen_design(variant(protocol, type="single_stage", planned=None, nmax=10), "overt")


def test_unknown_cohort(protocol: Protocol) -> None:
    with pytest.raises(KeyError):
        chosen_design(protocol, "nope")


def test_monitoring_nmax_per_cohort_and_trial_wide(protocol: Protocol) -> None:
    proto = variant(protocol, type="simon_minimax", p0=0.30, p1=0.50, planned=None)
    tox, feas = (
        next(r for r in proto.monitoring if r.per_cohort is flag) for flag in (True, False)
    )
    assert monitoring_nmax(proto, tox, "overt") == 39
    assert monitoring_nmax(proto, tox) == 39
    assert monitoring_nmax(proto, feas) == 78
    assert sum(d.planned_n for d in chosen_designs(protocol).values()) == 54


def test_to_dict_is_plain(protocol: Protocol) -> None:
    out = chosen_design(protocol, "overt").to_dict()
    assert out["planned_n"] == 27 and out["design"]["r1"] == 3 and out["matches_search"] is True


@pytest.mark.parametrize(
    "design",
    [
        {"type": "simon_minimax", "p0": 0.30, "p1": 0.50, "planned": None},
        {"type": "single_stage", "planned": None},
    ],
)
def test_every_caller_honours_the_chosen_design(protocol: Protocol, design: dict) -> None:
    """The design report, the demo, the monitoring fitter and the protocol summary agree."""
    from nakip.analysis.monitoring import MonitoringAnalysis
    from nakip.cli.demo_cmd import _designs
    from nakip.report.design_report import build_design_report
    from tests.analysis.factories import trial_data

    proto = variant(protocol, **design)
    choice = chosen_design(proto, "overt")
    report = build_design_report(proto).cohorts[0]
    assert report.max_n == choice.planned_n
    assert (report.chosen.r1, report.chosen.n1, report.chosen.r, report.chosen.n) == (
        choice.r1, choice.n1, choice.r, choice.n,
    )  # fmt: skip
    demo = next(d for d in _designs(proto) if d["cohort"] == "overt")
    assert demo["chosen"]["planned_n"] == choice.planned_n and demo["type"] == design["type"]
    fit = MonitoringAnalysis(proto).fit(trial_data())
    assert fit.rules["overt"][0].nmax == choice.planned_n
    assert fit.rules["all"][0].nmax == 2 * choice.planned_n
    assert (fit.simon["overt"].r, fit.simon["overt"].n) == (choice.r, choice.n)
