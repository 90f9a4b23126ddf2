"""Derived safety values of the amendment-2 forms: CTCAE grades of the chemistry panel, MAGIC
acute GVHD grades, and the DLT verdicts they lead to.

The rules are `nakip.clinical.ctcae.grade_uln`, `nakip.clinical.gvhd` and
`nakip.clinical.dlt.evaluate_dlt` (docs/clinical-rules.md "Hepatic and renal grades", "Acute
GVHD", "DLT"); this module only gathers their inputs from the records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from nakip.clinical import ctcae, dlt, gvhd
from nakip.clinical.ctcae_terms import reported_term
from nakip.edc.models import FormRecord
from nakip.protocol.model import DLTDefinition

#: chemistry field -> (CTCAE term key, ULN field)
CHEMISTRY_TERMS: dict[str, tuple[str, str]] = {
    "alt": ("alt_increased", "alt_uln"),
    "ast": ("ast_increased", "ast_uln"),
    "bilirubin": ("bilirubin_increased", "bilirubin_uln"),
    "creatinine": ("creatinine_increased", "creatinine_uln"),
}


def _d(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class ChemistryGradeRow:
    """CTCAE v5.0 grade of one chemistry value relative to the site's ULN (and baseline)."""

    record_id: int
    visit_code: str
    sample_date: date | None
    field: str
    term: str
    value: float
    uln: float
    x_uln: float
    grade: int
    basis: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DerivedDLTRow:
    """A DLT verdict derived from a form other than the adverse-event form (GVHD, chemistry).

    `grade` is the MAGIC overall grade for GVHD, the CTCAE grade for chemistry; `adverse_event_id`
    names the adverse-event record of the same term that decides instead, if the site made one.
    """

    record_id: int
    source: str
    term: str
    grade: int
    event_date: date | None
    is_dlt: bool | None
    in_window: bool | None
    rule: str
    adverse_event_id: int | None = None
    stages: dict[str, int] | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def chemistry_grades(
    records: Iterable[FormRecord], baseline_visit: str, problems: list[str]
) -> list[ChemistryGradeRow]:
    """Grades of ALT, AST, bilirubin and creatinine of every chemistry record; the baseline is
    the record of the first visit (CTCAE v5.0 grades ALT/AST/bilirubin by x baseline when the
    baseline was above ULN)."""
    recs = list(records)
    base = next((r for r in recs if r.visit_code == baseline_visit), None)
    rows: list[ChemistryGradeRow] = []
    for rec in sorted(recs, key=lambda r: (r is not base, r.values.get("sample_date", ""))):
        v = rec.values
        for name, (term, uln_name) in CHEMISTRY_TERMS.items():
            if v.get(name) is None or v.get(uln_name) is None:
                continue
            b = None if base is None or rec is base else base.values.get(name)
            try:
                g = ctcae.grade_uln(term, float(v[name]), float(v[uln_name]), b)
            except ValueError as exc:
                problems.append(f"chemistry #{rec.pk} {name}: {exc}")
                continue
            rows.append(
                ChemistryGradeRow(
                    rec.pk,
                    rec.visit_code,
                    _d(v.get("sample_date")),
                    name,
                    ctcae.ULN_TERMS[term].label,
                    float(v[name]),
                    float(v[uln_name]),
                    g.x_uln,
                    g.grade,
                    g.basis,
                    g.rule,
                )  # fmt: skip
            )
    return rows


def _ae_of_term(aes: list[FormRecord], term: str) -> int | None:
    for rec in aes:
        v = rec.values
        try:
            if reported_term(v.get("term", ""), v.get("term_other")).lower() == term.lower():
                return rec.pk
        except ValueError:
            continue
    return None


def hepatic_dlts(
    rows: Iterable[ChemistryGradeRow],
    adverse_events: Iterable[FormRecord],
    window: dlt.DLTWindow | None,
    definition: DLTDefinition,
) -> list[DerivedDLTRow]:
    """DLT verdicts of hepatic grades >= the non-haematological DLT grade (ALT, AST, bilirubin).

    Judged by `dlt.evaluate_dlt` as a non-haematological toxicity with the attribution unknown
    (counts as related, docs/clinical-rules.md "DLT") until the site records the adverse event:
    an adverse-event record of the same CTCAE term then decides instead.
    """
    aes = list(adverse_events)
    hepatic = {ctcae.ULN_TERMS[t].label for t in ctcae.HEPATIC_TERMS}
    out: list[DerivedDLTRow] = []
    for r in rows:
        if r.term not in hepatic or r.grade < definition.nonhematologic_min_grade:
            continue
        ae_id = _ae_of_term(aes, r.term)
        if ae_id is not None:
            rule = f"{r.term} grade {r.grade}: judged on adverse event #{ae_id}"
            out.append(DerivedDLTRow(r.record_id, "chemistry", r.term, r.grade, r.sample_date,
                                     None, None, rule, ae_id, None, r.field))  # fmt: skip
            continue
        row = _judge(r.record_id, "chemistry", r.term, r.grade, r.sample_date,
                     "nonhematologic", window, definition)  # fmt: skip
        out.append(replace(row, field=r.field))
    return out


def _judge(
    record_id: int,
    source: str,
    term: str,
    grade: int,
    when: date | None,
    category: dlt.Category,
    window: dlt.DLTWindow | None,
    definition: DLTDefinition,
    stages: dict[str, int] | None = None,
) -> DerivedDLTRow:
    if window is None or when is None:
        why = "DLT not evaluable: the DLT window has not started"
        return DerivedDLTRow(record_id, source, term, grade, when, None, None, why, None, stages)
    ae = dlt.AdverseEventRecord(term=term, ctcae_grade=grade, onset_date=when, category=category)
    res = dlt.evaluate_dlt(ae, window, definition)
    return DerivedDLTRow(record_id, source, term, grade, when, res.is_dlt, res.in_window,
                         res.rule, None, stages)  # fmt: skip


def gvhd_grades(
    records: Iterable[FormRecord],
    window: dlt.DLTWindow | None,
    definition: DLTDefinition,
    problems: list[str],
) -> list[DerivedDLTRow]:
    """MAGIC organ stages and overall grade of every GVHD assessment and its DLT verdict (acute
    GVHD >= `agvhd_min_grade`, docs/clinical-rules.md "DLT"); grade 0 gives no DLT row verdict."""
    out: list[DerivedDLTRow] = []
    for rec in records:
        v = rec.values
        try:
            st = gvhd.stage_gvhd(
                rash_bsa_pct=float(v["rash_bsa_pct"]),
                bilirubin_mg_dl=float(v["bilirubin"]),
                persistent_nausea_vomiting_anorexia=bool(v["persistent_nausea_vomiting_anorexia"]),
                stool_ml_per_day=_num(v.get("stool_ml_per_day")),
                episodes_per_day=_num(v.get("stool_episodes_per_day")),
                severe_pain_ileus_or_bloody_stool=bool(v.get("severe_pain_ileus_or_bloody_stool")),
                bullae_desquamation_bsa_pct=float(v.get("bullae_desquamation_bsa_pct") or 0.0),
            )
        except (KeyError, ValueError) as exc:
            problems.append(f"gvhd #{rec.pk}: {exc}")
            continue
        stages = {"skin": st.skin, "liver": st.liver, "upper_gi": st.upper_gi,
                  "lower_gi": st.lower_gi}  # fmt: skip
        when = _d(v.get("assessment_date"))
        term = f"Acute GVHD grade {st.grade_name}"
        if st.grade == 0:
            out.append(DerivedDLTRow(rec.pk, "gvhd", term, 0, when, False, None, st.rule,
                                     None, stages))  # fmt: skip
            continue
        row = _judge(rec.pk, "gvhd", term, st.grade, when, "agvhd", window, definition, stages)
        out.append(row)
    return out


def hepatic_queries(rows: Iterable[DerivedDLTRow]) -> list[tuple[int, str, str, str]]:
    """(record, field, code, message) of each hepatic grade that is a DLT in the window and has
    no adverse-event record yet: the site must enter the event with its attribution."""
    return [
        (r.record_id, r.field or "", "hepatic_dlt_without_ae",
         f"{r.term} grade {r.grade} in the DLT window: enter the adverse event with its "
         "attribution (counted as a possibly related DLT until then)")
        for r in rows
        if r.source == "chemistry" and r.adverse_event_id is None and r.is_dlt
    ]  # fmt: skip


def _num(value: Any) -> float | None:
    return None if value is None else float(value)
