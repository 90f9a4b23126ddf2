"""CTCAE v5.0 grades of the five blood-count adverse events, from a value and its unit.

Source: Common Terminology Criteria for Adverse Events v5.0 (NCI, 27 Nov 2017); SOC
"Investigations" (neutrophil, platelet, white blood cell and lymphocyte count decreased) and SOC
"Blood and lymphatic system disorders" (anaemia, febrile neutropenia); docs/clinical-rules.md.
Thresholds are [seen] in CTCAE v5.0 except lymphocytes and febrile neutropenia, which are
[recalled] (verify against the CTCAE v5.0 table before release).

Conventions (docs/clinical-rules.md):
- "< A - B" means value < A and value >= B; values are converted to the standard unit and rounded
  to 9 decimals before comparing, so ANC 1.0 is grade 2 and 0.5 is grade 3.
- Grades 2-4 use CTCAE's absolute thresholds whatever the LLN. Grade 1 ("< LLN") needs the
  site laboratory's lower limit of normal: without it, a value at or above the grade-2 ceiling
  is graded `None` with a `query` ("cannot tell grade 0 from grade 1 without the LLN"), because a
  data manager must ask the site for the LLN rather than have the event silently dropped (grade 0)
  or invented (grade 1). With an LLN, a value >= LLN is grade 0.
- Haemoglobin in mmol/L is graded on CTCAE's own mmol/L cut-offs (grade 2 < 6.2 - 4.9,
  grade 3 < 4.9 mmol/L), never converted to g/dL: a x 1.611 conversion puts 6.2 (grade 1) and
  4.9 (grade 2) on the wrong side. The LLN must then be in mmol/L too.
- Anaemia grade 4 is "life-threatening consequences; urgent intervention indicated": a clinical
  judgement no haemoglobin value can give, so the value-based grade is capped at 3 and the rule
  says so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from nakip.clinical.thresholds import check_flag, check_number, rounded

DECIMALS = 9
COUNT_UNIT = "10^9/L"
HB_UNIT = "g/dL"
HB_MMOL_UNIT = "mmol/L"
FEBRILE_NEUTROPENIA_GRADE = 3  # CTCAE v5.0: grade 3 by definition; 4/5 need clinical course


class UnknownUnitError(ValueError):
    """The unit is not one NAKIP can convert for this term (message names the accepted ones)."""


class UnknownTermError(ValueError):
    """The adverse-event term is not one of the graded blood-count terms."""


@dataclass(frozen=True)
class _Term:
    """Grading table of one term: upper (exclusive) ceilings of grades 2, 3 and 4 in std units."""

    label: str
    soc: str
    unit: str
    grade2_below: float
    grade3_below: float
    grade4_below: float | None  # None: grade 4 cannot come from a value (anaemia)
    #: CTCAE's own cut-offs in another unit (normalised unit -> table in that unit), used as
    #: printed instead of converting the value (CTCAE v5.0 gives Hb in g/dL, mmol/L and g/L).
    own_scales: tuple[tuple[str, _Term], ...] = ()


TERMS: dict[str, _Term] = {
    "neutrophil_count_decreased": _Term(
        "Neutrophil count decreased", "Investigations", COUNT_UNIT, 1.5, 1.0, 0.5
    ),
    "platelet_count_decreased": _Term(
        "Platelet count decreased", "Investigations", COUNT_UNIT, 75.0, 50.0, 25.0
    ),
    "wbc_decreased": _Term(
        "White blood cell decreased", "Investigations", COUNT_UNIT, 3.0, 2.0, 1.0
    ),
    "lymphocyte_count_decreased": _Term(
        "Lymphocyte count decreased", "Investigations", COUNT_UNIT, 0.8, 0.5, 0.2
    ),
    "anemia": _Term(
        "Anemia",
        "Blood and lymphatic system disorders",
        HB_UNIT,
        10.0,
        8.0,
        None,
        (
            (
                "mmol/l",
                _Term(
                    "Anemia", "Blood and lymphatic system disorders", HB_MMOL_UNIT, 6.2, 4.9, None
                ),
            ),
        ),
    ),
}
_TERM_ALIASES = {
    "anaemia": "anemia",
    "white_blood_cell_decreased": "wbc_decreased",
    "neutropenia": "neutrophil_count_decreased",
    "anc": "neutrophil_count_decreased",
    "thrombocytopenia": "platelet_count_decreased",
    "platelets": "platelet_count_decreased",
    "lymphopenia": "lymphocyte_count_decreased",
    "leukopenia": "wbc_decreased",
    "leucopenia": "wbc_decreased",
    "hemoglobin": "anemia",
    "haemoglobin": "anemia",
}

# Normalised unit spelling -> factor to the standard unit.
_COUNT_UNITS: dict[str, float] = {
    "10^9/l": 1.0,
    "g/l": 1.0,  # "Giga per litre", the German laboratory convention (G/L, Gpt/L)
    "gpt/l": 1.0,
    "/nl": 1.0,
    "1/nl": 1.0,
    "cells/nl": 1.0,
    "10^3/ul": 1.0,
    "10^3/mm3": 1.0,
    "k/ul": 1.0,
    "/ul": 1e-3,
    "1/ul": 1e-3,
    "cells/ul": 1e-3,
    "/mm3": 1e-3,
    "1/mm3": 1e-3,
    "cells/mm3": 1e-3,
}
_HB_UNITS: dict[str, float] = {
    "g/dl": 1.0,
    "g/l": 0.1,  # CTCAE v5.0 prints g/L cut-offs of exactly 10 x the g/dL ones (100, 80)
}


@lru_cache(maxsize=256)
def _normalise_unit(unit: str) -> str:
    """One spelling per unit (`x10E9/L` -> `10^9/l`); cached: a trial uses a handful of units
    and every graded value asks again."""
    u = unit.strip().lower().replace(" ", "")
    u = u.replace("µ", "u").replace("μ", "u").replace("³", "3").replace("⁹", "^9")
    u = u.replace("**", "^").replace("×", "x")
    u = re.sub(r"^x(?=10)", "", u)  # x10^9/L -> 10^9/L
    u = re.sub(r"^10e(\d)", r"10^\1", u)  # 10E9/L -> 10^9/L
    return u


def _resolve_term(term: str) -> tuple[str, _Term]:
    if not isinstance(term, str):
        raise UnknownTermError(f"term: expected a string, got {type(term).__name__}")
    return _resolve_term_text(term)


@lru_cache(maxsize=256)
def _resolve_term_text(term: str) -> tuple[str, _Term]:
    """The canonical key and table of a term name (cached; an unknown name is not cached)."""
    key = term.strip().lower().replace(" ", "_").replace("-", "_")
    key = _TERM_ALIASES.get(key, key)
    if key not in TERMS:
        raise UnknownTermError(f"term: unknown term {term!r}; known: {', '.join(TERMS)}")
    return key, TERMS[key]


def to_standard_unit(term: str, value: float, unit: str) -> float:
    """`value` converted to the term's standard unit (10^9/L for counts, g/dL for haemoglobin).

    Raises UnknownUnitError naming the unit and the accepted spellings; the conversions are
    docs/clinical-rules.md "CTCAE" (1,500/uL = 1.5 x 10^9/L; Hb g/L / 10). Hb in mmol/L is not
    converted (graded on CTCAE's own mmol/L cut-offs by `grade_lab`).
    """
    key, spec = _resolve_term(term)
    if not isinstance(unit, str):
        raise UnknownUnitError(f"unit: expected a string, got {type(unit).__name__}")
    table = _HB_UNITS if spec.unit == HB_UNIT else _COUNT_UNITS
    factor = table.get(_normalise_unit(unit))
    if factor is None:
        if dict(spec.own_scales).get(_normalise_unit(unit)) is not None:
            raise UnknownUnitError(
                f"unit: {unit} is graded on CTCAE's own {unit} cut-offs, not converted to "
                f"{spec.unit}"
            )
        accepted = (
            "g/dL, g/L, mmol/L"
            if spec.unit == HB_UNIT
            else "10^9/L (= G/L = /nL = 10^3/uL), /uL (= /mm3)"
        )
        raise UnknownUnitError(f"unit: unknown unit {unit!r} for {key}; accepted: {accepted}")
    v = check_number("value", value, minimum=0.0)
    assert v is not None
    return v * factor


@dataclass(frozen=True)
class LabGrade:
    """A CTCAE v5.0 grade of one laboratory value, in standard units, with the rule that decided.

    `grade` is None only when grade 0 and grade 1 cannot be told apart without the LLN; `query`
    then says what the site must supply.
    """

    term: str
    grade: int | None
    value_std: float
    unit_std: str
    rule: str
    query: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fmt(x: float) -> str:
    return f"{x:g}"


def grade_lab(
    term: str, value: float, unit: str, lln: float | None = None, lln_unit: str | None = None
) -> LabGrade:
    """CTCAE v5.0 grade of a blood count or haemoglobin; `lln` is in `lln_unit` (default `unit`).

    CTCAE v5.0 (NCI 2017), "Investigations" / "Blood and lymphatic system disorders": grade k when
    the rounded value is below grade k's ceiling and at or above grade k+1's (see module doc).
    The grade of a (term, value, unit, LLN) already graded is reused: it is a pure function,
    and a dataset export grades tens of thousands of values with few distinct ones.
    """
    texts = (term, unit, lln_unit)
    numbers = (value, lln)
    if all(t is None or type(t) is str for t in texts) and all(
        n is None or type(n) in (int, float) for n in numbers
    ):
        return _grade_lab_kept(term, value, unit, lln, lln_unit)
    return _grade_lab(term, value, unit, lln, lln_unit)


def _grade_lab(
    term: str, value: float, unit: str, lln: float | None, lln_unit: str | None
) -> LabGrade:
    """`grade_lab` worked out (no reuse)."""
    if value is None:
        raise ValueError("value: a value is required")
    key, spec = _resolve_term(term)
    own = dict(spec.own_scales).get(_normalise_unit(unit)) if isinstance(unit, str) else None
    if own is not None:  # CTCAE's own table in this unit (Hb mmol/L): grade the value as given
        spec = own
        v_own = check_number("value", value, minimum=0.0)
        assert v_own is not None
        v = rounded(v_own, DECIMALS)
        if lln_unit is not None and _normalise_unit(lln_unit) != _normalise_unit(unit):
            raise UnknownUnitError(f"lln_unit: the LLN must be in {own.unit} like the value")
    else:
        v = rounded(to_standard_unit(key, value, unit), DECIMALS)
    lln_std = None
    if lln is not None:
        if check_number("lln", lln, minimum=0.0, strictly_positive=True) is None:
            raise ValueError("lln: expected a number")
        if own is not None:
            lln_std = rounded(float(lln), DECIMALS)
        else:
            lln_std = rounded(to_standard_unit(key, lln, lln_unit or unit), DECIMALS)
    name = f"CTCAE v5.0 {spec.soc}: {spec.label}"
    u = spec.unit

    def result(grade: int | None, why: str, query: str | None = None) -> LabGrade:
        return LabGrade(key, grade, v, u, f"{name} {why}", query)

    if spec.grade4_below is not None and v < spec.grade4_below:
        return result(4, f"grade 4 (< {_fmt(spec.grade4_below)} {u})")
    if v < spec.grade3_below:
        if spec.grade4_below is None:
            return result(
                3,
                f"grade 3 (< {_fmt(spec.grade3_below)} {u}); grade 4 (life-threatening) is a "
                "clinical judgement and cannot come from a value",
            )
        return result(3, f"grade 3 (< {_fmt(spec.grade3_below)} - {_fmt(spec.grade4_below)} {u})")
    if v < spec.grade2_below:
        return result(2, f"grade 2 (< {_fmt(spec.grade2_below)} - {_fmt(spec.grade3_below)} {u})")
    if lln_std is None:
        return result(
            None,
            f"grade 0 or 1 (>= {_fmt(spec.grade2_below)} {u}; grade 1 is < LLN - "
            f"{_fmt(spec.grade2_below)}, LLN unknown)",
            query=f"cannot grade 1 without the laboratory's LLN for {spec.label}",
        )
    if v < lln_std:
        return result(1, f"grade 1 (< LLN {_fmt(lln_std)} - {_fmt(spec.grade2_below)} {u})")
    return result(0, f"grade 0 (>= LLN {_fmt(lln_std)} {u})")


_grade_lab_kept = lru_cache(maxsize=8192, typed=True)(_grade_lab)


def _check_grade(name: str, grade: object) -> int:
    if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 5:
        raise ValueError(f"{name}: expected a CTCAE grade 0-5, got {grade!r}")
    return grade


def worsened_from_baseline(baseline_grade: int, grade: int) -> bool:
    """True when the on-study grade is higher than the baseline grade of the same term.

    AML patients start cytopenic (docs/clinical-rules.md), so an on-study grade is an adverse event
    only when it worsens from baseline. A missing grade is a ValueError: the caller decides what
    an unknown baseline means (NAKIP never assumes a baseline of 0).
    """
    return _check_grade("grade", grade) > _check_grade("baseline_grade", baseline_grade)


@dataclass(frozen=True)
class LabGradeChange:
    """Baseline and on-study CTCAE grades of one term; `worsened` is None when a grade is None."""

    baseline: LabGrade
    current: LabGrade
    worsened: bool | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline.to_dict(),
            "current": self.current.to_dict(),
            "worsened": self.worsened,
        }


def grade_change(
    term: str,
    baseline_value: float,
    value: float,
    unit: str,
    lln: float | None = None,
    lln_unit: str | None = None,
) -> LabGradeChange:
    """Grade a baseline and an on-study value (same unit and LLN) and flag worsening.

    CTCAE v5.0 with docs/clinical-rules.md ("record the baseline grade and flag worsened from
    baseline"). When one grade is None (0 or 1, LLN unknown) `worsened` is decided only when the
    other grade settles it (a grade >= 2 after 0/1 is worse; 0/1 after >= 1 is not), else None.
    """
    base = grade_lab(term, baseline_value, unit, lln, lln_unit)
    cur = grade_lab(term, value, unit, lln, lln_unit)
    worse: bool | None = None
    if base.grade is not None and cur.grade is not None:
        worse = worsened_from_baseline(base.grade, cur.grade)
    elif base.grade is not None:
        worse = False if base.grade >= 1 else None
    elif cur.grade is not None:
        worse = True if cur.grade >= 2 else None
    return LabGradeChange(base, cur, worse)


def febrile_neutropenia(
    anc: float, temperature_c: float, sustained_1h: bool = False, anc_unit: str = COUNT_UNIT
) -> bool:
    """CTCAE v5.0 febrile neutropenia (grade 3): ANC < 1.0 x 10^9/L and a single temperature
    > 38.3 C or a sustained temperature >= 38.0 C for more than one hour [recalled].

    `sustained_1h` is True when the temperature was >= 38.0 C for more than one hour.
    Blood and lymphatic system disorders SOC; grade 4/5 (life-threatening, death) need the
    clinical course and are not derived here.
    """
    a = rounded(to_standard_unit("neutrophil_count_decreased", anc, anc_unit), DECIMALS)
    t = check_number("temperature_c", temperature_c, minimum=25.0, maximum=45.0)
    if t is None:
        raise ValueError("temperature_c: a temperature is required")
    sustained = check_flag("sustained_1h", sustained_1h)
    t = rounded(t, DECIMALS)
    if a >= 1.0:
        return False
    return t > 38.3 or (bool(sustained) and t >= 38.0)


# --------------------------------------------------------------------------- chemistry (x ULN)
@dataclass(frozen=True)
class _UlnTerm:
    """CTCAE v5.0 grading of a chemistry term by multiples of ULN (or of an abnormal baseline).

    `uln_floors`: lower (exclusive) bounds of grades 2, 3, 4 in x ULN (grade 1 is "> ULN").
    `baseline_floors`: bounds of grades 1-4 in x baseline when the baseline was abnormal
    (`baseline_grade1_inclusive`: grade 1 starts *at* the bound, "1.5 - 3.0 x baseline").
    `baseline_adds`: creatinine adds its x-baseline rows to the x-ULN rows (grade 2 "> 1.5 - 3.0
    x baseline", grade 3 "> 3.0 x baseline") instead of replacing them.
    """

    label: str
    soc: str
    uln_floors: tuple[float, float, float]
    baseline_floors: tuple[float, float, float, float] | None
    baseline_grade1_inclusive: bool = False
    baseline_adds: tuple[float, float] | None = None


INVESTIGATIONS = "Investigations"
ULN_TERMS: dict[str, _UlnTerm] = {
    # CTCAE v5.0 "Alanine aminotransferase increased": > ULN - 3.0; > 3.0 - 5.0; > 5.0 - 20.0;
    # > 20.0 x ULN (normal baseline); 1.5 - 3.0; > 3.0 - 5.0; > 5.0 - 20.0; > 20.0 x baseline.
    "alt_increased": _UlnTerm(
        "Alanine aminotransferase increased",
        INVESTIGATIONS,
        (3.0, 5.0, 20.0),
        (1.5, 3.0, 5.0, 20.0),
        baseline_grade1_inclusive=True,
    ),
    # CTCAE v5.0 "Aspartate aminotransferase increased": the same cut-offs as ALT.
    "ast_increased": _UlnTerm(
        "Aspartate aminotransferase increased",
        INVESTIGATIONS,
        (3.0, 5.0, 20.0),
        (1.5, 3.0, 5.0, 20.0),
        baseline_grade1_inclusive=True,
    ),
    # CTCAE v5.0 "Blood bilirubin increased": > ULN - 1.5; > 1.5 - 3.0; > 3.0 - 10.0; > 10.0 x
    # ULN (normal baseline); > 1.0 - 1.5; > 1.5 - 3.0; > 3.0 - 10.0; > 10.0 x baseline.
    "bilirubin_increased": _UlnTerm(
        "Blood bilirubin increased",
        INVESTIGATIONS,
        (1.5, 3.0, 10.0),
        (1.0, 1.5, 3.0, 10.0),
    ),
    # CTCAE v5.0 "Creatinine increased": > ULN - 1.5 x ULN; > 1.5 - 3.0 x baseline or x ULN;
    # > 3.0 x baseline or > 3.0 - 6.0 x ULN; > 6.0 x ULN.
    "creatinine_increased": _UlnTerm(
        "Creatinine increased",
        INVESTIGATIONS,
        (1.5, 3.0, 6.0),
        None,
        baseline_adds=(1.5, 3.0),
    ),
}
HEPATIC_TERMS = ("alt_increased", "ast_increased", "bilirubin_increased")


@dataclass(frozen=True)
class UlnGrade:
    """CTCAE v5.0 grade of a chemistry value; `x_uln` the value over the site's ULN; `basis`
    says whether the grade counts multiples of ULN or of the abnormal baseline."""

    term: str
    grade: int
    x_uln: float
    basis: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _grade_by_floors(ratio: float, floors: tuple[float, ...], first_inclusive: bool) -> int:
    """Grade 1..n: the number of (exclusive) floors the ratio is above; 0 below the first."""
    grade = 0
    for i, floor in enumerate(floors):
        f = rounded(floor, DECIMALS)
        if ratio > f or (i == 0 and first_inclusive and ratio == f):
            grade = i + 1
    return grade


def grade_uln(term: str, value: float, uln: float, baseline_value: float | None = None) -> UlnGrade:
    """CTCAE v5.0 grade of ALT, AST, total bilirubin or creatinine relative to the site's ULN.

    Rows "Alanine aminotransferase increased", "Aspartate aminotransferase increased", "Blood
    bilirubin increased", "Creatinine increased" (CTCAE v5.0, SOC Investigations;
    docs/clinical-rules.md "Hepatic and renal grades"). "> A - B" means ratio > A and <= B after
    rounding to 9 decimals (ALT exactly 3.0 x ULN is grade 1, 5.0 grade 2, 20.0 grade 3). When
    `baseline_value` (same unit) was above ULN, ALT/AST/bilirubin count multiples of the
    baseline instead; creatinine takes the worse of its x-ULN and x-baseline rows.
    """
    if term not in ULN_TERMS:
        raise UnknownTermError(f"term: unknown term {term!r}; known: {', '.join(ULN_TERMS)}")
    spec = ULN_TERMS[term]
    v = check_number("value", value, minimum=0.0)
    u = check_number("uln", uln, strictly_positive=True)
    if v is None or u is None:
        raise ValueError(f"{'value' if v is None else 'uln'}: a number is required")
    b = check_number("baseline_value", baseline_value, minimum=0.0)
    ratio = rounded(v / u, DECIMALS)
    name = f"CTCAE v5.0 {spec.soc}: {spec.label}"
    by_uln = 0 if ratio <= 1.0 else 1 + _grade_by_floors(ratio, spec.uln_floors, False)
    abnormal_baseline = b is not None and rounded(b / u, DECIMALS) > 1.0
    if abnormal_baseline and spec.baseline_floors is not None:
        assert b is not None
        xb = rounded(v / b, DECIMALS)
        g = _grade_by_floors(xb, spec.baseline_floors, spec.baseline_grade1_inclusive)
        return UlnGrade(
            term, g, ratio, "baseline", f"{name} grade {g} ({_fmt(xb)} x abnormal baseline)"
        )
    if spec.baseline_adds is not None and b is not None and b > 0:
        xb = rounded(v / b, DECIMALS)
        by_base = 0
        if xb > rounded(spec.baseline_adds[1], DECIMALS):
            by_base = 3
        elif xb > rounded(spec.baseline_adds[0], DECIMALS):
            by_base = 2
        if by_base > by_uln:
            return UlnGrade(
                term, by_base, ratio, "baseline", f"{name} grade {by_base} ({_fmt(xb)} x baseline)"
            )
    return UlnGrade(term, by_uln, ratio, "uln", f"{name} grade {by_uln} ({_fmt(ratio)} x ULN)")
