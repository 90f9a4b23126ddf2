"""The ELN 2022 response categories, best first, and the sources every reason cites.

Döhner et al., Blood 2022;140:1345, Table 6 "Response criteria in AML" (CR, CRh, CRi, MLFS, PR);
SD and PD after ELN 2017 (Döhner et al., Blood 2017;129:424, Table 6); the order is that of
docs/clinical-rules.md ("best response over a series").
"""

from __future__ import annotations

from typing import Literal

from nakip.protocol.model import ELN2022Criteria

Category = Literal["CR", "CRh", "CRi", "MLFS", "PR", "SD", "PD", "NE"]

#: The eight categories, best first (docs/clinical-rules.md, "best response over a series").
CATEGORIES: tuple[Category, ...] = ("CR", "CRh", "CRi", "MLFS", "PR", "SD", "PD", "NE")
#: Categories with marrow blasts < 5 %, no blood blasts and no EMD (ELN 2022 Table 6).
CR_FAMILY: frozenset[str] = frozenset({"CR", "CRh", "CRi", "MLFS"})
#: Remissions after which haematological relapse is defined (ELN 2022 Table 6).
REMISSIONS: frozenset[str] = frozenset({"CR", "CRh", "CRi"})

_RANK: dict[str, int] = {c: len(CATEGORIES) - i for i, c in enumerate(CATEGORIES)}

ELN2022 = "ELN 2022 Table 6"
ELN2017 = "ELN 2017 Table 6"


def _default_criteria() -> ELN2022Criteria:
    """The packaged NAKIP-AML protocol's ELN 2022 thresholds."""
    from nakip.protocol import load_protocol

    return load_protocol().response_criteria.eln2022


def _g(x: float) -> str:
    """A threshold printed without float noise (5.0 -> '5', 0.5 -> '0.5')."""
    return f"{x:g}"
