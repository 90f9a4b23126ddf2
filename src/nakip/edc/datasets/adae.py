"""ADAE: every adverse event with its DLT verdict, every CRS/ICANS episode with its ASTCT grade
and every GVHD assessment with findings (MAGIC overall grade and its DLT verdict); `source`
tells them apart, so adverse-event counts use source == "adverse_event"."""

from __future__ import annotations

from datetime import date
from typing import Any

from nakip.clinical import dlt
from nakip.clinical.ctcae_terms import reported_term, soc_of
from nakip.edc.datasets.frames import keys, study_day
from nakip.edc.datasets.source import SubjectSource

#: CTCAE v5.0 terms and system organ classes of the ASTCT-graded syndromes
_SYNDROMES = {
    "crs": ("Cytokine release syndrome", "Immune system disorders", "onset_date"),
    "icans": (
        "Immune effector cell-associated neurotoxicity syndrome",
        "Nervous system disorders",
        "assessment_date",
    ),
}
_POSSIBLE = dlt.attribution_rank("possible")
#: term and system organ class of a GVHD assessment row (CTCAE v5.0 "Graft versus host disease")
GVHD_TERM = ("Acute graft versus host disease", "Immune system disorders")


def _d(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None


def related(talazoparib: str | None, nk: str | None) -> bool | None:
    """At least possibly related to talazoparib or to the NK cells (None if neither assessed)."""
    ranks = [dlt.attribution_rank(a) for a in (talazoparib, nk) if a]
    return max(ranks) >= _POSSIBLE if ranks else None


def adae_rows(src: SubjectSource) -> list[dict[str, Any]]:
    """The ADAE rows of one subject: adverse events, then CRS and ICANS episodes."""
    d, subject = src.derivation, src.subject
    base = keys(subject, src.usubjid)
    day1 = subject.enrolment_date
    verdicts = {a.record_id: a for a in d.adverse_events}
    rows: list[dict[str, Any]] = []
    for rec in src.of("adverse_event"):
        v = rec.values
        a = verdicts.get(rec.pk)
        onset = _d(v.get("onset_date"))
        rows.append(
            {
                **base,
                "record_id": rec.pk,
                "source": "adverse_event",
                "term": reported_term(v.get("term", ""), v.get("term_other")),
                "soc": soc_of(v.get("term", "")),
                "category": v.get("category"),
                "grade": v.get("ctcae_grade"),
                "onset_date": onset,
                "onset_study_day": study_day(day1, onset),
                "resolution_date": _d(v.get("resolution_date")),
                "serious": v.get("serious"),
                "related": related(v.get("attribution_talazoparib"), v.get("attribution_nk")),
                "attribution_talazoparib": v.get("attribution_talazoparib"),
                "attribution_nk": v.get("attribution_nk"),
                "outcome": v.get("outcome"),
                "is_dlt": a.is_dlt if a else None,
                "in_dlt_window": a.in_window if a else None,
                "dlt_rule": a.rule if a else "not derived: see the subject's derivation problems",
            }
        )
    graded = {g.record_id: g for g in (*d.crs, *d.icans)}
    for kind, (term, soc, onset_field) in _SYNDROMES.items():
        for rec in src.of(kind):
            g = graded.get(rec.pk)
            onset = _d(rec.values.get(onset_field))
            rows.append(
                {
                    **base,
                    "record_id": rec.pk,
                    "source": kind,
                    "term": term,
                    "soc": soc,
                    "category": kind,
                    "grade": g.grade if g else None,
                    "onset_date": onset,
                    "onset_study_day": study_day(day1, onset),
                    "resolution_date": _d(rec.values.get("resolution_date")),
                    "dlt_rule": g.rule
                    if g
                    else "not graded: see the subject's derivation problems",
                }
            )
    rows.extend(_gvhd_rows(src, base))
    return rows


def _gvhd_rows(src: SubjectSource, base: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per GVHD assessment with acute GVHD (MAGIC grade >= I, Harris et al. 2016)."""
    day1 = src.subject.enrolment_date
    return [
        {
            **base,
            "record_id": g.record_id,
            "source": "gvhd",
            "term": GVHD_TERM[0],
            "soc": GVHD_TERM[1],
            "category": "agvhd",
            "grade": g.grade,
            "onset_date": g.event_date,
            "onset_study_day": study_day(day1, g.event_date),
            "is_dlt": g.is_dlt,
            "in_dlt_window": g.in_window,
            "dlt_rule": g.rule,
        }
        for g in src.derivation.derived_dlts
        if g.source == "gvhd" and g.grade > 0
    ]
