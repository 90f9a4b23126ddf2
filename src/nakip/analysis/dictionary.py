"""The data dictionary of NAKIP's analysis datasets (modelled on CDISC ADaM).

The contract between the EDC, which builds the datasets (`nakip.edc.datasets`), and everything
that reads them (`nakip.analysis`, reports, exports, `nakip analyze` on exported CSV files).
Column names are lower-case snake case; exports map them to CDISC-style upper-case names.
Dates are `datetime.date` values in DataFrames (ISO text in CSV); a missing value is None/NaN.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

VarType = Literal["str", "int", "float", "bool", "date"]


@dataclass(frozen=True)
class Variable:
    """One column of an analysis dataset: name, label, type, unit and where it comes from."""

    name: str
    label: str
    type: VarType
    unit: str | None = None
    source: str = ""
    cdisc: str | None = None  # CDISC-style variable name for XPT/SDTM-like exports

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _v(
    name: str,
    label: str,
    type: VarType,
    unit: str | None = None,
    source: str = "",
    cdisc: str | None = None,
) -> Variable:
    return Variable(name, label, type, unit, source, cdisc or name.upper()[:8])


_KEYS = (
    _v("usubjid", "Unique subject identifier", "str", source="trial acronym + subject number"),
    _v("subject_number", "Subject number", "str", source="enrolment", cdisc="SUBJID"),
    _v("site", "Site code", "str", source="enrolment", cdisc="SITEID"),
    _v("cohort", "Cohort (overt or mrd)", "str", source="enrolment", cdisc="COHORT"),
)

ADSL: tuple[Variable, ...] = (
    *_KEYS,
    _v("screening_number", "Screening number", "str", source="screening", cdisc="SCRNID"),
    _v("consent_date", "Date of informed consent", "date", source="screening", cdisc="RFICDT"),
    _v("enrolment_date", "Date of enrolment (study day 1, time origin)", "date",
       source="enrolment", cdisc="ENRLDT"),
    _v("treatment_start_date", "First dose of study treatment (talazoparib C1D1)", "date",
       source="treatment forms", cdisc="TRTSDT"),
    _v("first_nk_date", "Date of first NK-cell infusion", "date", source="NK infusion form",
       cdisc="NKSDT"),
    _v("nk_infusions", "Number of NK-cell infusions given", "int", source="NK infusion form",
       cdisc="NKINFN"),
    _v("enrolled_fl", "Enrolled population flag", "bool", source="derived", cdisc="ENRLFL"),
    _v("treated_fl", "Treated population flag (any study treatment)", "bool",
       source="derived", cdisc="SAFFL"),
    _v("response_evaluable_fl", "Response-evaluable flag (>= 1 evaluable assessment)", "bool",
       source="derived", cdisc="EFFFL"),
    _v("dlt_evaluable_fl", "DLT-evaluable flag", "bool", source="derived", cdisc="DLTEVLFL"),
    _v("best_response", "Best overall response (ELN 2022 category or MRD category)", "str",
       source="derived: nakip.clinical", cdisc="BESTRSP"),
    _v("responder", "Responder, primary definition of the protocol", "bool",
       source="derived: protocol primary_endpoint", cdisc="RESPFL"),
    _v("responder_cr", "Responder: CR only (overt)", "bool", source="derived: ELN 2022",
       cdisc="CRFL"),
    _v("responder_cr_cri", "Responder: CR or CRi as registered (overt)", "bool",
       source="derived: ELN 2022 + registry", cdisc="CRCRIFL"),
    _v("responder_cr_crh_cri", "Responder: CR, CRh or CRi (overt)", "bool",
       source="derived: ELN 2022", cdisc="CRCRHFL"),
    _v("mrd_responder", "Responder: MRD decrease > 1 log10 (mrd)", "bool",
       source="derived: ELN-MRD 2021", cdisc="MRDRSPFL"),
    _v("mrd_evaluable", "MRD response evaluable (mrd)", "bool", source="derived: ELN-MRD 2021",
       cdisc="MRDEVLFL"),
    _v("mrd_negative", "MRD negative at any post-baseline assessment", "bool",
       source="derived: ELN-MRD 2021", cdisc="MRDNEGFL"),
    _v("best_mrd_log10_change", "Largest MRD log10 decrease from baseline", "float",
       unit="log10", source="derived: ELN-MRD 2021", cdisc="MRDLOGCH"),
    _v("remission_date", "Date of first CR/CRh/CRi (overt) or enrolment (mrd)", "date",
       source="derived", cdisc="REMDT"),
    _v("relapse_date", "Date of haematological relapse", "date", source="derived",
       cdisc="RELDT"),
    _v("has_dlt", "Any dose-limiting toxicity", "bool", source="derived: DLT rule",
       cdisc="DLTFL"),
    _v("feasibility_failure", "NK-cell product could not be made or given as planned", "bool",
       source="derived: protocol feasibility rule", cdisc="FEASFAIL"),
    _v("death_date", "Date of death", "date", source="death / end-of-study form",
       cdisc="DTHDT"),
    _v("death_cause", "Cause of death", "str", source="death form", cdisc="DTHCAUS"),
    _v("last_known_alive_date", "Date last known alive", "date", source="derived",
       cdisc="LSTALVDT"),
    _v("last_assessment_date", "Date last assessed for response", "date", source="derived",
       cdisc="LSTASDT"),
    _v("end_of_study_date", "End-of-study date", "date", source="end-of-study form",
       cdisc="EOSDT"),
    _v("end_of_study_reason", "End-of-study reason", "str", source="end-of-study form",
       cdisc="EOSREAS"),
    _v("disposition", "Disposition at the data cut-off (ongoing, completed, withdrawn, died, "
       "lost to follow-up)", "str", source="derived", cdisc="DCSREAS"),
    _v("locked", "Casebook locked", "bool", source="EDC", cdisc="LOCKFL"),
    _v("data_cutoff", "Data cut-off date", "date", source="export", cdisc="DCUTDT"),
)  # fmt: skip

ADRS: tuple[Variable, ...] = (
    *_KEYS,
    _v("paramcd", "Parameter code: ELNRESP (ELN 2022 response at a visit), MRDCHG (MRD log10 "
       "change at a sample), BOR (best overall response)", "str", source="derived"),
    _v("visit_code", "Visit", "str", source="visit schedule", cdisc="AVISIT"),
    _v("assessment_date", "Assessment date", "date", source="response / MRD form", cdisc="ADT"),
    _v("study_day", "Study day of the assessment (day 1 = enrolment)", "int", source="derived",
       cdisc="ADY"),
    _v("category", "Response category", "str", source="derived: nakip.clinical",
       cdisc="AVALC"),
    _v("log10_change", "MRD log10 change from baseline", "float", unit="log10",
       source="derived: ELN-MRD 2021", cdisc="AVAL"),
    _v("responder", "Responder at this assessment (primary definition)", "bool",
       source="derived", cdisc="RSPFL"),
    _v("evaluable", "Assessment evaluable", "bool", source="derived", cdisc="EVALFL"),
    _v("response_assessment", "Protocol response-assessment visit", "bool", source="schedule",
       cdisc="RSASFL"),
    _v("rule", "Rule that gave the category (for review)", "str", source="derived",
       cdisc="RULE"),
)  # fmt: skip

ADTTE: tuple[Variable, ...] = (
    *_KEYS,
    _v("paramcd", "Parameter code: OS, EFS, RFS, CIR (relapse; death competing), CID (death "
       "without relapse; relapse competing)", "str", source="derived"),
    _v("origin_date", "Time origin (enrolment; remission for RFS/CIR/CID)", "date",
       source="derived", cdisc="STARTDT"),
    _v("date", "Event or censoring date", "date", source="derived: nakip.clinical.events",
       cdisc="ADT"),
    _v("days", "Time from origin to event or censoring", "float", unit="days",
       source="derived", cdisc="AVAL"),
    _v("event", "Event of interest (False = censored or competing event)", "bool",
       source="derived", cdisc="EVNTFL"),
    _v("cnsr", "CDISC censoring flag (0 = event, 1 = censored, 2 = competing event)", "int",
       source="derived", cdisc="CNSR"),
    _v("status", "Competing-risk status (0 censored, 1 event of interest, 2 competing)", "int",
       source="derived", cdisc="STATUS"),
    _v("reason", "Event or censoring reason", "str", source="derived", cdisc="EVNTDESC"),
)  # fmt: skip

ADAE: tuple[Variable, ...] = (
    *_KEYS,
    _v("record_id", "EDC record id", "int", source="EDC", cdisc="AESEQ"),
    _v("source", "adverse_event, crs, icans or gvhd (MAGIC-graded GVHD assessment)", "str",
       source="EDC form", cdisc="AESRC"),
    _v("term", "Adverse event term (CTCAE v5.0)", "str", source="AE form", cdisc="AEDECOD"),
    _v("soc", "System organ class", "str", source="CTCAE v5.0", cdisc="AEBODSYS"),
    _v("category", "Category of the event (AE form: nonhematologic, hematologic, crs, icans, "
       "agvhd, infusion_reaction, death)", "str", source="AE form", cdisc="AECAT"),
    _v("grade", "Grade (CTCAE v5.0; ASTCT for CRS/ICANS; MAGIC overall grade 1-4 for GVHD)",
       "int", source="AE form / derived",
       cdisc="AETOXGR"),
    _v("onset_date", "Onset date", "date", source="AE form", cdisc="ASTDT"),
    _v("onset_study_day", "Study day of onset", "int", source="derived", cdisc="ASTDY"),
    _v("resolution_date", "Resolution date", "date", source="AE form", cdisc="AENDT"),
    _v("serious", "Serious adverse event", "bool", source="AE form", cdisc="AESER"),
    _v("related", "At least possibly related to any study treatment", "bool",
       source="derived", cdisc="AEREL"),
    _v("attribution_talazoparib", "Attribution to talazoparib", "str", source="AE form",
       cdisc="AERELTAL"),
    _v("attribution_nk", "Attribution to NK cells", "str", source="AE form", cdisc="AERELNK"),
    _v("outcome", "Outcome", "str", source="AE form", cdisc="AEOUT"),
    _v("is_dlt", "Dose-limiting toxicity", "bool", source="derived: DLT rule", cdisc="DLTFL"),
    _v("in_dlt_window", "Onset inside the DLT window", "bool", source="derived",
       cdisc="DLTWINFL"),
    _v("dlt_rule", "DLT rule applied", "str", source="derived", cdisc="DLTRULE"),
)  # fmt: skip

ADLB: tuple[Variable, ...] = (
    *_KEYS,
    _v("record_id", "EDC record id", "int", source="EDC", cdisc="LBSEQ"),
    _v("visit_code", "Visit", "str", source="visit schedule", cdisc="AVISIT"),
    _v("sample_date", "Sample date", "date", source="lab form", cdisc="ADT"),
    _v("study_day", "Study day of the sample", "int", source="derived", cdisc="ADY"),
    _v("paramcd", "Form field code of the analyte (e.g. anc)", "str", source="lab form"),
    _v("term", "CTCAE term", "str", source="CTCAE v5.0", cdisc="PARAM"),
    _v("value", "Value", "float", source="lab form", cdisc="AVAL"),
    _v("unit", "Unit", "str", source="protocol form definition", cdisc="AVALU"),
    _v("grade", "CTCAE v5.0 grade", "int", source="derived: nakip.clinical.ctcae",
       cdisc="ATOXGR"),
    _v("baseline_grade", "Baseline CTCAE grade", "int", source="derived", cdisc="BTOXGR"),
    _v("worsened", "Worsened from baseline grade", "bool", source="derived", cdisc="WORSFL"),
)  # fmt: skip

SCREENING: tuple[Variable, ...] = (
    _v("screening_number", "Screening number", "str", source="screening", cdisc="SCRNID"),
    _v("site", "Site code", "str", source="screening", cdisc="SITEID"),
    _v("cohort", "Cohort screened for", "str", source="screening", cdisc="COHORT"),
    _v("consent_date", "Date of informed consent", "date", source="screening", cdisc="RFICDT"),
    _v("eligible", "Eligible by the protocol criteria", "bool",
       source="derived: nakip.clinical.eligibility", cdisc="ELIGFL"),
    _v("failed_criteria", "Codes of the criteria not satisfied, '; '-separated", "str",
       source="derived", cdisc="IECAT"),
    _v("enrolled", "Enrolled", "bool", source="enrolment", cdisc="ENRLFL"),
    _v("subject_number", "Subject number if enrolled", "str", source="enrolment",
       cdisc="SUBJID"),
)  # fmt: skip

ADDV: tuple[Variable, ...] = (
    *_KEYS,
    _v("record_id", "EDC record of the deviation form", "int", source="EDC", cdisc="DVSEQ"),
    _v("deviation_date", "Date of the deviation", "date", source="deviation form",
       cdisc="DVSTDT"),
    _v("study_day", "Study day of the deviation (day 1 = enrolment)", "int", source="derived",
       cdisc="DVSTDY"),
    _v("category", "Category (late_visit, missed_dose, eligibility_waiver, other)", "str",
       source="deviation form", cdisc="DVCAT"),
    _v("severity", "Severity (major, minor)", "str", source="deviation form", cdisc="DVSEV"),
    _v("visit_code", "Visit concerned", "str", source="deviation form", cdisc="VISIT"),
    _v("description", "Description of the deviation", "str", source="deviation form",
       cdisc="DVTERM"),
    _v("corrective_action", "Corrective and preventive action", "str",
       source="deviation form", cdisc="DVACN"),
)  # fmt: skip

_AE = {v.name: v for v in ADAE}

ADSAE: tuple[Variable, ...] = (
    *_KEYS,
    _v("record_id", "EDC record of the serious adverse event", "int", source="EDC",
       cdisc="AESEQ"),
    _AE["term"],
    _v("grade", "CTCAE v5.0 grade", "int", source="AE form", cdisc="AETOXGR"),
    _AE["onset_date"],
    _v("criteria", "ICH E2A seriousness criteria, '; '-separated", "str", source="AE form",
       cdisc="AESCRIT"),
    _v("site_aware_at", "Site became aware (ISO date-time)", "str", source="SAE report",
       cdisc="AWAREDTM"),
    _v("sponsor_notified_at", "Sponsor notified by the initial report (ISO date-time)", "str",
       source="SAE report", cdisc="NOTIFDTM"),
    _v("hours_to_notice", "Hours from awareness to the sponsor notice", "float", unit="h",
       source="derived: nakip.edc.sae", cdisc="NOTIFHR"),
    _v("notice_status", "notified, notified late, awaiting notice, notice missing or overdue",
       "str", source="derived: nakip.edc.sae (protocol safety.sae_notice_hours)",
       cdisc="NOTIFST"),
    _v("notice_on_time", "Initial notice within the protocol's deadline", "bool",
       source="derived: nakip.edc.sae", cdisc="NOTIFFL"),
    _v("follow_ups", "Follow-up reports filed", "int", source="SAE report", cdisc="FUPN"),
    _AE["outcome"],
)  # fmt: skip

ADSV: tuple[Variable, ...] = (
    *_KEYS,
    _v("visit_code", "Visit", "str", source="visit schedule", cdisc="VISIT"),
    _v("record_id", "EDC record dated at the visit (missing on a missed-visit row)", "int",
       source="EDC", cdisc="SVSEQ"),
    _v("form_code", "Form of the record", "str", source="EDC", cdisc="SVFORM"),
    _v("visit_date", "Clinical date of the record (its form's first date field)", "date",
       source="EDC form", cdisc="SVSTDT"),
    _v("study_day", "Study day of the record (day 1 = enrolment)", "int", source="derived",
       cdisc="SVSTDY"),
    _v("missed", "The site declared the visit missed (and it is not complete)", "bool",
       source="missed-visit declaration; status by nakip.edc.schedule", cdisc="SVMISSFL"),
    _v("missed_reason", "Reason the visit was missed", "str",
       source="missed-visit declaration", cdisc="SVREASOC"),
)  # fmt: skip

DICTIONARY: dict[str, tuple[Variable, ...]] = {
    "adsl": ADSL,
    "adrs": ADRS,
    "adtte": ADTTE,
    "adae": ADAE,
    "adlb": ADLB,
    "screening": SCREENING,
    "addv": ADDV,
    "adsae": ADSAE,
    "adsv": ADSV,
}
"""Every analysis dataset by name, each with its columns in order."""


def columns(dataset: str) -> list[str]:
    """The column names of `dataset` in their documented order (KeyError if unknown)."""
    return [v.name for v in DICTIONARY[dataset]]
