"""Organ toxicity of one virtual patient seen in its own forms: acute GVHD after the allogeneic
NK-cell product (MAGIC organ findings on the GVHD form, an adverse event, its treatment) and
hepatic toxicity written into the chemistry panel, so the EDC derives the CTCAE grade and the
DLT verdict from the laboratory values (docs/clinical-rules.md "Acute GVHD", "Hepatic and
renal grades").

Rates and ranges: `safety_events` of `model_parameters.yaml` (`serious_events.safety_spec`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from nakip.sim.patients.draws import Draw, iso
from nakip.sim.patients.plan import FormEntry
from nakip.sim.patients.serious_events import safety_spec

#: GVHD findings of each MAGIC overall grade the generator makes, as form values (the EDC
#: stages them: grade I = skin stage 1-2 alone; grade II = skin stage 2 with lower GI stage 1,
#: 3-4 stool episodes a day; Harris et al., BBMT 2016;22:4, Table 1)
GVHD_FINDINGS: Mapping[int, Callable[[Draw], dict[str, Any]]] = MappingProxyType(
    {
        1: lambda d: {"rash_bsa_pct": d.u(8, 22, 0), "stool_episodes_per_day": d.i(1, 2)},
        2: lambda d: {"rash_bsa_pct": d.u(28, 45, 0), "stool_episodes_per_day": d.i(3, 4)},
    }
)
#: days after the onset during which later GVHD assessments still show grade I skin findings
GVHD_SETTLES_DAYS = 21


def _span(d: Draw, name: str) -> float:
    spec = safety_spec()[name]
    return d.r.uniform(float(spec["low"]), float(spec["high"]))


def _rate(name: str) -> float:
    return float(safety_spec()[name]["value"])


class OrganToxicity:
    """Mixin of `PatientBuilder`: needs `d`, `entries`, `visits`, `add()` and `ae()`."""

    d: Draw
    entries: list[FormEntry]
    visits: list[Any]
    add: Callable[..., None]
    ae: Callable[..., None]

    # ----------------------------------------------------------------- shared
    def _indexes(self, form: str, after: date, until: date) -> list[int]:
        return [
            j
            for j, e in enumerate(self.entries)
            if e.form_code == form and after < e.entry_date <= until
        ]

    def _patch(self, j: int, **values: Any) -> None:
        e = self.entries[j]
        self.entries[j] = replace(e, values=MappingProxyType({**e.values, **values}))

    # ----------------------------------------------------------------- hepatic
    def raise_alt(self, j: int, grade: int) -> date:
        """Set chemistry entry `j` to an ALT of CTCAE grade `grade` (2 or 3) with AST at grade
        1; values are multiples of the ULN, or of the baseline when that was above the ULN
        (CTCAE v5.0), so the derived grade is `grade`. Returns the sample date."""
        base = next(
            (e.values for e in self.entries
             if e.form_code == "chemistry" and e.visit_code == self.visits[0].code),
            self.entries[j].values,
        )  # fmt: skip
        v = self.entries[j].values
        alt_ref = max(float(v["alt_uln"]), float(base["alt"]))
        ast_ref = max(float(v["ast_uln"]), float(base["ast"]))
        alt = round(alt_ref * _span(self.d, f"alt_x_reference_grade{grade}"))
        self._patch(j, alt=float(alt), ast=float(round(ast_ref * self.d.u(1.5, 2.8))))
        return self.entries[j].entry_date

    def hepatic_dlt_onset(self, first_nk: date, window_end: date, end: date) -> date | None:
        """The grade 3 ALT of a hepatic DLT on the first chemistry sample after the first NK
        infusion inside the DLT window (None if no sample falls there)."""
        found = self._indexes("chemistry", first_nk, min(window_end, end))
        return self.raise_alt(found[0], 3) if found else None

    def hepatic_grade2(self, start: date, end: date) -> None:
        """Now and then a transient grade 2 ALT increase (not a DLT) on one chemistry sample,
        with its adverse event."""
        if not self.d.p(_rate("hepatic_grade2_rate")):
            return
        found = self._indexes("chemistry", start, end)
        if not found:
            return
        onset = self.raise_alt(self.d.pick(found), 2)
        self.ae(
            onset,
            term="Alanine aminotransferase increased",
            ctcae_grade=2,
            attribution_talazoparib="possible",
            resolution_date=iso(onset + timedelta(days=self.d.i(7, 14))),
        )

    # ----------------------------------------------------------------- GVHD
    def gvhd_episode(self, first_nk: date, grade: int, end: date, cut: date) -> int:
        """Acute GVHD of MAGIC grade `grade` (1 or 2) some days after the first NK infusion:
        an unscheduled GVHD assessment with its findings, later scheduled assessments showing
        grade I skin findings while it settles, the adverse event (grade II: hospitalised for
        intravenous steroids) and its treatment. Returns the grade, or 0 when the onset falls
        after `end` (the patient left, or the data cut)."""
        d = self.d
        onset = first_nk + timedelta(days=round(_span(d, "gvhd_onset_days_after_first_nk")))
        if onset > end:
            return 0
        findings = {
            "assessment_date": iso(onset),
            "bilirubin": d.u(0.3, 1.1, 2),
            "persistent_nausea_vomiting_anorexia": False,
            "severe_pain_ileus_or_bloody_stool": False,
            "biopsy_confirmed": grade >= 2,
            **GVHD_FINDINGS[grade](d),
        }
        self.add(onset, "", "gvhd", findings)
        for j in self._indexes("gvhd", onset, onset + timedelta(days=GVHD_SETTLES_DAYS)):
            if self.entries[j].visit_code:
                self._patch(j, **GVHD_FINDINGS[1](d))
        resolved = onset + timedelta(days=d.i(14, 28))
        over = resolved < min(end, cut)
        self.ae(
            onset,
            criteria=("sae_hospitalisation",) if grade >= 2 else (),
            term="Other, specify",
            term_other="Graft versus host disease",
            ctcae_grade=grade,
            category="agvhd",
            attribution_nk="probable",
            outcome="recovered" if over else "recovering",
            **({"resolution_date": iso(resolved)} if over else {}),
        )
        steroid = {
            "drug": "methylprednisolone" if grade >= 2 else "betamethasone valerate 0.1 % cream",
            "category": "corticosteroid",
            "indication": "acute GVHD",
            "route": "intravenous" if grade >= 2 else "topical",
            "start_date": iso(onset),
            "ongoing": not over,
            **({"dose": 1, "dose_unit": "mg/kg"} if grade >= 2 else {}),
            **({"end_date": iso(resolved)} if over else {}),
        }
        self.add(onset, "", "concomitant_medication", steroid)
        return grade

    def gvhd_without_dlt(self) -> bool:
        """Whether a treated patient gets a grade I acute GVHD (`gvhd_rate`)."""
        return self.d.p(_rate("gvhd_rate"))
