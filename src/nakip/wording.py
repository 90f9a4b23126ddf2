"""Counts in words: "0 days", "1 day", "2 days" (the one plural rule of every page, report and
command output, below every layer so that clinical rules and reports use the same)."""

from __future__ import annotations

__all__ = ["count"]


def count(n: float, word: str, plural: str | None = None) -> str:
    """`n` and the noun, singular exactly for 1 ("1 day"), else the plural (`word` + "s" unless
    given: count(2, "query", "queries") -> "2 queries"); a float keeps its digits (1.5 days)."""
    shown = f"{n:g}" if isinstance(n, float) else str(n)
    return f"{shown} {word if n == 1 else (plural or word + 's')}"
