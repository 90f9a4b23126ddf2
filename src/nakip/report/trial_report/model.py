"""The DSMB and final reports as data: sections of paragraphs, tables and figures, with the
provenance of the data snapshot and of the code (ICH E6(R3) and ICH E3 traceability).

Every cell is text by the time it is in a `Table`: numbers are formatted once, here, and a value
that cannot be computed reads "not estimable" (or the reason), never "nan".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from nakip.report.figures.style import FigureImage

__all__ = [
    "DASH",
    "NOT_ESTIMABLE",
    "ReportKind",
    "ReportSection",
    "ResultsReport",
    "Table",
    "ci_text",
    "count_pct",
    "number",
    "p_text",
    "pct",
]

ReportKind = Literal["dsmb", "final"]
NOT_ESTIMABLE = "not estimable"
DASH = "\u2013"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct(value: float | None, digits: int = 1) -> str:
    """A proportion as a percentage ('41.7%'); 'not estimable' when missing."""
    return NOT_ESTIMABLE if _missing(value) else f"{100 * value:.{digits}f}%"  # type: ignore[operator]


def ci_text(lower: float | None, upper: float | None, digits: int = 1) -> str:
    """'15.2%-72.3%' for a proportion interval; 'not estimable' when a limit is missing."""
    if _missing(lower) or _missing(upper):
        return NOT_ESTIMABLE
    return f"{100 * lower:.{digits}f}%{DASH}{100 * upper:.{digits}f}%"  # type: ignore[operator]


def p_text(p: float | None) -> str:
    """An exact p-value with 4 significant digits ('< 0.0001' below it); a dash when absent."""
    if _missing(p):
        return DASH
    return "< 0.0001" if p < 1e-4 else f"{p:.4g}"  # type: ignore[operator]


def number(value: float | None, digits: int = 1, missing: str = NOT_ESTIMABLE) -> str:
    """A plain number with `digits` decimals, `missing` when absent."""
    return missing if _missing(value) else f"{value:.{digits}f}"


def count_pct(k: int, n: int) -> str:
    """'3 (25.0%)'; '0' alone when the denominator is 0."""
    return f"{k} ({100 * k / n:.1f}%)" if n else str(k)


@dataclass(frozen=True)
class Table:
    """A titled table of text cells; `note` under it; `total` rows before any truncation."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    total: int | None = None

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.key}: a row has {len(row)} cells, not {len(self.columns)}"
                )
            bad = [c for c in row if not isinstance(c, str) or c.lower() == "nan"]
            if bad:
                raise ValueError(f"table {self.key}: cell {bad[0]!r} is not formatted text")

    @property
    def truncated(self) -> bool:
        """True when only the first rows of a longer table are shown."""
        return self.total is not None and self.total > len(self.rows)

    def column(self, name: str) -> list[str]:
        """The cells of one column."""
        i = self.columns.index(name)
        return [row[i] for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return {
            "key": self.key,
            "title": self.title,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "note": self.note,
            "total": len(self.rows) if self.total is None else self.total,
        }


@dataclass(frozen=True)
class ReportSection:
    """One numbered section: paragraphs, an optional alert, tables and figures, in that order."""

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[FigureImage, ...] = ()
    alert: str = ""
    subsections: tuple[ReportSection, ...] = ()

    def table(self, key: str) -> Table:
        """The table with `key` in this section or its subsections (KeyError if none)."""
        for t in self.tables:
            if t.key == key:
                return t
        for sub in self.subsections:
            try:
                return sub.table(key)
            except KeyError:
                continue
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view (figures by name and caption)."""
        return {
            "key": self.key,
            "title": self.title,
            "alert": self.alert,
            "paragraphs": list(self.paragraphs),
            "tables": [t.to_dict() for t in self.tables],
            "figures": [{"name": f.name, "caption": f.caption} for f in self.figures],
            "subsections": [s.to_dict() for s in self.subsections],
        }


@dataclass(frozen=True)
class ResultsReport:
    """A DSMB or final report at one data cut-off, traceable to its data and code."""

    kind: ReportKind
    title: str
    acronym: str
    study_title: str
    registry_id: str
    protocol_version: str
    cutoff: str
    fingerprint: str
    code_version: str
    generated: str
    sections: tuple[ReportSection, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def figures(self) -> tuple[FigureImage, ...]:
        """Every figure of the report, in reading order."""

        def walk(sections: tuple[ReportSection, ...]) -> list[FigureImage]:
            out: list[FigureImage] = []
            for s in sections:
                out += [*s.figures, *walk(s.subsections)]
            return out

        return tuple(walk(self.sections))

    def section(self, key: str) -> ReportSection:
        """The top-level section with `key` (KeyError if none)."""
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view of the whole report."""
        return {
            "kind": self.kind,
            "title": self.title,
            "trial": {
                "acronym": self.acronym,
                "title": self.study_title,
                "registry_id": self.registry_id,
                "protocol_version": self.protocol_version,
            },
            "cutoff": self.cutoff,
            "fingerprint": self.fingerprint,
            "code_version": self.code_version,
            "generated": self.generated,
            "notes": list(self.notes),
            "sections": [s.to_dict() for s in self.sections],
        }
