"""Text the EDC can store and show: refused at the boundary when it is not valid Unicode, and
repaired on reading when an older row holds it anyway.

A JSON body may carry escapes such as "\\ud800" (a lone UTF-16 surrogate) that Python decodes
into a str no UTF-8 encoder accepts: stored, it breaks every page and export that shows it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Deepest nesting of a submitted JSON value that is examined (deeper is refused elsewhere).
_MAX_DEPTH = 32


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored (lone surrogate, NUL character), or None when it can."""
    if _SURROGATE.search(text):
        return "contains invalid Unicode (a lone UTF-16 surrogate)"
    if "\x00" in text:
        return "NUL characters are not allowed"
    return None


def find_invalid_text(value: Any, path: str = "", depth: int = 0) -> tuple[str, str] | None:
    """The first (field path, problem) of a string or key in a JSON-like value, or None.

    Paths read like the API's field names: `values.term`, `reasons[2]`.
    """
    if depth > _MAX_DEPTH:
        return None
    if isinstance(value, str):
        problem = text_problem(value)
        return (path or "body", problem) if problem else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            where = f"{path}.{name}" if path else name
            problem = text_problem(name)
            if problem:
                return (repair_text(where), f"field name {problem}")
            found = find_invalid_text(item, repair_text(where), depth + 1)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = find_invalid_text(item, f"{path}[{i}]", depth + 1)
            if found:
                return found
    return None


def repair_text(value: Any) -> Any:
    """`value` with every lone surrogate replaced by U+FFFD (strings, dict keys, lists)."""
    if isinstance(value, str):
        return _SURROGATE.sub(REPLACEMENT, value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {repair_text(k): repair_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [repair_text(v) for v in value]
    return value


class _SharedWhenPlain(type):
    """Metaclass: a call without arguments returns one instance built on first use.

    Django's JSONField decodes every stored value with `json.loads(text, cls=decoder)`, which
    builds a decoder (and its scanner) per value; a decoder keeps no state between calls (the
    json module shares its own default one the same way), so one instance serves them all.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return super().__call__(*args, **kwargs)
        shared = cls.__dict__.get("_shared")
        if shared is None:
            shared = super().__call__()
            cls._shared = shared
        return shared


class RepairingJSONDecoder(json.JSONDecoder, metaclass=_SharedWhenPlain):
    """JSONField decoder: a stored "\\ud800" escape comes back as U+FFFD, so no row written
    before the boundary check existed can break a page, an export or the audit trail."""

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        value = super().decode(s, *args, **kwargs)
        return repair_text(value) if "\\u" in s or _SURROGATE.search(s) else value
