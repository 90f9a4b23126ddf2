"""Event and censoring dates of OS, EFS, RFS, CIR and CID for one subject.

Source: ELN 2022 (Döhner et al., Blood 2022;140:1345, Table 9 "Outcome measures for clinical
trials in AML": OS, EFS with its landmark and day-1 rules, RFS [seen]); CIR with death without
relapse as a competing cause, and reporting CID beside it: ELN 2017 Table 7 [seen]; as set out in
docs/clinical-rules.md "Time to event", and the protocol's `time_to_event` block (`TimeToEvent`,
`EFSDefinition`) with the response landmark `response_criteria.eln2022.response_landmark_days`.

Time scale: days from the origin (enrolment for OS/EFS, the remission date for RFS/CIR/CID), the
origin being day 0, so `days = (date - origin).days`. ELN's "event (or censoring) at day 1" is
reported as days = 1 with the date = the enrolment date, which keeps every time strictly
positive for survival estimators. The landmark date is enrolment + `response_landmark_days`
(day 180 with the packaged protocol); a remission or death ON the landmark date is "by the
landmark".

"Last assessed for response" (`last_assessment_date`) is the last dated assessment of remission
status: response visits and follow-up visits with blood counts or marrow alike (ELN 2022
Table 9), so censoring and events come from the same visits.

EFS with treatment failure (overt cohort), decided in this order:
1. CR/CRh/CRi by the landmark (first such assessment = remission date): event at the earliest of
   haematological relapse and death (and MRD progression if the protocol lists it); otherwise
   censored on the date last assessed for response (or last known alive, if the protocol says
   not to censor at the last assessment).
2. No CR/CRh/CRi by the landmark and death on or before the landmark with no evaluable
   assessment, or without CR/CRh/CRi: event at day 1 (treatment failure).
3. No evaluable assessment by the landmark (none, or all NE) and alive at the landmark (or not
   yet there): censored at day 1 (non-evaluable), even if death comes after the landmark.
4. Followed to the landmark (last known alive or death after it): treatment failure, event at day
   1 (even if a remission came later, as ELN defines failure at the landmark).
5. Otherwise (alive, evaluable, the landmark not yet reached): censored at the last assessment
   (NAKIP's choice: the outcome is still open, so the patient is not counted as a failure yet).
If `treatment_failure_at_day_1` is false, the failure event is placed at the landmark date and a
death before it at the death date.

EFS without treatment failure (MRD cohort: patients enter in remission): event at the earliest of
the listed events (haematological relapse, confirmed MRD progression, death); otherwise censored
at the last assessment. There is no day-1 event.

RFS / CIR / CID (responders only): origin = first CR/CRh/CRi (any time; MRD cohort: enrolment,
since patients enter in haematological remission). RFS event = relapse or death, censored on the
date last known alive (ELN 2022 Table 9). CIR status 1 = relapse, 2 = death without relapse (the
competing event), 0 = censored on the date last assessed; CID is the same data with status 2 as
the event of interest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from nakip.protocol.model import EFSDefinition, Protocol

CATEGORIES: tuple[str, ...] = ("CR", "CRh", "CRi", "MLFS", "PR", "SD", "PD", "NE")
REMISSION_CATEGORIES: frozenset[str] = frozenset({"CR", "CRh", "CRi"})  # ELN 2022 EFS/RFS


@dataclass(frozen=True)
class SubjectHistory:
    """What time-to-event derivation needs from one subject's record.

    `responses`: (assessment date, ELN 2022 category as a plain string) pairs, any order;
    `last_assessment_date`: the last dated assessment of remission status, follow-up visits with
    blood counts or marrow included (defaults to the last response date);
    `last_known_alive_date`: defaults to the latest date in the history.
    """

    enrolment_date: date
    responses: Sequence[tuple[date, str]] = field(default_factory=tuple)
    relapse_date: date | None = None
    mrd_progression_date: date | None = None
    death_date: date | None = None
    last_known_alive_date: date | None = None
    last_assessment_date: date | None = None


@dataclass(frozen=True)
class TimeToEventResult:
    """Event flags, dates and times (days from the origin) of OS, EFS, RFS and CIR.

    RFS/CIR fields are None for a subject who never reached CR/CRh/CRi.
    """

    efs_event: bool
    efs_date: date
    efs_days: int
    efs_reason: str
    os_event: bool
    os_date: date
    os_days: int
    os_reason: str
    rfs_start: date | None = None
    rfs_event: bool | None = None
    rfs_date: date | None = None
    rfs_days: int | None = None
    rfs_reason: str | None = None
    cir_code: Literal[0, 1, 2] | None = None
    cir_date: date | None = None
    cir_days: int | None = None
    cir_reason: str | None = None
    enrolment_date: date | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in d.items()}

    def rows(self) -> tuple[TimeToEventRow, ...]:
        """One row per endpoint (OS, EFS, and for responders RFS, CIR, CID), the shape of an
        analysis time-to-event dataset: origin, date, days, event flag, status, reason."""
        enrol = self.enrolment_date
        assert enrol is not None, "rows() needs the enrolment date (use derive_events)"
        out = [
            TimeToEventRow("OS", enrol, self.os_date, self.os_days, self.os_event,
                           int(self.os_event), self.os_reason),
            TimeToEventRow("EFS", enrol, self.efs_date, self.efs_days, self.efs_event,
                           int(self.efs_event), self.efs_reason),
        ]  # fmt: skip
        if self.rfs_start is None:
            return tuple(out)
        assert self.rfs_date is not None and self.rfs_days is not None
        assert self.cir_date is not None and self.cir_days is not None
        assert self.cir_code is not None and self.cir_reason is not None
        out.append(
            TimeToEventRow("RFS", self.rfs_start, self.rfs_date, self.rfs_days,
                           bool(self.rfs_event), int(bool(self.rfs_event)),
                           self.rfs_reason or "")
        )  # fmt: skip
        out.append(
            TimeToEventRow("CIR", self.rfs_start, self.cir_date, self.cir_days,
                           self.cir_code == 1, self.cir_code, self.cir_reason)
        )  # fmt: skip
        out.append(
            TimeToEventRow("CID", self.rfs_start, self.cir_date, self.cir_days,
                           self.cir_code == 2, {0: 0, 1: 2, 2: 1}[self.cir_code],
                           self.cir_reason)
        )  # fmt: skip
        return tuple(out)


@dataclass(frozen=True)
class TimeToEventRow:
    """One endpoint of one subject: `status` 0 = censored, 1 = the endpoint's event, 2 = the
    competing event (CIR: death without relapse; CID: relapse); OS/EFS/RFS use 0/1."""

    endpoint: Literal["OS", "EFS", "RFS", "CIR", "CID"]
    origin_date: date
    date: date
    days: int
    event: bool
    status: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in d.items()}


def _check_date(name: str, value: object, required: bool = False) -> date | None:
    if value is None:
        if required:
            raise ValueError(f"{name}: a date is required")
        return None
    if not isinstance(value, date):
        raise ValueError(f"{name}: expected a date, got {type(value).__name__}")
    return value.date() if hasattr(value, "hour") else value  # datetime -> date


@dataclass(frozen=True)
class _Clean:
    enrolment: date
    responses: tuple[tuple[date, str], ...]
    relapse: date | None
    mrd_progression: date | None
    death: date | None
    last_alive: date
    last_assessment: date | None


def _validate(h: SubjectHistory) -> _Clean:
    enrol = _check_date("enrolment_date", h.enrolment_date, required=True)
    assert enrol is not None
    responses = []
    if isinstance(h.responses, (str, bytes)) or not isinstance(h.responses, Iterable):
        raise ValueError("responses: expected a sequence of (date, category) pairs")
    for i, item in enumerate(h.responses):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise ValueError(f"responses[{i}]: expected a (date, category) pair")
        d = _check_date(f"responses[{i}].date", item[0], required=True)
        cat = item[1]
        if cat not in CATEGORIES:
            raise ValueError(
                f"responses[{i}].category: expected one of {', '.join(CATEGORIES)}, got {cat!r}"
            )
        responses.append((d, cat))
    responses.sort(key=lambda r: r[0])
    dates = {
        "relapse_date": _check_date("relapse_date", h.relapse_date),
        "mrd_progression_date": _check_date("mrd_progression_date", h.mrd_progression_date),
        "death_date": _check_date("death_date", h.death_date),
        "last_known_alive_date": _check_date("last_known_alive_date", h.last_known_alive_date),
        "last_assessment_date": _check_date("last_assessment_date", h.last_assessment_date),
    }
    for i, (d, _) in enumerate(responses):
        dates[f"responses[{i}].date"] = d
    for name, d in dates.items():
        if d is not None and d < enrol:  # type: ignore[operator]
            raise ValueError(f"{name}: {d} is before enrolment_date {enrol}")
    death = dates["death_date"]
    alive_dates = {k: v for k, v in dates.items() if k != "death_date" and v is not None}
    if death is not None:
        for name, d in alive_dates.items():
            if d > death:  # type: ignore[operator]
                raise ValueError(f"{name}: {d} is after death_date {death}")
    last_alive = dates["last_known_alive_date"]
    if last_alive is not None:
        for name, d in alive_dates.items():
            if d > last_alive:  # type: ignore[operator]
                raise ValueError(f"last_known_alive_date: {last_alive} is before {name} {d}")
    else:
        last_alive = max([enrol, *alive_dates.values()])  # type: ignore[type-var]
    last_assess = dates["last_assessment_date"]
    if responses and (last_assess is None or responses[-1][0] > last_assess):
        last_assess = responses[-1][0]
    return _Clean(
        enrol,
        tuple(responses),
        dates["relapse_date"],  # type: ignore[arg-type]
        dates["mrd_progression_date"],  # type: ignore[arg-type]
        death,  # type: ignore[arg-type]
        last_alive,  # type: ignore[arg-type]
        last_assess,  # type: ignore[arg-type]
    )


def _days(d: date, origin: date) -> int:
    return (d - origin).days


def _first_remission(h: _Clean) -> date | None:
    return next((d for d, c in h.responses if c in REMISSION_CATEGORIES), None)


def overall_survival(h: SubjectHistory) -> tuple[bool, date, int, str]:
    """OS (ELN 2022): from enrolment to death from any cause; censored when last known alive."""
    c = _validate(h)
    return _os(c)


def _os(c: _Clean) -> tuple[bool, date, int, str]:
    if c.death is not None:
        return True, c.death, _days(c.death, c.enrolment), "death"
    return False, c.last_alive, _days(c.last_alive, c.enrolment), "censored: last known alive"


def _later_events(c: _Clean, after: date, events: Sequence[str]) -> list[tuple[date, str]]:
    """Listed events on or after `after`, earliest first."""
    found = []
    if "haematological_relapse" in events and c.relapse is not None:
        found.append((c.relapse, "haematological relapse"))
    if "mrd_progression" in events and c.mrd_progression is not None:
        found.append((c.mrd_progression, "confirmed MRD progression"))
    if "death" in events and c.death is not None:
        found.append((c.death, "death"))
    return sorted((d, r) for d, r in found if d >= after)


def _censor_date(c: _Clean, efs: EFSDefinition) -> tuple[date, str]:
    if efs.censor_responders_at_last_assessment:
        if c.last_assessment is not None:
            return c.last_assessment, "censored: last assessed for response"
        return c.enrolment, "censored: no assessment (enrolment)"
    return c.last_alive, "censored: last known alive"


def _efs(c: _Clean, efs: EFSDefinition, landmark_days: int) -> tuple[bool, date, int, str]:
    enrol = c.enrolment

    def at(d: date, reason: str, event: bool) -> tuple[bool, date, int, str]:
        return event, d, _days(d, enrol), reason

    def day1(reason: str, event: bool) -> tuple[bool, date, int, str]:
        return event, enrol, 1, reason

    if "treatment_failure" not in efs.events:
        hits = _later_events(c, enrol, efs.events)
        if hits:
            return at(hits[0][0], hits[0][1], True)
        d, why = _censor_date(c, efs)
        return at(d, why, False)

    landmark = enrol + timedelta(days=landmark_days)
    remission = _first_remission(c)
    if remission is not None and remission <= landmark:
        if c.relapse is not None and c.relapse < remission:
            raise ValueError(f"relapse_date: {c.relapse} is before the remission on {remission}")
        hits = _later_events(c, remission, efs.events)
        if hits:
            return at(hits[0][0], f"{hits[0][1]} after CR/CRh/CRi", True)
        d, why = _censor_date(c, efs)
        return at(d, f"{why} (in remission)", False)
    evaluable = [cat for d, cat in c.responses if cat != "NE" and d <= landmark]
    failure = f"treatment failure (no CR/CRh/CRi by day {landmark_days})"
    if c.death is not None and c.death <= landmark:
        what = "death before the landmark " + (
            "without response assessment" if not evaluable else "without CR/CRh/CRi"
        )
        if efs.treatment_failure_at_day_1:
            return day1(f"{failure}: {what}", True)
        return at(c.death, what, True)
    if not evaluable:  # alive at the landmark (or before it) and non-evaluable
        later = " (death after the landmark does not change it)" if c.death is not None else ""
        return day1(f"censored at day 1: alive and non-evaluable at the landmark{later}", False)
    reached = (c.death is not None and c.death > landmark) or c.last_alive >= landmark
    if reached:
        if efs.treatment_failure_at_day_1:
            return day1(failure, True)
        return at(landmark, failure, True)
    d = c.last_assessment or enrol
    return at(d, f"censored: last assessment before the day-{landmark_days} landmark", False)


def _rfs_cir(c: _Clean, start: date | None) -> dict[str, Any]:
    if start is None:
        return {}
    if c.relapse is not None and c.relapse < start:
        raise ValueError(f"relapse_date: {c.relapse} is before the remission on {start}")
    out: dict[str, Any] = {"rfs_start": start}
    if c.relapse is not None:
        out |= {
            "rfs_event": True,
            "rfs_date": c.relapse,
            "rfs_reason": "haematological relapse",
            "cir_code": 1,
            "cir_date": c.relapse,
            "cir_reason": "haematological relapse",
        }
    elif c.death is not None:
        out |= {
            "rfs_event": True,
            "rfs_date": c.death,
            "rfs_reason": "death in remission",
            "cir_code": 2,
            "cir_date": c.death,
            "cir_reason": "death without relapse (competing event)",
        }
    else:
        examined = max(c.last_assessment or start, start)
        alive = max(c.last_alive, start)
        out |= {
            "rfs_event": False,
            "rfs_date": alive,
            "rfs_reason": "censored: last known alive",
            "cir_code": 0,
            "cir_date": examined,
            "cir_reason": "censored: last assessed for response",
        }
    out["rfs_days"] = _days(out["rfs_date"], start)
    out["cir_days"] = _days(out["cir_date"], start)
    return out


def _default_protocol() -> Protocol:
    from nakip.protocol import load_protocol

    return load_protocol()


def derive_events(
    history: SubjectHistory, cohort: str, protocol: Protocol | None = None
) -> TimeToEventResult:
    """OS, EFS, RFS, CIR and CID of one subject in `cohort` (ELN 2022 Table 9; rules in the
    module doc); `.rows()` gives one time-to-event row per endpoint."""
    p = protocol or _default_protocol()
    if cohort not in p.time_to_event.efs:
        known = ", ".join(p.time_to_event.efs)
        raise ValueError(f"cohort: unknown cohort {cohort!r}; known: {known}")
    c = _validate(history)
    efs_def = p.time_to_event.efs[cohort]
    landmark = p.response_criteria.eln2022.response_landmark_days
    efs_event, efs_date, efs_days, efs_reason = _efs(c, efs_def, landmark)
    os_event, os_date, os_days, os_reason = _os(c)
    enters_in_remission = any(k.code == cohort and k.mrd_entry for k in p.cohorts)
    start = c.enrolment if enters_in_remission else _first_remission(c)
    if start is None and c.relapse is not None:
        raise ValueError("relapse_date: a relapse is recorded but no CR/CRh/CRi before it")
    return TimeToEventResult(
        efs_event,
        efs_date,
        efs_days,
        efs_reason,
        os_event,
        os_date,
        os_days,
        os_reason,
        **_rfs_cir(c, start),
        enrolment_date=c.enrolment,
    )
