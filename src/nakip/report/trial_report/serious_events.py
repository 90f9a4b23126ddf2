"""Report tables of the safety section that a DSMB reads beside the incidence tables: acute
GVHD by worst MAGIC grade, the expedited reporting of serious adverse events (notices within
the protocol's deadline, late, pending; follow-ups) and the SAE listing with seriousness
criteria and notice timeliness.

Counts come from `nakip.analysis.safety` (GVHD) and `nakip.analysis.sae_reporting` (SAEs).
"""

from __future__ import annotations

from nakip.analysis.sae_reporting import SAEReporting
from nakip.analysis.safety import GVHD_GRADES, SafetyAnalysis
from nakip.report.trial_report.listings import listing_table
from nakip.report.trial_report.model import DASH, Table, count_pct, number

__all__ = ["gvhd_table", "sae_listing", "sae_summary_table"]

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
SAE_COLUMNS = {
    "usubjid": "Subject", "cohort": "Cohort", "term": "Term", "grade": "Grade",
    "onset_date": "Onset", "criteria": "Seriousness criteria", "site_aware_at": "Site aware",
    "sponsor_notified_at": "Sponsor notified", "hours_to_notice": "Hours to notice",
    "notice_status": "Notice", "follow_ups": "Follow-ups", "outcome": "Outcome",
}  # fmt: skip


def gvhd_table(safety: SafetyAnalysis) -> Table:
    """Patients by worst acute GVHD grade (MAGIC), with grade >= II and GVHD DLTs."""
    rows = tuple(
        (str(r["cohort"]), *[str(r[f"grade{g}"]) for g in GVHD_GRADES],
         count_pct(int(r["patients"]), safety.population.get(r["cohort"], 0)),
         str(r["grade2plus"]), str(r["dlt"]))
        for _, r in safety.gvhd.iterrows()
    )  # fmt: skip
    return Table(
        "gvhd",
        "Acute GVHD by worst overall grade (MAGIC)",
        ("Cohort", *[f"Grade {_ROMAN[g]}" for g in GVHD_GRADES], "Any grade", "Grade >= II",
         "GVHD DLTs"),
        rows,
        note="Each patient counts once at the worst overall grade of the GVHD form's organ "
        "stages (Harris et al., Biol Blood Marrow Transplant 2016); percentages of treated "
        "patients.",
    )  # fmt: skip


def sae_summary_table(sae: SAEReporting, notice_hours: int) -> Table:
    """SAEs per cohort with the timeliness of their initial notice and the follow-ups."""
    rows = tuple(
        (str(r["cohort"]), str(r["saes"]), str(r["patients"]), str(r["on_time"]),
         str(r["late"]), str(r["pending"]), str(r["follow_ups"]),
         number(r["median_hours"], 1, DASH))
        for _, r in sae.summary.iterrows()
    )  # fmt: skip
    return Table(
        "sae-reporting",
        "Serious adverse events and their expedited reporting",
        ("Cohort", "SAEs", "Patients", f"Notice within {notice_hours} h", "Notice late",
         "Notice pending", "Follow-up reports", "Median hours to notice"),
        rows,
        note=f"Initial notice to the sponsor within {notice_hours} hours of the site's "
        "awareness (protocol safety.sae_notice_hours; ICH E6(R2) 4.11.1); seriousness by the "
        "ICH E2A criteria ticked on the adverse event.",
    )  # fmt: skip


def sae_listing(sae: SAEReporting, limit: int | None) -> Table:
    """Every SAE with its seriousness criteria and notice timeliness (`limit` rows)."""
    return listing_table(
        "listing-sae", "Serious adverse events", sae.listing, SAE_COLUMNS, limit,
        "Times as the site entered them on the SAE report.",
    )  # fmt: skip
