"""CDISC ODM 1.3.2 XML of the clinical data with its audit trail and signatures (odmlib).

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

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from nakip.edc.datasets.snapshot import (
    EDCSnapshot,
    cut_record,
    ids_in_chunks,
    record_date_fields,
)
from nakip.edc.exports.files import ExportedFile, code_version, described
from nakip.edc.models import FormRecord, ScreeningRecord, Signature, Subject
from nakip.edc.schedule import planned_visits
from nakip.protocol import Protocol
from nakip.protocol.model import FormField

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
def _history(model: type, ids: Sequence[int]) -> dict[int, list[Any]]:
    """History rows of `model` objects by object id, oldest first (chunked queries)."""
    out: dict[int, list[Any]] = defaultdict(list)
    hist = model.history.model  # type: ignore[attr-defined]
    for chunk in ids_in_chunks(ids):
        for row in hist.objects.filter(id__in=chunk).order_by("history_date", "history_id"):
            out[row.id].append(row)
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


def _audit(row: Any, users: _Users, site: str) -> Any:
    import odmlib.odm_1_3_2.model as ODM

    parts: dict[str, Any] = {
        "UserRef": ODM.UserRef(UserOID=users.oid(row.history_user_id)),
        "LocationRef": ODM.LocationRef(LocationOID=site_oid(site)),
        "DateTimeStamp": ODM.DateTimeStamp(_content=_stamp(row.history_date)),
    }
    if row.history_change_reason:
        parts["ReasonForChange"] = ODM.ReasonForChange(_content=row.history_change_reason)
    parts["SourceID"] = ODM.SourceID(_content=f"history {row.history_id}")
    return ODM.AuditRecord(**parts)


def _transactions(form: str, rows: Iterable[Any], users: _Users, site: str) -> list[Any]:
    """FormData transactions of one record's history."""
    import odmlib.odm_1_3_2.model as ODM

    out = []
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
        items = []
        if kind != "Remove":
            for name in sorted(set(previous) | set(values)):
                new = values.get(name)
                if name in previous and previous[name] == new:
                    continue
                oid = item_oid(form, name)
                if new is None:
                    if name in previous and previous[name] is not None:
                        items.append(ODM.ItemData(ItemOID=oid, TransactionType="Remove"))
                    continue
                action = "Insert" if kind == "Insert" or name not in previous else "Update"
                items.append(
                    ODM.ItemData(ItemOID=oid, TransactionType=action, Value=odm_value(new))
                )
        fd = ODM.FormData(
            FormOID=form_oid(form),
            FormRepeatKey=str(row.id),
            TransactionType=kind,
            AuditRecord=_audit(row, users, site),
        )
        if items:
            fd.ItemGroupData.append(
                ODM.ItemGroupData(
                    ItemGroupOID=_oid("IG", form),
                    TransactionType=kind if kind != "Remove" else "Update",
                    ItemData=items,
                )
            )
        out.append(fd)
        previous = dict(values)
        was_withdrawn = withdrawn
    return out


def _kept_records(snapshot: EDCSnapshot, subjects: Sequence[Subject]) -> list[FormRecord]:
    """Every record of the subjects (withdrawn ones too) dated on or before the cut-off."""
    out = []
    fields: dict[tuple[str, int], list[str]] = {}
    for chunk in ids_in_chunks([s.pk for s in subjects]):
        for rec in FormRecord.objects.filter(subject_id__in=chunk).order_by("id"):
            if snapshot.cutoff is not None:
                key = (rec.form_code, rec.form_version)
                if key not in fields:
                    fields[key] = record_date_fields(snapshot.protocol, *key)
                if cut_record(rec, fields[key], snapshot.cutoff) is None:
                    continue
            out.append(rec)
    return out


def clinical_data(snapshot: EDCSnapshot, users: _Users) -> tuple[Any, set[tuple[str, str]]]:
    """ClinicalData: screen failures and subjects with every transaction, then signatures."""
    import odmlib.odm_1_3_2.model as ODM

    protocol = snapshot.protocol
    study_oid = _oid("ST", protocol.trial.study_id)
    cd = ODM.ClinicalData(StudyOID=study_oid, MetaDataVersionOID=MDV_OID)
    subjects = list(snapshot.subjects)
    screenings: list[ScreeningRecord] = list(snapshot.screenings)
    enrolled_screenings = {s.screening_id for s in subjects}
    scr_history = _history(ScreeningRecord, [s.pk for s in screenings])
    subj_history = _history(Subject, [s.pk for s in subjects])
    records = _kept_records(snapshot, subjects)
    rec_history = _history(FormRecord, [r.pk for r in records])
    by_subject: dict[int, list[FormRecord]] = defaultdict(list)
    for r in records:
        by_subject[r.subject_id].append(r)
    seen: set[tuple[str, str]] = {(r.visit_code, r.form_code) for r in records}

    def screening_event(scr: ScreeningRecord) -> Any:
        return ODM.StudyEventData(
            StudyEventOID=event_oid(SCREENING_EVENT),
            TransactionType="Upsert",
            FormData=_transactions("screening", scr_history[scr.pk], users, scr.site.code),
        )

    for scr in screenings:
        if scr.pk in enrolled_screenings:
            continue
        sd = ODM.SubjectData(
            SubjectKey=scr.screening_number,
            TransactionType="Upsert",
            SiteRef=ODM.SiteRef(LocationOID=site_oid(scr.site.code)),
        )
        sd.StudyEventData.append(screening_event(scr))
        cd.SubjectData.append(sd)
    for subject in subjects:
        site = subject.site.code
        created = subj_history[subject.pk][:1]
        sd = ODM.SubjectData(
            SubjectKey=subject.subject_number,
            TransactionType="Upsert",
            **({"AuditRecord": _audit(created[0], users, site)} if created else {}),
            SiteRef=ODM.SiteRef(LocationOID=site_oid(site)),
        )
        sd.StudyEventData.append(screening_event(subject.screening))
        visits: dict[str, list[Any]] = defaultdict(list)
        for rec in by_subject[subject.pk]:
            visits[rec.visit_code] += _transactions(rec.form_code, rec_history[rec.pk], users, site)
        for visit, forms in visits.items():
            sd.StudyEventData.append(
                ODM.StudyEventData(
                    StudyEventOID=event_oid(visit), TransactionType="Upsert", FormData=forms
                )
            )
        cd.SubjectData.append(sd)
    for sig in Signature.objects.filter(subject__in=subjects).select_related("subject__site"):
        if snapshot.cutoff is not None and sig.signed_at.date() > snapshot.cutoff:
            continue
        site = sig.subject.site.code
        cd.SubjectData.append(
            ODM.SubjectData(
                SubjectKey=sig.subject.subject_number,
                TransactionType="Update",
                Signature=ODM.Signature(
                    ID=f"SIG.{sig.pk}",
                    UserRef=ODM.UserRef(UserOID=users.oid(sig.signed_by_id)),
                    LocationRef=ODM.LocationRef(LocationOID=site_oid(site)),
                    SignatureRef=ODM.SignatureRef(SignatureOID=SIGNATURE_DEF),
                    DateTimeStamp=ODM.DateTimeStamp(_content=_stamp(sig.signed_at)),
                ),
            )
        )
        if sig.invalidated_at is not None:
            cd.SubjectData.append(
                ODM.SubjectData(
                    SubjectKey=sig.subject.subject_number,
                    TransactionType="Update",
                    AuditRecord=ODM.AuditRecord(
                        UserRef=ODM.UserRef(UserOID=users.oid(None)),
                        LocationRef=ODM.LocationRef(LocationOID=site_oid(site)),
                        DateTimeStamp=ODM.DateTimeStamp(_content=_stamp(sig.invalidated_at)),
                        ReasonForChange=ODM.ReasonForChange(
                            _content=f"signature SIG.{sig.pk} invalidated: "
                            f"{sig.invalidated_reason or 'data changed'}"
                        ),
                    ),
                )
            )
    return cd, seen


def admin_data(snapshot: EDCSnapshot, users: _Users, study_oid: str) -> Any:
    """Users, sites and the signature's meaning."""
    import odmlib.odm_1_3_2.model as ODM

    from nakip.edc.models import Site
    from nakip.edc.services import SIGNATURE_STATEMENT

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


def build_odm(snapshot: EDCSnapshot) -> Any:
    """The ODM document (an odmlib ODM object) of the snapshot."""
    import odmlib.ns_registry as NS
    import odmlib.odm_1_3_2.model as ODM

    NS.NamespaceRegistry(prefix="odm", uri=ODM_NS, is_default=True, is_reset=True)
    protocol = snapshot.protocol
    users = _Users()
    cd, seen = clinical_data(snapshot, users)
    study_oid = cd.StudyOID
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
    return ODM.ODM(
        FileOID=f"NAKIP.{protocol.trial.study_id}.{now.strftime('%Y%m%dT%H%M%S')}",
        FileType="Transactional",
        Granularity="All",
        CreationDateTime=_stamp(now),
        ODMVersion="1.3.2",
        Originator="NAKIP",
        SourceSystem="NAKIP EDC",
        SourceSystemVersion=code_version(),
        Study=[study],
        AdminData=[admin_data(snapshot, users, study_oid)],
        ClinicalData=[cd],
    )


def write_odm(snapshot: EDCSnapshot, folder: Path) -> list[ExportedFile]:
    """`odm.xml`: the clinical data with audit records and signatures."""
    doc = build_odm(snapshot)
    doc.write_xml(str(folder / "odm.xml"))
    subjects = len({sd.SubjectKey for sd in doc.ClinicalData[0].SubjectData})
    return [described(folder, "odm.xml", subjects)]
