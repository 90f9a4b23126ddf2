"""Over a series of ELN 2022 results: best response, the response landmark, refractoriness.

Best response after docs/clinical-rules.md; landmark and treatment failure after ELN 2022
Table 9 and the response table's "no response" row (Döhner et al., Blood 2022;140:1345).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from nakip.clinical.eln2022.assessment import ResponseResult
from nakip.clinical.eln2022.categories import ELN2022, REMISSIONS, _default_criteria
from nakip.protocol.model import ELN2022Criteria


def best_response(results: Iterable[ResponseResult]) -> ResponseResult:
    """Best response over a series: CR > CRh > CRi > MLFS > PR > SD > PD; NE only if all are NE
    (docs/clinical-rules.md). Ties go to the earliest dated assessment (first achieved)."""
    items = list(results)
    if not items:
        return ResponseResult("NE", f"{ELN2022}: NE — no response assessment", ())
    top = max(r.rank for r in items)
    best = [r for r in items if r.rank == top]
    dated = [r for r in best if r.assessment_date is not None]
    return min(dated, key=lambda r: r.assessment_date) if dated else best[0]  # type: ignore[arg-type,return-value]


def landmark_date(start_date: date, criteria: ELN2022Criteria | None = None) -> date:
    """The response landmark: `response_landmark_days` days after the start of therapy
    (ELN 2022 Table 9 [seen]: "e.g. ... 180 d for non-intensive therapy")."""
    c = criteria if criteria is not None else _default_criteria()
    return start_date + timedelta(days=c.response_landmark_days)


def is_refractory(
    results: Iterable[ResponseResult],
    start_date: date,
    criteria: ELN2022Criteria | None = None,
    as_of: date | None = None,
) -> bool:
    """Refractory / treatment failure (ELN 2022 Table 9 and response table, "no response" row
    [seen]): no CR, CRh or CRi on or
    before the response landmark. False while the landmark lies after `as_of` (not yet known);
    `as_of=None` means follow-up has passed the landmark. Undated results raise ValueError."""
    c = criteria if criteria is not None else _default_criteria()
    landmark = landmark_date(start_date, c)
    items = list(results)
    for r in items:
        if r.assessment_date is None:
            raise ValueError("assessment_date: needed to place a response before the landmark")
    if any(
        r.category in REMISSIONS and r.assessment_date <= landmark  # type: ignore[operator]
        for r in items
    ):
        return False
    return not (as_of is not None and as_of < landmark)
