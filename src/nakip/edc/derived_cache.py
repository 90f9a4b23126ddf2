"""Derived values per subject, kept for as long as the subject's source data stay the same.

A subject's derivation (ELN response, CTCAE grades, DLT, CRS/ICANS, EFS/OS inputs) is a pure
function of its inputs: the subject's cohort, number and day 1, the screening values, its active
records (id, form, version of the form, visit, values) and the protocol. The cache keys each
entry by the subject and a fingerprint of exactly those inputs, taken from the records the
caller has just loaded. A save, correction or withdrawal changes the records read by the next
request, hence the fingerprint, hence the entry: a stale value cannot be served, whatever process
or thread wrote, and a save costs no extra SQL statement (no signal, no counter to bump).

Kept in process memory (bounded, least recently used first out, one entry per subject): with a
fingerprint key, each gunicorn worker's own copy is as correct as a shared one.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from nakip.edc.models import FormRecord, Subject
from nakip.protocol import Protocol

T = TypeVar("T")

#: Subjects kept per process (a trial of 1,000 subjects fits; the oldest entry goes first).
MAX_SUBJECTS = 4096


@dataclass
class CacheStats:
    """Hits and misses since the process started (or since `clear`), for tests and benches."""

    hits: int = 0
    misses: int = 0


class _ProtocolIds:
    """A fingerprint of each protocol object, worked out once per object (it is frozen)."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Protocol, str]] = {}

    def of(self, protocol: Protocol) -> str:
        hit = self._by_id.get(id(protocol))
        if hit is not None and hit[0] is protocol:
            return hit[1]
        digest = hashlib.blake2b(protocol.model_dump_json().encode(), digest_size=16).hexdigest()
        if len(self._by_id) >= 16:  # tests load many protocols: stay bounded
            self._by_id.clear()
        self._by_id[id(protocol)] = (protocol, digest)  # kept alive: its id stays its own
        return digest


_protocols = _ProtocolIds()
_entries: OrderedDict[int, tuple[str, Any]] = OrderedDict()
_lock = threading.Lock()
stats = CacheStats()


def fingerprint(subject: Subject, protocol: Protocol, records: Sequence[FormRecord]) -> str:
    """A digest of every input of a subject's derivation (withdrawn records left out).

    `repr` of JSON-decoded values is exact (1, 1.0 and True differ) and follows the stored key
    order, so equal digests mean equal inputs."""
    parts: list[Any] = [
        _protocols.of(protocol),
        subject.pk,
        subject.subject_number,
        subject.cohort,
        subject.enrolment_date,
        subject.screening.values if subject.screening_id else None,
    ]
    parts.extend(
        (r.pk, r.form_code, r.form_version, r.visit_code, r.values)
        for r in sorted(records, key=lambda r: r.pk)
        if not r.withdrawn
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()


def cached_derivation(
    subject: Subject,
    protocol: Protocol,
    records: Sequence[FormRecord],
    compute: Callable[[], T],
) -> T:
    """The subject's derivation for exactly these records: the kept one when the inputs are
    unchanged, else `compute()` (kept only if it succeeds; an error is raised each time)."""
    key = fingerprint(subject, protocol, records)
    with _lock:
        hit = _entries.get(subject.pk)
        if hit is not None and hit[0] == key:
            _entries.move_to_end(subject.pk)
            stats.hits += 1
            return hit[1]
        stats.misses += 1
    value = compute()  # outside the lock: another subject need not wait
    with _lock:
        _entries[subject.pk] = (key, value)
        _entries.move_to_end(subject.pk)
        while len(_entries) > MAX_SUBJECTS:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    """Forget every kept derivation and reset the counters (tests, restores)."""
    with _lock:
        _entries.clear()
        stats.hits = stats.misses = 0
