"""What the laboratory reports from the model: marrow blasts, blood counts and MRD at each visit,
with assay noise and limits of detection, rounded as the forms store them; and the responder
each patient is under the clinical rules (`nakip.clinical.eln2022`, `nakip.clinical.mrd`).

The same readouts are entered through the forms by `nakip.sim.driver` (where the EDC derives the
response) and classified here directly, without the ORM, for calibration and replicates; the
driver tests check that both agree patient by patient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nakip.clinical import eln2022, mrd
from nakip.protocol import Protocol
from nakip.protocol.model import Cohort
from nakip.sim.model import Course, draw, parameter_spec

Array = NDArray[np.float64]


@dataclass(frozen=True)
class VisitReadout:
    """One visit's reported values for every patient (arrays of length n; MRD 0 =
    undetectable, below the assay's LOD)."""

    bm_blasts_pct: Array
    pb_blasts_pct: Array
    cellularity_pct: Array
    anc: Array
    platelets: Array
    haemoglobin: Array
    wbc: Array
    lymphocytes: Array
    mrd_value: Array


@dataclass(frozen=True)
class AssayPlan:
    """Each patient's MRD assay ('qPCR' or 'flow'), its LOD and noise, and the qPCR marker's
    transcript ratio per percent of leukaemic cells (1 for flow: percent of CD45+ cells)."""

    assay: NDArray[np.str_]
    lod: Array
    log10_sd: Array
    scale: Array
    blood_spill: Array

    @classmethod
    def draw(cls, assay: Sequence[str], rng: np.random.Generator) -> AssayPlan:
        spec = parameter_spec()["assays"]
        a = np.asarray(assay)
        n = len(a)
        qpcr = a == "qPCR"
        scale = np.where(qpcr, draw(spec["qpcr_marker_scale"], n, rng), 1.0)
        return cls(
            a,
            np.where(qpcr, spec["mrd_lod_pct"]["qPCR"], spec["mrd_lod_pct"]["flow"]),
            np.where(qpcr, spec["mrd_log10_sd"]["qPCR"], spec["mrd_log10_sd"]["flow"]),
            scale,
            draw(spec["blood_blast_spill"], n, rng),
        )


def significant(x: Array, digits: int = 3) -> Array:
    """Round to `digits` significant digits (how MRD values are reported); 0 stays 0."""
    x = np.asarray(x, dtype=float)
    safe = np.where(x > 0, x, 1.0)
    mags = digits - 1 - np.floor(np.log10(safe))
    return np.where(x > 0, np.round(x * 10.0**mags) / 10.0**mags, 0.0)


def observe(
    course: Course, assays: AssayPlan, transfusion_threshold: Array, rng: np.random.Generator
) -> dict[str, VisitReadout]:
    """Readouts at every visit: a 500-cell marrow differential (binomial), blood counts with
    analytical CV, blood blasts spilling over when marrow blasts exceed 5 %, haemoglobin kept
    at the transfusion threshold, and MRD with log-normal noise reported 0 below the LOD."""
    spec = parameter_spec()["assays"]
    cells, cv = int(spec["marrow_cells_counted"]), float(spec["blood_count_cv"])
    out: dict[str, VisitReadout] = {}
    for code, s in course.reads.items():
        n = s.shape[1]
        share = course.leukaemic_share(code)
        marrow = np.exp(s[:4]).sum(axis=0) + s[7]
        bm = rng.binomial(cells, np.clip(share, 0.0, 1.0)) / cells * 100.0
        pb = np.round(np.maximum(bm - 5.0, 0.0) * assays.blood_spill, 1)
        noise = np.exp(cv * rng.standard_normal((3, n)))
        anc = np.round(np.maximum(s[8], 0.01) * noise[0], 2)
        plt = np.round(np.maximum(s[9], 1.0) * noise[1])
        hb_true = s[10] * noise[2]
        hb = np.round(
            np.where(hb_true < transfusion_threshold, transfusion_threshold + 1.0, hb_true), 1
        )
        lym = np.round(np.clip(0.4 + 1.2 * s[7], 0.1, 3.0) * noise[0], 2)
        wbc = np.round(anc + lym + 0.3 + pb / 100.0 * 2.0, 1)
        true_mrd = assays.scale * 100.0 * share
        measured = true_mrd * 10.0 ** (assays.log10_sd * rng.standard_normal(n))
        mrd_value = np.where(measured < assays.lod, 0.0, significant(measured))
        out[code] = VisitReadout(
            bm_blasts_pct=np.round(bm, 1),
            pb_blasts_pct=pb,
            cellularity_pct=np.round(np.clip(70.0 * marrow, 5.0, 95.0)),
            anc=anc,
            platelets=plt,
            haemoglobin=hb,
            wbc=wbc,
            lymphocytes=lym,
            mrd_value=mrd_value,
        )
    return out


# =========================================================================== clinical rules
@dataclass(frozen=True)
class Outcome:
    """One patient's primary-endpoint outcome under the clinical rules, assessment by
    assessment (stopping at progression or haematological relapse, when treatment ends)."""

    responder: bool
    categories: tuple[str, ...]  # ELN 2022 category or "MRD+"/"MRD-resp" per assessment
    stopped_at: str | None  # visit where treatment stopped (progression / relapse)


def outcomes(
    cohort: Cohort,
    reads: Mapping[str, VisitReadout],
    assessed: NDArray[np.bool_],
    lod: Array,
    protocol: Protocol,
) -> list[Outcome]:
    """Responders by the protocol's primary endpoint from the readouts, as the EDC derives
    them: ELN 2022 responder under the protocol's `responder_definition`
    (`eln2022.responder_flags`, overt), or an MRD decrease of
    more than 1 log10 at a response assessment (MRD cohort, ELN-MRD 2021) with each patient's
    assay `lod` as the MRD form reports it. Patients with `assessed` False left before the
    first assessment: not evaluable, non-responders."""
    base_code = protocol.schedule.visits[0].code
    ra = [v.code for v in protocol.schedule.visits if v.response_assessment]
    crit = protocol.response_criteria
    base = reads[base_code]
    overt = cohort.primary_endpoint.kind == "eln2022_response"
    out: list[Outcome] = []
    for i in range(len(base.anc)):
        if not assessed[i]:
            out.append(Outcome(False, (), None))
            continue
        cats: list[str] = []
        results: list[eln2022.ResponseResult] = []
        responder = False
        stopped = None
        for code in ra:
            r = reads[code]
            bm = float(r.bm_blasts_pct[i])
            if overt:
                res = eln2022.classify_response(
                    eln2022.Assessment(
                        bm_blasts_pct=bm,
                        pb_blasts_pct=float(r.pb_blasts_pct[i]),
                        wbc_per_nl=float(r.wbc[i]),
                        baseline_wbc_per_nl=float(base.wbc[i]),
                        baseline_pb_blasts_pct=float(base.pb_blasts_pct[i]),
                        bm_cellularity_pct=float(r.cellularity_pct[i]),
                        extramedullary_disease=False,
                        baseline_extramedullary_disease=False,
                        anc_per_nl=float(r.anc[i]),
                        platelets_per_nl=float(r.platelets[i]),
                        transfusion_independent=bool(
                            r.platelets[i] >= 50 and r.haemoglobin[i] >= 8
                        ),
                        baseline_bm_blasts_pct=float(base.bm_blasts_pct[i]),
                        auer_rods=False,
                        baseline_anc_per_nl=float(base.anc[i]),
                        baseline_platelets_per_nl=float(base.platelets[i]),
                    ),
                    crit.eln2022,
                )
                results.append(res)
                cats.append(res.category)
                if res.category == "PD":
                    stopped = code
                    break
            else:
                res_m = mrd.mrd_response(
                    float(base.mrd_value[i]),
                    float(r.mrd_value[i]),
                    float(lod[i]),
                    crit.mrd,
                    bm,
                    False,
                )
                cats.append("MRD-resp" if res_m.responder else "MRD+")
                responder = responder or res_m.responder
                if res_m.haematological_relapse:
                    stopped = code
                    break
        definition = cohort.primary_endpoint.responder_definition
        if overt and definition is not None:
            responder = eln2022.responder_flags(results, definition).responder
        out.append(Outcome(bool(responder), tuple(cats), stopped))
    return out
