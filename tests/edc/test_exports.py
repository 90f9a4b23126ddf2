"""Exports from a small EDC trial: CSV and XPT read back equal, SDTM-like domains with their
define table, ODM 1.3.2 valid against the CDISC schema with every subject, value, audit record
and signature, manifests, all-or-nothing writing, and formula injection neutralised in every
CSV the system writes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from django.test import Client
from rest_framework.test import APIClient

from nakip.analysis.csv_cells import neutralise, restore
from nakip.analysis.data import TrialData
from nakip.analysis.dictionary import DICTIONARY, columns
from nakip.edc import services
from nakip.edc.datasets import load_snapshot, trial_data_from
from nakip.edc.exports import FORMATS, export
from nakip.edc.exports.odm import odm_value
from nakip.edc.exports.sdtm import DOMAINS
from nakip.edc.exports.xpt import MAX_TEXT, XPT_DATASETS, read_xpt
from nakip.edc.models import FormRecord, ScreeningRecord, Subject
from nakip.provenance import code_version
from tests.edc.conftest import PASSWORD

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
INJECTION = '=HYPERLINK("http://evil.example/x","click")'


def _snapshot(cutoff: date | None = None) -> Any:
    return load_snapshot(services.get_protocol(), cutoff)


# --------------------------------------------------------------------------- cells
@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'quoted"])
def test_formula_starts_get_a_quote_and_come_back(text: str) -> None:
    assert neutralise(text) == "'" + text and restore(neutralise(text)) == text


@pytest.mark.parametrize("value", ["Pneumonitis", "A-001", "", -1.5, 3, None, True])
def test_other_cells_are_left_alone(value: Any) -> None:
    assert neutralise(value) == value


# --------------------------------------------------------------------------- csv
def test_csv_round_trip_and_manifest(trial: dict[str, Subject], tmp_path: Path) -> None:
    snap = _snapshot(date(2026, 4, 1))
    manifest = export("csv", snap, tmp_path)
    names = [f.name for f in manifest.files]
    n = len(DICTIONARY) + 1
    assert names[:n] == [f"{n}.csv" for n in DICTIONARY] + ["dictionary.csv"]
    assert {"form_screening.csv", "form_haematology.csv", "form_adverse_event.csv"} <= set(names)
    back = TrialData.from_csv_dir(tmp_path, cutoff=date(2026, 4, 1))
    original = trial_data_from(snap)
    assert back.fingerprint == original.fingerprint == manifest.fingerprint
    for name, frame in original.frames().items():
        assert len(back.frames()[name]) == len(frame) > 0
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk["data_cutoff"] == "2026-04-01" and on_disk["fingerprint"] == back.fingerprint
    assert on_disk["code_version"] == code_version() and on_disk["format"] == "csv"
    for f in on_disk["files"]:
        data = (tmp_path / f["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"]
        assert len(data.decode().splitlines()) == f["rows"] + 1  # header + rows
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_raw_form_tables_hold_the_values_as_entered(
    trial: dict[str, Subject], tmp_path: Path
) -> None:
    export("csv", _snapshot(date(2026, 1, 31)), tmp_path)
    haem = list(csv.DictReader((tmp_path / "form_haematology.csv").open()))
    # the C2D1 sample (2026-02-09) is after the cut-off
    assert [(r["subject_number"], r["visit_code"], r["anc"]) for r in haem] == [
        ("A-001", "C1D1", "0.8")
    ]
    ae = next(csv.DictReader((tmp_path / "form_adverse_event.csv").open()))
    assert ae["term"] == "Pneumonitis" and ae["resolution_date"] == ""  # resolved later
    scr = list(csv.DictReader((tmp_path / "form_screening.csv").open()))
    assert [r["screening_number"] for r in scr] == ["S01-S001", "S01-S002", "S01-S003"]
    assert float(scr[0]["bm_blasts_pct"]) == 12 and scr[0]["outcome"] == "enrolled"


def test_dictionary_csv_describes_every_column(trial: dict[str, Subject], tmp_path: Path) -> None:
    export("csv", _snapshot(), tmp_path)
    rows = list(csv.DictReader((tmp_path / "dictionary.csv").open()))
    assert list(rows[0]) == ["dataset", "name", "label", "type", "unit", "source"]
    for name in DICTIONARY:
        assert [r["name"] for r in rows if r["dataset"] == name] == columns(name)
    assert all(r["label"] and r["type"] for r in rows)


# --------------------------------------------------------------------------- xpt
def test_xpt_round_trip(trial: dict[str, Subject], tmp_path: Path) -> None:
    snap = _snapshot(date(2026, 4, 1))
    manifest = export("xpt", snap, tmp_path)
    assert [f.name for f in manifest.files] == [f"{n}.xpt" for n in XPT_DATASETS]
    data = trial_data_from(snap)
    for name in XPT_DATASETS:
        _, meta = pyreadstat.read_xport(str(tmp_path / f"{name}.xpt"), metadataonly=True)
        assert meta.table_name == name.upper()
        assert meta.column_names == [v.cdisc for v in DICTIONARY[name]]
        assert all(len(n) <= 8 for n in meta.column_names)
        assert meta.column_labels == [v.label[:40].rstrip() for v in DICTIONARY[name]]
        back = read_xpt(tmp_path / f"{name}.xpt", name)
        original = getattr(data, name).copy()
        for v in DICTIONARY[name]:
            if v.type == "str":  # XPT v5 text is at most 200 bytes
                original[v.name] = original[v.name].map(
                    lambda s: None if s is None else s.encode()[:MAX_TEXT].decode()
                )
        assert back.to_csv(index=False) == original.to_csv(index=False), name


# --------------------------------------------------------------------------- sdtm
def test_sdtm_domains_and_define(trial: dict[str, Subject], tmp_path: Path) -> None:
    export("sdtm", _snapshot(), tmp_path)
    define = list(csv.DictReader((tmp_path / "define.csv").open()))
    frames = {}
    for domain in DOMAINS:
        frame, meta = pyreadstat.read_xport(str(tmp_path / f"{domain.lower()}.xpt"))
        frames[domain] = frame
        assert meta.column_names == [r["variable"] for r in define if r["domain"] == domain]
        assert set(frame["DOMAIN"]) <= {domain} and set(frame["STUDYID"]) <= {"NAKIP_01_2022"}
    dm = frames["DM"].set_index("SUBJID")
    assert list(dm.index) == ["A-001", "A-002", "B-001"]
    assert dm.loc["A-002", "DTHDTC"] == "2026-02-20" and dm.loc["A-002", "DTHFL"] == "Y"
    assert dm.loc["A-001", "RFXSTDTC"] == "2026-01-12" and dm.loc["A-001", "AGE"] == 61
    ae = frames["AE"].iloc[0]
    assert (ae["AETERM"], ae["AETOXGR"], ae["AESER"], ae["AESTDY"]) == ("Pneumonitis", "3", "Y", 14)
    ex = frames["EX"]
    assert sorted(ex["EXTRT"]) == ["ALLOGENEIC NK CELLS", "TALAZOPARIB"]
    assert frames["LB"]["LBTESTCD"].str.len().max() <= 8
    ds = frames["DS"]
    assert list(ds[ds["USUBJID"] == "NAKIP-AML-A-002"]["DSDECOD"]) == [
        "INFORMED CONSENT OBTAINED", "ENROLLED", "DEATH",
    ]  # fmt: skip
    # --SEQ numbers the rows of each subject from 1
    rs = frames["RS"]
    assert list(rs[rs["USUBJID"] == "NAKIP-AML-A-001"]["RSSEQ"]) == [1, 2]


# --------------------------------------------------------------------------- odm
def _replay(root: ET.Element) -> dict[tuple[str, str, str], dict[str, str]]:
    """Apply the ODM transactions in document order: (subject, form, repeat key) -> values."""
    state: dict[tuple[str, str, str], dict[str, str]] = {}
    for sd in root.iterfind(".//odm:ClinicalData/odm:SubjectData", NS):
        for fd in sd.iterfind(".//odm:FormData", NS):
            key = (sd.get("SubjectKey"), fd.get("FormOID"), fd.get("FormRepeatKey"))
            if fd.get("TransactionType") == "Remove":
                state.pop(key, None)
                continue
            values = state.setdefault(key, {})
            for item in fd.iterfind(".//odm:ItemData", NS):
                if item.get("TransactionType") == "Remove":
                    values.pop(item.get("ItemOID"), None)
                else:
                    values[item.get("ItemOID")] = item.get("Value")
    return state


def test_odm_is_valid_and_complete(
    trial: dict[str, Subject], investigator: Any, tmp_path: Path
) -> None:
    a1 = trial["A-001"]
    rec = services.records(a1, "haematology", "C2D1").get()
    services.update_record(investigator, rec, {"anc": 1.6}, "lab re-issued", 1, partial=True)
    emd = services.records(a1, "emd", "C2D1").get()
    services.withdraw_record(investigator, emd, "entered twice")
    services.sign_casebook(investigator, a1, PASSWORD)
    export("odm", _snapshot(), tmp_path)
    path = tmp_path / "odm.xml"

    from odmlib.odm_parser import ODMSchemaValidator

    ODMSchemaValidator(standard="odm", version="1.3.2").validate_file(str(path))  # CDISC XSD
    root = ET.parse(path).getroot()  # a plain XML parser reads it
    assert root.get("ODMVersion") == "1.3.2" and root.get("FileType") == "Transactional"
    keys = {sd.get("SubjectKey") for sd in root.iterfind(".//odm:SubjectData", NS)}
    assert keys == {"A-001", "A-002", "B-001"}

    # every current value of every active record, and nothing of the withdrawn one
    state = _replay(root)
    for r in FormRecord.objects.all():
        key = (r.subject.subject_number, f"F.{r.form_code.upper()}", str(r.pk))
        if r.withdrawn:
            assert key not in state
            continue
        expected = {
            f"IT.{r.form_code.upper()}.{k.upper()}": odm_value(v)
            for k, v in r.values.items()
            if v is not None
        }
        assert state[key] == expected
    for s in ScreeningRecord.objects.all():
        key = (s.subject.subject_number, "F.SCREENING", str(s.pk))
        assert state[key] == {
            f"IT.SCREENING.{k.upper()}": odm_value(v) for k, v in s.values.items()
        }

    # one audit record per history row, with user, site, time and reason
    form_audits = root.findall(".//odm:FormData/odm:AuditRecord", NS)
    rows = FormRecord.history.count() + ScreeningRecord.history.count()
    assert len(form_audits) == rows
    reasons = [a.findtext("odm:ReasonForChange", namespaces=NS) for a in form_audits]
    assert "lab re-issued" in reasons and "withdrawn: entered twice" in reasons, set(reasons)
    users = {u.get("OID") for u in root.iterfind(".//odm:AdminData/odm:User", NS)}
    assert {a.find("odm:UserRef", NS).get("UserOID") for a in form_audits} <= users
    assert "USR.investigator_a" in users
    assert all(a.find("odm:LocationRef", NS).get("LocationOID") == "LOC.S01" for a in form_audits)

    sigs = root.findall(".//odm:SubjectData/odm:Signature", NS)
    assert len(sigs) == 1
    assert sigs[0].find("odm:SignatureRef", NS).get("SignatureOID") == "SD.CASEBOOK"
    assert root.find(".//odm:SignatureDef/odm:Meaning", NS).text.startswith("I confirm")


def test_odm_passes_odmlib_checks(trial: dict[str, Subject], tmp_path: Path) -> None:
    import odmlib.loader as LD
    import odmlib.odm_loader as OL
    from odmlib.odm_1_3_2.rules.metadata_schema import MetadataSchema
    from odmlib.oid_generator import create_oid_checker

    export("odm", _snapshot(), tmp_path)
    loader = LD.ODMLoader(OL.XMLODMLoader())
    loader.open_odm_document(str(tmp_path / "odm.xml"))
    doc = loader.root()
    assert len(doc.ClinicalData[0].SubjectData) == 3
    assert doc.validate(collect_errors=True, oid_checker=create_oid_checker("odm_1_3_2")) == []
    assert doc.Study[0].verify_conformance(MetadataSchema())


# --------------------------------------------------------------------------- all or nothing
def test_a_failing_export_leaves_the_folder_as_it_was(
    trial: dict[str, Subject], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "adsl.xpt").write_text("an earlier file")

    def half(*args: Any, **kwargs: Any) -> None:
        Path(args[1]).write_text("half written")
        raise OSError("disk full")

    monkeypatch.setattr(pyreadstat, "write_xport", half)
    with pytest.raises(OSError, match="disk full"):
        export("xpt", _snapshot(), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["adsl.xpt"]
    assert (tmp_path / "adsl.xpt").read_text() == "an earlier file"


# --------------------------------------------------------------------------- formula injection
@pytest.fixture
def injected(trial: dict[str, Subject], investigator: Any) -> Subject:
    a1 = trial["A-001"]
    rec = services.records(a1, "adverse_event").get()
    services.update_record(investigator, rec, {"term": "Other, specify", "term_other": INJECTION},
                           "=cmd|' /C calc'!A0", 1, partial=True)  # fmt: skip
    return a1


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def _assert_neutralised(text: str) -> None:
    cells = _cells(text)
    assert "'" + INJECTION in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]


def test_formula_injection_neutralised_in_every_csv(
    injected: Subject, staff: dict[str, Any], tmp_path: Path
) -> None:
    export("csv", _snapshot(), tmp_path)
    _assert_neutralised((tmp_path / "adae.csv").read_text())
    back = TrialData.from_csv_dir(tmp_path)
    assert INJECTION in set(back.adae["term"])  # read back as entered

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {services.api_token(None, staff['data_manager'])}")
    for name in ("adae", "adverse_events"):
        r = api.get(f"/api/datasets/{name}/?format=csv")
        assert r.status_code == 200
        _assert_neutralised(r.content.decode())
    r = api.get(f"/api/subjects/{injected.subject_number}/audit/?format=csv")
    assert r.status_code == 200
    _assert_neutralised(r.content.decode())
    assert "'=cmd|' /C calc'!A0" in _cells(r.content.decode())  # the reason for change too

    web = Client()
    web.force_login(staff["data_manager"])
    r = web.get(f"/subjects/{injected.subject_number}/audit/?format=csv")
    assert r.status_code == 200
    _assert_neutralised(r.content.decode())


def test_every_format_is_registered() -> None:
    assert list(FORMATS) == ["csv", "xpt", "sdtm", "odm"]
