"""The whole protocol file: every section, with the checks that span sections.

The loader validates the YAML file against `Protocol`; code reads the trial from it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from nakip.protocol.model.base import Strict
from nakip.protocol.model.cohorts import Cohort, Trial
from nakip.protocol.model.criteria import ResponseCriteria, Safety, TimeToEvent
from nakip.protocol.model.eligibility import Eligibility
from nakip.protocol.model.forms import FormDefinition
from nakip.protocol.model.monitoring import MonitoringRule
from nakip.protocol.model.schedule import Schedule
from nakip.protocol.model.treatment import Treatment


class DateLimits(Strict):
    """Plausibility limits of every date field (a field may set its own `earliest` and
    `max_days_ahead`): no date before `earliest`, none later than today + `max_days_ahead`."""

    earliest: date = date(1900, 1, 1)
    max_days_ahead: int = Field(1, ge=0)


class Protocol(Strict):
    """The whole protocol; cross-references between blocks are checked here."""

    schema_version: Literal[1]
    trial: Trial
    cohorts: list[Cohort] = Field(min_length=1)
    eligibility: Eligibility
    treatment: Treatment
    schedule: Schedule
    response_criteria: ResponseCriteria
    safety: Safety
    time_to_event: TimeToEvent
    monitoring: list[MonitoringRule] = Field(default_factory=list)
    forms: list[FormDefinition] = Field(default_factory=list)
    date_limits: DateLimits = Field(default_factory=DateLimits)

    @model_validator(mode="after")
    def _cross_references(self) -> Protocol:
        codes = [c.code for c in self.cohorts]
        if len(set(codes)) != len(codes):
            raise ValueError("cohort codes must be unique")
        missing_efs = sorted(set(codes) - set(self.time_to_event.efs))
        if missing_efs:
            raise ValueError(f"time_to_event.efs lacks cohort(s): {', '.join(missing_efs)}")
        form_versions = [(f.code, f.version) for f in self.forms]
        if len(set(form_versions)) != len(form_versions):
            raise ValueError("each (form code, version) must be unique")
        if self.forms:
            known = {f.code for f in self.forms}
            for visit in self.schedule.visits:
                unknown = sorted(set(visit.forms) - known)
                if unknown:
                    raise ValueError(f"visit {visit.code} names unknown form(s): {unknown}")
        return self

    def cohort(self, code: str) -> Cohort:
        """The cohort with this code (KeyError naming the known codes otherwise)."""
        for c in self.cohorts:
            if c.code == code:
                return c
        raise KeyError(f"unknown cohort {code!r}; known: {', '.join(c.code for c in self.cohorts)}")

    def form(self, code: str, version: int | None = None) -> FormDefinition:
        """A form definition: the given version, or the latest one."""
        matches = [f for f in self.forms if f.code == code]
        if version is not None:
            matches = [f for f in matches if f.version == version]
        if not matches:
            raise KeyError(f"unknown form {code!r}" + (f" version {version}" if version else ""))
        return max(matches, key=lambda f: f.version)

    def current_forms(self) -> list[FormDefinition]:
        """The latest version of every form, in file order of first appearance."""
        seen: dict[str, FormDefinition] = {}
        for f in self.forms:
            if f.code not in seen or f.version > seen[f.code].version:
                seen[f.code] = f
        return list(seen.values())
