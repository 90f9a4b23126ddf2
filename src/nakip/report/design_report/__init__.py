"""The statistical-design section of a protocol as data: designs, decision rules, monitoring, OC.

Pure computation (no files, no plotting): everything is read from the protocol and computed
with nakip.stats, so the HTML/PDF renderer and `--json` show exactly the same numbers.

One module per concern: `results` (the report's dataclasses), `words` (decision rules and
monitoring rules in words), `cohorts` (each cohort's designs and OC), `monitoring` (boundaries and
OC of the monitoring rules) and `build` (the whole report, its methods and references).
"""

from nakip.report.design_report.build import (
    DEFAULT_EVENT_RATES,
    DEFAULT_RESPONSE_RATES,
    REFERENCES,
    build_design_report,
)
from nakip.report.design_report.results import (
    BoundaryRange,
    BoundaryRow,
    CohortDesign,
    DesignReport,
    DesignRow,
    MonitoringOCRow,
    MonitoringSection,
    OCRow,
    PlannedCheck,
)
from nakip.report.design_report.words import (
    monitoring_rule_words,
    simon_decision_rules,
    single_stage_decision_rules,
)

__all__ = [
    "BoundaryRange",
    "BoundaryRow",
    "CohortDesign",
    "DEFAULT_EVENT_RATES",
    "DEFAULT_RESPONSE_RATES",
    "DesignReport",
    "DesignRow",
    "MonitoringOCRow",
    "MonitoringSection",
    "OCRow",
    "PlannedCheck",
    "REFERENCES",
    "build_design_report",
    "monitoring_rule_words",
    "simon_decision_rules",
    "single_stage_decision_rules",
]
