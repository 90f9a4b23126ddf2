"""The design report as data: one frozen dataclass per table, each with its JSON form.

The HTML/PDF renderer, the figures and `--json` read these objects, never the computation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from nakip.report.analysis_plan import AnalysisPlan
from nakip.stats.binomial import (
    SingleStageDesign,
)
from nakip.stats.simon import SimonDesign


@dataclass(frozen=True)
class DesignRow:
    """One candidate design with its exact properties under p0 and p1.

    Two-stage: stop if X1 <= r1 of n1, promising if X > r of n. Single-stage designs have
    r1 = n1 = None, PET0 = 0 and EN0 = n, and are promising if X > r (r = least count - 1).
    """

    label: str
    r1: int | None
    n1: int | None
    r: int
    n: int
    en0: float
    pet0: float
    alpha: float
    power: float

    @property
    def two_stage(self) -> bool:
        """True for a two-stage design."""
        return self.n1 is not None

    @property
    def boundaries(self) -> tuple[int | None, int | None, int, int]:
        """(r1, n1, r, n), the design's identity."""
        return (self.r1, self.n1, self.r, self.n)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return asdict(self)

    @classmethod
    def from_simon(cls, label: str, d: SimonDesign) -> DesignRow:
        """Row for a Simon design (attained alpha and power as computed by the search)."""
        return cls(label, d.r1, d.n1, d.r, d.n, d.en0, d.pet0, d.alpha, d.power)

    @classmethod
    def from_single(cls, label: str, d: SingleStageDesign) -> DesignRow:
        """Row for a single-stage design (promising if X > r: the same r as the design's)."""
        return cls(label, None, None, d.r, d.n, float(d.n), 0.0, d.alpha, d.power)


@dataclass(frozen=True)
class PlannedCheck:
    """Does the protocol's `planned` design equal the one the search finds?"""

    status: Literal["match", "mismatch", "absent"]
    planned: DesignRow | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return {
            "status": self.status,
            "planned": None if self.planned is None else self.planned.to_dict(),
            "message": self.message,
        }


@dataclass(frozen=True)
class OCRow:
    """Operating characteristics of the chosen design at one true response rate."""

    p: float
    prob_promising: float
    pet: float
    expected_n: float

    def to_dict(self) -> dict[str, float]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class CohortDesign:
    """The design section of one cohort: hypotheses, designs, rules in words and OC."""

    code: str
    name: str
    description: str
    endpoint: str
    design_type: str
    design_label: str
    p0: float
    p1: float
    alpha: float
    power: float
    nmax: int
    chosen: DesignRow
    optimal: DesignRow
    minimax: DesignRow
    single_stage: DesignRow | None
    planned_check: PlannedCheck
    decision_rules: tuple[str, ...]
    oc: tuple[OCRow, ...]
    curve: dict[str, tuple[float, ...]] = field(repr=False)
    max_n: int = 0  # planned maximum sample size (nakip.analysis.design_choice decides it)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view (the dense plotting curves are left out)."""
        return {
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "endpoint": self.endpoint,
            "design_type": self.design_type,
            "design_label": self.design_label,
            "hypotheses": {
                "p0": self.p0,
                "p1": self.p1,
                "alpha": self.alpha,
                "power": self.power,
                "sided": "one-sided",
                "nmax": self.nmax,
            },
            "max_n": self.max_n,
            "chosen": self.chosen.to_dict(),
            "optimal": self.optimal.to_dict(),
            "minimax": self.minimax.to_dict(),
            "single_stage": None if self.single_stage is None else self.single_stage.to_dict(),
            "planned_check": self.planned_check.to_dict(),
            "decision_rules": list(self.decision_rules),
            "oc": [row.to_dict() for row in self.oc],
        }


@dataclass(frozen=True)
class BoundaryRow:
    """Stop if at least `stop_if_at_least` events among the first n (None: no stop at n)."""

    n: int
    stop_if_at_least: int | None
    posterior_at_boundary: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class BoundaryRange:
    """Consecutive patient counts n_from..n_to sharing one stopping count."""

    n_from: int
    n_to: int
    stop_if_at_least: int

    @property
    def patients(self) -> str:
        """'3' or '3-4' (en dash), for tables."""
        return str(self.n_from) if self.n_from == self.n_to else f"{self.n_from}\u2013{self.n_to}"

    def to_dict(self) -> dict[str, int]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class MonitoringOCRow:
    """Exact OC of a monitoring rule at one true event rate."""

    rate: float
    prob_stop: float
    prob_early_stop: float
    expected_n: float
    expected_events: float

    def to_dict(self) -> dict[str, float]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class MonitoringSection:
    """One monitoring rule applied to one population (a cohort, each cohort, or all pooled)."""

    code: str
    event: str
    description: str
    event_definition: str
    prior_a: float
    prior_b: float
    limit: float
    cutoff: float
    min_patients: int
    per_cohort: bool
    scope: str
    nmax: int
    words: str
    boundaries: tuple[BoundaryRow, ...]
    ranges: tuple[BoundaryRange, ...]
    oc: tuple[MonitoringOCRow, ...]
    curve: dict[str, tuple[float, ...]] = field(repr=False)

    @property
    def key(self) -> str:
        """Identifier used in file names and anchors."""
        return f"{self.code}-n{self.nmax}"

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view (the dense plotting curve is left out)."""
        return {
            "code": self.code,
            "event": self.event,
            "description": self.description,
            "event_definition": self.event_definition,
            "prior": {"a": self.prior_a, "b": self.prior_b},
            "limit": self.limit,
            "cutoff": self.cutoff,
            "min_patients": self.min_patients,
            "per_cohort": self.per_cohort,
            "scope": self.scope,
            "nmax": self.nmax,
            "words": self.words,
            "boundaries": [b.to_dict() for b in self.boundaries],
            "ranges": [r.to_dict() for r in self.ranges],
            "oc": [row.to_dict() for row in self.oc],
        }


@dataclass(frozen=True)
class DesignReport:
    """The statistical-design section of a protocol, ready to render or print as JSON."""

    acronym: str
    title: str
    registry_id: str
    study_id: str
    sponsor: str
    protocol_version: str
    protocol_date: str
    software_version: str
    generated: str
    cohorts: tuple[CohortDesign, ...]
    monitoring: tuple[MonitoringSection, ...]
    methods: tuple[str, ...]
    references: tuple[str, ...]
    plan: AnalysisPlan | None = None

    @property
    def mismatches(self) -> tuple[CohortDesign, ...]:
        """Cohorts whose planned design differs from the computed one."""
        return tuple(c for c in self.cohorts if c.planned_check.status == "mismatch")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view of the whole report."""
        return {
            "trial": {
                "acronym": self.acronym,
                "title": self.title,
                "registry_id": self.registry_id,
                "study_id": self.study_id,
                "sponsor": self.sponsor,
                "protocol_version": self.protocol_version,
                "protocol_date": self.protocol_date,
            },
            "software_version": self.software_version,
            "generated": self.generated,
            "cohorts": [c.to_dict() for c in self.cohorts],
            "monitoring": [m.to_dict() for m in self.monitoring],
            "methods": list(self.methods),
            "analysis_plan": None if self.plan is None else self.plan.to_dict(),
            "references": list(self.references),
        }
