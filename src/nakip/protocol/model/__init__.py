"""Pydantic model of a single-arm phase I/II protocol: the trial as data.

Every trial-specific number NAKIP uses (cohorts, criteria, treatment, schedule, thresholds, design,
monitoring, case report forms) lives in one YAML file validated by this model; code reads it.
One module per section of the file: `base` (the strict base and shared types), `eligibility`,
`cohorts` (trial, endpoints, designs), `treatment`, `schedule`, `criteria` (clinical criteria and
event definitions), `monitoring`, `forms` and `protocol` (the whole file).
"""

from nakip.protocol.model.base import CohortCode, NonNegative, Probability, Strict
from nakip.protocol.model.cohorts import (
    RESPONDER_DEFINITIONS,
    Cohort,
    DesignSpec,
    PlannedSimonDesign,
    PrimaryEndpoint,
    ResponderDefinition,
    Trial,
)
from nakip.protocol.model.criteria import (
    DLTDefinition,
    EFSDefinition,
    ELN2022Criteria,
    MRDCriteria,
    ResponseCriteria,
    Safety,
    TimeToEvent,
)
from nakip.protocol.model.eligibility import Condition, Criterion, Eligibility, MRDEntry, OvertEntry
from nakip.protocol.model.forms import FormDefinition, FormField
from nakip.protocol.model.monitoring import MonitoringRule
from nakip.protocol.model.protocol import DateLimits, Protocol
from nakip.protocol.model.schedule import FollowUp, Schedule, Visit
from nakip.protocol.model.treatment import NKInfusionPlan, Talazoparib, Treatment

__all__ = [
    "Cohort",
    "CohortCode",
    "Condition",
    "Criterion",
    "DLTDefinition",
    "DateLimits",
    "DesignSpec",
    "EFSDefinition",
    "ELN2022Criteria",
    "Eligibility",
    "FollowUp",
    "FormDefinition",
    "FormField",
    "MRDCriteria",
    "MRDEntry",
    "MonitoringRule",
    "NKInfusionPlan",
    "NonNegative",
    "OvertEntry",
    "PlannedSimonDesign",
    "PrimaryEndpoint",
    "Probability",
    "Protocol",
    "RESPONDER_DEFINITIONS",
    "ResponderDefinition",
    "ResponseCriteria",
    "Safety",
    "Schedule",
    "Strict",
    "Talazoparib",
    "TimeToEvent",
    "Treatment",
    "Trial",
    "Visit",
]
