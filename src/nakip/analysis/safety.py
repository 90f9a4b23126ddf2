"""Safety per cohort from ADAE: patients with any AE, grade >= 3, serious, DLT, by relation
(any study treatment, talazoparib, NK cells); worst grade per term; CRS and ICANS by grade
(CTCAE v5.0; ASTCT 2019 for CRS/ICANS); acute GVHD by worst MAGIC grade (Harris et al. 2016).

The denominator is the safety population (treated patients, ADSL `treated_fl`); an event counts
once per patient at the patient's worst grade (CTCAE convention for incidence tables). Adverse
events are the ADAE rows with source "adverse_event"; CRS/ICANS episodes (sources "crs",
"icans") and GVHD assessments (source "gvhd", MAGIC grade I-IV as 1-4) are tabulated apart.
"Related" means at least possibly related on the scale of `nakip.clinical.dlt.attribution_rank`.
Events of patients outside the safety population are left out.
"""

from __future__ import annotations

from typing import Any, Self

import pandas as pd

from nakip.analysis.data import TrialData
from nakip.analysis.fitter import Fitter
from nakip.analysis.populations import flag, known
from nakip.clinical.dlt import attribution_rank

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("any", "Any adverse event"),
    ("grade3", "Grade >= 3"),
    ("serious", "Serious"),
    ("dlt", "Dose-limiting toxicity"),
    ("related", "Related (at least possibly) to study treatment"),
    ("related_grade3", "Related, grade >= 3"),
    ("related_talazoparib", "At least possibly related to talazoparib"),
    ("related_nk", "At least possibly related to the NK cells"),
    ("grade5", "Fatal (grade 5)"),
)
GRADES = (1, 2, 3, 4, 5)
#: MAGIC overall grades of acute GVHD (I-IV), as ADAE stores them (1-4)
GVHD_GRADES = (1, 2, 3, 4)
ALL = "all"


def _at_least_possible(values: pd.Series) -> pd.Series:
    """True where an attribution is possible, probable or definite (missing: False)."""
    possible = attribution_rank("possible")
    return values.map(lambda a: isinstance(a, str) and attribution_rank(a) >= possible).astype(bool)


def _grade(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def _patients(ae: pd.DataFrame, mask: pd.Series) -> int:
    return int(ae.loc[mask, "usubjid"].nunique())


class SafetyAnalysis(Fitter):
    """Adverse-event incidence per cohort and overall, lifelines-style.

    `SafetyAnalysis().fit(data)`; then `population` (cohort -> treated patients), `overview`
    (cohort x category: patients and %), `by_term` (worst grade per term), `crs_icans`
    (patients by worst grade), `gvhd` (patients by worst MAGIC acute GVHD grade, with GVHD
    DLTs), `summary` (= overview) and `to_dict()`.
    """

    def __init__(self) -> None:
        self.population: dict[str, int] = {}
        self.overview = pd.DataFrame()
        self.by_term = pd.DataFrame()
        self.crs_icans = pd.DataFrame()
        self.gvhd = pd.DataFrame()

    def fit(self, data: TrialData) -> Self:
        """Tabulate ADAE over the safety population of `data`."""
        adsl = data.adsl[flag(data.adsl["treated_fl"])]
        cohorts = sorted(adsl["cohort"].dropna().unique())
        self.population = {c: int((adsl["cohort"] == c).sum()) for c in cohorts}
        self.population[ALL] = len(adsl)
        rows = data.adae[data.adae["usubjid"].isin(adsl["usubjid"])].copy()
        rows["grade"] = _grade(rows["grade"])

        def scopes(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
            return [(c, frame[frame["cohort"] == c]) for c in cohorts] + [(ALL, frame)]

        ae = scopes(rows[rows["source"] == "adverse_event"])
        self.overview = pd.DataFrame([self._overview_row(s, f) for s, f in ae])
        self.by_term = self._by_term(ae)
        self.crs_icans = self._crs_icans(scopes(rows))
        self.gvhd = self._gvhd(scopes(rows[rows["source"] == "gvhd"]))
        self._fitted = True
        return self

    def _pct(self, scope: str, k: int) -> float | None:
        n = self.population.get(scope, 0)
        return None if n == 0 else 100.0 * k / n

    def _overview_row(self, scope: str, ae: pd.DataFrame) -> dict[str, Any]:
        g = ae["grade"]
        related = flag(ae["related"])
        masks = {
            "any": pd.Series(True, index=ae.index),
            "grade3": g >= 3,
            "serious": flag(ae["serious"]),
            "dlt": flag(ae["is_dlt"]),
            "related": related,
            "related_grade3": related & (g >= 3),
            "related_talazoparib": _at_least_possible(ae["attribution_talazoparib"]),
            "related_nk": _at_least_possible(ae["attribution_nk"]),
            "grade5": g == 5,
        }
        row: dict[str, Any] = {"cohort": scope, "patients": self.population.get(scope, 0)}
        for key, _ in CATEGORIES:
            k = _patients(ae, masks[key])
            row[key] = k
            row[f"{key}_pct"] = self._pct(scope, k)
        row["note"] = "" if row["patients"] else "not estimable: no treated patients"
        row["ungraded_events"] = int((~known(ae["grade"])).sum()) if len(ae) else 0
        return row

    def _by_term(self, scopes: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
        rows = []
        for scope, ae in scopes:
            graded = ae[known(ae["grade"])]
            worst = graded.groupby(["soc", "term", "usubjid"], dropna=False)["grade"].max()
            for (soc, term), per_patient in worst.groupby(level=["soc", "term"], dropna=False):
                counts = per_patient.value_counts()
                row = {"cohort": scope, "soc": soc, "term": term, "patients": len(per_patient)}
                row.update({f"grade{g}": int(counts.get(g, 0)) for g in GRADES})
                row["grade3plus"] = int((per_patient >= 3).sum())
                row["pct"] = self._pct(scope, len(per_patient))
                rows.append(row)
        cols = ["cohort", "soc", "term", "patients", *[f"grade{g}" for g in GRADES], "grade3plus",
                "pct"]  # fmt: skip
        out = pd.DataFrame(rows, columns=cols)
        return out.sort_values(["cohort", "patients", "term"], ascending=[True, False, True],
                               ignore_index=True)  # fmt: skip

    def _crs_icans(self, scopes: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
        rows = []
        for scope, ae in scopes:
            for source in ("crs", "icans"):
                part = ae[(ae["source"] == source) & known(ae["grade"])]
                worst = part.groupby("usubjid")["grade"].max()
                worst = worst[worst >= 1]  # a routine assessment of grade 0 is no episode
                row: dict[str, Any] = {"cohort": scope, "syndrome": source.upper()}
                row.update({f"grade{g}": int((worst == g).sum()) for g in GRADES})
                row["patients"] = len(worst)
                row["pct"] = self._pct(scope, len(worst))
                rows.append(row)
        return pd.DataFrame(rows)

    def _gvhd(self, scopes: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
        rows = []
        for scope, part in scopes:
            graded = part[known(part["grade"])]
            worst = graded.groupby("usubjid")["grade"].max()
            worst = worst[worst >= 1]  # an assessment without GVHD (grade 0) is no episode
            row: dict[str, Any] = {"cohort": scope}
            row.update({f"grade{g}": int((worst == g).sum()) for g in GVHD_GRADES})
            row["patients"] = len(worst)
            row["grade2plus"] = int((worst >= 2).sum())
            row["dlt"] = _patients(part, flag(part["is_dlt"]))
            row["pct"] = self._pct(scope, len(worst))
            rows.append(row)
        cols = ["cohort", *[f"grade{g}" for g in GVHD_GRADES], "patients", "grade2plus", "dlt",
                "pct"]  # fmt: skip
        return pd.DataFrame(rows, columns=cols)

    @property
    def summary(self) -> pd.DataFrame:
        """The overview table: patients per category and cohort, with % of treated."""
        self._check_fitted()
        return self.overview

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view (missing percentages are None, with a note)."""
        self._check_fitted()

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {k: (None if _isnan(v) else _plain(v)) for k, v in row.items()}
                for row in frame.to_dict(orient="records")
            ]

        return {
            "population": dict(self.population),
            "overview": records(self.overview),
            "by_term": records(self.by_term),
            "crs_icans": records(self.crs_icans),
            "gvhd": records(self.gvhd),
        }


def _isnan(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
