"""The amendment-2 forms of one virtual patient: chemistry, ELN 2022 risk, lymphodepletion,
donor, IL-2, scheduled GVHD checks, concomitant medications and occasional deviations.

Plausible values around normal (no hepatic toxicity above CTCAE grade 1, no GVHD) so the forms
are exercised end to end without changing the efficacy or safety the scenario sets.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from nakip.sim.patients.draws import Draw, iso

#: forms filled by the builder method of the same name from the visit date alone
DATED_FORMS = frozenset({"chemistry", "eln_risk", "lymphodepletion", "donor", "gvhd"})


class Amendment2Forms:
    """Mixin of `PatientBuilder`: needs `d` (Draw), `weight`, `enrol`, `day()` and `add()`."""

    d: Draw
    weight: float
    enrol: date

    def chemistry(self, when: date) -> dict[str, Any]:
        """Liver and renal values around normal (at most CTCAE grade 1 relative to ULN)."""
        d = self.d
        return {
            "sample_date": iso(when),
            "alt": d.u(10, 55),
            "alt_uln": 40.0,
            "ast": d.u(10, 50),
            "ast_uln": 40.0,
            "bilirubin": d.u(0.3, 1.4, 2),
            "bilirubin_uln": 1.2,
            "creatinine": d.u(0.6, 1.3, 2),
            "creatinine_uln": 1.1,
        }

    def eln_risk(self, when: date) -> dict[str, Any]:
        """ELN 2022 genetic risk as the site enters it, with a defining lesion."""
        risk = self.d.weighted({"favorable": 0.2, "intermediate": 0.35, "adverse": 0.45})
        lesion = {
            "favorable": "NPM1_without_FLT3_ITD",
            "intermediate": "FLT3_ITD_wild_type_NPM1",
            "adverse": self.d.pick(["complex_karyotype", "TP53_mutated", "minus7"]),
        }[risk]
        return {
            "sample_date": iso(when),
            "risk": risk,
            "defining_lesion": lesion,
            "method": "combined",
        }

    def lymphodepletion(self, when: date) -> dict[str, Any]:
        """Fludarabine 30 mg/m2 and cyclophosphamide 500 mg/m2 on days 3-5 (the protocol)."""
        return {
            "body_surface_area_m2": round(0.6 + self.weight / 70, 2),
            "start_date": iso(self.day(2)),
            "end_date": iso(self.day(4)),
            "fludarabine_mg_m2": 30,
            "fludarabine_days": 3,
            "cyclophosphamide_mg_m2": 500,
            "cyclophosphamide_days": 3,
            "dose_modified": False,
        }

    def donor(self, when: date) -> dict[str, Any]:
        """A haploidentical family donor with KIR data."""
        d = self.d
        return {
            "relation": d.pick(["parent", "sibling", "child"]),
            "donor_age_years": d.i(20, 65),
            "hla_match_of_10": d.i(5, 7),
            "kir_ligand_mismatch": d.p(0.4),
            "kir_haplotype": d.weighted({"AA": 0.3, "Bx": 0.7}),
        }

    def il2(self, when: date, given: bool) -> dict[str, Any]:
        """IL-2 1 x 10^6 IU/m2 every other day x 6 after an infusion (none without one)."""
        first = when + timedelta(days=1)
        n = 6 if given else 0
        out: dict[str, Any] = {
            "first_dose_date": iso(first),
            "last_dose_date": iso(first + timedelta(days=10)),
            "dose_iu_m2": 1e6,
            "doses_given": n,
            "route": "subcutaneous",
        }
        if n < 6:
            out["reason_fewer"] = "other"
        return out

    def gvhd(self, when: date) -> dict[str, Any]:
        """A scheduled GVHD assessment without findings (acute GVHD grade 0)."""
        return {
            "assessment_date": iso(when),
            "rash_bsa_pct": 0,
            "bilirubin": self.d.u(0.3, 1.1, 2),
            "persistent_nausea_vomiting_anorexia": False,
            "stool_episodes_per_day": 1,
            "severe_pain_ileus_or_bloody_stool": False,
        }

    def conduct(self, end: date) -> None:
        """Concomitant medications every patient gets, and now and then a late-visit deviation."""
        self.add(
            self.enrol,
            "",
            "concomitant_medication",
            {
                "drug": "aciclovir",
                "category": "anti_infective",
                "indication": "HSV prophylaxis",
                "dose": 400,
                "dose_unit": "mg",
                "route": "oral",
                "start_date": iso(self.enrol),
                "ongoing": True,
            },
        )
        if self.d.p(0.15) and self.day(30) <= end:
            self.add(
                self.day(33),
                "",
                "deviation",
                {
                    "deviation_date": iso(self.day(32)),
                    "category": "late_visit",
                    "visit_concerned": "C2D1",
                    "severity": "minor",
                    "description": "C2D1 assessment done after its window",
                    "corrective_action": "visit reminders one week ahead",
                },
            )
