"""Drive the EDC with a virtual trial the way site staff would: only through `nakip.edc.services`.

A site and four users (investigator, study nurse, monitor, data manager) are created; then each
screened patient is registered, completed when data came late, queried, enrolled or closed as a
screen failure; every planned form is entered at its visit by the role that enters it in
practice (the nurse enters blood counts, dosing, infusions and follow-up; the investigator the
rest, and files each serious adverse event's 24-hour notice and follow-up through
`nakip.edc.sae`), soft edit checks open queries that corrections close, the monitor raises, the
investigator answers and the monitor closes queries, source data are verified, the
investigator signs every casebook and the data manager locks the casebooks of patients who
have left the study. So the audit trail, edit checks and derivations all run as in real use.
Django must be set up (and the database migrated) before calling `run_trial`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from nakip.sim.patients import CONSENT_WITHDRAWN_REASON, ScreeningCase, VirtualTrial

#: (username suffix, EDC role) of the demo staff, in creation order.
STAFF_ROLES: tuple[tuple[str, str], ...] = (
    ("investigator", "investigator"),
    ("nurse", "study_nurse"),
    ("monitor", "monitor"),
    ("datamanager", "data_manager"),
)
#: Forms the study nurse enters; every other form is entered by the investigator.
NURSE_FORMS = frozenset({"haematology", "talazoparib", "nk_infusion", "follow_up"})
LATE_SCREENING_REASON = "ECOG and creatinine clearance added after the screening visit"
LOCK_REASON = "subject off study: casebook complete and signed"


@dataclass(frozen=True)
class DemoUser:
    """A demo login; the password exists only in memory and is shown to people once."""

    username: str
    role: str
    password: str = field(repr=False)

    def to_dict(self, include_password: bool = False) -> dict[str, str]:
        out = {"username": self.username, "role": self.role}
        if include_password:
            out["password"] = self.password
        return out


@dataclass(frozen=True)
class DriverReport:
    """What the driver did through the services (counts), and who the subjects are."""

    site_code: str
    users: tuple[DemoUser, ...]
    screened: int
    screen_failed: int
    enrolled: int
    records: int
    visits: int
    corrections: int
    manual_queries: int
    automatic_queries: int
    queries_closed: int
    missed_visits: int
    sae_reports: int  # initial notices and follow-ups filed through nakip.edc.sae
    source_verified: int
    signatures: int
    locks: int
    subjects: Mapping[int, str]  # screening-case index -> subject number

    def to_dict(self, include_passwords: bool = False) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("users", "subjects")}
        out["users"] = [u.to_dict(include_passwords) for u in self.users]
        out["subjects"] = {str(k): v for k, v in self.subjects.items()}
        return out


def new_password() -> str:
    """A random password that passes the EDC's password validators (never stored in code)."""
    return "Nk-" + secrets.token_urlsafe(15)


def _verify_once(user: Any) -> None:
    """Memoise the investigator's password check for this run.

    Signing re-checks the password (PBKDF2, about a second each); the virtual investigator
    types the same password for every casebook, so after one real check the same string is
    accepted from memory. Only this in-memory user object is affected.
    """
    real = user.check_password
    good: set[str] = set()

    def check(raw: str) -> bool:
        if raw in good:
            return True
        if real(raw):
            good.add(raw)
            return True
        return False

    user.check_password = check


class TrialDriver:
    """Replays a `VirtualTrial` into the EDC through its services (see the module docstring)."""

    def __init__(
        self,
        trial: VirtualTrial,
        site_code: str = "VS01",
        site_name: str = "Virtual site (NAKIP demo)",
        user_prefix: str = "demo",
        passwords: Mapping[str, str] | None = None,
        progress: Callable[[int, int, Mapping[str, int]], None] | None = None,
    ) -> None:
        self.trial = trial
        self.site_code = site_code
        self.site_name = site_name
        self.user_prefix = user_prefix
        self.passwords = dict(passwords or {})
        self.progress = progress
        self.counts: dict[str, int] = dict.fromkeys(
            (
                "screened",
                "screen_failed",
                "enrolled",
                "records",
                "visits",
                "corrections",
                "manual_queries",
                "automatic_queries",
                "queries_closed",
                "missed_visits",
                "sae_reports",
                "source_verified",
                "signatures",
                "locks",
            ),
            0,
        )
        self.subjects: dict[int, Any] = {}

    # ----------------------------------------------------------------- staff
    def _staff(self) -> tuple[Any, dict[str, Any], tuple[DemoUser, ...]]:
        from nakip.edc import services

        site = services.create_site(None, self.site_code, self.site_name)
        users: dict[str, Any] = {}
        demo: list[DemoUser] = []
        for suffix, role in STAFF_ROLES:
            name = f"{self.user_prefix}_{suffix}"
            password = self.passwords.get(name) or new_password()
            users[role] = services.create_user(None, name, password, role, site)
            demo.append(DemoUser(name, role, password))
        inv = users["investigator"]
        _verify_once(inv)
        self._inv_password = self.passwords.get(f"{self.user_prefix}_investigator") or next(
            u.password for u in demo if u.role == "investigator"
        )
        return site, users, tuple(demo)

    # ----------------------------------------------------------------- one patient
    def _query(self, target: Any, q: tuple[str, str, str]) -> None:
        from nakip.edc import services

        field_name, text, answer = q
        query = services.raise_query(self.u["monitor"], target, field_name, text)
        self.counts["manual_queries"] += 1
        services.answer_query(self.u["investigator"], query, answer)
        services.close_query(self.u["monitor"], query, "answer accepted")
        self.counts["queries_closed"] += 1

    def _screen(self, case: ScreeningCase) -> None:
        from nakip.edc import services

        inv, nurse = self.u["investigator"], self.u["study_nurse"]
        first = {k: v for k, v in case.values.items() if k not in case.initially_missing}
        scr = services.create_screening(inv, self.site, case.consent_date, first)
        self.counts["screened"] += 1
        if case.initially_missing:
            scr = services.update_screening(
                nurse, scr, dict(case.values), LATE_SCREENING_REASON, scr.version
            )
            self.counts["corrections"] += 1
        if case.monitor_query:
            self._query(scr, case.monitor_query)
        if case.patient is None:
            reasons = [CONSENT_WITHDRAWN_REASON] if case.failure == "consent_withdrawn" else None
            services.record_screen_failure(inv, scr, reasons, case.outcome_date)
            self.counts["screen_failed"] += 1
            return
        subject = services.enrol_subject(inv, scr, case.outcome_date)
        self.subjects[case.index] = subject
        self.counts["enrolled"] += 1
        self._casebook(case, subject)

    def _casebook(self, case: ScreeningCase, subject: Any) -> None:
        from nakip.edc import sae, services
        from nakip.edc.models import Query, QueryStatus

        assert case.patient is not None
        visits: set[str] = set()
        for e in case.patient.entries:
            user = self.u["study_nurse"] if e.form_code in NURSE_FORMS else self.u["investigator"]
            values = dict(e.first_values if e.first_values is not None else e.values)
            saved = services.create_record(user, subject, e.form_code, values, e.visit_code)
            self.counts["records"] += 1
            self.counts["automatic_queries"] += len(saved.opened_queries)
            if e.visit_code:
                visits.add(e.visit_code)
            rec = saved.record
            if e.first_values is not None:
                after = services.update_record(
                    user, rec, dict(e.values), e.correction_reason, rec.version
                )
                rec = after.record
                self.counts["corrections"] += 1
                opened = [q.pk for q in saved.opened_queries]
                self.counts["queries_closed"] += Query.objects.filter(
                    pk__in=opened, status=QueryStatus.CLOSED
                ).count()
            if e.monitor_query:
                self._query(rec, e.monitor_query)
            for report in e.sae_reports:  # the expedited SAE workflow (nakip.edc.sae)
                sae.file_report(self.u["investigator"], rec, dict(report))
                self.counts["sae_reports"] += 1
        for code, reason in case.patient.missed_visits:
            services.mark_visit_missed(self.u["investigator"], subject, code, reason)
            self.counts["missed_visits"] += 1
        self.counts["visits"] += len(visits)

    # ----------------------------------------------------------------- closing the data
    def _close_out(self) -> None:
        """Monitor SDV of the marrow results, leftover queries resolved, casebooks signed,
        off-study casebooks locked."""
        from nakip.edc import services
        from nakip.edc.models import QueryStatus

        inv, mon, dm = self.u["investigator"], self.u["monitor"], self.u["data_manager"]
        for subject in self.subjects.values():
            for rec in services.records(subject, form_code="marrow"):
                services.mark_sdv(mon, rec)
                self.counts["source_verified"] += 1
            for q in services.unresolved_queries(subject):
                if q.status == QueryStatus.OPEN:
                    services.answer_query(inv, q, "Value confirmed against the source.")
                services.close_query(mon, q, "answer accepted")
                self.counts["queries_closed"] += 1
            services.sign_casebook(inv, subject, self._inv_password)
            self.counts["signatures"] += 1
            if services.records(subject, form_code="end_of_study").exists():
                services.lock_subject(dm, subject, LOCK_REASON)
                self.counts["locks"] += 1

    # ----------------------------------------------------------------- run
    def run(self) -> DriverReport:
        """Create the site and staff, replay every screening case in order, close out."""
        from django.db import transaction

        self.site, self.u, users = self._staff()
        cases = sorted(self.trial.screenings, key=lambda s: (s.consent_date, s.index))
        total = len(cases)
        for i, case in enumerate(cases, start=1):
            with transaction.atomic():  # one commit per patient; each service nests inside
                self._screen(case)
            if self.progress is not None:
                self.progress(i, total, MappingProxyType(self.counts))
        self._close_out()
        return DriverReport(
            site_code=self.site.code,
            users=users,
            subjects=MappingProxyType({k: s.subject_number for k, s in self.subjects.items()}),
            **self.counts,
        )


def run_trial(trial: VirtualTrial, **options: Any) -> DriverReport:
    """Replay `trial` into the EDC (options: site_code, site_name, user_prefix, passwords,
    progress); see `TrialDriver`."""
    return TrialDriver(trial, **options).run()
