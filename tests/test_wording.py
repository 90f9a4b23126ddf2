"""Counts in words (`nakip.wording.count`): singular exactly for 1, at 0, 1, 2 and fractions."""

from __future__ import annotations

import pytest

from nakip.wording import count


@pytest.mark.parametrize(
    ("n", "word", "plural", "text"),
    [
        (0, "day", None, "0 days"),
        (1, "day", None, "1 day"),
        (2, "day", None, "2 days"),
        (1, "query", "queries", "1 query"),
        (0, "query", "queries", "0 queries"),
        (2, "query", "queries", "2 queries"),
        (1.0, "day", None, "1 day"),
        (1.5, "day", None, "1.5 days"),
    ],
)
def test_count(n: float, word: str, plural: str | None, text: str) -> None:
    assert count(n, word, plural) == text
