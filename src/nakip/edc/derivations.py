"""Derived values of a subject, computed on demand from its source records (never typed in).

ELN 2022 response per response-assessment visit, best response and the three responder
definitions, MRD log10 change, evaluability and negativity, CTCAE grades of blood counts, ASTCT
CRS/ICANS grades, CTCAE grades of ALT/AST/bilirubin/creatinine and MAGIC acute GVHD grades
(`safety_derivations`), DLT flag per adverse event in the DLT window, NK-product feasibility, and
OS/EFS/RFS/CIR/CID event or censoring dates. The rules live in `nakip.clinical` (stated in
docs/clinical-rules.md); this module only gathers their inputs from the EDC records, and lists
the data queries the rules ask for (`queries`), which the services open on the records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from nakip.clinical import crs_icans, ctcae, dlt, eln2022, events, mrd
from nakip.clinical.ctcae_terms import reported_term, soc_of
from nakip.edc import derived_cache, safety_derivations
from nakip.edc.audit import field_label
from nakip.edc.death_dates import death_date_in
from nakip.edc.models import FormRecord, Subject
from nakip.edc.protocol_forms import get_protocol
from nakip.edc.schedule import planned_visits
from nakip.protocol import Protocol

COUNT_UNIT = "10^9/L"
HB_UNIT = "g/dL"
#: haematology field -> (CTCAE term, LLN field, unit)
LAB_TERMS: dict[str, tuple[str, str, str]] = {
    "anc": ("neutrophil_count_decreased", "anc_lln", COUNT_UNIT),
    "platelets": ("platelet_count_decreased", "platelets_lln", COUNT_UNIT),
    "haemoglobin": ("anemia", "haemoglobin_lln", HB_UNIT),
    "wbc": ("wbc_decreased", "wbc_lln", COUNT_UNIT),
    "lymphocytes": ("lymphocyte_count_decreased", "lymphocytes_lln", COUNT_UNIT),
}


def _d(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _plain(obj: Any) -> Any:
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


@dataclass(frozen=True)
class VisitResponse:
    """ELN 2022 response at one response-assessment visit, with the three responder flags."""

    visit_code: str
    assessment_date: date | None
    category: str
    rule: str
    missing: tuple[str, ...] = ()
    responder_cr: bool = False
    responder_cr_cri: bool = False
    responder_cr_crh_cri: bool = False
    notes: tuple[str, ...] = ()
    query: str | None = None
    missing_labels: tuple[str, ...] = ()  # `missing` as the forms label it, for people


@dataclass(frozen=True)
class DerivedQuery:
    """A data query a rule asks for (e.g. marrow cellularity to confirm MLFS), on a record's
    field; `code` is stable so the query closes itself once the data no longer call for it."""

    record_id: int
    field: str
    code: str
    message: str


@dataclass(frozen=True)
class MRDPoint:
    """One post-baseline MRD sample against the baseline (ELN-MRD 2021)."""

    visit_code: str
    record_id: int
    sample_date: date | None
    value: float | None
    log10_change: float | None
    is_bound: bool
    responder: bool
    rule: str
    query: str | None = None
    response_assessment: bool = False
    evaluable: bool = True
    not_evaluable_reason: str | None = None
    mrd_negative: bool | None = None


@dataclass(frozen=True)
class LabGradeRow:
    """CTCAE v5.0 grade of one blood-count value of a haematology record."""

    record_id: int
    visit_code: str
    sample_date: date | None
    field: str
    term: str
    value: float
    grade: int | None
    rule: str
    baseline_grade: int | None = None
    worsened: bool | None = None


@dataclass(frozen=True)
class GradeRow:
    """ASTCT grade of a CRS or ICANS record (None: cannot be graded, e.g. no temperature)."""

    record_id: int
    kind: str
    assessment_date: date | None
    grade: int | None
    rule: str


@dataclass(frozen=True)
class AEDerivation:
    """DLT verdict of one adverse event (None when the DLT window has not started)."""

    record_id: int
    term: str
    ctcae_grade: int
    onset_date: date | None
    is_dlt: bool | None
    in_window: bool | None
    rule: str
    serious: bool | None = None
    soc: str | None = None


@dataclass(frozen=True)
class SubjectDerivation:
    """Everything NAKIP derives for one subject; `problems` lists inputs the rules rejected.

    `responder` follows the cohort's primary definition (overt: `responder_definition`; mrd:
    > 1 log10 fall); `responder_cr`, `responder_cr_cri`, `responder_cr_crh_cri` are the overt
    cohort's three definitions (None for mrd). `time_to_event_rows` holds one row per endpoint
    (OS, EFS, and for responders RFS, CIR, CID) for the analysis datasets.
    """

    subject_number: str
    cohort: str
    enrolment_date: date
    responses: tuple[VisitResponse, ...]
    best_response: str | None
    best_response_rule: str | None
    eln_responder: bool | None
    mrd_baseline: float | None
    mrd: tuple[MRDPoint, ...]
    mrd_responder: bool | None
    mrd_progression_date: date | None
    responder: bool | None
    relapse_date: date | None
    lab_grades: tuple[LabGradeRow, ...]
    crs: tuple[GradeRow, ...]
    icans: tuple[GradeRow, ...]
    adverse_events: tuple[AEDerivation, ...]
    dlt_window_start: date | None
    has_dlt: bool
    feasibility_failure: bool | None
    death_date: date | None
    last_known_alive_date: date
    end_of_study_date: date | None
    end_of_study_reason: str | None
    time_to_event: dict[str, Any] | None
    problems: tuple[str, ...] = field(default_factory=tuple)
    responder_definition: str | None = None
    responder_cr: bool | None = None
    responder_cr_cri: bool | None = None
    responder_cr_crh_cri: bool | None = None
    mrd_evaluable: bool | None = None
    mrd_not_evaluable_reason: str | None = None
    mrd_negative: bool | None = None
    best_mrd_log10_change: float | None = None
    remission_date: date | None = None
    last_assessment_date: date | None = None
    treatment_start_date: date | None = None
    first_nk_date: date | None = None
    dlt_window_end: date | None = None
    time_to_event_rows: tuple[events.TimeToEventRow, ...] = ()
    queries: tuple[DerivedQuery, ...] = ()
    chemistry_grades: tuple[safety_derivations.ChemistryGradeRow, ...] = ()
    #: DLT verdicts from the GVHD and chemistry forms (the AE verdicts are `adverse_events`)
    derived_dlts: tuple[safety_derivations.DerivedDLTRow, ...] = ()

    @property
    def left_study_date(self) -> date | None:
        """When the subject left the study: end of study, else death (None: on study)."""
        return self.end_of_study_date or self.death_date

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


class _Records:
    """The subject's active records indexed by form and visit (queried unless given)."""

    def __init__(self, subject: Subject, records: Iterable[FormRecord] | None = None):
        if records is None:
            records = FormRecord.objects.filter(subject=subject, withdrawn=False)
        self.all = sorted((r for r in records if not r.withdrawn), key=lambda r: r.pk)
        self._of: dict[str, list[FormRecord]] = {}
        self._at: dict[tuple[str, str], FormRecord] = {}
        for r in self.all:  # indexed once: the rules ask for a form or a visit many times
            self._of.setdefault(r.form_code, []).append(r)
            self._at.setdefault((r.form_code, r.visit_code), r)

    def of(self, form: str) -> list[FormRecord]:
        """The form's records in entry order (a new list: callers may sort it)."""
        return list(self._of.get(form, ()))

    def at(self, form: str, visit: str) -> FormRecord | None:
        """The first-entered record of the form at the visit."""
        return self._at.get((form, visit))


def _float(v: Any) -> float | None:
    return None if v is None else float(v)


#: ELN 2022 assessment inputs -> the form field `_assessment` reads each from, so a missing
#: input is named on the casebook by its label on the form
_ASSESSMENT_SOURCE = {
    "bm_blasts_pct": ("marrow", "bm_blasts_pct"),
    "pb_blasts_pct": ("haematology", "pb_blasts_pct"),
    "wbc_per_nl": ("haematology", "wbc"),
    "bm_cellularity_pct": ("marrow", "cellularity_pct"),
    "extramedullary_disease": ("emd", "emd_present"),
    "anc_per_nl": ("haematology", "anc"),
    "platelets_per_nl": ("haematology", "platelets"),
    "transfusion_independent": ("haematology", "transfusion_independent"),
    "auer_rods": ("marrow", "auer_rods"),
}


def _assessment_labels(names: Iterable[str], proto: Protocol) -> tuple[str, ...]:
    """Missing ELN 2022 inputs by their form labels ("Cellularity", "Marrow blasts at baseline")."""
    out = []
    for name in names:
        bare = name.removeprefix("baseline_")
        form_code, field_name = _ASSESSMENT_SOURCE.get(bare, ("", bare))
        label = field_label(field_name, form_code, proto)
        out.append(label if bare == name else f"{label} at baseline")
    return tuple(out)


def _in_words(form_code: str, message: str, proto: Protocol) -> str:
    """A rule's error message with its leading field code ("fever_c: ...") as the form's label
    ("Highest temperature: ..."), for the people who read the casebook."""
    name, sep, rest = message.partition(": ")
    if sep and name.isidentifier():
        return f"{field_label(name, form_code, proto)}: {rest}"
    return message


def _assessment(
    recs: _Records, visit: str, fallback_date: date, baseline: dict[str, Any]
) -> eln2022.Assessment | None:
    marrow = recs.at("marrow", visit)
    haem = recs.at("haematology", visit)
    emd = recs.at("emd", visit)
    if marrow is None and haem is None and emd is None:
        return None
    m = marrow.values if marrow else {}
    h = haem.values if haem else {}
    e = emd.values if emd else {}
    when = _d(m.get("aspirate_date")) or _d(h.get("sample_date")) or fallback_date
    return eln2022.Assessment(
        bm_blasts_pct=_float(m.get("bm_blasts_pct")) if m.get("evaluable", True) else None,
        pb_blasts_pct=_float(h.get("pb_blasts_pct")),
        wbc_per_nl=_float(h.get("wbc")),
        baseline_wbc_per_nl=baseline.get("wbc"),
        baseline_pb_blasts_pct=baseline.get("pb_blasts_pct"),
        bm_cellularity_pct=_float(m.get("cellularity_pct")),
        extramedullary_disease=e.get("emd_present"),
        baseline_extramedullary_disease=baseline.get("emd"),
        anc_per_nl=_float(h.get("anc")),
        platelets_per_nl=_float(h.get("platelets")),
        transfusion_independent=h.get("transfusion_independent"),
        baseline_bm_blasts_pct=baseline.get("bm_blasts_pct"),
        auer_rods=m.get("auer_rods"),
        baseline_anc_per_nl=baseline.get("anc"),
        baseline_platelets_per_nl=baseline.get("platelets"),
        assessment_date=when,
    )


def _baseline(recs: _Records, subject: Subject, visit: str) -> dict[str, Any]:
    """Baseline disease values from the first visit (C1D1); screening marrow as a fallback."""
    marrow = recs.at("marrow", visit)
    haem = recs.at("haematology", visit)
    emd = recs.at("emd", visit)
    scr = subject.screening.values
    bm = None
    if marrow is not None and marrow.values.get("evaluable", True):
        bm = _float(marrow.values.get("bm_blasts_pct"))
    if bm is None:
        bm = _float(scr.get("bm_blasts_pct"))
    blood = haem.values if haem else scr
    return {
        "bm_blasts_pct": bm,
        "emd": emd.values.get("emd_present") if emd else None,
        "anc": _float(blood.get("anc")),
        "platelets": _float(blood.get("platelets")),
        "wbc": _float(blood.get("wbc")),
        "pb_blasts_pct": _float(blood.get("pb_blasts_pct")),
    }


def _lab_grades(
    recs: _Records, baseline_visit: str, proto: Protocol, problems: list[str]
) -> list[LabGradeRow]:
    rows: list[LabGradeRow] = []
    base: dict[str, int | None] = {}
    ordered = sorted(
        recs.of("haematology"),
        key=lambda r: (r.visit_code != baseline_visit, r.values.get("sample_date", "")),
    )
    for rec in ordered:
        v = rec.values
        for name, (term, lln_name, unit) in LAB_TERMS.items():
            if v.get(name) is None:
                continue
            lln = v.get(lln_name)
            try:
                g = ctcae.grade_lab(term, float(v[name]), unit, _float(lln) if lln else None)
            except ValueError as exc:
                label = field_label(name, "haematology", proto)
                problems.append(f"haematology #{rec.pk} {label}: {exc}")
                continue
            if rec.visit_code == baseline_visit:
                base[name] = g.grade
            b = base.get(name)
            worse = None
            if b is not None and g.grade is not None:
                worse = ctcae.worsened_from_baseline(b, g.grade)
            rows.append(
                LabGradeRow(
                    rec.pk,
                    rec.visit_code,
                    _d(v.get("sample_date")),
                    name,
                    g.term,
                    float(v[name]),
                    g.grade,
                    g.rule,
                    b,
                    worse,
                )  # fmt: skip
            )
    return rows


def _episode_established(rec: FormRecord, crs_records: list[FormRecord]) -> bool:
    """An earlier record of the same CRS episode (same onset date) had fever (ASTCT: CRS is
    established, so antipyretic/anti-cytokine therapy may then waive the fever)."""
    v = rec.values
    when = _d(v.get("assessment_date"))
    for other in crs_records:
        o = other.values
        earlier = _d(o.get("assessment_date"))
        if (
            other.pk != rec.pk
            and o.get("onset_date") == v.get("onset_date")
            and earlier is not None
            and when is not None
            and earlier < when
            and crs_icans.is_fever(_float(o.get("fever_c")))
        ):
            return True
    return False


def _astct(
    recs: _Records, proto: Protocol, problems: list[str]
) -> tuple[list[GradeRow], list[GradeRow]]:
    crs_rows: list[GradeRow] = []
    icans_rows: list[GradeRow] = []
    crs_records = recs.of("crs")
    for rec in crs_records:
        v = rec.values
        try:
            g = crs_icans.grade_crs(
                crs_icans.CRSSigns(
                    fever_c=_float(v.get("fever_c")),
                    antipyretics_or_anticytokine_given=bool(
                        v.get("antipyretics_or_anticytokine_given") or v.get("tocilizumab_given")
                    ),
                    hypotension=v.get("hypotension", "none"),
                    hypoxia=v.get("hypoxia", "none"),
                    death_from_crs=bool(v.get("death_from_crs")),
                    episode_established=_episode_established(rec, crs_records),
                )
            )
        except ValueError as exc:
            problems.append(f"crs #{rec.pk}: {_in_words('crs', str(exc), proto)}")
            continue
        crs_rows.append(GradeRow(rec.pk, "crs", _d(v.get("assessment_date")), g.grade, g.rule))
    for rec in recs.of("icans"):
        v = rec.values
        try:
            g = crs_icans.grade_icans(
                crs_icans.ICANSSigns(
                    ice_score=v.get("ice_score"),
                    unarousable=bool(v.get("unarousable")),
                    consciousness=v.get("consciousness", "normal"),
                    seizure=v.get("seizure", "none"),
                    motor_weakness=bool(v.get("motor_weakness")),
                    raised_icp=v.get("raised_icp", "none"),
                )
            )
        except ValueError as exc:
            problems.append(f"icans #{rec.pk}: {_in_words('icans', str(exc), proto)}")
            continue
        icans_rows.append(GradeRow(rec.pk, "icans", _d(v.get("assessment_date")), g.grade, g.rule))
    return crs_rows, icans_rows


def _latest_before(recs: list[FormRecord], date_field: str, when: date) -> FormRecord | None:
    dated = [(r, _d(r.values.get(date_field))) for r in recs]
    dated = [(r, d) for r, d in dated if d is not None and d <= when]
    return max(dated, key=lambda t: t[1])[0] if dated else None


def _treatment_start(recs: _Records) -> date | None:
    """First dose of study treatment: the earliest talazoparib period start (C1D1)."""
    starts = [_d(r.values.get("period_start")) for r in recs.of("talazoparib")]
    dated = [d for d in starts if d is not None]
    return min(dated) if dated else None


def _first_nk(recs: _Records) -> date | None:
    """The first NK-cell infusion actually given."""
    given = [
        _d(r.values.get("infusion_date")) for r in recs.of("nk_infusion") if r.values.get("given")
    ]
    dated = [d for d in given if d is not None]
    return min(dated) if dated else None


def _adverse_events(
    subject: Subject,
    recs: _Records,
    proto: Protocol,
    window: dlt.DLTWindow | None,
    problems: list[str],
) -> list[AEDerivation]:
    out = []
    haem = recs.of("haematology")
    marrow = recs.of("marrow")
    crit = proto.response_criteria.eln2022
    for rec in recs.of("adverse_event"):
        v = rec.values
        onset = _d(v.get("onset_date"))
        if window is None or onset is None:
            out.append(
                AEDerivation(
                    rec.pk,
                    reported_term(v.get("term", ""), v.get("term_other")),
                    int(v.get("ctcae_grade", 0)),
                    onset,
                    None,
                    None,
                    "DLT not evaluable: the DLT window has not started (no study treatment "
                    "recorded)",
                    v.get("serious"),
                )  # fmt: skip
            )
            continue
        extra: dict[str, Any] = {}
        if v.get("category") == "hematologic":
            h = _latest_before(haem, "sample_date", onset) if haem else None
            m = _latest_before(marrow, "aspirate_date", onset) if marrow else None
            extra["assessment_date"] = onset
            if h is not None:
                extra["anc_per_nl"] = _float(h.values.get("anc"))
                extra["platelets_per_nl"] = _float(h.values.get("platelets"))
            if m is not None:
                extra["marrow_cellularity_pct"] = _float(m.values.get("cellularity_pct"))
                blasts = _float(m.values.get("bm_blasts_pct"))
                if blasts is not None:
                    extra["leukaemia_present"] = blasts >= crit.relapse_bm_blasts_min_pct
        resolution = _d(v.get("resolution_date"))
        try:
            ae = dlt.AdverseEventRecord(
                term=reported_term(v.get("term", ""), v.get("term_other")),
                ctcae_grade=int(v.get("ctcae_grade", 0)),
                onset_date=onset,
                category=v.get("category", "nonhematologic"),
                resolution_date=resolution,
                attribution_talazoparib=v.get("attribution_talazoparib"),
                attribution_nk=v.get("attribution_nk"),
                controlled_within_hours=_float(v.get("controlled_within_hours")),
                hours_to_grade_1_or_less=_float(v.get("hours_to_grade_1_or_less")),
                disease_related=v.get("disease_related"),
                **extra,
            )
            res = dlt.evaluate_dlt(ae, window, proto.safety.dlt)
        except ValueError as exc:
            problems.append(f"adverse_event #{rec.pk}: {exc}")
            continue
        out.append(
            AEDerivation(
                rec.pk,
                ae.term,
                ae.ctcae_grade,
                onset,
                res.is_dlt,
                res.in_window,
                res.rule,
                v.get("serious"),
                soc_of(v.get("term", "")),
            )  # fmt: skip
        )
    return out


def _feasibility(recs: _Records, proto: Protocol) -> bool | None:
    """Feasibility failure: an NK infusion not given, or below the minimum dose or viability."""
    infusions = recs.of("nk_infusion")
    if not infusions:
        return None
    plan = proto.treatment.nk_cells
    for r in infusions:
        v = r.values
        if not v.get("given"):
            return True
        dose, viab = _float(v.get("cell_dose_per_kg")), _float(v.get("viability_pct"))
        if dose is not None and dose < plan.min_dose_per_kg:
            return True
        if viab is not None and viab < plan.min_viability_pct:
            return True
    return False


def _responses(
    recs: _Records, subject: Subject, proto: Protocol, baseline: dict[str, Any], problems: list[str]
) -> tuple[list[VisitResponse], list[eln2022.ResponseResult], list[eln2022.Assessment]]:
    """ELN 2022 response per response-assessment visit, and every dated assessment after
    baseline (for relapse)."""
    crit = proto.response_criteria.eln2022
    base_visit = proto.schedule.visits[0].code
    responses: list[VisitResponse] = []
    results: list[eln2022.ResponseResult] = []
    series: list[eln2022.Assessment] = []
    for v in planned_visits(subject.cohort, proto):
        if v.code == base_visit:
            continue
        a = _assessment(recs, v.code, v.target_date(subject.enrolment_date), baseline)
        if a is None:
            continue
        series.append(a)
        if not v.response_assessment:
            continue
        try:
            r = eln2022.classify_response(a, crit)
        except ValueError as exc:
            problems.append(f"response at {v.code}: {exc}")
            continue
        results.append(r)
        responses.append(
            VisitResponse(
                v.code,
                a.assessment_date,
                r.category,
                r.rule,
                r.missing,
                r.responder_cr,
                r.responder_cr_cri,
                r.responder_cr_crh_cri,
                r.notes,
                r.query,
                _assessment_labels(r.missing, proto),
            )  # fmt: skip
        )
    return responses, results, series


def _same_sample_kind(base: FormRecord | None, rec: FormRecord, proto: Protocol) -> str | None:
    """Why a follow-up MRD sample cannot be compared with the baseline sample (different
    material or assay; Heuser 2021 [recalled]), or None when it can."""
    if base is None:
        return None

    def said(value: Any) -> str:
        return str(value).replace("_", " ")

    differ = [
        f"{field_label(name, 'mrd', proto).lower()} {said(base.values.get(name))} -> "
        f"{said(rec.values.get(name))}"
        for name in ("material", "assay")
        if base.values.get(name) and rec.values.get(name)
        and base.values.get(name) != rec.values.get(name)
    ]  # fmt: skip
    if not differ:
        return None
    return "baseline and follow-up MRD not comparable (" + "; ".join(differ) + ")"


def _mrd_points(
    recs: _Records, subject: Subject, proto: Protocol, problems: list[str]
) -> tuple[float | None, list[MRDPoint], list[mrd.MRDSample]]:
    """MRD against the baseline sample (C1D1, else the screening's current value)."""
    mcrit = proto.response_criteria.mrd
    base_visit = proto.schedule.visits[0].code
    base_rec = recs.at("mrd", base_visit)
    mrd_base = (
        _float(base_rec.values.get("value"))
        if base_rec
        else _float(subject.screening.values.get("mrd_current_value"))
    )
    ra_codes = {v.code for v in planned_visits(subject.cohort, proto) if v.response_assessment}
    points: list[MRDPoint] = []
    samples: list[mrd.MRDSample] = []
    for rec in recs.of("mrd"):
        v = rec.values
        sd = _d(v.get("sample_date"))
        if sd is not None and v.get("value") is not None:
            samples.append(mrd.MRDSample(sd, float(v["value"])))
        if rec.visit_code == base_visit:
            continue
        marrow = recs.at("marrow", rec.visit_code)
        emd = recs.at("emd", rec.visit_code)
        value = _float(v.get("value"))
        lod = _float(v.get("lod")) or None
        mismatch = _same_sample_kind(base_rec, rec, proto)
        try:
            if mismatch is not None:
                res = mrd.MRDResult(
                    None, False, False, f"{mrd.ELN_MRD}: not evaluable — {mismatch}",
                    f"MRD not evaluable: {mismatch}; a rise or fall is compared only within "
                    "the same material and assay.",
                    None, False, False, mismatch, mrd.mrd_negativity(value, lod, mcrit),
                )  # fmt: skip
            else:
                res = mrd.mrd_response(
                    mrd_base,
                    value,
                    lod,
                    mcrit,
                    _float(marrow.values.get("bm_blasts_pct")) if marrow else None,
                    emd.values.get("emd_present") if emd else None,
                )
        except ValueError as exc:
            problems.append(f"mrd #{rec.pk}: {exc}")
            continue
        points.append(
            MRDPoint(
                rec.visit_code,
                rec.pk,
                sd,
                value,
                res.log10_change,
                res.is_bound,
                res.responder,
                res.rule,
                res.query,
                rec.visit_code in ra_codes,
                res.evaluable,
                res.not_evaluable_reason,
                res.mrd_negative,
            )  # fmt: skip
        )
    return mrd_base, points, samples


def _mrd_summary(
    points: list[MRDPoint],
) -> tuple[bool | None, bool | None, str | None, bool | None, float | None]:
    """(responder, evaluable, reason not evaluable, negative, best log10 change) over the
    response-assessment samples."""
    ra = [p for p in points if p.response_assessment]
    if not ra:
        return None, False, "no follow-up MRD sample at a response assessment", None, None
    evaluable = any(p.evaluable for p in ra)
    reasons = dict.fromkeys(str(p.not_evaluable_reason) for p in ra if not p.evaluable)
    reason = None if evaluable else "; ".join(reasons)
    negs = [p.mrd_negative for p in ra]
    negative = True if True in negs else (False if False in negs else None)
    changes = [p.log10_change for p in ra if p.log10_change is not None]
    return any(p.responder for p in ra), evaluable, reason, negative, min(changes, default=None)


def _last_alive(subject: Subject, recs: _Records, proto: Protocol, died: date | None) -> date:
    """Latest date the subject was known alive: every date field of every record, except the
    follow-up that reports death and the death date itself."""
    alive_dates = [subject.enrolment_date]
    date_fields: dict[tuple[str, int], set[str]] = {}
    for rec in recs.all:
        if rec.form_code == "follow_up" and rec.values.get("vital_status") == "dead":
            continue
        if rec.form_code == "end_of_study":
            d = _d(rec.values.get("last_known_alive_date"))
            if d:
                alive_dates.append(d)
            continue
        form_key = (rec.form_code, rec.form_version)
        if form_key not in date_fields:  # only fields the form defines as dates are dates
            form = proto.form(rec.form_code, rec.form_version)
            date_fields[form_key] = {f.name for f in form.fields if f.type == "date"}
        for key in date_fields[form_key] - {"death_date"}:
            d = _d(rec.values.get(key))
            if d is not None:
                alive_dates.append(d)
    last_alive = max(alive_dates)
    return died if died is not None and last_alive > died else last_alive


#: Follow-up answers that make the visit an assessment of remission status (ELN 2022 Table 9).
REMISSION_ASSESSMENT_METHODS = frozenset({"blood_counts", "bone_marrow"})


def _last_assessment(recs: _Records, responses: list[VisitResponse]) -> date | None:
    """The date last assessed for response (ELN 2022 Table 9): response visits, every blood
    count and marrow, and follow-up visits that assessed remission by blood counts or marrow."""
    dates = [r.assessment_date for r in responses if r.assessment_date is not None]
    dates += [_d(r.values.get("sample_date")) for r in recs.of("haematology")]  # type: ignore[misc]
    dates += [_d(r.values.get("aspirate_date")) for r in recs.of("marrow")]  # type: ignore[misc]
    dates += [
        _d(r.values.get("contact_date"))  # type: ignore[misc]
        for r in recs.of("follow_up")
        if r.values.get("disease_assessment") in REMISSION_ASSESSMENT_METHODS
    ]
    real = [d for d in dates if d is not None]
    return max(real) if real else None


def _queries(
    recs: _Records, responses: list[VisitResponse], points: list[MRDPoint]
) -> list[DerivedQuery]:
    """Data queries the rules ask for, each on the record that can answer it."""
    out: list[DerivedQuery] = []
    for r in responses:
        marrow = recs.at("marrow", r.visit_code)
        if r.query and marrow is not None and "bm_cellularity_pct" in r.missing:
            out.append(DerivedQuery(marrow.pk, "cellularity_pct", "mlfs_cellularity", r.query))
    for p in points:
        if p.query and p.response_assessment:
            name = "lod" if "limit of detection" in p.query else "value"
            out.append(DerivedQuery(p.record_id, name, "mrd_not_evaluable", p.query))
    return out


def derive_subject(
    subject: Subject,
    protocol: Protocol | None = None,
    records: Iterable[FormRecord] | None = None,
) -> SubjectDerivation:
    """All derived values of one subject from its current (non-withdrawn) records.

    `records`: the subject's records already loaded (a dataset build prefetches them once, and
    passes them cut at the data cut-off); None queries the database. The result is kept per
    subject while these inputs stay the same (`derived_cache`: a changed record is a new key)."""
    proto = protocol or get_protocol()
    if records is None:
        records = FormRecord.objects.filter(subject=subject, withdrawn=False)
    loaded = list(records)
    return derived_cache.cached_derivation(
        subject, proto, loaded, lambda: _derive(subject, proto, loaded)
    )


def _derive(subject: Subject, proto: Protocol, records: list[FormRecord]) -> SubjectDerivation:
    """`derive_subject` worked out from the records (no cache)."""
    recs = _Records(subject, records)
    problems: list[str] = []
    base_visit = proto.schedule.visits[0].code
    baseline = _baseline(recs, subject, base_visit)
    crit = proto.response_criteria.eln2022
    endpoint = proto.cohort(subject.cohort).primary_endpoint
    overt = endpoint.kind == "eln2022_response"

    responses, results, series = _responses(recs, subject, proto, baseline, problems)
    best = eln2022.best_response(results) if results else None
    flags = None
    if overt and endpoint.responder_definition is not None and results:
        flags = eln2022.responder_flags(results, endpoint.responder_definition)
    eln_responder = flags.responder if flags is not None else None
    relapse_date = None
    try:
        rel = eln2022.detect_relapse(series, crit) if series else None
        relapse_date = rel.date if rel and rel.relapsed else None
    except ValueError as exc:
        problems.append(f"relapse: {exc}")
    fu_relapse = [_d(r.values.get("relapse_date")) for r in recs.of("follow_up")]
    fu_dates = [d for d in fu_relapse if d is not None]
    if fu_dates and (relapse_date is None or min(fu_dates) < relapse_date):
        relapse_date = min(fu_dates)

    mcrit = proto.response_criteria.mrd
    mrd_base, points, samples = _mrd_points(recs, subject, proto, problems)
    mrd_responder, mrd_evaluable, mrd_reason, mrd_negative, best_change = _mrd_summary(points)
    mrd_prog_date = None
    try:
        if len(samples) >= 2:
            prog = mrd.mrd_progression(sorted(samples, key=lambda s: s.sample_date), mcrit)
            mrd_prog_date = prog.date if prog.progressed and prog.confirmed else None
    except ValueError as exc:
        problems.append(f"mrd progression: {exc}")

    responder = eln_responder if overt else mrd_responder

    lab_rows = _lab_grades(recs, base_visit, proto, problems)
    crs_rows, icans_rows = _astct(recs, proto, problems)
    treatment_start = _treatment_start(recs)
    first_nk = _first_nk(recs)
    window = None
    try:
        window = dlt.dlt_window(treatment_start, first_nk, proto.safety.dlt)
    except ValueError as exc:
        problems.append(f"DLT window: {exc}")
    aes = _adverse_events(subject, recs, proto, window, problems)
    chem_rows = safety_derivations.chemistry_grades(recs.of("chemistry"), base_visit, problems)
    derived_dlts = safety_derivations.gvhd_grades(
        recs.of("gvhd"), window, proto.safety.dlt, problems
    ) + safety_derivations.hepatic_dlts(
        chem_rows, recs.of("adverse_event"), window, proto.safety.dlt
    )

    died = death_date_in(recs.all)
    eos = recs.of("end_of_study")
    eos_date = _d(eos[0].values.get("end_date")) if eos else None
    eos_reason = eos[0].values.get("reason") if eos else None
    last_alive = _last_alive(subject, recs, proto, died)
    last_assessment = _last_assessment(recs, responses)
    if last_assessment is not None and died is not None and last_assessment > died:
        last_assessment = died

    tte = None
    rows: tuple[events.TimeToEventRow, ...] = ()
    try:
        history = events.SubjectHistory(
            enrolment_date=subject.enrolment_date,
            responses=[(r.assessment_date, r.category) for r in responses if r.assessment_date],
            relapse_date=relapse_date,
            mrd_progression_date=mrd_prog_date,
            death_date=died,
            last_known_alive_date=None if died else last_alive,
            last_assessment_date=last_assessment,
        )
        result = events.derive_events(history, subject.cohort, proto)
        tte, rows = result.to_dict(), result.rows()
    except ValueError as exc:
        problems.append(f"time to event: {exc}")
    remission = _d(tte.get("rfs_start")) if tte else None

    return SubjectDerivation(
        subject_number=subject.subject_number,
        cohort=subject.cohort,
        enrolment_date=subject.enrolment_date,
        responses=tuple(responses),
        best_response=best.category if best else None,
        best_response_rule=best.rule if best else None,
        eln_responder=eln_responder,
        mrd_baseline=mrd_base,
        mrd=tuple(points),
        mrd_responder=mrd_responder,
        mrd_progression_date=mrd_prog_date,
        responder=responder,
        relapse_date=relapse_date,
        lab_grades=tuple(lab_rows),
        crs=tuple(crs_rows),
        icans=tuple(icans_rows),
        adverse_events=tuple(aes),
        dlt_window_start=window.start if window else None,
        has_dlt=any(a.is_dlt for a in aes) or any(r.is_dlt for r in derived_dlts),
        feasibility_failure=_feasibility(recs, proto),
        death_date=died,
        last_known_alive_date=last_alive,
        end_of_study_date=eos_date,
        end_of_study_reason=eos_reason,
        time_to_event=_plain(tte) if tte else None,
        problems=tuple(problems),
        responder_definition=endpoint.responder_definition,
        responder_cr=flags.responder_cr if flags else None,
        responder_cr_cri=flags.responder_cr_cri if flags else None,
        responder_cr_crh_cri=flags.responder_cr_crh_cri if flags else None,
        mrd_evaluable=None if overt else mrd_evaluable,
        mrd_not_evaluable_reason=None if overt or mrd_evaluable else mrd_reason,
        mrd_negative=None if overt else mrd_negative,
        best_mrd_log10_change=None if overt else best_change,
        remission_date=remission,
        last_assessment_date=last_assessment,
        treatment_start_date=treatment_start,
        first_nk_date=first_nk,
        dlt_window_end=window.end if window else None,
        time_to_event_rows=rows,
        queries=tuple(_queries(recs, responses, points))
        + tuple(DerivedQuery(*q) for q in safety_derivations.hepatic_queries(derived_dlts)),
        chemistry_grades=tuple(chem_rows),
        derived_dlts=tuple(derived_dlts),
    )
