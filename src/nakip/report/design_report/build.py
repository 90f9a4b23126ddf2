"""The whole design report of a protocol: cohorts, monitoring, methods and references.

`build_design_report` is the one entry point; the rate grids and references are its defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from nakip import __version__
from nakip.analysis.design_choice import (
    chosen_designs,
)
from nakip.protocol.model import Protocol
from nakip.report.analysis_plan import build_analysis_plan
from nakip.report.design_report.cohorts import _cohort_design
from nakip.report.design_report.monitoring import _event_definition, _monitoring
from nakip.report.design_report.results import CohortDesign, DesignReport, MonitoringSection

# True response rates of the cohort OC tables (0.20..0.70 step 0.05); p0 and p1 are added.
DEFAULT_RESPONSE_RATES: tuple[float, ...] = tuple(round(0.20 + 0.05 * i, 2) for i in range(11))
# True event rates of the monitoring OC tables (0.05..0.50 step 0.05); the limit is added.
DEFAULT_EVENT_RATES: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 11))

REFERENCES: dict[str, str] = {
    "simon1989": (
        "Simon R. Optimal two-stage designs for phase II clinical trials. "
        "Control Clin Trials. 1989;10(1):1-10."
    ),
    "jung2004": (
        "Jung SH, Lee T, Kim K, George SL. Admissible two-stage designs for phase II cancer "
        "clinical trials. Stat Med. 2004;23(4):561-569."
    ),
    "thall1994": (
        "Thall PF, Simon R. Practical Bayesian guidelines for phase IIB clinical trials. "
        "Biometrics. 1994;50(2):337-349."
    ),
    "thall1995": (
        "Thall PF, Simon RM, Estey EH. Bayesian sequential monitoring designs for single-arm "
        "clinical trials with multiple outcomes. Stat Med. 1995;14(4):357-379."
    ),
    "ahern2001": (
        "A'Hern RP. Sample size tables for exact single-stage phase II designs. "
        "Stat Med. 2001;20(6):859-866."
    ),
    "koyama2008": (
        "Koyama T, Chen H. Proper inference from Simon's two-stage designs. "
        "Stat Med. 2008;27(16):3145-3154."
    ),
    "jungkim2004": (
        "Jung SH, Kim KM. On the estimation of the binomial probability in multistage clinical "
        "trials. Stat Med. 2004;23(6):881-896."
    ),
    "eln2022": (
        "Döhner H, Wei AH, Appelbaum FR, et al. Diagnosis and management of AML in adults: 2022 "
        "recommendations from an international expert panel on behalf of the ELN. "
        "Blood. 2022;140(12):1345-1377."
    ),
    "ich_e9": "ICH E9. Statistical principles for clinical trials. 1998; section 5.2.",
}


def _methods(
    cohorts: Sequence[CohortDesign], monitoring: Sequence[MonitoringSection]
) -> tuple[str, ...]:
    two_stage = any(c.chosen.two_stage for c in cohorts)
    first = (
        "Each cohort is analysed independently with an exact binomial design for its primary "
        "response endpoint, testing H0: p ≤ p0 against H1: p ≥ p1 at one-sided level α. "
    )
    if two_stage:
        first += (
            "Two-stage designs follow Simon (1989): among all designs with total sample size "
            "n ≤ nmax, exact type-I error ≤ α and power ≥ 1 − β, the optimal design "
            "minimises the expected sample size under H0 (EN0) and the minimax design minimises "
            "n (ties broken by EN0). Designs between the two are admissible in the sense of "
            "Jung et al. (2004). The trial stops for futility after stage 1 if r1 or fewer of "
            "n1 patients respond; there is no early stop for efficacy. "
        )
    else:
        first += "The single-stage design is the smallest exact design (A'Hern 2001). "
    first += (
        "Operating characteristics (probability of declaring the treatment promising, "
        "probability of early termination PET, expected sample size) are exact binomial sums."
    )
    out = [first]
    if monitoring:
        out.append(
            "Safety and feasibility are monitored continuously with Bayesian beta-binomial "
            "rules (Thall & Simon 1994; Thall, Simon & Estey 1995): with a Beta(a, b) prior on "
            "the event rate, enrolment stops when the posterior probability that the rate "
            "exceeds its limit is above the cutoff. Each rule is tabulated as the least number "
            "of events among the first n patients that stops the trial; its operating "
            "characteristics (probability of stopping, expected number of patients treated) are "
            "computed exactly by forward recursion over the patient-by-event lattice, assuming "
            "every patient is evaluable."
        )
    return tuple(out)


def build_design_report(
    protocol: Protocol,
    *,
    response_rates: Sequence[float] = DEFAULT_RESPONSE_RATES,
    event_rates: Sequence[float] = DEFAULT_EVENT_RATES,
    today: date | None = None,
) -> DesignReport:
    """Compute the statistical-design section of `protocol` for every cohort and monitoring rule.

    Raises ValueError (including nakip.stats.simon.NoDesignError) when a design cannot be found.
    """
    choices = chosen_designs(protocol)
    cohorts = tuple(_cohort_design(c, choices[c.code], response_rates) for c in protocol.cohorts)
    monitoring: list[MonitoringSection] = []
    for rule in protocol.monitoring:
        monitoring.extend(
            _monitoring(rule, cohorts, event_rates, _event_definition(protocol, rule.event))
        )
    refs = ["simon1989", "jung2004"]
    if any(not c.chosen.two_stage for c in cohorts):
        refs.append("ahern2001")
    if monitoring:
        refs += ["thall1994", "thall1995"]
    refs += ["ich_e9", "eln2022"]
    if any(c.chosen.two_stage for c in cohorts):
        refs += ["koyama2008", "jungkim2004"]
    trial = protocol.trial
    return DesignReport(
        acronym=trial.acronym,
        title=" ".join(trial.title.split()),
        registry_id=trial.registry_id,
        study_id=trial.study_id,
        sponsor=trial.sponsor,
        protocol_version=trial.protocol_version,
        protocol_date=trial.protocol_date.isoformat(),
        software_version=__version__,
        generated=(today or date.today()).isoformat(),
        cohorts=cohorts,
        monitoring=tuple(monitoring),
        methods=_methods(cohorts, monitoring),
        references=tuple(REFERENCES[k] for k in refs),
        plan=build_analysis_plan(protocol, {c.code: c.chosen for c in cohorts}),
    )
