"""Responder definitions over a series of ELN 2022 results: registered and sensitivity.

`cr_cri_registered` (registry NCT05319249 "CR/CRi"), `cr_only` and `cr_crh_cri` (ELN 2022
Table 6 composite, Döhner et al., Blood 2022;140:1345); docs/clinical-rules.md "Responder".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nakip.clinical.eln2022.assessment import ResponseResult
from nakip.clinical.eln2022.categories import _RANK
from nakip.protocol.model import ResponderDefinition


@dataclass(frozen=True)
class ResponderFlags:
    """Whether a series of assessments (or one) reached response under each definition; the
    protocol's `responder_definition` picks the primary one (`responder`)."""

    responder: bool
    responder_cr: bool
    responder_cr_cri: bool
    responder_cr_crh_cri: bool
    definition: ResponderDefinition

    def to_dict(self) -> dict[str, Any]:
        return {
            "responder": self.responder,
            "responder_cr": self.responder_cr,
            "responder_cr_cri": self.responder_cr_cri,
            "responder_cr_crh_cri": self.responder_cr_crh_cri,
            "responder_definition": self.definition,
        }


def responder_flags(
    results: Iterable[ResponseResult], definition: ResponderDefinition
) -> ResponderFlags:
    """Responder under each definition over the given assessments (any assessment qualifying;
    docs/clinical-rules.md "Responder"): `cr_cri_registered` (registry NCT05319249 "CR/CRi":
    CR family with ANC >= 1.0 or platelets >= 100, whatever the ELN 2022 label), `cr_only`,
    `cr_crh_cri` (ELN 2022 Table 6 composite). `definition` names the primary one."""
    items = list(results)
    flags = {
        "cr_only": any(r.responder_cr for r in items),
        "cr_cri_registered": any(r.responder_cr_cri for r in items),
        "cr_crh_cri": any(r.responder_cr_crh_cri for r in items),
    }
    if definition not in flags:
        raise ValueError(
            f"responder_definition: expected one of {', '.join(flags)}, got {definition!r}"
        )
    return ResponderFlags(
        flags[definition],
        flags["cr_only"],
        flags["cr_cri_registered"],
        flags["cr_crh_cri"],
        definition,
    )


def is_responder(category: str, responder_categories: Iterable[str]) -> bool:
    """Whether a category is among `responder_categories` (category-only definitions; the
    registered CR/CRi also needs the counts: use `responder_flags`)."""
    if category not in _RANK:
        raise ValueError(f"category: unknown response category {category!r}")
    return category in set(responder_categories)
