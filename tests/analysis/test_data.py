"""The analysis-dataset contract: dictionary columns, CSV round trip and fingerprint."""

from datetime import date

import pandas as pd
import pytest

from nakip.analysis.data import DatasetError, TrialData, empty_frame
from nakip.analysis.dictionary import DICTIONARY, columns


def _adsl_row(**kw):
    row = dict.fromkeys(columns("adsl"))
    row.update(usubjid="NAKIP-AML-A001", subject_number="A001", site="S1", cohort="overt")
    row.update(kw)
    return row


def test_every_variable_has_label_type_and_unique_names():
    for name, variables in DICTIONARY.items():
        names = [v.name for v in variables]
        assert len(names) == len(set(names)), name
        cdisc = [v.cdisc for v in variables]
        assert len(cdisc) == len(set(cdisc)), name
        assert all(v.label and v.type in {"str", "int", "float", "bool", "date"} for v in variables)
        assert all(c is not None and len(c) <= 8 for c in cdisc), name


def test_missing_column_is_a_clear_error():
    with pytest.raises(DatasetError, match="adsl: missing column"):
        TrialData(adsl=pd.DataFrame({"usubjid": []}))


def test_csv_round_trip_keeps_types_and_fingerprint(tmp_path):
    adsl = pd.DataFrame(
        [
            _adsl_row(enrolment_date=date(2026, 1, 5), responder=True, nk_infusions=2),
            _adsl_row(usubjid="NAKIP-AML-A002", subject_number="A002", responder=False),
        ],
        columns=columns("adsl"),
    )
    data = TrialData(adsl=adsl, cutoff=date(2026, 6, 1))
    for name, frame in data.frames().items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    back = TrialData.from_csv_dir(tmp_path, cutoff=date(2026, 6, 1))
    assert back.adsl.loc[0, "enrolment_date"] == date(2026, 1, 5)
    assert back.adsl["responder"].tolist() == [True, False]
    assert back.adsl.loc[0, "nk_infusions"] == 2
    assert back.cohort("overt").adsl.shape[0] == 2
    assert back.cohort("mrd").adsl.shape[0] == 0
    other = TrialData(adsl=adsl.iloc[:1], cutoff=date(2026, 6, 1))
    assert other.fingerprint != data.fingerprint
    assert TrialData(adsl=adsl, cutoff=date(2026, 6, 1)).fingerprint == data.fingerprint


def test_empty_frame_has_dictionary_columns():
    assert empty_frame("adtte").columns.tolist() == columns("adtte")
