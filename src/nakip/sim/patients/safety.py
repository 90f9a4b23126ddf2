"""Safety forms of one patient: ICE assessments, adverse events (serious ones with their
expedited reports, `serious_events`), CRS and severe ICANS with their ASTCT forms, and the
model patient's DLT inside the DLT window, with look-alikes that the DLT definition exempts
(docs/clinical-rules.md, "DLT"); GVHD and hepatic toxicity come from `organ_toxicity`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from nakip.sim.patients.draws import iso
from nakip.sim.patients.serious_events import hospitalised, sae_reports, safety_spec


class SafetyForms:
    """Mixin of `PatientBuilder` (uses its draw stream, protocol, dates, model patient and
    `add`)."""

    def icans(self, when: date) -> dict[str, Any]:
        """A routine ICE assessment after an NK-cell infusion (normal: ASTCT grade 0)."""
        return {
            "assessment_date": iso(when),
            "ice_score": 10,
            "unarousable": False,
            "consciousness": "normal",
            "seizure": "none",
            "motor_weakness": False,
            "raised_icp": "none",
        }

    def ae(self, onset: date, criteria: tuple[str, ...] = (), **values: Any) -> None:
        """One adverse event. It is serious when it meets an ICH E2A criterion: the ones given,
        or a hospital stay after a grade >= 3 non-haematological event (`hospitalised`); a
        serious event carries its planned expedited reports (`sae_reports`)."""
        out: dict[str, Any] = {
            "onset_date": iso(onset),
            "serious": False,
            "attribution_talazoparib": "unrelated",
            "attribution_nk": "unrelated",
            "category": "nonhematologic",
            "outcome": "recovered",
        }
        out.update(values)
        if not criteria and hospitalised(self.d, out["category"], int(out["ctcae_grade"])):
            criteria = ("sae_hospitalisation",)
        out["serious"] = bool(criteria)
        out.update(dict.fromkeys(criteria, True))
        reports = sae_reports(self.d, out, self.cut) if criteria else ()
        self.add(onset, "", "adverse_event", out, reports)

    def crs(self, onset: date, visit: str, grade: int) -> None:
        """CRS signs giving ASTCT grade 1 (fever only) or 3 (one vasopressor)."""
        hypotension, hypoxia = {1: ("none", "none"), 3: ("one_vasopressor", "low_flow")}[grade]
        self.add(
            onset,
            visit,
            "crs",
            {
                "onset_date": iso(onset),
                "assessment_date": iso(onset + timedelta(days=0 if grade == 1 else 1)),
                "fever_c": self.d.u(38.3, 39.8),
                "antipyretics_or_anticytokine_given": grade > 1,
                "hypotension": hypotension,
                "hypoxia": hypoxia,
                "death_from_crs": False,
                "tocilizumab_given": grade > 1,
                "resolution_date": iso(onset + timedelta(days=self.d.i(2, 5))),
            },
        )
        self.ae(
            onset,
            term="Cytokine release syndrome",
            ctcae_grade=grade,
            criteria=("sae_hospitalisation",) if grade >= 3 else (),
            category="crs",
            attribution_nk="definite" if grade >= 3 else "probable",
            resolution_date=iso(onset + timedelta(days=4)),
        )

    def severe_icans(self, onset: date) -> None:
        """ICANS of ASTCT grade 3 (ICE score 1-2, wakes only to touch): an unscheduled ICE
        assessment and the adverse event, hospitalised (an SAE)."""
        d = self.d
        resolved = onset + timedelta(days=d.i(3, 7))
        self.add(
            onset,
            "",
            "icans",
            {
                **self.icans(onset),
                "ice_score": d.i(1, 2),
                "consciousness": "wakes_to_touch",
                "resolution_date": iso(resolved),
            },
        )
        self.ae(
            onset,
            criteria=("sae_hospitalisation",),
            term="Other, specify",
            term_other="Immune effector cell-associated neurotoxicity syndrome",
            ctcae_grade=3,
            category="icans",
            attribution_nk="probable",
            resolution_date=iso(resolved),
        )

    def adverse_events(
        self,
        dlt_start: date | None,
        dlt_visit: str,
        drop: date | None,
        died: date | None,
        crs_events: list[tuple[date, str]],
        anc_nadir: float,
    ) -> bool:
        """Typical AEs of talazoparib + NK cells — febrile neutropenia likelier when the model's
        ANC fell below 0.5 — and the model patient's DLT (drawn at the scenario's rate,
        docs/clinical-rules.md "DLT") once the DLT window has started, of a kind drawn from
        `safety_events.dlt_kinds`; returns whether one occurred. Look-alikes that are *not*
        DLTs are included on purpose (its exemptions), and now and then a grade I GVHD or a
        grade 2 ALT increase that is not a DLT."""
        d = self.d
        end = min(drop or self.cut, self.cut)

        def ok(onset: date) -> bool:
            return self.enrol <= onset <= end

        onset = self.day(d.i(2, 20))
        if d.p(0.6) and ok(onset):
            self.ae(
                onset,
                term="Nausea",
                ctcae_grade=d.i(1, 2),
                attribution_talazoparib=d.pick(["possible", "probable"]),
                resolution_date=iso(onset + timedelta(days=d.i(3, 14))),
            )
        onset = self.day(d.i(5, 40))
        if d.p(0.4) and ok(onset):
            self.ae(
                onset,
                term="Fatigue",
                ctcae_grade=2,
                attribution_talazoparib="possible",
                outcome="recovering",
            )
        onset = self.day(d.i(9, 40))
        if d.p(0.6 if anc_nadir < 0.5 else 0.05) and ok(onset):
            # an infection judged disease-related is exempt from the DLT definition
            self.ae(
                onset,
                term="Febrile neutropenia",
                ctcae_grade=3,
                criteria=("sae_hospitalisation",),
                attribution_talazoparib="possible",
                disease_related=True,
                resolution_date=iso(onset + timedelta(days=d.i(4, 10))),
            )
        onset = self.day(d.i(10, 50))
        if d.p(0.35 if self.overt else 0.15) and ok(onset):
            self.ae(
                onset,
                term=d.pick(["Anemia", "Platelet count decreased"]),
                ctcae_grade=3,
                category="hematologic",
                attribution_talazoparib="probable",
                outcome="recovering",
            )
        if dlt_start is not None and d.p(0.2) and ok(dlt_start):
            self.ae(
                dlt_start,
                term="Infusion related reaction",
                ctcae_grade=d.i(1, 2),
                category="infusion_reaction",
                attribution_nk="probable",
                resolution_date=iso(dlt_start + timedelta(days=1)),
            )
        onset = self.day(d.i(3, 30))
        if d.p(0.12) and ok(onset):
            # grade 3 nausea controlled within 72 h: exempt
            self.ae(
                onset,
                term="Nausea",
                ctcae_grade=3,
                attribution_talazoparib="probable",
                controlled_within_hours=d.i(6, 48),
                resolution_date=iso(onset + timedelta(days=3)),
            )
        for onset, visit in crs_events:
            if ok(onset):
                self.crs(onset, visit, 1)
        kind = d.weighted(safety_spec()["dlt_kinds"]["weights"])
        if kind == "gvhd" and drop is not None:  # GVHD comes weeks later: one who left early
            kind = "crs"  # had the infusion-day CRS instead
        window = self.p.safety.dlt.window_days
        dlt = False
        if dlt_start is not None and bool(self.m.dlt[self.k]):
            onset = dlt_start + timedelta(days=1 if kind == "crs" else d.i(1, min(window - 2, 20)))
            if kind == "alt":  # the grade 3 ALT is a chemistry value; the AE dates from it
                onset = (
                    self.hepatic_dlt_onset(dlt_start, dlt_start + timedelta(window), end) or onset
                )
            if kind == "icans":  # ICANS follows the infusion by days (ASTCT, Lee et al. 2019)
                onset = dlt_start + timedelta(days=d.i(3, 8))
            if drop is not None:  # a patient who left early had the DLT before leaving
                onset = min(onset, drop - timedelta(days=1))
            if kind == "gvhd":
                self.gvhd_grade = self.gvhd_episode(dlt_start, 2, end, self.cut)
                dlt = self.gvhd_grade > 0
            elif ok(onset):
                dlt = True
                if kind == "crs":
                    self.crs(onset, dlt_visit, 3)
                elif kind == "icans":
                    self.severe_icans(onset)
                elif kind == "alt":
                    self.ae(
                        onset,
                        term="Alanine aminotransferase increased",
                        ctcae_grade=3,
                        attribution_talazoparib="probable",
                        resolution_date=iso(onset + timedelta(days=d.i(7, 20))),
                    )
                elif kind == "pneumonitis":
                    self.ae(
                        onset,
                        term="Pneumonitis",
                        ctcae_grade=3,
                        criteria=("sae_hospitalisation",),
                        attribution_nk="possible",
                        outcome="recovering",
                    )
                else:  # grade 3 diarrhoea not controlled within 72 h: no exemption
                    self.ae(
                        onset,
                        term="Diarrhea",
                        ctcae_grade=3,
                        attribution_talazoparib="probable",
                        controlled_within_hours=d.i(96, 168),
                        resolution_date=iso(onset + timedelta(days=8)),
                    )
        if dlt_start is not None and not self.gvhd_grade and self.gvhd_without_dlt():
            self.gvhd_grade = self.gvhd_episode(dlt_start, 1, end, self.cut)
        if not (dlt and kind == "alt"):
            self.hepatic_grade2(self.enrol, end)
        if died is not None:
            self.ae(
                died - timedelta(days=2),
                term="Sepsis",
                ctcae_grade=5,
                criteria=("sae_death",),
                attribution_talazoparib="unlikely",
                attribution_nk="unlikely",
                disease_related=True,
                outcome="fatal",
            )
        return dlt
