"""`nakip assess response|crs|icans|lab|dlt|eligibility|events`: every clinical rule on JSON
records, one JSON line out per record, for scripts and for checking the EDC's derivations.

Input field names are the EDC's form field names (so an export can be piped back in); the older
names stay accepted as aliases. Unknown fields or wrong types exit 2 naming the line and field.
The rules and their sources are in docs/clinical-rules.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, create_model

from nakip.cli.apps import assess_app
from nakip.cli.errors import fail
from nakip.cli.json_records import emit, load_records, protocol_option
from nakip.clinical import crs_icans, ctcae, dlt, eligibility, eln2022, events, mrd
from nakip.protocol.model import Protocol

M = TypeVar("M", bound=BaseModel)

FileArg = Annotated[
    str | None, typer.Argument(help="JSON object or JSON-lines file; '-' or nothing reads stdin.")
]
ProtocolOpt = Annotated[
    Path | None,
    typer.Option("--protocol", help="Protocol YAML (default: the packaged NAKIP-AML file)."),
]
CohortOpt = Annotated[
    str | None,
    typer.Option("--cohort", help="Cohort code (overt or mrd); a record's own 'cohort' wins."),
]


class Record(BaseModel):
    """Strict input: unknown fields, strings for numbers, numbers for booleans are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


def alias(*names: str) -> Any:
    """An optional field accepting several spellings (EDC form name first, old name second)."""
    return Field(None, validation_alias=AliasChoices(*names))


def _run(file: str | None, model: type[M], assess: Callable[[M], dict[str, Any]]) -> None:
    """Validate every record, assess each, and write the lines only when all succeeded."""
    out = []
    for n, rec in load_records(file, model):
        try:
            out.append(json.dumps(assess(rec), ensure_ascii=False))
        except ValueError as exc:
            fail(f"line {n}: {exc}")
    emit(out)


def _cohort(protocol: Protocol, option: str | None) -> str | None:
    codes = [c.code for c in protocol.cohorts]
    if option is not None and option not in codes:
        fail(f"--cohort: expected one of {', '.join(codes)}, got {option!r}")
    return option


class ResponseInput(Record):
    """One response assessment; units are fixed (blasts %, counts 10^9/L, MRD as entered)."""

    cohort: Literal["overt", "mrd"] | None = None
    assessment_date: date | None = alias("assessment_date", "aspirate_date", "sample_date")
    bm_blasts_pct: float | None = None
    evaluable: bool | None = None
    pb_blasts_pct: float | None = None
    extramedullary_disease: bool | None = alias("emd_present", "extramedullary_disease")
    baseline_extramedullary_disease: bool | None = None
    anc_per_nl: float | None = alias("anc", "anc_per_nl")
    platelets_per_nl: float | None = alias("platelets", "platelets_per_nl")
    wbc_per_nl: float | None = alias("wbc", "wbc_per_nl")
    transfusion_independent: bool | None = None
    baseline_bm_blasts_pct: float | None = None
    baseline_pb_blasts_pct: float | None = None
    baseline_anc_per_nl: float | None = None
    baseline_platelets_per_nl: float | None = None
    baseline_wbc_per_nl: float | None = None
    auer_rods: bool | None = None
    bm_cellularity_pct: float | None = alias("cellularity_pct", "bm_cellularity_pct")
    mrd_baseline: float | None = None
    mrd_value: float | None = alias("value", "mrd_value")
    mrd_assay: Literal["qPCR", "flow", "NGS", "ddPCR"] | None = alias("assay", "mrd_assay")
    mrd_lod: float | None = alias("lod", "mrd_lod")
    material: Literal["bone_marrow", "peripheral_blood"] | None = None
    marker: str | None = None
    value_unit: str | None = None


_ASSESSMENT_FIELDS = tuple(
    f for f in eln2022.Assessment.__dataclass_fields__ if f in ResponseInput.model_fields
)


def _response(rec: ResponseInput, cohort: str, protocol: Protocol) -> dict[str, Any]:
    """The cohort's response rule applied to one record (ValueError on impossible values)."""
    crit = protocol.response_criteria
    if cohort == "overt":
        values = {f: getattr(rec, f) for f in _ASSESSMENT_FIELDS}
        if rec.evaluable is False:  # marrow form: aspirate not evaluable -> no blast count
            values["bm_blasts_pct"] = None
        result = eln2022.classify_response(eln2022.Assessment(**values), crit.eln2022)
        definition = protocol.cohort("overt").primary_endpoint.responder_definition
        out = result.to_dict()
        if definition is not None:
            out |= eln2022.responder_flags([result], definition).to_dict()
        return {"cohort": cohort, **out}
    res = mrd.mrd_response(
        rec.mrd_baseline,
        rec.mrd_value,
        lod=rec.mrd_lod,
        criteria=crit.mrd,
        bm_blasts_pct=rec.bm_blasts_pct,
        extramedullary_disease=rec.extramedullary_disease,
    )
    out = res.to_dict()
    out["assay"] = rec.mrd_assay
    out["assessment_date"] = rec.assessment_date.isoformat() if rec.assessment_date else None
    return {"cohort": cohort, **out}


@assess_app.command("response")
def response(
    file: FileArg = None, cohort: CohortOpt = None, protocol_file: ProtocolOpt = None
) -> None:
    """ELN 2022 response (overt: category, rule, responder under the protocol's definition and
    the three flags) or MRD response (mrd: log10 change, evaluable, MRD-negative) per record.

    Fields (EDC form names, older names in brackets): bm_blasts_pct, evaluable, pb_blasts_pct,
    anc [anc_per_nl], platelets [platelets_per_nl], wbc [wbc_per_nl], emd_present
    [extramedullary_disease], cellularity_pct [bm_cellularity_pct], transfusion_independent,
    auer_rods, baseline_bm_blasts_pct, baseline_pb_blasts_pct, baseline_anc_per_nl,
    baseline_platelets_per_nl, baseline_wbc_per_nl, baseline_extramedullary_disease,
    aspirate_date or sample_date [assessment_date]; MRD: mrd_baseline, value [mrd_value],
    lod [mrd_lod], assay [mrd_assay], material, marker, value_unit; cohort.
    """
    protocol = protocol_option(protocol_file)
    default = _cohort(protocol, cohort)

    def assess(rec: ResponseInput) -> dict[str, Any]:
        chosen = rec.cohort or default
        if chosen is None:
            raise ValueError("cohort missing: give --cohort or a 'cohort' field")
        return _response(rec, chosen, protocol)

    _run(file, ResponseInput, assess)


class CRSInput(Record):
    """The `crs` form's fields (Lee 2019 Table 4), plus whether the episode was established."""

    onset_date: date | None = None
    assessment_date: date | None = None
    fever_c: float | None = None
    antipyretics_or_anticytokine_given: bool = False
    tocilizumab_given: bool | None = None
    hypotension: crs_icans.Hypotension = "none"
    hypoxia: crs_icans.Hypoxia = "none"
    death_from_crs: bool = False
    episode_established: bool = False
    resolution_date: date | None = None


@assess_app.command("crs")
def crs(file: FileArg = None) -> None:
    """ASTCT 2019 CRS grade per record (null when it cannot be graded: no temperature).

    Fields: fever_c, antipyretics_or_anticytokine_given, tocilizumab_given, hypotension
    (none|no_vasopressor|one_vasopressor|multiple_vasopressors), hypoxia
    (none|low_flow|high_flow|positive_pressure), death_from_crs, episode_established (an
    earlier record of this episode had fever), onset_date, assessment_date, resolution_date.
    """

    def assess(rec: CRSInput) -> dict[str, Any]:
        treated = rec.antipyretics_or_anticytokine_given or bool(rec.tocilizumab_given)
        signs = crs_icans.CRSSigns(
            rec.fever_c, treated, rec.hypotension, rec.hypoxia, rec.death_from_crs,
            rec.episode_established,
        )  # fmt: skip
        return _dated(crs_icans.grade_crs(signs).to_dict(), rec.assessment_date)

    _run(file, CRSInput, assess)


class ICANSInput(Record):
    """The `icans` form's fields (Lee 2019 Tables 2 and 5)."""

    assessment_date: date | None = None
    ice_score: int | None = None
    unarousable: bool = False
    consciousness: crs_icans.Consciousness = "normal"
    seizure: crs_icans.Seizure = "none"
    motor_weakness: bool = False
    raised_icp: crs_icans.RaisedICP = "none"
    resolution_date: date | None = None


@assess_app.command("icans")
def icans(file: FileArg = None) -> None:
    """ASTCT 2019 adult ICANS grade per record (worst domain).

    Fields: ice_score (0-10), unarousable, consciousness (normal|wakes_spontaneously|
    wakes_to_voice|wakes_to_touch|stupor_or_coma), seizure (none|quickly_resolving|
    prolonged_or_repetitive), motor_weakness, raised_icp (none|focal_oedema|diffuse_oedema),
    assessment_date, resolution_date.
    """

    def assess(rec: ICANSInput) -> dict[str, Any]:
        signs = crs_icans.ICANSSigns(
            rec.ice_score, rec.unarousable, rec.consciousness, rec.seizure,
            rec.motor_weakness, rec.raised_icp,
        )  # fmt: skip
        return _dated(crs_icans.grade_icans(signs).to_dict(), rec.assessment_date)

    _run(file, ICANSInput, assess)


def _dated(out: dict[str, Any], when: date | None) -> dict[str, Any]:
    return {**out, "assessment_date": when.isoformat() if when else None}


class LabInput(Record):
    """One laboratory value to grade (CTCAE v5.0)."""

    term: str
    value: float
    unit: str
    lln: float | None = None
    lln_unit: str | None = None
    baseline_value: float | None = None


@assess_app.command("lab")
def lab(file: FileArg = None) -> None:
    """CTCAE v5.0 grade per record: term (e.g. neutrophil_count_decreased, anemia), value, unit
    (10^9/L, /uL, g/dL, g/L, mmol/L), lln (needed for grade 1), lln_unit; with baseline_value,
    also the baseline grade and whether it worsened."""

    def assess(rec: LabInput) -> dict[str, Any]:
        if rec.baseline_value is None:
            return ctcae.grade_lab(rec.term, rec.value, rec.unit, rec.lln, rec.lln_unit).to_dict()
        change = ctcae.grade_change(
            rec.term, rec.baseline_value, rec.value, rec.unit, rec.lln, rec.lln_unit
        )
        return {**change.current.to_dict(), "baseline_grade": change.baseline.grade,
                "worsened": change.worsened}  # fmt: skip

    _run(file, LabInput, assess)


class DLTInput(Record):
    """An `adverse_event` record plus the dates that place the DLT window."""

    term: str
    ctcae_grade: int
    onset_date: date
    category: dlt.Category = "nonhematologic"
    resolution_date: date | None = None
    serious: bool | None = None
    outcome: str | None = None
    attribution_talazoparib: str | None = None
    attribution_nk: str | None = None
    controlled_within_hours: float | None = None
    hours_to_grade_1_or_less: float | None = None
    duration_days: float | None = None
    disease_related: bool | None = None
    assessment_date: date | None = None
    anc_per_nl: float | None = alias("anc", "anc_per_nl")
    platelets_per_nl: float | None = alias("platelets", "platelets_per_nl")
    marrow_cellularity_pct: float | None = alias("cellularity_pct", "marrow_cellularity_pct")
    leukaemia_present: bool | None = None
    treatment_start_date: date | None = None
    first_nk_date: date | None = None


_AE_FIELDS = tuple(f for f in dlt.AdverseEventRecord.__dataclass_fields__)


@assess_app.command("dlt")
def dlt_command(file: FileArg = None, protocol_file: ProtocolOpt = None) -> None:
    """DLT verdict per adverse event against the protocol's definition and window.

    Fields: the adverse_event form's (term, ctcae_grade, onset_date, category, attribution_
    talazoparib, attribution_nk, controlled_within_hours, hours_to_grade_1_or_less,
    disease_related, resolution_date, serious, outcome), duration_days, and for prolonged
    aplasia assessment_date, anc, platelets, cellularity_pct, leukaemia_present; the window from
    treatment_start_date (talazoparib C1D1) and first_nk_date.
    """
    definition = protocol_option(protocol_file).safety.dlt

    def assess(rec: DLTInput) -> dict[str, Any]:
        window = dlt.dlt_window(rec.treatment_start_date, rec.first_nk_date, definition)
        if window is None:
            need = (
                "treatment_start_date"
                if definition.window_start == "first_talazoparib"
                else "first_nk_date"
            )
            raise ValueError(f"{need}: needed to place the DLT window")
        ae = dlt.AdverseEventRecord(**{f: getattr(rec, f) for f in _AE_FIELDS})
        return {**dlt.evaluate_dlt(ae, window, definition).to_dict(), "window": window.to_dict()}

    _run(file, DLTInput, assess)


_FORM_TYPES: dict[str, Any] = {
    "integer": int,
    "decimal": float,
    "boolean": bool,
    "text": str,
    "date": date,
    "datetime": datetime,
}


def screening_model(protocol: Protocol) -> type[Record]:
    """A strict input model with every field of every version of the screening form."""
    fields: dict[str, Any] = {}
    for form in protocol.forms:
        if form.code != "screening":
            continue
        for f in form.fields:
            kind = Literal[tuple(f.choices)] if f.type == "choice" else _FORM_TYPES[f.type]  # type: ignore[valid-type]
            fields[f.name] = (kind | None, None)
    return create_model("ScreeningInput", __base__=Record, **fields)


@assess_app.command("eligibility")
def eligibility_command(
    file: FileArg = None, cohort: CohortOpt = None, protocol_file: ProtocolOpt = None
) -> None:
    """Eligibility per screening record (the screening form's field names): status, cohort,
    every criterion with its reason. With --cohort, also whether the record is eligible for it.
    """
    protocol = protocol_option(protocol_file)
    wanted = _cohort(protocol, cohort)

    def assess(rec: BaseModel) -> dict[str, Any]:
        values = {k: v for k, v in rec.model_dump().items() if v is not None}
        out = eligibility.evaluate_eligibility(values, protocol).to_dict()
        if wanted is not None:
            out["requested_cohort"] = wanted
            out["eligible_for_requested"] = out["status"] == "eligible" and out["cohort"] == wanted
        return out

    _run(file, screening_model(protocol), assess)


class DatedResponse(Record):
    """One dated ELN 2022 response category."""

    assessment_date: date = Field(validation_alias=AliasChoices("date", "assessment_date"))
    category: Literal["CR", "CRh", "CRi", "MLFS", "PR", "SD", "PD", "NE"]


class EventsInput(Record):
    """A subject's dated history (docs/clinical-rules.md "Time to event")."""

    cohort: Literal["overt", "mrd"] | None = None
    enrolment_date: date
    responses: list[DatedResponse] = []
    relapse_date: date | None = None
    mrd_progression_date: date | None = None
    death_date: date | None = None
    last_known_alive_date: date | None = None
    last_assessment_date: date | None = None


@assess_app.command("events")
def events_command(
    file: FileArg = None, cohort: CohortOpt = None, protocol_file: ProtocolOpt = None
) -> None:
    """OS, EFS, RFS, CIR and CID per subject history: event/censor dates, days and reasons,
    and one row per endpoint (status 0 censored, 1 event, 2 competing).

    Fields: enrolment_date, responses [{date, category}], relapse_date, mrd_progression_date,
    death_date, last_known_alive_date, last_assessment_date (the last date assessed for
    response, follow-up blood counts or marrow included), cohort.
    """
    protocol = protocol_option(protocol_file)
    default = _cohort(protocol, cohort)

    def assess(rec: EventsInput) -> dict[str, Any]:
        chosen = rec.cohort or default
        if chosen is None:
            raise ValueError("cohort missing: give --cohort or a 'cohort' field")
        history = events.SubjectHistory(
            rec.enrolment_date,
            [(r.assessment_date, r.category) for r in rec.responses],
            rec.relapse_date,
            rec.mrd_progression_date,
            rec.death_date,
            rec.last_known_alive_date,
            rec.last_assessment_date,
        )
        result = events.derive_events(history, chosen, protocol)
        return {"cohort": chosen, **result.to_dict(),
                "rows": [r.to_dict() for r in result.rows()]}  # fmt: skip

    _run(file, EventsInput, assess)
