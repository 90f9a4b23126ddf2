"""Dose-limiting toxicity (DLT): does one adverse event count, and is it inside the DLT window?

Source: NAKIP-AML protocol DLT definition (docs/clinical-rules.md "DLT"; `safety.dlt` in the
protocol file, model `DLTDefinition`), with CTCAE v5.0 grades for toxicities, ASTCT 2019
grades for CRS and ICANS (Lee et al., BBMT 2019) and the overall acute GVHD grade I-IV (MAGIC)
for aGVHD.

Conventions NAKIP chose where the definition is silent (each documented in `evaluate_dlt`):
- Window (revised, `dlt_window`): from the first dose of study treatment (talazoparib cycle 1
  day 1 = study day 1) through `window_days` (28) days after the first NK-cell infusion, that day
  included, so the talazoparib-only days 1-7 count; the day before C1D1 does not, nor the day
  after the last window day. Until the first NK-cell infusion is given the window is open-ended.
- Attribution scale unrelated < unlikely < possible < probable < definite; the event counts when
  the stronger of the talazoparib and NK-cell attributions reaches `min_attribution`. A missing
  attribution is treated as related (the usual sponsor convention for unassessed causality
  (a conservative sponsor convention, NAKIP's choice) and listed in `missing` so the site is
  queried.
- Exemptions need positive evidence: a grade 3 nausea whose control time is unknown is not exempt.
- CRS, ICANS, aGVHD and infusion reactions are product-specific toxicities and count without an
  attribution check. Prolonged aplasia counts without attribution (no leukaemia is required).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from nakip.clinical.thresholds import check_flag, check_number, rounded
from nakip.protocol.model import DLTDefinition

DECIMALS = 9
ATTRIBUTION_SCALE: tuple[str, ...] = ("unrelated", "unlikely", "possible", "probable", "definite")
_ATTRIBUTION_ALIASES = {
    "not related": "unrelated",
    "not_related": "unrelated",
    "none": "unrelated",
    "unlikely related": "unlikely",
    "unlikely_related": "unlikely",
    "possibly": "possible",
    "possibly related": "possible",
    "possibly_related": "possible",
    "probably": "probable",
    "probably related": "probable",
    "probably_related": "probable",
    "definitely": "definite",
    "definitely related": "definite",
    "definitely_related": "definite",
    "related": "definite",
}
Category = Literal[
    "nonhematologic", "hematologic", "crs", "icans", "agvhd", "infusion_reaction", "death"
]
CATEGORIES: tuple[str, ...] = (
    "nonhematologic",
    "hematologic",
    "crs",
    "icans",
    "agvhd",
    "infusion_reaction",
    "death",
)
# CTCAE v5.0 "Metabolism and nutrition disorders" electrolyte terms, matched by the protocol's
# "Electrolyte abnormality" exemption.
ELECTROLYTE_TERMS = frozenset(
    f"{p}{ion}{suffix}"
    for p in ("hypo", "hyper")
    for ion in ("kal", "natr", "calc", "magnes", "phosphat")
    for suffix in ("emia", "aemia")
) | {"electrolyte abnormality"}
_ADVERB = {
    "unrelated": "unrelated",
    "unlikely": "unlikely",
    "possible": "possibly",
    "probable": "probably",
    "definite": "definitely",
}
_SPELLINGS = {"diarrhoea": "diarrhea", "oedema": "edema"}


def _term_key(term: str) -> str:
    t = term.strip().lower()
    return _SPELLINGS.get(t, t)


def _is_infection(term: str) -> bool:
    t = _term_key(term)
    return t == "febrile neutropenia" or "infection" in t or t in {"sepsis", "bacteremia"}


@dataclass(frozen=True)
class AdverseEventRecord:
    """One adverse event as needed to judge it against the DLT definition.

    `ctcae_grade`: CTCAE v5.0 grade; for `crs`/`icans` the ASTCT grade; for `agvhd` the overall
    grade 1-4 (I-IV). `controlled_within_hours`: hours from onset until a grade 3 nausea,
    vomiting, diarrhoea or electrolyte abnormality was controlled/corrected.
    `hours_to_grade_1_or_less`: for grade 2 CRS, hours until back to grade <= 1 (None: not yet).
    `duration_days`: for fatigue, how long grade 3 lasted (else taken from the dates).
    `disease_related`: the investigator judged an infection/febrile neutropenia due to the AML.
    Aplasia fields (category `hematologic`): counts in 10^9/L, marrow cellularity %, leukaemia
    found in the marrow, and the date of that assessment.
    """

    term: str
    ctcae_grade: int
    onset_date: date
    category: Category = "nonhematologic"
    resolution_date: date | None = None
    attribution_talazoparib: str | None = None
    attribution_nk: str | None = None
    controlled_within_hours: float | None = None
    hours_to_grade_1_or_less: float | None = None
    duration_days: float | None = None
    disease_related: bool | None = None
    assessment_date: date | None = None
    anc_per_nl: float | None = None
    platelets_per_nl: float | None = None
    marrow_cellularity_pct: float | None = None
    leukaemia_present: bool | None = None


@dataclass(frozen=True)
class DLTResult:
    """Whether the event is a DLT; `in_window` says whether it fell in the period its rule counts.

    `missing` names inputs that were absent and replaced by the conservative reading given in
    `rule`; a non-empty `missing` means the decision is provisional pending a data query.
    """

    is_dlt: bool
    in_window: bool
    rule: str
    study_day: int | None = None
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "is_dlt": self.is_dlt,
            "in_window": self.in_window,
            "rule": self.rule,
            "study_day": self.study_day,
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class DLTWindow:
    """The DLT observation window: `start` is day 1; `end` the last day inside (None while the
    first NK-cell infusion, which fixes the end, has not been given)."""

    start: date
    end: date | None

    def contains(self, day: date) -> bool:
        """Whether a date lies in the window (both ends included)."""
        return self.start <= day and (self.end is None or day <= self.end)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end is not None else None,
        }


def dlt_window(
    treatment_start: date | None, first_nk_infusion: date | None, definition: DLTDefinition
) -> DLTWindow | None:
    """The window of the protocol's definition: opens on `window_start` (first talazoparib dose
    = C1D1, or the first NK-cell infusion) and closes `window_days` days after the first NK-cell
    infusion (`window_end_anchor: first_nk_infusion`) or on day `window_days` of the window
    (`window_start`). None when the date that opens it is unknown."""
    d = definition
    start = treatment_start if d.window_start == "first_talazoparib" else first_nk_infusion
    if start is None:
        return None
    _as_date("window_start", start)
    if d.window_end_anchor == "window_start":
        return DLTWindow(start, start + timedelta(days=d.window_days - 1))
    if first_nk_infusion is None:
        return DLTWindow(start, None)
    _as_date("first_nk_infusion", first_nk_infusion)
    if first_nk_infusion < start:
        raise ValueError(f"first_nk_infusion: {first_nk_infusion} is before the window start")
    return DLTWindow(start, first_nk_infusion + timedelta(days=d.window_days))


def study_day(event_date: date, window_start: date) -> int:
    """Study day of a date counting the window start as day 1 (the day before is day 0)."""
    return (event_date - window_start).days + 1


def attribution_rank(value: str, field: str = "attribution") -> int:
    """Position of an attribution on the scale unrelated (0) < ... < definite (4)."""
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected one of {', '.join(ATTRIBUTION_SCALE)}, got {value!r}")
    key = value.strip().lower()
    key = _ATTRIBUTION_ALIASES.get(key, key)
    if key not in ATTRIBUTION_SCALE:
        raise ValueError(
            f"{field}: unknown attribution {value!r}; known: {', '.join(ATTRIBUTION_SCALE)}"
        )
    return ATTRIBUTION_SCALE.index(key)


def _default_definition() -> DLTDefinition:
    from nakip.protocol import load_protocol

    return load_protocol().safety.dlt


def _as_date(name: str, value: object, required: bool = True) -> date | None:
    if value is None:
        if required:
            raise ValueError(f"{name}: a date is required")
        return None
    if not isinstance(value, date):
        raise ValueError(f"{name}: expected a date, got {type(value).__name__}")
    return value


def _validate(ae: AdverseEventRecord) -> None:
    if not isinstance(ae.term, str) or not ae.term.strip():
        raise ValueError("term: a non-empty adverse-event term is required")
    g = ae.ctcae_grade
    if isinstance(g, bool) or not isinstance(g, int) or not 1 <= g <= 5:
        raise ValueError(f"ctcae_grade: expected an integer 1-5, got {g!r}")
    if ae.category not in CATEGORIES:
        raise ValueError(f"category: expected one of {', '.join(CATEGORIES)}, got {ae.category!r}")
    if ae.category == "agvhd" and g > 4:
        raise ValueError(f"ctcae_grade: acute GVHD grade must be 1-4 (I-IV), got {g}")
    onset = _as_date("onset_date", ae.onset_date)
    res = _as_date("resolution_date", ae.resolution_date, required=False)
    if res is not None and onset is not None and res < onset:
        raise ValueError("resolution_date: before onset_date")
    _as_date("assessment_date", ae.assessment_date, required=False)
    for name in ("controlled_within_hours", "hours_to_grade_1_or_less", "duration_days"):
        check_number(name, getattr(ae, name), minimum=0.0)
    check_number("anc_per_nl", ae.anc_per_nl, minimum=0.0)
    check_number("platelets_per_nl", ae.platelets_per_nl, minimum=0.0)
    check_number("marrow_cellularity_pct", ae.marrow_cellularity_pct, minimum=0.0, maximum=100.0)
    check_flag("disease_related", ae.disease_related)
    check_flag("leukaemia_present", ae.leukaemia_present)
    for name in ("attribution_talazoparib", "attribution_nk"):
        if getattr(ae, name) is not None:
            attribution_rank(getattr(ae, name), name)


def _related(ae: AdverseEventRecord, d: DLTDefinition) -> tuple[bool, str, tuple[str, ...]]:
    """Is the event at least `min_attribution` related to talazoparib or the NK cells?"""
    need = ATTRIBUTION_SCALE.index(d.min_attribution)
    given = {
        "talazoparib": ae.attribution_talazoparib,
        "NK cells": ae.attribution_nk,
    }
    missing = tuple(
        f"attribution_{'nk' if k == 'NK cells' else k}" for k, v in given.items() if v is None
    )
    ranks = {k: attribution_rank(v) for k, v in given.items() if v is not None}
    hit = [k for k, r in ranks.items() if r >= need]
    if hit:
        return True, f"{_ADVERB[ATTRIBUTION_SCALE[ranks[hit[0]]]]} related to {hit[0]}", missing
    if missing:
        return True, "attribution missing, treated as related", missing
    return False, f"not at least {_ADVERB[d.min_attribution]} related to either drug", ()


def _exemption(ae: AdverseEventRecord, d: DLTDefinition) -> tuple[str | None, tuple[str, ...]]:
    """The definition's exemption sparing this grade 3-4 event, or None (and the fields found
    missing)."""
    term = _term_key(ae.term)
    exempt_terms = {_term_key(t) for t in d.exempt_controlled_terms}
    electrolyte = term in ELECTROLYTE_TERMS and "electrolyte abnormality" in exempt_terms
    if ae.ctcae_grade == 3 and (term in exempt_terms or electrolyte):
        h = ae.controlled_within_hours
        limit = d.exempt_if_controlled_within_hours
        if h is None:
            return None, ("controlled_within_hours",)
        if rounded(h, DECIMALS) <= limit:
            return f"grade 3 {ae.term} controlled within {limit} h ({h:g} h)", ()
        return None, ()
    if ae.ctcae_grade == 3 and term == "fatigue":
        days = ae.duration_days
        if days is None and ae.resolution_date is not None:
            days = float((ae.resolution_date - ae.onset_date).days)
        if days is None:
            return None, ("duration_days",)
        if rounded(days, DECIMALS) < d.exempt_fatigue_max_days:
            return f"grade 3 fatigue lasting < {d.exempt_fatigue_max_days} days ({days:g})", ()
        return None, ()
    if _is_infection(ae.term):
        if ae.disease_related is None:
            return None, ("disease_related",)
        if ae.disease_related:
            return f"{ae.term} judged disease-related", ()
    return None, ()


def _aplasia(ae: AdverseEventRecord, window_start: date, d: DLTDefinition) -> DLTResult:
    """Prolonged aplasia (docs/clinical-rules.md "DLT"): ANC < 0.5 or platelets < 20 x 10^9/L
    after day `aplasia_after_day` with marrow cellularity < 10 % and no leukaemia; judged at the
    assessment date."""
    when = ae.assessment_date or ae.onset_date
    day = study_day(when, window_start)
    in_period = day > d.aplasia_after_day
    missing: list[str] = []
    anc, plt = ae.anc_per_nl, ae.platelets_per_nl
    low_anc = anc is not None and rounded(anc, DECIMALS) < d.aplasia_anc_below
    low_plt = plt is not None and rounded(plt, DECIMALS) < d.aplasia_platelets_below
    if not (low_anc or low_plt):
        missing += [n for n, v in (("anc_per_nl", anc), ("platelets_per_nl", plt)) if v is None]
    cell = ae.marrow_cellularity_pct
    hypocellular = cell is not None and rounded(cell, DECIMALS) < d.aplasia_cellularity_below_pct
    if cell is None:
        missing.append("marrow_cellularity_pct")
    if ae.leukaemia_present is None:
        missing.append("leukaemia_present")
    met = (low_anc or low_plt) and hypocellular and ae.leukaemia_present is False
    crit = (
        f"ANC < {d.aplasia_anc_below:g} or platelets < {d.aplasia_platelets_below:g} x 10^9/L, "
        f"cellularity < {d.aplasia_cellularity_below_pct:g} %, no leukaemia"
    )
    if not in_period:
        return DLTResult(
            False,
            False,
            f"prolonged aplasia is judged after day {d.aplasia_after_day}; assessment on "
            f"study day {day}",
            day,
            tuple(missing),
        )
    if met:
        return DLTResult(True, True, f"DLT: prolonged aplasia on day {day} ({crit})", day)
    why = "not met" if not missing else "not shown (missing data)"
    return DLTResult(
        False,
        True,
        f"haematological toxicity is not a DLT; prolonged aplasia ({crit}) {why}",
        day,
        tuple(missing),
    )


def evaluate_dlt(
    ae: AdverseEventRecord, window: DLTWindow | date, definition: DLTDefinition | None = None
) -> DLTResult:
    """Judge one adverse event against the protocol's DLT definition (docs/clinical-rules.md).

    Window: `window` from `dlt_window` (a bare date is the window start of a definition whose
    end is counted from it, `window_end_anchor: window_start`); onset from day 1 (the start)
    to the last window day counts. Prolonged aplasia instead is judged at an assessment after
    study day `aplasia_after_day`. Rules, in order: grade 5 at least possibly related
    (treatment-related death); CRS >= crs_min_grade or grade 2 not back to <= 1 within
    crs_grade2_max_hours (unknown: counts); ICANS >= icans_min_grade; aGVHD >= agvhd_min_grade;
    infusion reaction >= its grade; haematological: prolonged aplasia only; non-haematological
    >= nonhematologic_min_grade and related, unless exempt (grade 3 nausea/vomiting/diarrhoea/
    electrolytes controlled within the hours, grade 3 fatigue shorter than the days, infection or
    febrile neutropenia judged disease-related). A DLT rule met outside the window gives is_dlt
    False with in_window False and the rule named.
    """
    d = definition or _default_definition()
    _validate(ae)
    if isinstance(window, DLTWindow):
        win = window
    else:
        start = _as_date("window_start", window)
        assert start is not None
        if d.window_end_anchor != "window_start":
            raise ValueError(
                "window: this definition ends the window after the first NK-cell infusion; "
                "pass dlt_window(treatment_start, first_nk_infusion, definition)"
            )
        win = DLTWindow(start, start + timedelta(days=d.window_days - 1))
    if ae.category == "hematologic" and ae.ctcae_grade < 5:
        return _aplasia(ae, win.start, d)
    day = study_day(ae.onset_date, win.start)
    in_window = win.contains(ae.onset_date)
    met, rule, missing = _dlt_rule(ae, d)
    where = f"onset on study day {day}"
    if not in_window:
        last = (
            f"day {study_day(win.end, win.start)} ({win.end.isoformat()})"
            if win.end is not None
            else "open"
        )
        span = f"window day 1 ({win.start.isoformat()}) to {last}"
        verdict = "would be a DLT" if met else "not a DLT"
        return DLTResult(
            False,
            False,
            f"outside the DLT window ({where}; {span}): {verdict}: {rule}",
            day,
            missing,
        )
    return DLTResult(met, True, f"{'DLT' if met else 'not a DLT'}: {rule} ({where})", day, missing)


def _dlt_rule(ae: AdverseEventRecord, d: DLTDefinition) -> tuple[bool, str, tuple[str, ...]]:
    g = ae.ctcae_grade
    cat = ae.category
    if g == 5:
        related, why, missing = _related(ae, d)
        if related:
            return True, f"treatment-related death (grade 5, {why})", missing
        if cat == "death":
            return False, f"death not treatment-related ({why})", missing
        # An unrelated grade 5 of a product-specific category still counts below.
    if cat == "death":
        raise ValueError(f"ctcae_grade: a 'death' event must be grade 5, got {g}")
    if cat == "crs":
        if g >= d.crs_min_grade:
            return True, f"CRS grade {g} >= {d.crs_min_grade} (ASTCT 2019)", ()
        if g == 2:
            h = ae.hours_to_grade_1_or_less
            limit = d.crs_grade2_max_hours
            if h is None:
                return (
                    True,
                    f"CRS grade 2 not shown back to grade <= 1 within {limit} h",
                    ("hours_to_grade_1_or_less",),
                )
            if rounded(h, DECIMALS) <= limit:
                return False, f"CRS grade 2 back to grade <= 1 within {limit} h ({h:g} h)", ()
            return True, f"CRS grade 2 not back to grade <= 1 within {limit} h ({h:g} h)", ()
        return False, f"CRS grade {g} < {d.crs_min_grade}", ()
    if cat == "icans":
        met = g >= d.icans_min_grade
        return met, f"ICANS grade {g} {'>=' if met else '<'} {d.icans_min_grade} (ASTCT 2019)", ()
    if cat == "agvhd":
        met = g >= d.agvhd_min_grade
        roman = ["I", "II", "III", "IV"]
        return (
            met,
            f"acute GVHD grade {roman[g - 1]} {'>=' if met else '<'} "
            f"{roman[d.agvhd_min_grade - 1]}",
            (),
        )
    if cat == "infusion_reaction":
        met = g >= d.infusion_reaction_min_grade
        sign = ">=" if met else "<"
        return met, f"infusion reaction grade {g} {sign} {d.infusion_reaction_min_grade}", ()
    if cat == "hematologic":  # grade 5 haematological, not related
        return False, "haematological death not treatment-related", ()
    # non-haematological toxicity
    if g < d.nonhematologic_min_grade:
        return False, f"non-haematological grade {g} < {d.nonhematologic_min_grade}", ()
    related, why, missing = _related(ae, d)
    if not related:
        return False, f"non-haematological grade {g} {why}", ()
    exempt, exempt_missing = _exemption(ae, d)
    if exempt:
        return False, f"exempt: {exempt}", missing
    note = f"; exemption not shown ({', '.join(exempt_missing)} missing)" if exempt_missing else ""
    return (
        True,
        f"non-haematological {ae.term} grade {g} >= {d.nonhematologic_min_grade}, {why}{note}",
        missing + exempt_missing,
    )
