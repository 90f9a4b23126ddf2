"""Small template helpers of the EDC pages: dictionary lookup, badges, value display."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import template
from django.utils.dateparse import parse_datetime

from nakip.edc import audit
from nakip.edc.protocol_forms import get_protocol

register = template.Library()

_BADGES = {
    # visit status
    "done": "ok",
    "due": "warn",
    "overdue": "bad",
    "missed": "muted",
    "expected": "info",
    # eligibility / criteria
    "eligible": "ok",
    "not_eligible": "bad",
    "undetermined": "warn",
    "met": "ok",
    "failed": "bad",
    "missing": "warn",
    "not_applicable": "muted",
    # screening outcome
    "enrolled": "ok",
    "screen_failed": "bad",
    "screening": "info",
    # queries
    "open": "bad",
    "answered": "warn",
    "closed": "muted",
    # records
    "entered": "info",
    "signed": "ok",
    "locked": "muted",
}


#: The overt cohort's responder definitions as the pages name them (nakip.protocol.model
#: RESPONDER_DEFINITIONS; docs/clinical-rules.md "Responder").
_RESPONDER_DEFINITIONS = {
    "cr_cri_registered": "CR/CRi (registered)",
    "cr_only": "CR only",
    "cr_crh_cri": "CR/CRh/CRi (ELN 2022)",
}


@register.filter
def responder_definition(code: Any) -> str:
    """`cr_cri_registered` -> `CR/CRi (registered)`: the primary responder definition by name."""
    return _RESPONDER_DEFINITIONS.get(str(code), humanize_code(code))


@register.filter
def censored(reason: Any) -> str:
    """A censoring reason once: `censored: last known alive` stays as it is (the clinical rules
    already say "censored"), any other reason reads `censored (reason)`."""
    text = "" if reason is None else str(reason)
    return text if text.startswith("censored") else f"censored ({text})"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """`mapping|get:key` — a dictionary value (None when absent)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def badge(value: Any) -> str:
    """CSS modifier of a status badge (ok, warn, bad, info, muted)."""
    return _BADGES.get(str(value), "info")


@register.filter
def humanize_code(value: Any) -> str:
    """`not_eligible` -> `not eligible`."""
    return "" if value is None else str(value).replace("_", " ")


@register.filter
def show(value: Any) -> str:
    """A stored value for people: yes/no for booleans, 12 for 12.0, an en dash for nothing."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return exact(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "–"
    text = str(value)
    # choice codes (not_recovered, AML_de_novo) read better with spaces; free text is kept
    return text.replace("_", " ") if "_" in text and " " not in text else text


@register.filter
def yesno3(value: Any) -> str:
    """True -> yes, False -> no, None -> not evaluable."""
    if value is None:
        return "n/e"
    return "yes" if value else "no"


@register.filter
def signed_number(value: Any) -> str:
    """A log10 change with its sign and two decimals (−1.70)."""
    if value is None:
        return "–"
    return f"{float(value):+.2f}".replace("-", "\u2212")


@register.simple_tag
def user_roles(user: Any) -> str:
    """The user's roles with their sites ("investigator @ S01"), for the page header."""
    from nakip.edc.models import Membership

    if not getattr(user, "is_authenticated", False):
        return ""
    parts = []
    for m in Membership.objects.filter(user=user, active=True).select_related("site"):
        where = m.site.code if m.site_id else "all sites"
        parts.append(f"{m.get_role_display().split(' (')[0].lower()} @ {where}")
    return ", ".join(parts)


@register.simple_tag
def user_can(user: Any, action: str) -> bool:
    """Whether the user may do `action` anywhere (navigation links)."""
    from nakip.edc.permissions import can

    return can(user, action)


@register.filter
def pretty_unit(unit: Any) -> str:
    """Units as printed on a lab report: 10^9/L -> 10⁹/L, C -> °C, mg/m2 -> mg/m²."""
    text = "" if unit is None else str(unit)
    if text == "C":
        return "°C"
    text = re.sub(r"\bm2$", "m²", text)  # body surface area: m2, mg/m2, IU/m2
    return text.replace("10^9", "10⁹").replace("10^12", "10¹²")


@register.filter
def exact(value: Any) -> str:
    """A value exactly as stored (for the audit trail): only None becomes an en dash; a
    timestamp is shown in the trial's local time to the second (settings.TIME_ZONE)."""
    if value is None:
        return "–"
    when = value if isinstance(value, datetime) else None
    if isinstance(value, str) and len(value) >= 19 and value[10:11] in ("T", " "):
        when = parse_datetime(value)
    if when is not None:
        return local_second(when)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = repr(value)  # every digit kept; 25.0 shown as 25
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def local_second(when: datetime) -> str:
    """A timestamp in the trial's time zone, to the second, zone named (`audit.local_time`)."""
    return audit.local_time(when)


@register.filter
def field_label(name: str, form_code: str) -> str:
    """A field's label from the protocol file (`bm_blasts_pct` -> its label), else the name
    in words; audit field paths such as `values.anc` are read without their prefix."""
    return audit.field_label(name, form_code, get_protocol())
