"""Whole numbers typed into URLs and form posts, parsed strictly: ASCII digits only.

`str.isdigit()` accepts superscripts ("²") and other Unicode digits that `int()` then refuses;
a version or page number is 1 to 9 ASCII digits or it is an input error naming the field.
"""

from __future__ import annotations

import re

from nakip.edc.exceptions import FormValidationError

_DIGITS = re.compile(r"[0-9]{1,9}")


def parse_whole_number(raw: str | None, field: str, minimum: int = 1) -> int | None:
    """None when `raw` is absent or blank; the number when it is `minimum` or more written in
    ASCII digits; FormValidationError naming `field` otherwise."""
    if raw is None or raw == "":
        return None
    if not _DIGITS.fullmatch(raw) or int(raw) < minimum:
        raise FormValidationError({field: [f"expected a whole number of at least {minimum}"]})
    return int(raw)
