"""One enrolled patient's casebook: the protocol's visit schedule walked, each form filled from
the model patient's readouts, doses and NK products (`nakip.sim.cohort.ModelCohort`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from nakip.protocol import Protocol
from nakip.protocol.model import Cohort, Visit
from nakip.sim.cohort import ModelCohort
from nakip.sim.patients.amendment2 import DATED_FORMS, Amendment2Forms
from nakip.sim.patients.draws import Draw, iso
from nakip.sim.patients.follow_up import FollowUpForms, drop_text
from nakip.sim.patients.organ_toxicity import OrganToxicity
from nakip.sim.patients.plan import CR_FAMILY, RANK_ORDER, FormEntry, PatientTruth, VirtualPatient
from nakip.sim.patients.safety import SafetyForms
from nakip.sim.patients.screening import MRD_MARKERS


@dataclass
class VisitState:
    """Disease and blood values at one visit (None = not measured)."""

    bm: float | None = None
    pb: float = 0.0
    anc: float = 1.0
    plt: float = 100.0
    hb: float = 9.0
    wbc: float = 3.0
    lym: float = 1.0
    mrd: float | None = None
    lod: float | None = None
    emd: bool = False
    cellularity: float = 40.0


FORM_ORDER = ("marrow", "emd", "mrd", "haematology", "talazoparib", "nk_infusion", "icans")


class PatientBuilder(SafetyForms, FollowUpForms, Amendment2Forms, OrganToxicity):
    """Writes one enrolled patient's dated entries by walking the protocol's visit schedule,
    every disease value and dose read off its model patient (`ModelCohort`, index `k`)."""

    def __init__(
        self,
        d: Draw,
        protocol: Protocol,
        cohort: Cohort,
        screening: Mapping[str, Any],
        enrol: date,
        cut: date,
        model: ModelCohort,
        k: int,
    ) -> None:
        self.d, self.p, self.c = d, protocol, cohort
        self.scr = screening
        self.enrol, self.cut = enrol, cut
        self.m, self.k = model, k
        self.reads = model.patient(k)
        self.outcome = model.outcomes[k]
        self.overt = cohort.overt_entry is not None
        self.entries: list[FormEntry] = []
        self.missed: list[tuple[str, str]] = []
        self.visits = list(protocol.schedule.visits)
        self.weight = float(model.weight_kg[k])
        self.assay = str(model.assays.assay[k])
        self.marker = str(screening.get("mrd_marker") or MRD_MARKERS[self.assay][0])
        if screening.get("mrd_assay") != self.assay:
            self.marker = MRD_MARKERS[self.assay][0]
        self.lod = float(model.assays.lod[k])
        self.product_failed = False
        self.gvhd_grade = 0  # worst MAGIC grade of an acute GVHD episode (0 = none)

    # ----------------------------------------------------------------- helpers
    def when(self, v: Visit) -> date:
        """Visit date: target day with a jitter of up to 2 days inside the window."""
        j = self.d.i(-min(v.window_before, 2), min(v.window_after, 2))
        return self.enrol + timedelta(days=v.day - 1 + j)

    def add(
        self,
        when: date,
        visit: str,
        form: str,
        values: Mapping[str, Any],
        sae_reports: tuple[Mapping[str, Any], ...] = (),
    ) -> None:
        frozen = tuple(MappingProxyType(dict(r)) for r in sae_reports)
        self.entries.append(
            FormEntry(when, visit, form, MappingProxyType(dict(values)), sae_reports=frozen)
        )

    def day(self, n: int) -> date:
        return self.enrol + timedelta(days=n)

    # ----------------------------------------------------------------- forms
    def haematology(self, s: VisitState, when: date) -> dict[str, Any]:
        female = self.scr.get("sex") == "female"
        return {
            "sample_date": iso(when),
            "anc": s.anc,
            "anc_lln": 1.8,
            "platelets": s.plt,
            "platelets_lln": 150.0,
            "haemoglobin": s.hb,
            "haemoglobin_lln": 12.0 if female else 13.5,
            "wbc": s.wbc,
            "wbc_lln": 4.0,
            "lymphocytes": s.lym,
            "lymphocytes_lln": 1.0,
            "pb_blasts_pct": s.pb,
            "transfusion_independent": s.plt >= 50 and s.hb >= 8.0,
        }

    def marrow(self, s: VisitState, when: date) -> dict[str, Any]:
        return {
            "aspirate_date": iso(when),
            "evaluable": True,
            "bm_blasts_pct": s.bm,
            "auer_rods": False,
            "cellularity_pct": s.cellularity,
        }

    def emd(self, s: VisitState, when: date) -> dict[str, Any]:
        return {"assessment_date": iso(when), "emd_present": s.emd, "method": "clinical"}

    def mrd(self, s: VisitState, when: date) -> dict[str, Any]:
        qpcr = self.assay == "qPCR"
        return {
            "sample_date": iso(when),
            "material": "bone_marrow",
            "assay": self.assay,
            "marker": self.marker,
            "value": s.mrd if s.mrd is not None else 0.0,
            "value_unit": "percent_of_abl1" if qpcr else "percent_of_cd45",
            "lod": self.lod,
        }

    def talazoparib(self, v: Visit, cycle: int, when: date, stops: bool) -> None:
        """One cycle's dosing as the model gave it: the dose level (reduced after grade-4
        counts), an interruption in the second week; a short last period when the visit
        ends treatment."""
        tal = self.p.treatment.talazoparib
        dosing = self.m.course.dosing
        level = float(tal.dose_levels_mg[int(dosing.level[self.k, cycle])])
        reduce = bool(dosing.reduced[self.k, cycle]) and not stops
        values: dict[str, Any] = {
            "period_start": iso(when),
            "period_end": iso(when + timedelta(days=3 if stops else tal.cycle_length_days - 1)),
            "daily_dose_mg": "1.0" if level == 1 else f"{level:g}",
            "interrupted": False,
            "reduced": reduce,
            "doses_missed": 0,
        }
        days = int(dosing.interruption_days[self.k, cycle])
        if not stops and days:
            values["interrupted"] = True
            values["interruption_days"] = values["doses_missed"] = days
            values["interruption_reason"] = self.d.pick(["adverse_event", "logistics"])
        if reduce:
            values["reduction_reason"] = "adverse_event"
        self.add(when, v.code, "talazoparib", values)

    def nk_infusion(self, j: int, when: date) -> tuple[bool, dict]:
        """NK-cell product `j` as manufactured for the model patient (dose, viability; not
        made, under-dosed or under the minimum viability when it failed)."""
        pr = self.m.products
        values: dict[str, Any] = {
            "infusion_date": iso(when),
            "infusion_number": j + 1,
            "body_weight_kg": self.weight,
        }
        failed = bool(self.m.product_failure[self.k]) and int(self.m.failed_infusion[self.k]) == j
        self.product_failed = self.product_failed or failed
        if not pr.given[self.k, j]:
            values.update(given=False, not_given_reason="manufacturing_failure")
            return False, values
        values.update(
            given=True,
            product_lot=f"NK-{when:%y%m%d}-{self.k + 1}",
            cell_dose_per_kg=float(pr.dose_per_kg[self.k, j]),
            viability_pct=float(pr.viability_pct[self.k, j]),
            purity_pct=self.d.u(85, 99),
            cd3_per_kg=float(round(self.d.r.uniform(5e3, 6e4), -2)),
            release_passed=not failed,
            infusion_reaction_grade=0,
        )
        return True, values

    # ----------------------------------------------------------------- disease states
    def state(self, code: str) -> VisitState:
        """The model's readout at a visit as the forms record it."""
        r = self.reads[code]
        return VisitState(
            bm=r["bm_blasts_pct"],
            pb=r["pb_blasts_pct"],
            anc=r["anc"],
            plt=r["platelets"],
            hb=r["haemoglobin"],
            wbc=r["wbc"],
            lym=r["lymphocytes"],
            mrd=r["mrd_value"],
            cellularity=r["cellularity_pct"],
        )

    # ----------------------------------------------------------------- the course
    def build(self) -> VirtualPatient:
        d = self.d
        out = self.outcome
        dropout = bool(self.m.dropout[self.k])
        drop: date | None = None
        drop_reason = ""
        if dropout:
            first_ra = next((v for v in self.visits if v.response_assessment), self.visits[-1])
            last_day = max(13, first_ra.day - first_ra.window_before - 2)
            drop = self.day(d.i(12, last_day) - 1)
            drop_reason = d.pick(["death", "withdrawal_by_subject"])
        crs_visit_chance = [d.p(0.2) for _ in self.p.treatment.nk_cells.infusion_days]

        dlt_start: date | None = None  # first NK-cell infusion
        treatment_start: date | None = None  # talazoparib C1D1: the DLT window opens
        dlt_visit = ""
        infusions: list[bool] = []
        crs_events: list[tuple[date, str]] = []
        relapse: date | None = None
        cleared = False
        stopped = ""
        assessed = 0
        cycle = 0
        nadir = float(self.reads[self.visits[0].code]["anc"])
        for v in self.visits:
            when = self.enrol if v.day == 1 else self.when(v)
            if drop is not None and when >= drop:
                self.missed.append((v.code, drop_text(drop_reason, drop)))
                continue
            if stopped:
                self.missed.append((v.code, stopped))
                continue
            s = self.state(v.code)
            nadir = min(nadir, s.anc)
            stops = v.code == out.stopped_at
            if v.response_assessment:
                cat = out.categories[assessed]
                assessed += 1
                if cleared and (s.bm or 0.0) >= 5.0 and relapse is None:
                    relapse = when
                cleared = cleared or cat in CR_FAMILY[:3]
                if stops and not self.overt:
                    relapse = when
            for form in sorted(
                v.forms, key=lambda f: FORM_ORDER.index(f) if f in FORM_ORDER else 99
            ):
                if form == "marrow":
                    self.add(when, v.code, form, self.marrow(s, when))
                elif form == "emd":
                    self.add(when, v.code, form, self.emd(s, when))
                elif form == "mrd":
                    self.add(when, v.code, form, self.mrd(s, when))
                elif form == "haematology":
                    self.add(when, v.code, form, self.haematology(s, when))
                elif form == "talazoparib":
                    self.talazoparib(v, cycle, when, stops)
                    treatment_start = treatment_start or when
                    cycle += 1
                elif form == "nk_infusion":
                    j = len(infusions)
                    given, values = self.nk_infusion(j, when)
                    infusions.append(given)
                    self.add(when, v.code, form, values)
                    if given and dlt_start is None:
                        dlt_start, dlt_visit = when, v.code
                    if given and crs_visit_chance[j]:
                        crs_events.append((when + timedelta(days=1), v.code))
                elif form == "icans" and any(infusions):
                    self.add(when, v.code, form, self.icans(when + timedelta(days=1)))
                elif form == "il2":
                    self.add(when, v.code, form, self.il2(when, bool(infusions and infusions[-1])))
                elif form in DATED_FORMS:
                    self.add(when, v.code, form, getattr(self, form)(when))
            if stops:
                what = "progressive disease" if self.overt else "haematological relapse"
                stopped = f"treatment discontinued: {what} at {v.code}"

        died_early = drop if drop_reason == "death" else None
        self.conduct(min(drop or self.cut, self.cut))
        dlt = self.adverse_events(dlt_start, dlt_visit, drop, died_early, crs_events, nadir)
        eot = self.visits[-1]
        eot_day = self.day(eot.day - 1)
        responder = out.responder
        if drop is not None:
            details = "died of sepsis in cycle 1" if died_early else "withdrew consent in cycle 1"
            self.end_of_study(drop_reason, drop, details)
            self.miss_follow_up(eot_day, 1, f"off study ({drop_reason})")
            death, off_study = died_early, drop_reason
        else:
            in_remission = relapse is None and (cleared if self.overt else not out.stopped_at)
            death, relapse, off_study = self.follow_up(responder, in_remission, eot_day, relapse)

        evaluable = assessed > 0
        best = None
        if self.overt and evaluable:
            best = min(out.categories, key=RANK_ORDER.index)
        truth = PatientTruth(
            responder=responder,
            best_response=best,
            mrd_responder=responder if not self.overt and evaluable else None,
            evaluable=evaluable,
            dlt=dlt,
            dlt_window_start=treatment_start,
            feasibility_failure=self.product_failed,
            death_date=death,
            relapse_date=relapse,
            off_study=off_study or None,
            course=self.course(best, list(out.categories), drop_reason, death),
            serious_events=sum(
                e.form_code == "adverse_event" and e.values["serious"] for e in self.entries
            ),
            gvhd_grade=self.gvhd_grade,
        )
        entries = tuple(sorted(self.entries, key=lambda e: e.entry_date))
        return VirtualPatient(self.c.code, self.enrol, entries, tuple(self.missed), truth)

    def course(
        self,
        best: str | None,
        assessed: list[str],
        drop: str,
        death: date | None,
    ) -> str:
        """One line describing the course (for people reading a patient plan)."""
        if drop:
            text = "early " + ("death" if drop == "death" else "withdrawal") + ", not assessed"
        elif self.overt:
            text = f"best {best} ({' > '.join(assessed)})"
        else:
            text = "MRD " + " > ".join(
                "responding (> 1 log10 fall)" if c == "MRD-resp" else "not responding"
                for c in assessed
            )
        if self.product_failed:
            text += "; NK product failed"
        if death is not None:
            text += f"; died {death.isoformat()}"
        return text
