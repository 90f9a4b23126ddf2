"""Clinical criteria of the protocol: ELN 2022 response and MRD thresholds, DLT, safety, events.

The numbers the rules in nakip.clinical read (ELN 2022, ELN-MRD 2021, CTCAE grades, EFS events).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nakip.protocol.model.base import CohortCode, Strict


class ELN2022Criteria(Strict):
    """Thresholds and conventions of the ELN 2022 response assessment (Döhner 2022, Table 6)."""

    cr_bm_blasts_below_pct: float = 5.0
    cr_anc_min: float = 1.0
    cr_platelets_min: float = 100.0
    crh_anc_min: float = 0.5
    crh_platelets_min: float = 50.0
    pr_bm_blasts_min_pct: float = 5.0
    pr_bm_blasts_max_pct: float = 25.0
    pr_min_relative_decrease: float = Field(0.5, gt=0, lt=1)
    pd_relative_increase_above: float = Field(0.5, gt=0)
    pd_absolute_increase_min_pp: float = 15.0
    pd_absolute_rule_baseline_below_pct: float = 30.0
    pd_count_recovery_exemption: bool = True
    pd_exemption_anc_above: float = 0.5
    pd_exemption_platelets_above: float = 50.0
    auer_rods_block_cr: bool = False
    require_transfusion_independence: bool = False
    relapse_bm_blasts_min_pct: float = 5.0
    relapse_pb_min_samples: int = 2
    relapse_pb_min_days_apart: int = 7
    response_landmark_days: int = Field(180, ge=1)
    pd_pb_absolute_increase_above: float = Field(0.5, gt=0)
    pd_pb_absolute_blasts_above_per_nl: float = Field(25.0, gt=0)
    mlfs_min_cellularity_pct: float = Field(10.0, ge=0, le=100)
    rounding_decimals: int = Field(9, ge=0, le=15)


class MRDCriteria(Strict):
    """Thresholds of MRD response and progression (Heuser et al., ELN-MRD 2021)."""

    responder_log10_decrease_above: float = Field(1.0, gt=0)
    progression_log10_increase_min: float = Field(1.0, gt=0)
    progression_confirmation_days: int = Field(28, ge=1)
    flow_positive_min_pct: float = 0.1
    qpcr_positive_cq_below: float = 40.0
    qpcr_min_positive_replicates: int = 2
    relapse_bm_blasts_min_pct: float = 5.0
    negativity_max_lod_pct: float = Field(0.1, gt=0)
    rounding_decimals: int = Field(9, ge=0, le=15)


class ResponseCriteria(Strict):
    """Response criteria: the guideline versions and their thresholds."""

    overt_guideline: Literal["ELN 2022"]
    mrd_guideline: Literal["ELN-MRD 2021"]
    eln2022: ELN2022Criteria
    mrd: MRDCriteria


class DLTDefinition(Strict):
    """Dose-limiting toxicity definition and window (protocol parameters; docs/clinical-rules.md).

    The window opens on `window_start` (day 1) and closes `window_days` days after the first
    NK-cell infusion (`window_end_anchor: first_nk_infusion`, that day included) or on day
    `window_days` of the window (`window_end_anchor: window_start`).
    """

    window_days: int = Field(ge=1)
    window_start: Literal["first_nk_infusion", "first_talazoparib"]
    window_end_anchor: Literal["first_nk_infusion", "window_start"] = "window_start"

    @property
    def window_description(self) -> str:
        """The window in words, for reports and the CLI (one wording everywhere)."""
        names = {"first_talazoparib": "the first talazoparib dose (C1D1)",
                 "first_nk_infusion": "the first NK-cell infusion"}  # fmt: skip
        if self.window_end_anchor == "window_start":
            return f"{self.window_days} days from {names[self.window_start]}"
        return (
            f"from {names[self.window_start]} through {self.window_days} days after "
            f"{names[self.window_end_anchor]}"
        )

    nonhematologic_min_grade: int = Field(ge=1, le=5)
    min_attribution: Literal["unlikely", "possible", "probable", "definite"]
    exempt_if_controlled_within_hours: int = Field(ge=0)
    exempt_controlled_terms: list[str]
    exempt_fatigue_max_days: int = Field(ge=0)
    crs_min_grade: int = Field(ge=1, le=5)
    crs_grade2_max_hours: int = Field(ge=0)
    icans_min_grade: int = Field(ge=1, le=5)
    agvhd_min_grade: int = Field(ge=1, le=4)
    infusion_reaction_min_grade: int = Field(ge=1, le=5)
    aplasia_after_day: int = Field(ge=1)
    aplasia_anc_below: float = Field(gt=0)
    aplasia_platelets_below: float = Field(gt=0)
    aplasia_cellularity_below_pct: float = Field(gt=0, le=100)


class Safety(Strict):
    """Safety grading conventions."""

    ctcae_version: Literal["5.0"]
    crs_icans_grading: Literal["ASTCT 2019"]
    dlt: DLTDefinition
    feasibility_failure: str
    #: hours from the site's awareness of an SAE to the sponsor's notice (ICH E6(R2) 4.11.1
    #: "immediately"; the protocol's expedited timeline, docs/clinical-rules.md "SAE timelines")
    sae_notice_hours: int = Field(24, ge=1, le=168)


class EFSDefinition(Strict):
    """Event-free survival for one cohort (ELN 2022 definitions, docs/clinical-rules.md)."""

    events: list[
        Literal["treatment_failure", "haematological_relapse", "mrd_progression", "death"]
    ] = Field(min_length=1)
    treatment_failure_at_day_1: bool
    censor_responders_at_last_assessment: bool


class TimeToEvent(Strict):
    """EFS and OS definitions per cohort; OS is from enrolment to death from any cause."""

    origin: Literal["enrolment"]
    efs: dict[CohortCode, EFSDefinition]
    os_censor_at: Literal["last_known_alive"]
