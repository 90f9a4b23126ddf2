"""Haematological relapse after CR/CRh/CRi over a dated series of assessments.

ELN 2022 Table 6 (Döhner et al., Blood 2022;140:1345 [recalled wording]): marrow blasts >= 5 %,
blood blasts in >= 2 samples >= 7 days apart, or new extramedullary disease.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from nakip.clinical.eln2022.assessment import Assessment
from nakip.clinical.eln2022.categories import ELN2022, REMISSIONS, _default_criteria, _g
from nakip.clinical.eln2022.classify import classify_response
from nakip.clinical.thresholds import (
    above,
    at_least,
)
from nakip.protocol.model import ELN2022Criteria


@dataclass(frozen=True)
class RelapseResult:
    """Haematological relapse after CR/CRh/CRi: whether, when (first evidence), and by which rule.

    `confirmed_date` is when the criterion became fulfilled (the second blood sample for the
    blood-blast rule; the same as `date` for the marrow and EMD rules).
    """

    relapsed: bool
    date: date | None
    rule: str
    remission_date: date | None = None
    confirmed_date: date | None = None

    def to_dict(self) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d is not None else None

        return {
            "relapsed": self.relapsed,
            "date": iso(self.date),
            "rule": self.rule,
            "remission_date": iso(self.remission_date),
            "confirmed_date": iso(self.confirmed_date),
        }


def _require_dates(assessments: Sequence[Assessment]) -> list[Assessment]:
    for i, a in enumerate(assessments):
        if a.assessment_date is None:
            raise ValueError(f"assessment_date: missing in assessment {i}")
    return sorted(assessments, key=lambda a: a.assessment_date)  # type: ignore[arg-type,return-value]


def detect_relapse(
    assessments: Sequence[Assessment],
    criteria: ELN2022Criteria | None = None,
    remission_date: date | None = None,
) -> RelapseResult:
    """Haematological relapse after CR/CRh/CRi (ELN 2022 Table 6 [recalled wording]): marrow
    blasts >= 5 %, or blood blasts in >= 2 samples >= 7 days apart, or new EMD.

    Remission is the first assessment classified CR/CRh/CRi unless `remission_date` is given;
    only later assessments (blood-only ones too) are examined. Date convention: the date of the
    first evidence (for the blood rule, the earlier sample of the qualifying pair), with the
    confirming sample's date in `confirmed_date` — as for confirmed progression elsewhere
    (e.g. IMWG 2016 [recalled]), since ELN leaves the date of a two-sample relapse open.
    The pair is the earliest confirming sample with the latest blast-positive sample >= 7 days
    before it; ELN does not require the two samples to be consecutive.
    """
    c = criteria if criteria is not None else _default_criteria()
    d = c.rounding_decimals
    ordered = _require_dates(assessments)
    if remission_date is None:
        for a in ordered:
            if classify_response(a, c).category in REMISSIONS:
                remission_date = a.assessment_date
                break
    if remission_date is None:
        return RelapseResult(False, None, f"{ELN2022}: no CR/CRh/CRi, relapse not applicable")
    after = [a for a in ordered if a.assessment_date > remission_date]  # type: ignore[operator]
    candidates: list[tuple[date, date, str]] = []  # (first evidence, confirmed, rule)
    for a in after:
        day = a.assessment_date
        assert day is not None
        if a.bm_blasts_pct is not None and at_least(
            a.bm_blasts_pct, c.relapse_bm_blasts_min_pct, d
        ):
            candidates.append(
                (
                    day,
                    day,
                    f"{ELN2022}: relapse — marrow blasts >= "
                    f"{_g(c.relapse_bm_blasts_min_pct)} % ({_g(a.bm_blasts_pct)} %)",
                )
            )
            break
    for a in after:
        if a.extramedullary_disease is True:
            day = a.assessment_date
            assert day is not None
            candidates.append(
                (day, day, f"{ELN2022}: relapse — extramedullary disease after remission")
            )
            break
    positive = [
        a.assessment_date
        for a in after
        if a.pb_blasts_pct is not None and above(a.pb_blasts_pct, 0.0, d)
    ]
    needed = max(c.relapse_pb_min_samples, 1)
    gap = timedelta(days=c.relapse_pb_min_days_apart if needed > 1 else 0)
    pair: tuple[date, date] | None = None
    for j, confirm in enumerate(positive):
        assert confirm is not None
        for i in range(j - needed + 1, -1, -1):  # latest first sample giving >= n positives
            first = positive[i]
            assert first is not None
            if confirm - first >= gap:
                pair = (first, confirm)
                break
        if pair is not None:
            break
    if pair is not None:
        first, confirm = pair
        candidates.append(
            (
                first,
                confirm,
                f"{ELN2022}: relapse — blood blasts in >= {needed} samples >= "
                f"{c.relapse_pb_min_days_apart} days apart ({first.isoformat()} to "
                f"{confirm.isoformat()})",
            )
        )
    if not candidates:
        return RelapseResult(
            False, None, f"{ELN2022}: no relapse criterion met after remission", remission_date
        )
    first, confirmed, rule = min(candidates, key=lambda t: (t[0], t[1]))
    return RelapseResult(True, first, rule, remission_date, confirmed)
