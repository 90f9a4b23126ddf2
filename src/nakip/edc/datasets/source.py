"""One subject's inputs to every dataset: the subject, its records at the cut-off, and the
derivation computed once from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from nakip.edc.datasets.snapshot import EDCSnapshot
from nakip.edc.derivations import SubjectDerivation, derive_subject
from nakip.edc.models import FormRecord, Subject
from nakip.protocol import Protocol


@dataclass(frozen=True)
class SubjectSource:
    """A subject with its records and derivation at the data cut-off."""

    subject: Subject
    records: tuple[FormRecord, ...]
    derivation: SubjectDerivation
    protocol: Protocol
    usubjid: str
    locked: bool
    cutoff: date | None
    as_of: date
    missed: Mapping[str, str] = field(default_factory=dict)

    def of(self, form_code: str) -> list[FormRecord]:
        """The subject's records of one form, in entry order."""
        return [r for r in self.records if r.form_code == form_code]


def usubjid(protocol: Protocol, subject_number: str) -> str:
    """Unique subject identifier: the trial acronym and the subject number."""
    return f"{protocol.trial.acronym}-{subject_number}"


def subject_sources(snapshot: EDCSnapshot) -> list[SubjectSource]:
    """Every subject of the snapshot with its derivation (no query per subject)."""
    p = snapshot.protocol
    out = []
    for subject in snapshot.subjects:
        records = snapshot.records_of(subject)
        out.append(
            SubjectSource(
                subject=subject,
                records=records,
                derivation=derive_subject(subject, p, records),
                protocol=p,
                usubjid=usubjid(p, subject.subject_number),
                locked=subject.pk in snapshot.locked,
                cutoff=snapshot.cutoff,
                as_of=snapshot.as_of,
                missed=snapshot.missed_of(subject),
            )
        )
    return out
