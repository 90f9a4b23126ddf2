"""Readouts and the model-level endpoint: MRD below the LOD reads 0, values are rounded as the
forms store them, and responders come from the clinical rules at their thresholds."""

from __future__ import annotations

import numpy as np

from nakip.protocol import load_protocol
from nakip.sim.observations import VisitReadout, outcomes, significant

PROTO = load_protocol()
OVERT, MRD = PROTO.cohort("overt"), PROTO.cohort("mrd")
VISITS = [v.code for v in PROTO.schedule.visits]


def _reads(rows: list[dict[str, float]]) -> dict[str, VisitReadout]:
    """Visit readouts for patients given as {visit: (bm, pb, anc, plt, mrd)} rows."""
    out = {}
    for code in VISITS:
        cols = [r.get(code, r["C1D1"]) for r in rows]
        a = np.asarray(cols, dtype=float)
        out[code] = VisitReadout(
            bm_blasts_pct=a[:, 0], pb_blasts_pct=a[:, 1], cellularity_pct=np.full(len(a), 40.0),
            anc=a[:, 2], platelets=a[:, 3], haemoglobin=np.full(len(a), 9.0),
            wbc=np.full(len(a), 3.0), lymphocytes=np.full(len(a), 1.0), mrd_value=a[:, 4],
        )  # fmt: skip
    return out


def test_significant_digits() -> None:
    assert significant(np.array([0.012345, 123.45, 0.0])).tolist() == [0.0123, 123.0, 0.0]


def test_overt_responders_follow_eln2022_thresholds() -> None:
    base = (12.0, 2.0, 0.5, 30.0, 10.0)
    rows = [
        {"C1D1": base, "C2D1": (4.9, 0.0, 1.0, 40.0, 1.0)},  # CRi (ANC >= 1.0): responder
        {"C1D1": base, "C2D1": (4.9, 0.0, 0.49, 99.0, 1.0)},  # MLFS (not CRh, CRi): not
        {"C1D1": base, "C2D1": (5.0, 0.0, 2.0, 150.0, 1.0)},  # 5 % is not < 5 %: SD
        {"C1D1": base, "C2D1": (27.0, 5.0, 0.3, 20.0, 30.0), "C4D1": (1.0, 0.0, 2.0, 150.0, 0.1)},
    ]
    res = outcomes(OVERT, _reads(rows), np.ones(4, bool), np.full(4, 0.001), PROTO)
    assert [o.responder for o in res] == [True, False, False, False]
    assert res[0].categories[0] == "CRi" and res[1].categories[0] == "MLFS"
    assert res[3].categories == ("PD",) and res[3].stopped_at == "C2D1"  # no CR after PD


def test_mrd_responders_need_more_than_one_log10_fall() -> None:
    base = (1.0, 0.0, 2.0, 200.0, 1.0)
    rows = [
        {"C1D1": base, "EOT": (1.0, 0.0, 2.0, 200.0, 0.0999)},  # -1.0004: responder
        {"C1D1": base, **{c: (1.0, 0.0, 2.0, 200.0, 0.1) for c in ("C2D1", "C4D1", "EOT")}},
        {"C1D1": base, "C2D1": (1.0, 0.0, 2.0, 200.0, 0.0)},  # undetectable, LOD 0.001: -3
        {"C1D1": base, "C2D1": (6.0, 0.0, 2.0, 200.0, 0.0)},  # haematological relapse
    ]
    res = outcomes(MRD, _reads(rows), np.ones(4, bool), np.full(4, 0.001), PROTO)
    assert [o.responder for o in res] == [True, False, True, False]
    assert res[3].stopped_at == "C2D1"


def test_not_assessed_patients_are_non_responders() -> None:
    rows = [{"C1D1": (12.0, 0.0, 0.5, 30.0, 10.0), "C2D1": (1.0, 0.0, 3.0, 200.0, 0.0)}]
    res = outcomes(OVERT, _reads(rows), np.zeros(1, bool), np.full(1, 0.001), PROTO)
    assert res[0].responder is False and res[0].categories == ()
