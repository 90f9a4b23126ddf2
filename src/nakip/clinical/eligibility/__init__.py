"""Screening eligibility: the protocol's inclusion/exclusion criteria and cohort entry blocks.

Source: the protocol file (`eligibility`, `cohorts[*].overt_entry` / `mrd_entry`; semantics in the
YAML comment above `eligibility:`), from NCT05319249 inclusion criteria 1-7 (docs/clinical-rules.md)
and the MRD-rise rule of ELN-MRD 2021 (Heuser et al., Blood 2021;138:2753; docs/clinical-rules.md).

Semantics:
- A `data` criterion holds when every `check` condition holds (after `applies_if`). Inclusion:
  holding = "met", not holding = "failed". Exclusion: holding excludes the patient, reported as
  "failed" (the eligibility requirement is failed); not holding = "met".
- `applies_if` false -> "not_applicable"; an `applies_if` field missing -> "missing".
- A condition whose field is absent, None or NaN is unknown: one false condition decides the
  criterion anyway (a conjunction), otherwise the criterion is "missing" and names the field(s).
- `judgement` criteria read the boolean `confirm_field`: True means the criterion applies
  (inclusion met; exclusion excludes), False the opposite, missing -> "missing".
- Values of the wrong type (a string where the protocol compares a number, 1 for a boolean) raise
  ValueError naming the field: bad data must never be classified silently. Numbers are compared
  after rounding both sides to 9 decimals.
- Cohort fit (three-valued): overt = relapsed_or_refractory AND bm blasts < 20 % AND pb blasts
  < 20 % (exclusive ceilings, so 20.0 does not fit and 19.999 does); mrd = in haematological
  remission AND bm blasts < 5 % AND assay among the protocol's AND a rise of more than 3-fold,
  i.e. round(log10(current / reference), 9) > round(log10(3), 9) (exactly 3-fold is not rising;
  computed by `nakip.clinical.mrd.mrd_rise`; the caller supplies the reference chosen by
  `rise_reference`: previous sample or nadir).
  A reference of 0 (MRD-negative before) makes the fold undefined: the fit is undetermined and
  the field is named, for the investigator to decide.
- Result: "not_eligible" when any criterion failed or the record fits no cohort; else
  "undetermined" when any criterion or the cohort cannot be decided, or the record fits more
  than one cohort (a conflict the site must resolve); else "eligible" with the one cohort. A
  cohort that fits while another is undetermined is taken (an overt patient has no MRD data).

One module per concern: `results` (the verdict, each criterion's result, the screening fields),
`criteria` (one inclusion/exclusion criterion), `cohorts` (cohort fit) and `decision` (the
verdict over all of them).
"""

from nakip.clinical.eligibility.cohorts import fits_mrd, fits_overt
from nakip.clinical.eligibility.criteria import evaluate_criterion
from nakip.clinical.eligibility.decision import evaluate_eligibility, screening_fields
from nakip.clinical.eligibility.results import (
    COHORT_FIELDS,
    DECIMALS,
    STATUSES,
    CohortFit,
    CriterionResult,
    CriterionStatus,
    EligibilityResult,
    ScreeningField,
    Status,
)

__all__ = [
    "COHORT_FIELDS",
    "CohortFit",
    "CriterionResult",
    "CriterionStatus",
    "DECIMALS",
    "EligibilityResult",
    "STATUSES",
    "ScreeningField",
    "Status",
    "evaluate_criterion",
    "evaluate_eligibility",
    "fits_mrd",
    "fits_overt",
    "screening_fields",
]
