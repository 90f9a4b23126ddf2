"""Pydantic model of a single-arm phase I/II protocol: the trial as data.

Every trial-specific number NAKIP uses (cohorts, criteria, treatment, schedule, thresholds, design,
monitoring, case report forms) lives in one YAML file validated by this model; code reads it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Probability = Annotated[float, Field(gt=0.0, lt=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
CohortCode = Literal["overt", "mrd"]


class Strict(BaseModel):
    """Base for every protocol block: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- trial and cohorts
class Trial(Strict):
    """Identification of the trial as registered."""

    acronym: str
    title: str
    registry_id: str
    study_id: str
    sponsor: str
    phase: str
    protocol_version: str
    protocol_date: date
    planned_sites: int = Field(ge=1)


class Condition(Strict):
    """One machine-checkable condition on a screening or assessment field.

    `op` compares the field's value with `value`; `in`/`not_in` take a list.
    """

    field: str
    op: Literal["<", "<=", ">", ">=", "==", "!=", "in", "not_in"]
    value: Any
    times: str | None = Field(
        None,
        description="another field of the record: compare with value x that field "
        "(e.g. washout >= 5 x the drug's half-life)",
    )

    @model_validator(mode="after")
    def _list_for_membership(self) -> Condition:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs a list value")
        if self.times is not None and (
            self.op not in ("<", "<=", ">", ">=")
            or isinstance(self.value, bool)
            or not isinstance(self.value, int | float)
        ):
            raise ValueError("'times' needs an ordering op (<, <=, >, >=) and a numeric value")
        return self


class Criterion(Strict):
    """An inclusion or exclusion criterion.

    `kind: data` criteria are decided from the screening record by `check` (all conditions must
    hold, after `applies_if`) and `any_of` (at least one of these must hold as well);
    `kind: judgement` criteria need the investigator's confirmation, recorded in the boolean
    screening field `confirm_field`.
    """

    id: str = Field(pattern=r"^[A-Z]{2,3}[0-9]{1,2}[a-z]?$")
    text: str
    kind: Literal["data", "judgement"]
    check: list[Condition] = Field(default_factory=list)
    any_of: list[Condition] = Field(default_factory=list)
    applies_if: list[Condition] = Field(default_factory=list)
    confirm_field: str | None = None
    source: str

    @model_validator(mode="after")
    def _consistent_kind(self) -> Criterion:
        if self.kind == "data" and not (self.check or self.any_of):
            raise ValueError("a 'data' criterion needs a condition in 'check' or 'any_of'")
        if self.kind == "judgement" and not self.confirm_field:
            raise ValueError("a 'judgement' criterion needs 'confirm_field'")
        return self


class OvertEntry(Strict):
    """Cohort A entry: relapsed/refractory AML with blasts below a ceiling (exclusive)."""

    bm_blasts_below_pct: float = Field(gt=0, le=100)
    pb_blasts_below_pct: float = Field(gt=0, le=100)
    requires_relapsed_or_refractory: bool = True


class MRDEntry(Strict):
    """Cohort B entry: MRD rising by more than `rise_fold` while in haematological remission."""

    rise_fold_above: float = Field(gt=1)
    rise_reference: Literal["previous", "nadir"]
    assays: list[Literal["qPCR", "flow", "NGS", "ddPCR"]] = Field(min_length=1)
    remission_bm_blasts_below_pct: float = Field(gt=0, le=100)


#: Responder definitions of the overt cohort (docs/clinical-rules.md "Responder"):
#: `cr_cri_registered` = CR family (marrow < 5 %, no blood blasts, no EMD) with ANC >= 1.0 or
#: platelets >= 100 (the registered CR/CRi, whatever ELN 2022 label); `cr_only` = CR;
#: `cr_crh_cri` = the ELN 2022 composite (Döhner 2022, Table 6).
ResponderDefinition = Literal["cr_cri_registered", "cr_only", "cr_crh_cri"]
RESPONDER_DEFINITIONS: tuple[str, ...] = ("cr_cri_registered", "cr_only", "cr_crh_cri")


class PrimaryEndpoint(Strict):
    """The response endpoint of a cohort; an ELN 2022 endpoint names its primary responder
    definition (the other two are reported beside it as sensitivity analyses)."""

    kind: Literal["eln2022_response", "mrd_log10_decrease"]
    description: str
    responder_definition: ResponderDefinition | None = None
    assessment_day: int = Field(ge=1)

    @model_validator(mode="after")
    def _definition_for_eln(self) -> PrimaryEndpoint:
        if self.kind == "eln2022_response" and self.responder_definition is None:
            raise ValueError(
                "an ELN 2022 endpoint needs 'responder_definition' (one of "
                f"{', '.join(RESPONDER_DEFINITIONS)})"
            )
        if self.kind != "eln2022_response" and self.responder_definition is not None:
            raise ValueError("'responder_definition' applies to an ELN 2022 endpoint only")
        return self

    @property
    def responder_categories(self) -> tuple[str, ...]:
        """ELN 2022 categories that can count as response under the primary definition (for
        display; under `cr_cri_registered` a CRh counts only with ANC >= 1.0 or platelets >= 100,
        which the rule in `nakip.clinical.eln2022.responder_flags` decides)."""
        if self.responder_definition == "cr_only":
            return ("CR",)
        if self.responder_definition is None:
            return ()
        return ("CR", "CRh", "CRi")


class PlannedSimonDesign(Strict):
    """A fixed two-stage design: stop after stage 1 if X1 <= r1; success if X > r."""

    r1: int = Field(ge=0)
    n1: int = Field(ge=1)
    r: int = Field(ge=0)
    n: int = Field(ge=2)

    @model_validator(mode="after")
    def _ordered(self) -> PlannedSimonDesign:
        if not (self.r1 < self.n1 < self.n and self.r1 <= self.r < self.n):
            raise ValueError("need r1 < n1 < n and r1 <= r < n")
        return self


class DesignSpec(Strict):
    """Statistical design of a cohort's response endpoint (exact binomial framework)."""

    type: Literal["simon_optimal", "simon_minimax", "single_stage"]
    p0: Probability
    p1: Probability
    alpha: Probability
    power: Probability
    sided: Literal["one-sided"] = "one-sided"
    nmax: int = Field(ge=2, le=500)
    planned: PlannedSimonDesign | None = None

    @model_validator(mode="after")
    def _p0_below_p1(self) -> DesignSpec:
        if self.p0 >= self.p1:
            raise ValueError(f"p0 ({self.p0}) must be below p1 ({self.p1})")
        return self


class Cohort(Strict):
    """One independently analysed cohort."""

    code: CohortCode
    name: str
    description: str
    subject_prefix: str = Field(pattern=r"^[A-Z]{1,4}$")
    overt_entry: OvertEntry | None = None
    mrd_entry: MRDEntry | None = None
    primary_endpoint: PrimaryEndpoint
    design: DesignSpec

    @model_validator(mode="after")
    def _entry_matches_code(self) -> Cohort:
        if self.code == "overt" and self.overt_entry is None:
            raise ValueError("the overt cohort needs 'overt_entry'")
        if self.code == "mrd" and self.mrd_entry is None:
            raise ValueError("the mrd cohort needs 'mrd_entry'")
        return self


class Eligibility(Strict):
    """Inclusion and exclusion criteria (cohort entry criteria live with the cohorts)."""

    inclusion: list[Criterion] = Field(min_length=1)
    exclusion: list[Criterion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Eligibility:
        ids = [c.id for c in [*self.inclusion, *self.exclusion]]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate criterion ids: {', '.join(dupes)}")
        return self


# --------------------------------------------------------------------------- treatment
class Talazoparib(Strict):
    """Talazoparib dosing (registry: 1 mg orally; the rest are protocol parameters)."""

    dose_mg: float = Field(gt=0)
    route: Literal["oral"]
    frequency: str
    start_day: int
    cycle_length_days: int = Field(ge=1)
    dosing_days_per_cycle: int = Field(ge=1)
    max_cycles: int = Field(ge=1)
    dose_levels_mg: list[float] = Field(min_length=1)

    @field_validator("dose_levels_mg")
    @classmethod
    def _descending(cls, v: list[float]) -> list[float]:
        if any(b >= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError("dose levels must strictly decrease")
        return v


class NKInfusionPlan(Strict):
    """Allogeneic NK-cell product: target dose, infusion days, conditioning and cytokines."""

    source: str
    target_dose_per_kg: float = Field(gt=0, description="viable NK cells per kg body weight")
    min_dose_per_kg: float = Field(gt=0)
    min_viability_pct: float = Field(gt=0, le=100)
    infusion_days: list[int] = Field(min_length=1)
    lymphodepletion: str
    cytokine_support: str

    @model_validator(mode="after")
    def _min_below_target(self) -> NKInfusionPlan:
        if self.min_dose_per_kg > self.target_dose_per_kg:
            raise ValueError("min_dose_per_kg exceeds target_dose_per_kg")
        return self


class Treatment(Strict):
    """The treatment plan; study day 1 is the first day of talazoparib. Washout before study
    treatment: `washout_days` after cytotoxic therapy, `washout_half_lives` of the drug's
    half-life after non-cytotoxic or investigational drugs (eligibility criteria IN4a/IN4b)."""

    talazoparib: Talazoparib
    nk_cells: NKInfusionPlan
    washout_days: int = Field(ge=0)
    washout_half_lives: float = Field(5.0, gt=0)


# --------------------------------------------------------------------------- schedule
class Visit(Strict):
    """A scheduled visit on a study day (day 1 = first talazoparib dose), with its window."""

    code: str = Field(pattern=r"^[A-Z0-9_]{2,12}$")
    name: str
    day: int
    window_before: int = Field(ge=0)
    window_after: int = Field(ge=0)
    forms: list[str] = Field(default_factory=list)
    cohorts: list[CohortCode] = Field(default_factory=lambda: ["overt", "mrd"])
    response_assessment: bool = False


class FollowUp(Strict):
    """Repeating follow-up after the end of treatment."""

    interval_days: int = Field(ge=1)
    window_days: int = Field(ge=0)
    duration_days: int = Field(ge=1)
    forms: list[str] = Field(default_factory=list)


class Schedule(Strict):
    """Visit schedule (calendar from enrolment), with windows and follow-up."""

    screening_window_days: int = Field(ge=1)
    visits: list[Visit] = Field(min_length=1)
    follow_up: FollowUp

    @model_validator(mode="after")
    def _ordered_unique(self) -> Schedule:
        codes = [v.code for v in self.visits]
        if len(set(codes)) != len(codes):
            raise ValueError("visit codes must be unique")
        days = [v.day for v in self.visits]
        if days != sorted(days):
            raise ValueError("visits must be listed in study-day order")
        return self

    def cohort_visits(self, cohort: str) -> list[Visit]:
        """Every visit of a cohort in study-day order: its treatment visits, then follow-up
        visits FU1, FU2, ... every `follow_up.interval_days` after the last treatment visit
        until `duration_days`, each with a window of `window_days` on both sides."""
        out = [v for v in self.visits if cohort in v.cohorts]
        fu = self.follow_up
        last_day = out[-1].day if out else 1
        k = 1
        while k * fu.interval_days <= fu.duration_days:
            out.append(
                Visit(
                    code=f"FU{k}",
                    name=f"Follow-up {k}",
                    day=last_day + k * fu.interval_days,
                    window_before=fu.window_days,
                    window_after=fu.window_days,
                    forms=list(fu.forms),
                    cohorts=[cohort],
                )
            )
            k += 1
        return out


# --------------------------------------------------------------------------- clinical criteria
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


# --------------------------------------------------------------------------- monitoring
class MonitoringRule(Strict):
    """Bayesian continuous monitoring: stop when Pr(rate > limit | data) > cutoff."""

    code: str
    event: Literal["dlt", "feasibility_failure"]
    description: str
    prior_a: float = Field(gt=0)
    prior_b: float = Field(gt=0)
    limit: Probability
    cutoff: Probability
    min_patients: int = Field(ge=1)
    per_cohort: bool


# --------------------------------------------------------------------------- forms
class FormField(Strict):
    """One field of a case report form."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: Literal["integer", "decimal", "text", "date", "datetime", "boolean", "choice"]
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    choices: list[str] = Field(default_factory=list)
    required: bool = False
    required_if: list[Condition] = Field(default_factory=list)
    help: str | None = None
    soft_min: float | None = None
    soft_max: float | None = None
    not_before: str | None = Field(
        None, description="name of another date field of the form this date may not precede"
    )
    earliest: date | None = Field(
        None, description="date fields: earliest plausible date (protocol date_limits if unset)"
    )
    max_days_ahead: int | None = Field(
        None, ge=0, description="date fields: days after today still plausible (else protocol's)"
    )

    @model_validator(mode="after")
    def _choices_for_choice(self) -> FormField:
        if self.type == "choice" and not self.choices:
            raise ValueError("a 'choice' field needs 'choices'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min exceeds max")
        return self


class FormDefinition(Strict):
    """A versioned case report form; an amendment adds a new version, old records keep theirs."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    title: str
    repeating: bool = False
    fields: list[FormField] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_fields(self) -> FormDefinition:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique within a form")
        types = {f.name: f.type for f in self.fields}
        for f in self.fields:
            if f.not_before is not None and types.get(f.not_before) not in ("date", "datetime"):
                raise ValueError(f"{f.name}.not_before must name a date field of the form")
            for cond in f.required_if:
                if cond.field not in types:
                    raise ValueError(f"{f.name}.required_if names unknown field {cond.field!r}")
        return self


# --------------------------------------------------------------------------- the protocol
class DateLimits(Strict):
    """Plausibility limits of every date field (a field may set its own `earliest` and
    `max_days_ahead`): no date before `earliest`, none later than today + `max_days_ahead`."""

    earliest: date = date(1900, 1, 1)
    max_days_ahead: int = Field(1, ge=0)


class Protocol(Strict):
    """The whole protocol; cross-references between blocks are checked here."""

    schema_version: Literal[1]
    trial: Trial
    cohorts: list[Cohort] = Field(min_length=1)
    eligibility: Eligibility
    treatment: Treatment
    schedule: Schedule
    response_criteria: ResponseCriteria
    safety: Safety
    time_to_event: TimeToEvent
    monitoring: list[MonitoringRule] = Field(default_factory=list)
    forms: list[FormDefinition] = Field(default_factory=list)
    date_limits: DateLimits = Field(default_factory=DateLimits)

    @model_validator(mode="after")
    def _cross_references(self) -> Protocol:
        codes = [c.code for c in self.cohorts]
        if len(set(codes)) != len(codes):
            raise ValueError("cohort codes must be unique")
        missing_efs = sorted(set(codes) - set(self.time_to_event.efs))
        if missing_efs:
            raise ValueError(f"time_to_event.efs lacks cohort(s): {', '.join(missing_efs)}")
        form_versions = [(f.code, f.version) for f in self.forms]
        if len(set(form_versions)) != len(form_versions):
            raise ValueError("each (form code, version) must be unique")
        if self.forms:
            known = {f.code for f in self.forms}
            for visit in self.schedule.visits:
                unknown = sorted(set(visit.forms) - known)
                if unknown:
                    raise ValueError(f"visit {visit.code} names unknown form(s): {unknown}")
        return self

    def cohort(self, code: str) -> Cohort:
        """The cohort with this code (KeyError naming the known codes otherwise)."""
        for c in self.cohorts:
            if c.code == code:
                return c
        raise KeyError(f"unknown cohort {code!r}; known: {', '.join(c.code for c in self.cohorts)}")

    def form(self, code: str, version: int | None = None) -> FormDefinition:
        """A form definition: the given version, or the latest one."""
        matches = [f for f in self.forms if f.code == code]
        if version is not None:
            matches = [f for f in matches if f.version == version]
        if not matches:
            raise KeyError(f"unknown form {code!r}" + (f" version {version}" if version else ""))
        return max(matches, key=lambda f: f.version)

    def current_forms(self) -> list[FormDefinition]:
        """The latest version of every form, in file order of first appearance."""
        seen: dict[str, FormDefinition] = {}
        for f in self.forms:
            if f.code not in seen or f.version > seen[f.code].version:
                seen[f.code] = f
        return list(seen.values())
