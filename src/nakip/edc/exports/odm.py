"""CDISC ODM 1.3.2 XML of the clinical data with its audit trail and signatures.

The metadata, users, sites and signature meaning are built with odmlib's ODM 1.3.2 model; the
clinical data, tens of thousands of transactions in a large trial, are written as plain XML
elements in the schema's order (odmlib objects cost about a millisecond each). The tests check
the whole file with the CDISC XML schema and, loaded back into odmlib, with its OID,
element-order and conformance checks.

A transactional file (FileType "Transactional"): every history row of a screening or form
record (django-simple-history) is one FormData transaction — Insert with every value, Update
with the changed values (an item removed is an ItemData "Remove"), Remove for a withdrawal —
carrying an AuditRecord (user, site, time stamp, reason for change). Each casebook signature
is a SubjectData "Update" carrying a Signature (SignatureDef: the signature statement, 21 CFR
Part 11); an invalidated signature is followed by an AuditRecord that says why. Applying the
transactions in document order gives the current values. The metadata (MetaDataVersion) come
from the protocol's form definitions: one FormDef, ItemGroupDef and ItemDefs per form, a
CodeList per choice field, a StudyEventDef per visit. Queries and locks are not part of ODM
clinical data and are not exported here (the audit CSV has them).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model

from nakip.edc.datasets.snapshot import (
    EDCSnapshot,
    cut_record,
    ids_in_chunks,
    record_date_fields,
)
from nakip.edc.exports.files import ExportedFile, described
from nakip.edc.models import FormRecord, ScreeningRecord, Signature, Subject
from nakip.edc.schedule import planned_visits
from nakip.edc.services.signoff import SIGNATURE_STATEMENT
from nakip.protocol import Protocol
from nakip.protocol.model import FormField
from nakip.provenance import code_version

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
MDV_OID = "MDV.1"
SCREENING_EVENT = "SCREENING"
UNSCHEDULED_EVENT = "UNSCHEDULED"
SIGNATURE_DEF = "SD.CASEBOOK"
SYSTEM_USER = "system"
_DATA_TYPES = {
    "integer": "integer",
    "decimal": "float",
    "text": "text",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
    "choice": "text",
}


def _oid(*parts: str) -> str:
    return ".".join(p.upper() for p in parts)


def form_oid(code: str) -> str:
    return _oid("F", code)


def item_oid(form: str, name: str) -> str:
    return _oid("IT", form, name)


def event_oid(visit_code: str) -> str:
    return _oid("SE", visit_code or UNSCHEDULED_EVENT)


def user_oid(username: str) -> str:
    return f"USR.{username}"


def site_oid(code: str) -> str:
    return f"LOC.{code}"


def odm_value(value: Any) -> str:
    """An ItemData Value: booleans as true/false, numbers and text as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _stamp(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


# =========================================================================== metadata
def _tt(text: str) -> Any:
    import odmlib.odm_1_3_2.model as ODM

    return ODM.TranslatedText(_content=text, lang="en")


def _fields(protocol: Protocol) -> dict[str, dict[str, FormField]]:
    """Every field of every form, over all versions (the latest definition wins)."""
    out: dict[str, dict[str, FormField]] = defaultdict(dict)
    for form in sorted(protocol.forms, key=lambda f: f.version):
        for f in form.fields:
            out[form.code][f.name] = f
    return out


def _events(protocol: Protocol, seen: set[tuple[str, str]]) -> dict[str, list[str]]:
    """Visit code -> forms, in schedule order, with screening and unscheduled records."""
    events: dict[str, list[str]] = {SCREENING_EVENT: ["screening"]}
    for cohort in protocol.cohorts:
        for v in planned_visits(cohort.code, protocol):
            events.setdefault(v.code, [])
            events[v.code] += [f for f in v.forms if f not in events[v.code]]
    events.setdefault(UNSCHEDULED_EVENT, [])
    for visit, form in sorted(seen):
        forms = events.setdefault(visit or UNSCHEDULED_EVENT, [])
        if form not in forms:
            forms.append(form)
    return events


def metadata_version(protocol: Protocol, seen: set[tuple[str, str]]) -> Any:
    """The MetaDataVersion of the protocol's forms and visits."""
    import odmlib.odm_1_3_2.model as ODM

    fields = _fields(protocol)
    titles = {f.code: f.title for f in protocol.forms}
    events = _events(protocol, seen)
    mdv = ODM.MetaDataVersion(OID=MDV_OID, Name=f"Protocol {protocol.trial.protocol_version}")
    mdv.Protocol = ODM.Protocol(
        StudyEventRef=[
            ODM.StudyEventRef(StudyEventOID=event_oid(code), OrderNumber=i, Mandatory="No")
            for i, code in enumerate(events, start=1)
        ]
    )
    for code, forms in events.items():
        mdv.StudyEventDef.append(
            ODM.StudyEventDef(
                OID=event_oid(code),
                Name=code,
                Repeating="No",
                Type="Unscheduled" if code == UNSCHEDULED_EVENT else "Scheduled",
                FormRef=[
                    ODM.FormRef(FormOID=form_oid(f), OrderNumber=i, Mandatory="No")
                    for i, f in enumerate(forms, start=1)
                    if f in fields
                ],
            )
        )
    for code, form_fields in fields.items():
        ig = _oid("IG", code)
        mdv.FormDef.append(
            ODM.FormDef(
                OID=form_oid(code),
                Name=titles[code],
                Repeating="Yes",
                ItemGroupRef=[ODM.ItemGroupRef(ItemGroupOID=ig, Mandatory="Yes")],
            )
        )
        mdv.ItemGroupDef.append(
            ODM.ItemGroupDef(
                OID=ig,
                Name=titles[code],
                Repeating="No",
                ItemRef=[
                    ODM.ItemRef(
                        ItemOID=item_oid(code, f.name),
                        OrderNumber=i,
                        Mandatory="Yes" if f.required else "No",
                    )
                    for i, f in enumerate(form_fields.values(), start=1)
                ],
            )
        )
        for f in form_fields.values():
            label = f"{f.label} ({f.unit})" if f.unit else f.label
            item = ODM.ItemDef(
                OID=item_oid(code, f.name),
                Name=f.name,
                DataType=_DATA_TYPES[f.type],
                Question=ODM.Question(TranslatedText=[_tt(label)]),
            )
            if f.type == "choice":
                cl = _oid("CL", code, f.name)
                item.CodeListRef = ODM.CodeListRef(CodeListOID=cl)
                mdv.CodeList.append(
                    ODM.CodeList(
                        OID=cl,
                        Name=f.label,
                        DataType="text",
                        CodeListItem=[
                            ODM.CodeListItem(
                                CodedValue=c,
                                Decode=ODM.Decode(TranslatedText=[_tt(c.replace("_", " "))]),
                            )
                            for c in f.choices
                        ],
                    )
                )
            mdv.ItemDef.append(item)
    return mdv


# =========================================================================== clinical data
_HISTORY_FIELDS = ("id", "history_id", "history_date", "history_type", "history_user_id",
                   "history_change_reason", "values", "withdrawn")  # fmt: skip


def _history(model: type, ids: Sequence[int]) -> dict[int, list[SimpleNamespace]]:
    """History rows of `model` objects by object id, oldest first (chunked queries)."""
    out: dict[int, list[SimpleNamespace]] = defaultdict(list)
    hist = model.history.model  # type: ignore[attr-defined]
    names = {f.attname for f in hist._meta.concrete_fields}
    fields = [f for f in _HISTORY_FIELDS if f in names]
    for chunk in ids_in_chunks(ids):
        rows = hist.objects.filter(id__in=chunk).order_by("history_date", "history_id")
        for row in rows.values(*fields):
            out[row["id"]].append(SimpleNamespace(**row))
    return out


class _Users:
    """Usernames by user id, loaded once."""

    def __init__(self) -> None:
        self.names = dict(get_user_model().objects.values_list("id", "username"))
        self.used: set[str] = set()

    def oid(self, user_id: int | None) -> str:
        name = self.names.get(user_id, SYSTEM_USER) if user_id else SYSTEM_USER
        self.used.add(name)
        return user_oid(name)


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """A child element in ODM order (callers append children in the schema's order)."""
    child = ET.SubElement(parent, tag, attrs)
    if text is not None:
        child.text = text
    return child


def _audit(
    parent: ET.Element,
    users: _Users,
    site: str,
    user_id: int | None,
    when: datetime,
    reason: str | None,
    source: str | None = None,
) -> None:
    """An AuditRecord: UserRef, LocationRef, DateTimeStamp, ReasonForChange, SourceID."""
    record = _el(parent, "AuditRecord")
    _el(record, "UserRef", UserOID=users.oid(user_id))
    _el(record, "LocationRef", LocationOID=site_oid(site))
    _el(record, "DateTimeStamp", _stamp(when))
    if reason:
        _el(record, "ReasonForChange", reason)
    if source:
        _el(record, "SourceID", source)


def _history_audit(parent: ET.Element, row: Any, users: _Users, site: str) -> None:
    _audit(
        parent,
        users,
        site,
        row.history_user_id,
        row.history_date,
        row.history_change_reason,
        f"history {row.history_id}",
    )


def _transactions(
    event: ET.Element, form: str, rows: Iterable[Any], users: _Users, site: str
) -> None:
    """One FormData transaction per history row of a record, appended to `event`."""
    previous: dict[str, Any] = {}
    was_withdrawn = False
    for row in rows:
        values = row.values or {}
        withdrawn = bool(getattr(row, "withdrawn", False))
        if row.history_type == "-" or (withdrawn and not was_withdrawn):
            kind = "Remove"
        elif row.history_type == "+":
            kind = "Insert"
        else:
            kind = "Update"
        fd = _el(
            event, "FormData", FormOID=form_oid(form), FormRepeatKey=str(row.id),
            TransactionType=kind,
        )  # fmt: skip
        _history_audit(fd, row, users, site)
        if kind != "Remove":
            group: ET.Element | None = None
            for name in sorted(set(previous) | set(values)):
                new = values.get(name)
                if name in previous and previous[name] == new:
                    continue
                if new is None and previous.get(name) is None:
                    continue
                if group is None:
                    group = _el(fd, "ItemGroupData", ItemGroupOID=_oid("IG", form),
                                TransactionType=kind)  # fmt: skip
                oid = item_oid(form, name)
                if new is None:
                    _el(group, "ItemData", ItemOID=oid, TransactionType="Remove")
                else:
                    action = "Insert" if kind == "Insert" or name not in previous else "Update"
                    _el(group, "ItemData", ItemOID=oid, TransactionType=action,
                        Value=odm_value(new))  # fmt: skip
        previous = dict(values)
        was_withdrawn = withdrawn


_RECORD_FIELDS = ("id", "subject_id", "visit_code", "form_code", "form_version", "values")


def _kept_records(snapshot: EDCSnapshot, subjects: Sequence[Subject]) -> list[FormRecord]:
    """Every record of the subjects (withdrawn ones too) dated on or before the cut-off."""
    out = []
    fields: dict[tuple[str, int], list[str]] = {}
    for chunk in ids_in_chunks([s.pk for s in subjects]):
        rows = FormRecord.objects.filter(subject_id__in=chunk).only(*_RECORD_FIELDS)
        for rec in rows.order_by("id"):
            if snapshot.cutoff is not None:
                key = (rec.form_code, rec.form_version)
                if key not in fields:
                    fields[key] = record_date_fields(snapshot.protocol, *key)
                if cut_record(rec, fields[key], snapshot.cutoff) is None:
                    continue
            out.append(rec)
    return out


def clinical_data(
    snapshot: EDCSnapshot, users: _Users, study_oid: str
) -> tuple[ET.Element, set[tuple[str, str]]]:
    """ClinicalData: screen failures and subjects with every transaction, then signatures;
    and the (visit, form) pairs it holds, for the metadata."""
    cd = ET.Element("ClinicalData", StudyOID=study_oid, MetaDataVersionOID=MDV_OID)
    subjects = list(snapshot.subjects)
    screenings: list[ScreeningRecord] = list(snapshot.screenings)
    enrolled_screenings = {s.screening_id for s in subjects}
    scr_ids = sorted({s.pk for s in screenings} | enrolled_screenings)
    scr_history = _history(ScreeningRecord, scr_ids)
    subj_history = _history(Subject, [s.pk for s in subjects])
    records = _kept_records(snapshot, subjects)
    rec_history = _history(FormRecord, [r.pk for r in records])
    by_subject: dict[int, list[FormRecord]] = defaultdict(list)
    for r in records:
        by_subject[r.subject_id].append(r)
    seen: set[tuple[str, str]] = {(r.visit_code, r.form_code) for r in records}

    def screening_event(sd: ET.Element, scr: ScreeningRecord) -> None:
        event = _el(sd, "StudyEventData", StudyEventOID=event_oid(SCREENING_EVENT),
                    TransactionType="Upsert")  # fmt: skip
        _transactions(event, "screening", scr_history[scr.pk], users, scr.site.code)

    for scr in screenings:
        if scr.pk in enrolled_screenings:
            continue
        sd = _el(cd, "SubjectData", SubjectKey=scr.screening_number, TransactionType="Upsert")
        _el(sd, "SiteRef", LocationOID=site_oid(scr.site.code))
        screening_event(sd, scr)
    for subject in subjects:
        site = subject.site.code
        sd = _el(cd, "SubjectData", SubjectKey=subject.subject_number, TransactionType="Upsert")
        for row in subj_history[subject.pk][:1]:
            _history_audit(sd, row, users, site)
        _el(sd, "SiteRef", LocationOID=site_oid(site))
        screening_event(sd, subject.screening)
        visits: dict[str, list[FormRecord]] = defaultdict(list)
        for rec in by_subject[subject.pk]:
            visits[rec.visit_code].append(rec)
        for visit, recs in visits.items():
            event = _el(sd, "StudyEventData", StudyEventOID=event_oid(visit),
                        TransactionType="Upsert")  # fmt: skip
            for rec in recs:
                _transactions(event, rec.form_code, rec_history[rec.pk], users, site)
    for sig in Signature.objects.filter(subject__in=subjects).select_related("subject__site"):
        if snapshot.cutoff is not None and sig.signed_at.date() > snapshot.cutoff:
            continue
        site = sig.subject.site.code
        sd = _el(cd, "SubjectData", SubjectKey=sig.subject.subject_number,
                 TransactionType="Update")  # fmt: skip
        signature = _el(sd, "Signature", ID=f"SIG.{sig.pk}")
        _el(signature, "UserRef", UserOID=users.oid(sig.signed_by_id))
        _el(signature, "LocationRef", LocationOID=site_oid(site))
        _el(signature, "SignatureRef", SignatureOID=SIGNATURE_DEF)
        _el(signature, "DateTimeStamp", _stamp(sig.signed_at))
        if sig.invalidated_at is not None:
            sd = _el(cd, "SubjectData", SubjectKey=sig.subject.subject_number,
                     TransactionType="Update")  # fmt: skip
            reason = sig.invalidated_reason or "data changed"
            _audit(sd, users, site, None, sig.invalidated_at,
                   f"signature SIG.{sig.pk} invalidated: {reason}")  # fmt: skip
    return cd, seen


def admin_data(snapshot: EDCSnapshot, users: _Users, study_oid: str) -> Any:
    """Users, sites and the signature's meaning."""
    import odmlib.odm_1_3_2.model as ODM

    from nakip.edc.models import Site

    effective = date.today().isoformat()
    return ODM.AdminData(
        StudyOID=study_oid,
        User=[
            ODM.User(OID=user_oid(name), LoginName=ODM.LoginName(_content=name))
            for name in sorted(users.used)
        ],
        Location=[
            ODM.Location(
                OID=site_oid(site.code),
                Name=site.name,
                LocationType="Site",
                MetaDataVersionRef=[
                    ODM.MetaDataVersionRef(
                        StudyOID=study_oid, MetaDataVersionOID=MDV_OID, EffectiveDate=effective
                    )
                ],
            )
            for site in Site.objects.order_by("code")
        ],
        SignatureDef=[
            ODM.SignatureDef(
                OID=SIGNATURE_DEF,
                Methodology="Electronic",
                Meaning=ODM.Meaning(_content=SIGNATURE_STATEMENT),
                LegalReason=ODM.LegalReason(
                    _content="Electronic signature of the casebook by the investigator, "
                    "password re-entered (21 CFR Part 11)"
                ),
            )
        ],
    )


def build_odm(snapshot: EDCSnapshot) -> ET.Element:
    """The ODM document of the snapshot as an XML element tree (root `ODM`)."""
    import odmlib.ns_registry as NS
    import odmlib.odm_1_3_2.model as ODM

    NS.NamespaceRegistry(prefix="odm", uri=ODM_NS, is_default=True, is_reset=True)
    protocol = snapshot.protocol
    users = _Users()
    study_oid = _oid("ST", protocol.trial.study_id)
    clinical, seen = clinical_data(snapshot, users, study_oid)
    study = ODM.Study(
        OID=study_oid,
        GlobalVariables=ODM.GlobalVariables(
            StudyName=ODM.StudyName(_content=protocol.trial.acronym),
            StudyDescription=ODM.StudyDescription(_content=" ".join(protocol.trial.title.split())),
            ProtocolName=ODM.ProtocolName(_content=protocol.trial.study_id),
        ),
        MetaDataVersion=[metadata_version(protocol, seen)],
    )
    now = datetime.now().astimezone()
    root = ET.Element(
        "ODM",
        {
            "xmlns": ODM_NS,
            "FileOID": f"NAKIP.{protocol.trial.study_id}.{now.strftime('%Y%m%dT%H%M%S')}",
            "FileType": "Transactional",
            "Granularity": "All",
            "CreationDateTime": _stamp(now),
            "ODMVersion": "1.3.2",
            "Originator": "NAKIP",
            "SourceSystem": "NAKIP EDC",
            "SourceSystemVersion": code_version(),
        },
    )
    root.append(study.to_xml())
    root.append(admin_data(snapshot, users, study_oid).to_xml())
    root.append(clinical)
    return root


def write_odm(snapshot: EDCSnapshot, folder: Path) -> list[ExportedFile]:
    """`odm.xml`: the clinical data with audit records and signatures."""
    root = build_odm(snapshot)
    ET.ElementTree(root).write(folder / "odm.xml", encoding="UTF-8", xml_declaration=True)
    subjects = {sd.get("SubjectKey") for sd in root.iter("SubjectData")}
    return [described(folder, "odm.xml", len(subjects))]
