"""The protocol's chosen design and planned sample size per cohort: the one place that decides it.

Every reader (design report, demo, monitoring command, analysis fitters, web pages) calls
`chosen_design`; none looks at `design.type` or `design.planned` itself. Rule: the boundaries the
trial runs by are the protocol's `planned` boundaries when it states them (checked against the
recomputed design, a mismatch is flagged), otherwise the design its `type` names, recomputed
exactly (Simon 1989 optimal or minimax; A'Hern 2001 single stage). Planned n is that design's n.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Literal

from nakip.protocol.model import DesignSpec, MonitoringRule, Protocol

DesignType = Literal["simon_optimal", "simon_minimax", "single_stage"]

DESIGN_LABELS: dict[str, str] = {
    "simon_optimal": "Simon optimal two-stage",
    "simon_minimax": "Simon minimax two-stage",
    "single_stage": "exact single-stage",
}


@dataclass(frozen=True)
class DesignBoundaries:
    """A design's boundaries with its exact properties under p0 and p1.

    Two-stage: stop after stage 1 if X1 <= r1 of n1; reject H0 if X > r of n (Simon 1989).
    Single stage (r1 = n1 = None): reject H0 if X > r of n, Simon's convention for both.
    """

    r1: int | None
    n1: int | None
    r: int
    n: int
    alpha: float
    power: float
    en0: float
    pet0: float

    @property
    def two_stage(self) -> bool:
        """True for a two-stage design."""
        return self.n1 is not None

    @property
    def key(self) -> tuple[int | None, int | None, int, int]:
        """(r1, n1, r, n): the design's identity."""
        return (self.r1, self.n1, self.r, self.n)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class ChosenDesign:
    """The design one cohort runs by, its planned n, and whether it equals the recomputed one.

    `source` is "protocol" when the protocol's planned boundaries govern, else "search";
    `matches_search` is None when the protocol states no planned boundaries.
    """

    cohort: str
    design_type: DesignType
    label: str
    p0: float
    p1: float
    alpha: float
    power: float
    nmax: int
    design: DesignBoundaries
    searched: DesignBoundaries
    source: Literal["protocol", "search"]
    matches_search: bool | None
    message: str

    @property
    def two_stage(self) -> bool:
        """True when the governing design has two stages."""
        return self.design.two_stage

    @property
    def r1(self) -> int | None:
        return self.design.r1

    @property
    def n1(self) -> int | None:
        return self.design.n1

    @property
    def r(self) -> int:
        return self.design.r

    @property
    def n(self) -> int:
        return self.design.n

    @property
    def planned_n(self) -> int:
        """Planned maximum number of patients of the cohort: the governing design's n."""
        return self.design.n

    @property
    def rule_text(self) -> str:
        """The governing rule in a few words, e.g. 'stop if <= 3/9; efficacy if > 13/27'."""
        d = self.design
        tail = f"efficacy if > {d.r}/{d.n}"
        return f"stop if <= {d.r1}/{d.n1}; {tail}" if d.two_stage else f"single stage: {tail}"

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        out = {k: v for k, v in asdict(self).items() if k not in ("design", "searched")}
        out.update(
            r1=self.r1,
            n1=self.n1,
            r=self.r,
            n=self.n,
            planned_n=self.planned_n,
            rule_text=self.rule_text,
            design=self.design.to_dict(),
            searched=self.searched.to_dict(),
        )
        return out


def chosen_design(protocol: Protocol, cohort_code: str) -> ChosenDesign:
    """The design and planned n of cohort `cohort_code` of `protocol` (see the module rule).

    Raises KeyError for an unknown cohort and ValueError when the design cannot be found
    (no design within nmax, or two-stage planned boundaries for a single-stage design).
    """
    cohort = protocol.cohort(cohort_code)
    return _choose(cohort.code, cohort.design)


def chosen_designs(protocol: Protocol) -> dict[str, ChosenDesign]:
    """`chosen_design` of every cohort, in protocol order."""
    return {c.code: _choose(c.code, c.design) for c in protocol.cohorts}


def monitoring_nmax(
    protocol: Protocol, rule: MonitoringRule, cohort_code: str | None = None
) -> int:
    """Patients a monitoring rule can see at most: a per-cohort rule, the cohort's planned n
    (the largest planned n when no cohort is named); a trial-wide rule, the sum over cohorts."""
    sizes = {code: d.planned_n for code, d in chosen_designs(protocol).items()}
    if not rule.per_cohort:
        return sum(sizes.values())
    return sizes[cohort_code] if cohort_code is not None else max(sizes.values())


@lru_cache(maxsize=64)
def _choose(code: str, spec: DesignSpec) -> ChosenDesign:
    searched = _search(code, spec)
    label = DESIGN_LABELS[spec.type]
    if spec.planned is None:
        return ChosenDesign(
            code, spec.type, label, spec.p0, spec.p1, spec.alpha, spec.power, spec.nmax,
            searched, searched, "search", None,
            f"The protocol states no planned boundaries: the {label} design found by the "
            f"exact search governs ({_words(searched)}).",
        )  # fmt: skip
    if spec.type == "single_stage":
        raise ValueError(
            f"cohort {code}: design type single_stage but 'planned' gives two-stage boundaries; "
            "remove 'planned' or choose a two-stage type"
        )
    pl = spec.planned
    planned = _two_stage(pl.r1, pl.n1, pl.r, pl.n, spec.p0, spec.p1)
    matches = planned.key == searched.key
    if matches:
        message = f"The protocol's planned design ({_words(planned)}) equals the {label} design."
    else:
        message = (
            f"MISMATCH: the protocol plans {_words(planned)} (attained alpha "
            f"{planned.alpha:.4f}, power {planned.power:.4f}) but the {label} search gives "
            f"{_words(searched)}; the protocol's planned boundaries govern."
        )
    return ChosenDesign(
        code, spec.type, label, spec.p0, spec.p1, spec.alpha, spec.power, spec.nmax,
        planned, searched, "protocol", matches, message,
    )  # fmt: skip


def _words(d: DesignBoundaries) -> str:
    if d.two_stage:
        return f"r1/n1 = {d.r1}/{d.n1}, r/n = {d.r}/{d.n}"
    return f"single stage, reject H0 if more than {d.r} of {d.n} respond"


def _two_stage(r1: int, n1: int, r: int, n: int, p0: float, p1: float) -> DesignBoundaries:
    from nakip.stats.simon import SimonDesign

    d = SimonDesign.from_boundaries(r1, n1, r, n, p0, p1)
    return DesignBoundaries(d.r1, d.n1, d.r, d.n, d.alpha, d.power, d.en0, d.pet0)


def _search(code: str, spec: DesignSpec) -> DesignBoundaries:
    """The design `spec.type` names, recomputed exactly within nmax."""
    if spec.type == "single_stage":
        from nakip.stats.binomial import NoSingleStageDesignError, single_stage_design

        try:
            s = single_stage_design(spec.p0, spec.p1, spec.alpha, spec.power, spec.nmax)
        except NoSingleStageDesignError as exc:
            raise ValueError(f"cohort {code}: {exc}") from None
        # nakip.stats.binomial states the rule as "reject if X >= r"; Simon's is "X > r".
        return DesignBoundaries(None, None, s.r - 1, s.n, s.alpha, s.power, float(s.n), 0.0)
    from nakip.stats.simon import search

    found = search(spec.p0, spec.p1, spec.alpha, spec.power, spec.nmax)
    d = found.minimax if spec.type == "simon_minimax" else found.optimal
    return DesignBoundaries(d.r1, d.n1, d.r, d.n, d.alpha, d.power, d.en0, d.pet0)
