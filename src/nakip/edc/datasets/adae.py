"""ADAE: every adverse event with its DLT verdict, and every CRS/ICANS episode with its ASTCT
grade (`source` tells them apart, so adverse-event counts use source == "adverse_event")."""

from __future__ import annotations

from datetime import date
from typing import Any

from nakip.clinical import dlt
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
                "term": v.get("term"),
                "soc": None,
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
    return rows
