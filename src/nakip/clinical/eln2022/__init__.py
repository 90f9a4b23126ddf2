"""ELN 2022 response of the overt cohort at one assessment, best response, relapse, refractoriness.

Implements docs/clinical-rules.md ("Overt cohort") in its order: NE, PD, CR family
(CR/CRh/CRi/MLFS), PR, SD. Sources: Döhner et al., Blood 2022;140:1345, Table 6 "Response
criteria in AML" [seen] (CR, CRh, CRi, MLFS, PR, relapse, treatment failure); the SD/PD split of
"no response" follows ELN 2017 (Döhner et al., Blood 2017;129:424, Table 6 "Response criteria in
AML" [seen: table and its CR/CRi/MLFS/PR rows]; its PD/SD rows [recalled: verify before
release]). The registered responder (CR/CRi) and its two sensitivity
definitions are `responder_flags`. Thresholds come from the protocol (`ELN2022Criteria`); every
comparison rounds both sides first.

One module per concern: `categories` (the eight categories, their order, the sources cited),
`assessment` (the input and the result at one assessment), `classify` (the response at one
assessment), `responder` (the responder definitions), `series` (best response, landmark,
refractoriness) and `relapse` (haematological relapse after remission).
"""

from nakip.clinical.eln2022.assessment import Assessment, ResponseResult
from nakip.clinical.eln2022.categories import (
    CATEGORIES,
    CR_FAMILY,
    ELN2017,
    ELN2022,
    REMISSIONS,
    Category,
)
from nakip.clinical.eln2022.classify import MLFS_CELLULARITY_QUERY, classify_response
from nakip.clinical.eln2022.relapse import RelapseResult, detect_relapse
from nakip.clinical.eln2022.responder import ResponderFlags, is_responder, responder_flags
from nakip.clinical.eln2022.series import best_response, is_refractory, landmark_date

__all__ = [
    "CATEGORIES",
    "CR_FAMILY",
    "REMISSIONS",
    "Assessment",
    "Category",
    "RelapseResult",
    "ResponderFlags",
    "ResponseResult",
    "best_response",
    "classify_response",
    "detect_relapse",
    "is_refractory",
    "is_responder",
    "landmark_date",
    "responder_flags",
    "ELN2017",
    "ELN2022",
    "MLFS_CELLULARITY_QUERY",
]
