"""Time-to-event results per cohort from ADTTE: OS, EFS and RFS by Kaplan–Meier, cumulative
incidence of relapse (CIR) and of death without relapse (CID) by Aalen–Johansen.

Definitions of the events and censoring are ELN 2022 (Döhner et al., Blood 2022, Table 9), as
derived in `nakip.clinical.events` and written to ADTTE (docs/clinical-rules.md). Here they are
only estimated: Kaplan–Meier with log-log 95 % limits, medians with Brookmeyer–Crowley limits,
landmark rates at 6/12/24 months (months = days / 30.4375), cumulative incidence with
cmprsk's variance. Rows that cannot enter an estimate (missing or negative time, missing
status) are listed in `excluded` with the reason, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd

from nakip.analysis.data import TrialData
from nakip.stats.survival import (
    DAYS_PER_MONTH,
    AalenJohansen,
    GrayResult,
    KaplanMeier,
    LogRankResult,
    gray_test,
    logrank_test,
)

ENDPOINTS = ("OS", "EFS", "RFS")
"""Kaplan–Meier endpoints of ADTTE; CIR rows give the competing-risks analysis."""
COMPETING_ENDPOINT = "CIR"
RELAPSE, DEATH_WITHOUT_RELAPSE = 1, 2
NO_PATIENTS = "no patient with this endpoint in the cohort"


def months(days: float | None) -> float | None:
    """Days as months (30.4375 days each); None stays None."""
    return None if days is None else days / DAYS_PER_MONTH


@dataclass(frozen=True)
class Excluded:
    """A subject's ADTTE row left out of an estimate, and why."""

    usubjid: str
    paramcd: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """Plain-JSON view."""
        return {"usubjid": self.usubjid, "paramcd": self.paramcd, "reason": self.reason}


@dataclass(frozen=True)
class LandmarkRate:
    """An estimate at a landmark (survival or cumulative incidence) with its 95 % limits.

    `estimate` None = not estimable (`reason` says why: follow-up shorter than the landmark).
    """

    months: float
    estimate: float | None
    lower: float | None
    upper: float | None
    n_risk: int
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view."""
        return dict(self.__dict__)


def _number(value: Any) -> float | None:
    v = float(value)
    return None if np.isnan(v) else v


def _landmarks(
    frame: pd.DataFrame, landmarks: Sequence[float], value: str
) -> tuple[LandmarkRate, ...]:
    """LandmarkRate per row of a `survival_at` / `cif_at` frame, saying why a value is absent."""
    out = []
    for m, row in zip(landmarks, frame.itertuples(index=False), strict=True):
        estimate = _number(getattr(row, value))
        lower = None if estimate is None else _number(row.lower)
        upper = None if estimate is None else _number(row.upper)
        if estimate is None:
            reason: str | None = f"follow-up shorter than {m:g} months"
        elif lower is None or upper is None:
            reason = f"confidence limits undefined at an estimate of {estimate:g}"
        else:
            reason = None
        out.append(LandmarkRate(float(m), estimate, lower, upper, int(row.n_risk), reason))
    return tuple(out)


@dataclass(frozen=True)
class EndpointSurvival:
    """Kaplan–Meier of one endpoint in one cohort; `km` None when not estimable (`reason`)."""

    cohort: str
    paramcd: str
    n: int
    events: int
    km: KaplanMeier | None
    median_months: float | None
    median_lower_months: float | None
    median_upper_months: float | None
    landmarks: tuple[LandmarkRate, ...]
    reason: str | None = None
    excluded: tuple[Excluded, ...] = ()
    logrank: LogRankResult | None = None

    @property
    def estimable(self) -> bool:
        """Whether a curve could be estimated (at least one patient)."""
        return self.km is not None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view; the curve's times are in days (`time_unit`)."""
        return {
            "cohort": self.cohort,
            "paramcd": self.paramcd,
            "n": self.n,
            "events": self.events,
            "estimable": self.estimable,
            "reason": self.reason,
            "median_months": self.median_months,
            "median_lower_months": self.median_lower_months,
            "median_upper_months": self.median_upper_months,
            "landmarks": [lm.to_dict() for lm in self.landmarks],
            "time_unit": "days",
            "curve": None if self.km is None else self.km.to_dict(),
            "excluded": [e.to_dict() for e in self.excluded],
            "logrank": None if self.logrank is None else self.logrank.to_dict(),
        }


@dataclass(frozen=True)
class CompetingRisks:
    """CIR (cause 1, relapse) and CID (cause 2, death without relapse) in one cohort."""

    cohort: str
    n: int
    relapses: int
    deaths_without_relapse: int
    cir: AalenJohansen | None
    cid: AalenJohansen | None
    cir_landmarks: tuple[LandmarkRate, ...]
    cid_landmarks: tuple[LandmarkRate, ...]
    reason: str | None = None
    excluded: tuple[Excluded, ...] = ()
    gray: GrayResult | None = None

    @property
    def estimable(self) -> bool:
        """Whether the curves could be estimated (at least one patient in remission)."""
        return self.cir is not None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view; curve times in days."""
        return {
            "cohort": self.cohort,
            "n": self.n,
            "relapses": self.relapses,
            "deaths_without_relapse": self.deaths_without_relapse,
            "estimable": self.estimable,
            "reason": self.reason,
            "cir_landmarks": [lm.to_dict() for lm in self.cir_landmarks],
            "cid_landmarks": [lm.to_dict() for lm in self.cid_landmarks],
            "time_unit": "days",
            "cir": None if self.cir is None else self.cir.to_dict(),
            "cid": None if self.cid is None else self.cid.to_dict(),
            "excluded": [e.to_dict() for e in self.excluded],
            "gray": None if self.gray is None else self.gray.to_dict(),
        }


@dataclass
class _Rows:
    """Usable rows of one endpoint in one cohort, and those left out."""

    frame: pd.DataFrame
    days: np.ndarray
    codes: np.ndarray
    excluded: list[Excluded] = field(default_factory=list)


def _usable(frame: pd.DataFrame, paramcd: str, code_column: str) -> _Rows:
    """Rows with a non-negative time and a known event/status code."""
    days = pd.to_numeric(frame["days"], errors="coerce").to_numpy(dtype=np.float64)
    raw = frame[code_column]
    if code_column == "event":
        codes = raw.map({True: 1, False: 0, "True": 1, "False": 0})  # 1 == True, 0 == False
    else:
        codes = pd.to_numeric(raw, errors="coerce")
    codes_f = codes.to_numpy(dtype=np.float64, na_value=np.nan)
    allowed = (0, 1) if code_column == "event" else (0, 1, 2)
    bad_time = np.isnan(days) | (days < 0)
    bad_code = ~np.isin(codes_f, allowed)
    excluded = []
    for i in np.flatnonzero(bad_time | bad_code):
        why = (
            f"time {frame['days'].iloc[i]!r} days is missing or negative"
            if bad_time[i]
            else f"{code_column} {raw.iloc[i]!r} is not one of {allowed}"
        )
        excluded.append(Excluded(str(frame["usubjid"].iloc[i]), paramcd, why))
    keep = ~(bad_time | bad_code)
    return _Rows(frame[keep], days[keep], codes_f[keep].astype(np.int64), excluded)


class SurvivalAnalysis:
    """Survival per cohort, lifelines-style: `SurvivalAnalysis().fit(data)`.

    After fit: `endpoints[(cohort, "OS"|"EFS"|"RFS")]` (EndpointSurvival), `competing[cohort]`
    (CompetingRisks), `summary` (one row per cohort and endpoint, CIR and CID included) and
    `to_dict()`. Cohorts are those of ADSL and ADTTE; a cohort without patients for an endpoint
    is reported as not estimable. `compare_by` (an ADSL column) adds a log-rank test per endpoint
    and Gray's test for CIR between its groups within each cohort (descriptive).
    """

    def __init__(
        self,
        landmarks_months: Sequence[float] = (6, 12, 24),
        alpha: float = 0.05,
        compare_by: str | None = None,
    ) -> None:
        if any(not np.isfinite(m) or m <= 0 for m in landmarks_months):
            raise ValueError(f"landmarks_months must be positive, got {tuple(landmarks_months)}")
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be between 0 and 1 (exclusive), got {alpha}")
        self.landmarks_months = tuple(float(m) for m in landmarks_months)
        self.alpha = alpha
        self.compare_by = compare_by
        self.endpoints: dict[tuple[str, str], EndpointSurvival] = {}
        self.competing: dict[str, CompetingRisks] = {}
        self.cohorts: list[str] = []
        self._fitted = False

    def fit(self, data: TrialData) -> Self:
        """Estimate every endpoint in every cohort of `data`."""
        adtte = data.adtte
        groups = self._groups(data)
        cohorts = set(data.adsl["cohort"].dropna().astype(str)) | set(
            adtte["cohort"].dropna().astype(str)
        )
        self.cohorts = sorted(cohorts)
        landmark_days = [m * DAYS_PER_MONTH for m in self.landmarks_months]
        self.endpoints, self.competing = {}, {}
        for cohort in self.cohorts:
            rows = adtte[adtte["cohort"].astype(str) == cohort]
            for paramcd in ENDPOINTS:
                usable = _usable(rows[rows["paramcd"] == paramcd], paramcd, "event")
                self.endpoints[(cohort, paramcd)] = self._kaplan_meier(
                    cohort, paramcd, usable, landmark_days, groups
                )
            usable = _usable(
                rows[rows["paramcd"] == COMPETING_ENDPOINT], COMPETING_ENDPOINT, "status"
            )
            self.competing[cohort] = self._competing(cohort, usable, landmark_days, groups)
        self._fitted = True
        return self

    def _groups(self, data: TrialData) -> pd.Series | None:
        if self.compare_by is None:
            return None
        if self.compare_by not in data.adsl.columns:
            raise ValueError(f"compare_by: ADSL has no column {self.compare_by!r}")
        return data.adsl.set_index("usubjid")[self.compare_by]

    def _group_labels(self, usable: _Rows, groups: pd.Series | None) -> np.ndarray | None:
        if groups is None:
            return None
        labels = usable.frame["usubjid"].map(groups)
        known = labels.notna().to_numpy()
        if known.all() and labels.nunique() >= 2:
            return labels.astype(str).to_numpy()
        return None

    def _kaplan_meier(
        self,
        cohort: str,
        paramcd: str,
        usable: _Rows,
        landmark_days: list[float],
        groups: pd.Series | None,
    ) -> EndpointSurvival:
        n = int(usable.days.shape[0])
        if n == 0:
            empty = tuple(
                LandmarkRate(m, None, None, None, 0, NO_PATIENTS) for m in self.landmarks_months
            )
            return EndpointSurvival(
                cohort, paramcd, 0, 0, None, None, None, None, empty, NO_PATIENTS,
                tuple(usable.excluded),
            )  # fmt: skip
        km = KaplanMeier().fit(
            usable.days, usable.codes, label=f"{cohort} {paramcd}", alpha=self.alpha
        )
        labels = self._group_labels(usable, groups)
        test = None if labels is None else logrank_test(usable.days, usable.codes, labels)
        return EndpointSurvival(
            cohort=cohort,
            paramcd=paramcd,
            n=n,
            events=km.n_events,
            km=km,
            median_months=months(km.median),
            median_lower_months=months(km.median_lower),
            median_upper_months=months(km.median_upper),
            landmarks=_landmarks(km.survival_at(landmark_days), self.landmarks_months, "survival"),
            excluded=tuple(usable.excluded),
            logrank=test,
        )

    def _competing(
        self, cohort: str, usable: _Rows, landmark_days: list[float], groups: pd.Series | None
    ) -> CompetingRisks:
        n = int(usable.days.shape[0])
        if n == 0:
            empty = tuple(
                LandmarkRate(m, None, None, None, 0, NO_PATIENTS) for m in self.landmarks_months
            )
            return CompetingRisks(
                cohort, 0, 0, 0, None, None, empty, empty, NO_PATIENTS, tuple(usable.excluded)
            )
        fits = {
            cause: AalenJohansen().fit(
                usable.days, usable.codes, cause=cause, label=f"{cohort} {name}", alpha=self.alpha
            )
            for cause, name in ((RELAPSE, "CIR"), (DEATH_WITHOUT_RELAPSE, "CID"))
        }
        at_risk = KaplanMeier().fit(usable.days, usable.codes > 0).at_risk(landmark_days)

        def landmarks(fit: AalenJohansen) -> tuple[LandmarkRate, ...]:
            frame = fit.cif_at(landmark_days).assign(n_risk=at_risk)
            return _landmarks(frame, self.landmarks_months, "cif")

        labels = self._group_labels(usable, groups)
        gray = None if labels is None else gray_test(usable.days, usable.codes, labels, RELAPSE)
        return CompetingRisks(
            cohort=cohort,
            n=n,
            relapses=int((usable.codes == RELAPSE).sum()),
            deaths_without_relapse=int((usable.codes == DEATH_WITHOUT_RELAPSE).sum()),
            cir=fits[RELAPSE],
            cid=fits[DEATH_WITHOUT_RELAPSE],
            cir_landmarks=landmarks(fits[RELAPSE]),
            cid_landmarks=landmarks(fits[DEATH_WITHOUT_RELAPSE]),
            excluded=tuple(usable.excluded),
            gray=gray,
        )

    # -- views -----------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not self._fitted:
            raise RuntimeError("SurvivalAnalysis: call fit() first")

    @property
    def summary(self) -> pd.DataFrame:
        """One row per cohort and endpoint (OS, EFS, RFS, CIR, CID): n, events, median (months)
        with limits, the landmark estimates with limits, and why a value is not estimable."""
        self._check_fitted()
        rows: list[dict[str, Any]] = []
        for (cohort, paramcd), ep in self.endpoints.items():
            row = {
                "cohort": cohort,
                "endpoint": paramcd,
                "n": ep.n,
                "events": ep.events,
                "median_months": ep.median_months,
                "median_lower_months": ep.median_lower_months,
                "median_upper_months": ep.median_upper_months,
            }
            rows.append(self._with_landmarks(row, ep.landmarks, ep.reason))
        for cohort, cr in self.competing.items():
            for name, events, landmarks in (
                ("CIR", cr.relapses, cr.cir_landmarks),
                ("CID", cr.deaths_without_relapse, cr.cid_landmarks),
            ):
                row = {"cohort": cohort, "endpoint": name, "n": cr.n, "events": events}
                row |= {
                    "median_months": None,
                    "median_lower_months": None,
                    "median_upper_months": None,
                }
                rows.append(self._with_landmarks(row, landmarks, cr.reason))
        if not rows:
            return pd.DataFrame(columns=["cohort", "endpoint", "n", "events", "note"])
        frame = pd.DataFrame(rows).sort_values(["cohort", "endpoint"], kind="stable")
        # None (not estimable, explained in `note`) stays None instead of becoming NaN
        return frame.astype(object).where(frame.notna(), None).reset_index(drop=True)

    def _with_landmarks(
        self, row: dict[str, Any], landmarks: tuple[LandmarkRate, ...], reason: str | None
    ) -> dict[str, Any]:
        notes = [reason] if reason else []
        for lm in landmarks:
            key = f"{lm.months:g}m"
            row |= {f"at_{key}": lm.estimate, f"lower_{key}": lm.lower, f"upper_{key}": lm.upper}
            if lm.reason and not reason:
                notes.append(f"{key}: {lm.reason}")
        row["note"] = "; ".join(notes) if notes else None
        return row

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view: per cohort, each endpoint and the competing risks."""
        self._check_fitted()
        return {
            "landmarks_months": list(self.landmarks_months),
            "conf_level": 1.0 - self.alpha,
            "days_per_month": DAYS_PER_MONTH,
            "cohorts": {
                cohort: {
                    "endpoints": {p: self.endpoints[(cohort, p)].to_dict() for p in ENDPOINTS},
                    "competing": self.competing[cohort].to_dict(),
                }
                for cohort in self.cohorts
            },
        }
