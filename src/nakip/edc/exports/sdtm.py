"""SDTM-like domains DM, AE, EX, LB, RS and DS as XPT v5 files, with `define.csv`, a define-like
table of every variable (domain, name, label, type, origin).

Modelled on SDTMIG 3.3 variable names and CDISC controlled terms where NAKIP has them; the
domains are "SDTM-like" because NAKIP's derived values (ELN 2022 categories, log10 changes) are
laid out as the EDC derives them, not mapped to a sponsor's terminology.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from nakip.analysis.csv_cells import rows_csv
from nakip.analysis.data import TrialData
from nakip.edc.datasets.snapshot import EDCSnapshot
from nakip.edc.datasets.source import usubjid
from nakip.edc.exports.files import ExportedFile, write_text
from nakip.edc.exports.xpt import MAX_TEXT, write_table


@dataclass(frozen=True)
class Var:
    """One SDTM variable: name, label, Char or Num, and its origin (CRF, Derived, Assigned)."""

    name: str
    label: str
    type: str = "Char"
    origin: str = "CRF"


def _iso(v: Any) -> str:
    return v.isoformat() if isinstance(v, date) else ("" if v is None or v != v else str(v))


def _yn(v: Any) -> str:
    return "" if v is None or v != v else ("Y" if v else "N")


def _num(v: Any) -> float:
    return float("nan") if v is None or v is pd.NA or v != v else float(v)


def _int_text(v: Any) -> str:
    return "" if v is None or v is pd.NA or v != v else str(int(v))


_IDS = (
    Var("STUDYID", "Study Identifier", origin="Assigned"),
    Var("DOMAIN", "Domain Abbreviation", origin="Assigned"),
    Var("USUBJID", "Unique Subject Identifier", origin="Assigned"),
)


# --------------------------------------------------------------------------- DM
DM = (
    *_IDS,
    Var("SUBJID", "Subject Identifier for the Study"),
    Var("RFSTDTC", "Subject Reference Start Date/Time", origin="Derived"),
    Var("RFXSTDTC", "Date/Time of First Study Treatment", origin="Derived"),
    Var("RFICDTC", "Date/Time of Informed Consent"),
    Var("DTHDTC", "Date/Time of Death"),
    Var("DTHFL", "Subject Death Flag", origin="Derived"),
    Var("SITEID", "Study Site Identifier"),
    Var("AGE", "Age", "Num"),
    Var("AGEU", "Age Units", origin="Assigned"),
    Var("SEX", "Sex"),
    Var("ARMCD", "Planned Arm Code", origin="Assigned"),
    Var("ARM", "Description of Planned Arm", origin="Assigned"),
)
_SEX = {"female": "F", "male": "M", "diverse": "U"}


def _dm(data: TrialData, snap: EDCSnapshot) -> list[dict[str, Any]]:
    screening = {s.subject_number: s.screening.values for s in snap.subjects}
    rows = []
    for r in data.adsl.to_dict("records"):
        values = screening.get(r["subject_number"], {})
        age = values.get("age_years")
        rows.append(
            {
                "SUBJID": r["subject_number"],
                "RFSTDTC": _iso(r["enrolment_date"]),
                "RFXSTDTC": _iso(r["treatment_start_date"]),
                "RFICDTC": _iso(r["consent_date"]),
                "DTHDTC": _iso(r["death_date"]),
                "DTHFL": "Y" if r["death_date"] else "",
                "SITEID": r["site"],
                "AGE": _num(age),
                "AGEU": "YEARS" if age is not None else "",
                "SEX": _SEX.get(values.get("sex"), ""),
                "ARMCD": r["cohort"].upper(),
                "ARM": snap.protocol.cohort(r["cohort"]).name,
                "_key": (r["usubjid"],),
                "USUBJID": r["usubjid"],
            }
        )
    return rows


# --------------------------------------------------------------------------- AE
AE = (
    *_IDS,
    Var("AESEQ", "Sequence Number", "Num", "Derived"),
    Var("AESPID", "Sponsor-Defined Identifier (EDC record id)", origin="Assigned"),
    Var("AETERM", "Reported Term for the Adverse Event"),
    Var("AEDECOD", "Dictionary-Derived Term"),
    Var("AECAT", "Category for Adverse Event"),
    Var("AESER", "Serious Event"),
    Var("AEREL", "Causality", origin="Derived"),
    Var("AEOUT", "Outcome of Adverse Event"),
    Var("AETOXGR", "Standard Toxicity Grade"),
    Var("AESTDTC", "Start Date/Time of Adverse Event"),
    Var("AEENDTC", "End Date/Time of Adverse Event"),
    Var("AESTDY", "Study Day of Start of Adverse Event", "Num", "Derived"),
)


def _ae(data: TrialData, snap: EDCSnapshot) -> list[dict[str, Any]]:
    rows = []
    for r in data.adae.to_dict("records"):
        if r["source"] != "adverse_event":
            continue
        rows.append(
            {
                "USUBJID": r["usubjid"],
                "AESPID": str(r["record_id"]),
                "AETERM": r["term"] or "",
                "AEDECOD": r["term"] or "",
                "AECAT": (r["category"] or "").upper(),
                "AESER": _yn(r["serious"]),
                "AEREL": {True: "RELATED", False: "NOT RELATED"}.get(r["related"], ""),
                "AEOUT": (r["outcome"] or "").upper(),
                "AETOXGR": _int_text(r["grade"]),
                "AESTDTC": _iso(r["onset_date"]),
                "AEENDTC": _iso(r["resolution_date"]),
                "AESTDY": _num(r["onset_study_day"]),
                "_key": (r["usubjid"], _iso(r["onset_date"]), r["record_id"]),
            }
        )
    return rows


# --------------------------------------------------------------------------- EX
EX = (
    *_IDS,
    Var("EXSEQ", "Sequence Number", "Num", "Derived"),
    Var("EXSPID", "Sponsor-Defined Identifier (EDC record id)", origin="Assigned"),
    Var("EXTRT", "Name of Treatment", origin="Assigned"),
    Var("EXDOSE", "Dose", "Num"),
    Var("EXDOSU", "Dose Units", origin="Assigned"),
    Var("EXDOSFRQ", "Dosing Frequency per Interval", origin="Assigned"),
    Var("VISIT", "Visit Name"),
    Var("EXSTDTC", "Start Date/Time of Treatment"),
    Var("EXENDTC", "End Date/Time of Treatment"),
)


def _ex(data: TrialData, snap: EDCSnapshot) -> list[dict[str, Any]]:
    rows = []
    for subject in snap.subjects:
        uid = usubjid(snap.protocol, subject.subject_number)
        for rec in snap.records_of(subject):
            v = rec.values
            if rec.form_code == "talazoparib":
                dose, unit, freq = v.get("daily_dose_mg"), "mg", "QD"
                start, end = v.get("period_start"), v.get("period_end")
                treatment = "TALAZOPARIB"
            elif rec.form_code == "nk_infusion" and v.get("given"):
                dose, unit, freq = v.get("cell_dose_per_kg"), "cells/kg", "ONCE"
                start = end = v.get("infusion_date")
                treatment = "ALLOGENEIC NK CELLS"
            else:
                continue
            rows.append(
                {
                    "USUBJID": uid,
                    "EXSPID": str(rec.pk),
                    "EXTRT": treatment,
                    "EXDOSE": _num(dose),
                    "EXDOSU": unit,
                    "EXDOSFRQ": freq,
                    "VISIT": rec.visit_code,
                    "EXSTDTC": start or "",
                    "EXENDTC": end or "",
                    "_key": (uid, treatment, start or "", rec.pk),
                }
            )
    return rows


# --------------------------------------------------------------------------- LB
LB = (
    *_IDS,
    Var("LBSEQ", "Sequence Number", "Num", "Derived"),
    Var("LBSPID", "Sponsor-Defined Identifier (EDC record id)", origin="Assigned"),
    Var("LBTESTCD", "Lab Test or Examination Short Name", origin="Assigned"),
    Var("LBTEST", "Lab Test or Examination Name", origin="Assigned"),
    Var("LBCAT", "Category for Lab Test", origin="Assigned"),
    Var("LBORRES", "Result or Finding in Original Units"),
    Var("LBORRESU", "Original Units"),
    Var("LBSTRESN", "Numeric Result/Finding in Standard Units", "Num"),
    Var("LBTOXGR", "Standard Toxicity Grade", origin="Derived"),
    Var("VISIT", "Visit Name"),
    Var("LBDTC", "Date/Time of Specimen Collection"),
    Var("LBDY", "Study Day of Specimen Collection", "Num", "Derived"),
)
_LBTEST = {
    "anc": ("NEUT", "Neutrophils"),
    "platelets": ("PLAT", "Platelets"),
    "haemoglobin": ("HGB", "Hemoglobin"),
    "wbc": ("WBC", "Leukocytes"),
    "lymphocytes": ("LYM", "Lymphocytes"),
}


def _lb(data: TrialData, snap: EDCSnapshot) -> list[dict[str, Any]]:
    rows = []
    for r in data.adlb.to_dict("records"):
        code, name = _LBTEST.get(r["paramcd"], (r["paramcd"].upper()[:8], r["paramcd"]))
        rows.append(
            {
                "USUBJID": r["usubjid"],
                "LBSPID": str(r["record_id"]),
                "LBTESTCD": code,
                "LBTEST": name,
                "LBCAT": "HEMATOLOGY",
                "LBORRES": f"{r['value']:g}",
                "LBORRESU": r["unit"] or "",
                "LBSTRESN": _num(r["value"]),
                "LBTOXGR": _int_text(r["grade"]),
                "VISIT": r["visit_code"] or "",
                "LBDTC": _iso(r["sample_date"]),
                "LBDY": _num(r["study_day"]),
                "_key": (r["usubjid"], _iso(r["sample_date"]), code, r["record_id"]),
            }
        )
    return rows


# --------------------------------------------------------------------------- RS
RS = (
    *_IDS,
    Var("RSSEQ", "Sequence Number", "Num", "Derived"),
    Var("RSTESTCD", "Assessment Short Name", origin="Assigned"),
    Var("RSTEST", "Assessment Name", origin="Assigned"),
    Var("RSCAT", "Category for Assessment", origin="Assigned"),
    Var("RSORRES", "Result or Finding in Original Units", origin="Derived"),
    Var("RSSTRESC", "Character Result/Finding in Std Format", origin="Derived"),
    Var("RSSTRESN", "Numeric Result/Finding in Standard Units", "Num", "Derived"),
    Var("VISIT", "Visit Name"),
    Var("RSDTC", "Date/Time of Assessment"),
    Var("RSDY", "Study Day of Assessment", "Num", "Derived"),
)
_RSTEST = {
    "ELNRESP": ("OVRLRESP", "Overall Response", "ELN 2022"),
    "MRDCHG": ("MRDLCHG", "MRD log10 Change from Baseline", "ELN-MRD 2021"),
    "BOR": ("BESTRESP", "Best Overall Response", "ELN 2022 / ELN-MRD 2021"),
}


def _rs(data: TrialData, snap: EDCSnapshot) -> list[dict[str, Any]]:
    rows = []
    for r in data.adrs.to_dict("records"):
        code, name, cat = _RSTEST[r["paramcd"]]
        change = r["log10_change"]
        text = r["category"] if r["category"] else ("" if change != change else f"{change:.6g}")
        rows.append(
            {
                "USUBJID": r["usubjid"],
                "RSTESTCD": code,
                "RSTEST": name,
                "RSCAT": cat,
                "RSORRES": text,
                "RSSTRESC": text,
                "RSSTRESN": _num(change),
                "VISIT": r["visit_code"] or "",
                "RSDTC": _iso(r["assessment_date"]),
                "RSDY": _num(r["study_day"]),
                "_key": (r["usubjid"], _iso(r["assessment_date"]), code),
            }
        )
    return rows


# --------------------------------------------------------------------------- DS
DS = (
    *_IDS,
    Var("DSSEQ", "Sequence Number", "Num", "Derived"),
    Var("DSTERM", "Reported Term for the Disposition Event"),
    Var("DSDECOD", "Standardized Disposition Term", origin="Assigned"),
    Var("DSCAT", "Category for Disposition Event", origin="Assigned"),
    Var("DSSTDTC", "Start Date/Time of Disposition Event"),
)
#: end-of-study reason -> CDISC NCOMPLT / disposition term
_DSDECOD = {
    "completed": "COMPLETED",
    "withdrawal_by_subject": "WITHDRAWAL BY SUBJECT",
    "investigator_decision": "PHYSICIAN DECISION",
    "adverse_event": "ADVERSE EVENT",
    "progression": "PROGRESSIVE DISEASE",
    "death": "DEATH",
    "lost_to_follow_up": "LOST TO FOLLOW-UP",
    "other": "OTHER",
}


def _ds(data: TrialData, snap: EDCSnapshot) -> list[dict[str, Any]]:
    rows = []
    for r in data.adsl.to_dict("records"):
        events = [
            ("informed consent", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE",
             r["consent_date"]),
            ("enrolled", "ENROLLED", "PROTOCOL MILESTONE", r["enrolment_date"]),
        ]  # fmt: skip
        if r["end_of_study_reason"]:
            reason = r["end_of_study_reason"]
            events.append(
                (reason, _DSDECOD.get(reason, "OTHER"), "DISPOSITION EVENT",
                 r["end_of_study_date"])
            )  # fmt: skip
        for term, decod, cat, when in events:
            rows.append(
                {
                    "USUBJID": r["usubjid"],
                    "DSTERM": term,
                    "DSDECOD": decod,
                    "DSCAT": cat,
                    "DSSTDTC": _iso(when),
                    "_key": (r["usubjid"], _iso(when), decod),
                }
            )
    return rows


DOMAINS: dict[str, tuple[str, tuple[Var, ...], Callable[..., list[dict[str, Any]]]]] = {
    "DM": ("Demographics", DM, _dm),
    "AE": ("Adverse Events", AE, _ae),
    "EX": ("Exposure", EX, _ex),
    "LB": ("Laboratory Test Results", LB, _lb),
    "RS": ("Disease Response", RS, _rs),
    "DS": ("Disposition", DS, _ds),
}


def domain_frame(domain: str, data: TrialData, snap: EDCSnapshot) -> pd.DataFrame:
    """Domain rows in SDTM order (by subject and date), with STUDYID, DOMAIN and --SEQ."""
    _, variables, build = DOMAINS[domain]
    rows = sorted(build(data, snap), key=lambda r: tuple(str(k) for k in r.pop("_key")))
    seq = f"{domain}SEQ"
    counts: dict[str, int] = {}
    for r in rows:
        r["STUDYID"] = snap.protocol.trial.study_id
        r["DOMAIN"] = domain
        if any(v.name == seq for v in variables):
            counts[r["USUBJID"]] = counts.get(r["USUBJID"], 0) + 1
            r[seq] = float(counts[r["USUBJID"]])
    frame = pd.DataFrame(rows, columns=[v.name for v in variables])
    for v in variables:
        if v.type == "Char":
            frame[v.name] = frame[v.name].map(_char).astype(object)
        else:
            frame[v.name] = frame[v.name].astype("float64")
    return frame


def _char(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return str(v).encode("utf-8")[:MAX_TEXT].decode("utf-8", errors="ignore")


DEFINE_COLUMNS = ("domain", "variable", "label", "type", "origin")


def define_rows() -> Iterable[tuple[str, ...]]:
    for domain, (_, variables, _) in DOMAINS.items():
        for v in variables:
            yield (domain, v.name, v.label, v.type, v.origin)


def write_sdtm(data: TrialData, snap: EDCSnapshot, folder: Path) -> list[ExportedFile]:
    """`<domain>.xpt` for DM, AE, EX, LB, RS and DS, then `define.csv`."""
    files = []
    for domain, (title, variables, _) in DOMAINS.items():
        frame = domain_frame(domain, data, snap)
        files.append(write_table(folder, domain, title, frame, [v.label for v in variables]))
    rows = list(define_rows())
    files.append(write_text(folder, "define.csv", rows_csv(DEFINE_COLUMNS, rows), len(rows)))
    return files
