"""Dataset build + DSMB report: time and peak memory for 40, 1,000 and 10,000 subjects.

Two paths, each size in its own process (so peak RSS is that size's own):
  * EDC path (default for 40 subjects): a virtual trial (`nakip.sim`) is written through the EDC
    services into a fresh SQLite database, then timed: `build_trial_data` (the dataset build)
    and the DSMB report (analysis, figures, HTML, PDF). Writing 1,000 or 10,000 virtual patients
    through the services takes far longer than the report itself on this machine, so those sizes
    use the synthetic path unless `--edc-sizes` asks for them.
  * Synthetic path: a contract-shaped TrialData generated with numpy (same columns and value
    kinds as the EDC build), timed from the DSMB report on (the dataset build is not measured).
There is no external peer for a report; the figure printed is the ratio to the target
(1,000 subjects in under 10 s: ratio < 1 meets it).

Run: .venv/bin/python bench/bench_report.py [--sizes 40,1000,10000] [--edc-sizes 40]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_SECONDS = {1000: 10.0}
TERMS = ("Neutrophil count decreased", "Platelet count decreased", "Anaemia", "Febrile "
         "neutropenia", "Nausea", "Fatigue", "Diarrhoea", "Pyrexia", "Cytokine release syndrome",
         "Lung infection", "Sepsis", "Hypokalaemia", "Rash maculo-papular", "ALT increased",
         "Headache")  # fmt: skip


def _dates(start: date, days: np.ndarray) -> list[date | None]:
    return [None if np.isnan(d) else start + timedelta(days=int(d)) for d in days]


def synthetic_trial(n: int, seed: int = 1):  # noqa: ANN201  (TrialData, imported late)
    """A contract-shaped TrialData of n enrolled subjects (half per cohort), deterministic."""
    from nakip.analysis.data import TrialData
    from nakip.analysis.dictionary import columns

    rng = np.random.default_rng(seed)
    d0, cutoff = date(2024, 1, 1), date(2027, 6, 30)
    horizon = (cutoff - d0).days
    cohort = np.where(np.arange(n) % 2 == 0, "overt", "mrd")
    prefix = np.where(cohort == "overt", "A", "B")
    number = [f"{p}{i:05d}" for p, i in zip(prefix, range(1, n + 1), strict=True)]
    usubjid = [f"NAKIP-AML-{s}" for s in number]
    enrol = np.sort(rng.uniform(0, horizon - 200, n)).round()
    treated = rng.random(n) < 0.95
    evaluable = treated & (rng.random(n) < 0.9)
    resp = evaluable & (rng.random(n) < 0.5)
    mrd = cohort == "mrd"
    mrd_change = np.where(mrd & evaluable, rng.normal(-1.0, 1.0, n).round(3), np.nan)
    mrd_resp = mrd & (mrd_change < -1)
    responder = np.where(mrd, mrd_resp, resp)
    death = np.where(rng.random(n) < 0.35, enrol + rng.exponential(300, n).round() + 1, np.nan)
    death = np.where(death < horizon, death, np.nan)
    relapse = np.where(
        responder & (rng.random(n) < 0.4), enrol + 60 + rng.exponential(200, n).round(), np.nan
    )  # noqa: E501
    relapse = np.where((relapse < horizon) & ~(relapse >= death), relapse, np.nan)
    last_alive = np.where(np.isnan(death), horizon, death)
    dlt = treated & (rng.random(n) < 0.12)
    feas = rng.random(n) < 0.08
    best = np.where(mrd, np.where(mrd_resp, "MRD response", "MRD stable"),
                    np.where(resp, rng.choice(["CR", "CRi", "CRh"], n), "PD"))  # fmt: skip
    adsl = pd.DataFrame({c: None for c in columns("adsl")}, index=range(n))
    adsl = adsl.assign(
        usubjid=usubjid, subject_number=number, site="S01", cohort=cohort,
        screening_number=[f"S{i:06d}" for i in range(n)], consent_date=_dates(d0, enrol - 7),
        enrolment_date=_dates(d0, enrol), treatment_start_date=_dates(d0, np.where(treated, enrol, np.nan)),  # noqa: E501
        first_nk_date=_dates(d0, np.where(treated, enrol + 7, np.nan)),
        nk_infusions=np.where(treated, 2, 0), enrolled_fl=True, treated_fl=treated,
        response_evaluable_fl=evaluable, dlt_evaluable_fl=treated, best_response=best,
        responder=responder, responder_cr=responder & (best == "CR"), responder_cr_cri=responder & (best != "CRh"),  # noqa: E501
        responder_cr_crh_cri=responder, mrd_responder=np.where(mrd, mrd_resp, None),
        mrd_evaluable=np.where(mrd, evaluable, None), best_mrd_log10_change=mrd_change,
        remission_date=_dates(d0, np.where(responder, enrol + 29, np.nan)),
        relapse_date=_dates(d0, relapse), has_dlt=dlt, feasibility_failure=feas,
        death_date=_dates(d0, death), last_known_alive_date=_dates(d0, last_alive),
        last_assessment_date=_dates(d0, np.minimum(enrol + 113, last_alive)),
        disposition=np.where(np.isnan(death), "ongoing", "died"), locked=False, data_cutoff=cutoff,
    )  # fmt: skip
    keys = adsl[["usubjid", "subject_number", "site", "cohort"]]

    adrs_rows = []
    for i in np.flatnonzero(treated):
        for visit, day in (("C2D1", 29), ("C4D1", 85), ("EOT", 113)):
            if enrol[i] + day > last_alive[i]:
                break
            row = dict(keys.iloc[i])
            if mrd[i]:
                change = None if np.isnan(mrd_change[i]) else float(mrd_change[i]) * day / 113
                row.update(paramcd="MRDCHG", log10_change=change,
                           responder=change is not None and change < -1)  # fmt: skip
            else:
                row.update(paramcd="ELNRESP", category=best[i], responder=bool(resp[i]))
            row.update(visit_code=visit, study_day=day, evaluable=bool(evaluable[i]),
                       assessment_date=d0 + timedelta(days=int(enrol[i]) + day - 1),
                       response_assessment=True)  # fmt: skip
            adrs_rows.append(row)
    adrs = pd.DataFrame(adrs_rows).reindex(columns=columns("adrs"))

    os_days = last_alive - enrol
    efs_event = ~np.isnan(relapse) | ~np.isnan(death) | (~responder & ~mrd)
    efs_days = np.where(
        ~responder & ~mrd, 1.0, np.fmin(np.fmin(relapse, death), last_alive) - enrol
    )  # noqa: E501
    frames = []
    for code, days, event in (("OS", os_days, ~np.isnan(death)), ("EFS", efs_days, efs_event)):
        frames.append(keys.assign(paramcd=code, days=days, event=event, cnsr=np.where(event, 0, 1),
                                  status=np.where(event, 1, 0), reason="derived",
                                  origin_date=adsl["enrolment_date"], date=None))  # fmt: skip
    cir_status = np.where(~np.isnan(relapse), 1, np.where(~np.isnan(death), 2, 0))
    cir_days = np.fmin(np.fmin(relapse, death), last_alive) - (enrol + 29)
    rem = responder & (cir_days >= 0)
    frames.append(keys[rem].assign(paramcd="CIR", days=cir_days[rem], event=cir_status[rem] == 1,
                                   status=cir_status[rem], cnsr=np.array([1, 0, 2])[cir_status[rem]],  # noqa: E501
                                   reason="derived", origin_date=None, date=None))  # fmt: skip
    rfs_event = cir_status[rem] > 0
    frames.append(keys[rem].assign(paramcd="RFS", days=cir_days[rem], event=rfs_event,
                                   status=rfs_event.astype(int), cnsr=np.where(rfs_event, 0, 1),
                                   reason="derived", origin_date=None, date=None))  # fmt: skip
    adtte = pd.concat(frames, ignore_index=True).reindex(columns=columns("adtte"))

    n_ae = np.where(treated, rng.poisson(3, n), 0)
    idx = np.repeat(np.arange(n), n_ae)
    grade = rng.choice([1, 2, 3, 4, 5], idx.size, p=[0.35, 0.3, 0.22, 0.11, 0.02])
    adae = keys.iloc[idx].reset_index(drop=True).assign(
        record_id=np.arange(idx.size), source="adverse_event",
        term=rng.choice(TERMS, idx.size), soc=None, grade=grade,
        onset_date=_dates(d0, enrol[idx] + rng.integers(1, 100, idx.size)),
        serious=(grade >= 3) & (rng.random(idx.size) < 0.4), related=rng.random(idx.size) < 0.5,
        is_dlt=(grade >= 3) & (rng.random(idx.size) < 0.05),
    ).reindex(columns=columns("adae"))  # fmt: skip

    extra = n // 4
    screening = pd.DataFrame({
        "screening_number": [f"S{i:06d}" for i in range(n + extra)],
        "site": "S01",
        "cohort": np.concatenate([cohort, rng.choice(["overt", "mrd"], extra)]),
        "consent_date": _dates(d0, np.concatenate([enrol - 7, rng.uniform(0, horizon, extra).round()])),  # noqa: E501
        "eligible": np.concatenate([np.ones(n, bool), np.zeros(extra, bool)]),
        "failed_criteria": [None] * n + list(rng.choice(["IN6", "EX3", "IN4; EX1", "EX8"], extra)),
        "enrolled": np.concatenate([np.ones(n, bool), np.zeros(extra, bool)]),
        "subject_number": number + [None] * extra,
    })  # fmt: skip
    return TrialData(adsl=adsl, adrs=adrs, adtte=adtte, adae=adae, screening=screening,
                     cutoff=cutoff)  # fmt: skip


def _edc_trial_data(n: int, folder: Path):  # noqa: ANN202
    """Write a virtual trial of about n subjects through the EDC services; time the build."""
    from nakip.cli.edc_database import ensure_database, setup_django

    setup_django(folder)
    ensure_database()
    from nakip.edc.datasets import build_trial_data
    from nakip.edc.services import get_protocol
    from nakip.sim.driver import run_trial
    from nakip.sim.patients import Scenario, generate_trial

    protocol = get_protocol()
    trial = generate_trial(Scenario(patients_per_cohort=n // 2), date(2027, 6, 30), protocol)
    t0 = time.perf_counter()
    run_trial(trial)
    write = time.perf_counter() - t0
    t0 = time.perf_counter()
    data = build_trial_data(protocol, None)
    return data, time.perf_counter() - t0, write, protocol


def one(n: int, edc: bool) -> dict[str, object]:
    """Measure one size in this process."""
    from nakip.protocol import load_protocol
    from nakip.report.dsmb import build_dsmb_report
    from nakip.report.render import write_results_report

    with tempfile.TemporaryDirectory() as tmp:
        build = write = None
        if edc:
            data, build, write, protocol = _edc_trial_data(n, Path(tmp) / "db")
        else:
            data, protocol = synthetic_trial(n), load_protocol()
        c0, t0 = time.process_time(), time.perf_counter()
        report = build_dsmb_report(data, protocol)
        t1 = time.perf_counter()
        files = write_results_report(report, Path(tmp) / "out")
        c2, t2 = time.process_time(), time.perf_counter()
        # the same report again in this process: without the one-off imports and font set-up
        w0, wc0 = time.perf_counter(), time.process_time()
        write_results_report(build_dsmb_report(data, protocol), Path(tmp) / "warm")
        warm, warm_cpu = time.perf_counter() - w0, time.process_time() - wc0
        pdf_mb = files.pdf.stat().st_size / 2**20 if files.pdf else 0.0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "subjects": int(len(data.adsl)), "path": "edc" if edc else "synthetic",
        "edc_write_s": write, "dataset_build_s": build, "analysis_figures_s": t1 - t0,
        "html_pdf_s": t2 - t1, "report_s": t2 - t0, "report_cpu_s": c2 - c0,
        "warm_report_s": warm, "warm_report_cpu_s": warm_cpu,
        "total_s": (build or 0.0) + (t2 - t0), "peak_rss_mb": peak_mb, "pdf_mb": pdf_mb,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="40,1000,10000")
    parser.add_argument("--edc-sizes", default="40", help="sizes built through the EDC")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--edc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.edc)))
        return
    edc_sizes = {int(s) for s in args.edc_sizes.split(",") if s}
    head = ("subjects", "path", "build s", "report s", "(analysis+figs", "html+pdf)", "cpu s",
            "warm s", "warm cpu", "total s", "peak MB", "PDF MB")  # fmt: skip
    widths = (9, 9, 8, 9, 15, 9, 6, 7, 8, 8, 8, 7)
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True)) + "  target")
    for n in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(n), *(["--edc"] if n in edc_sizes else [])]
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode:
            print(f"{n:>9} failed: {res.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(res.stdout.strip().splitlines()[-1])
        build = "-" if r["dataset_build_s"] is None else f"{r['dataset_build_s']:.2f}"
        target = TARGET_SECONDS.get(n)
        verdict = (
            ""
            if target is None
            else f"wall {r['total_s'] / target:.2f}x, cpu {r['report_cpu_s'] / target:.2f}x, "
            f"warm cpu {r['warm_report_cpu_s'] / target:.2f}x of {target:g} s"
        )
        print(f"{r['subjects']:>9} {r['path']:>9} {build:>8} {r['report_s']:>9.2f} "
              f"{r['analysis_figures_s']:>15.2f} {r['html_pdf_s']:>9.2f} {r['report_cpu_s']:>6.2f} "
              f"{r['warm_report_s']:>7.2f} {r['warm_report_cpu_s']:>8.2f} "
              f"{r['total_s']:>8.2f} "
              f"{r['peak_rss_mb']:>8.0f} {r['pdf_mb']:>7.1f}  {verdict}")  # fmt: skip
        if r["edc_write_s"] is not None:
            print(f"{'':>9} (writing the virtual trial through the EDC services took "
                  f"{r['edc_write_s']:.1f} s; not part of the figure)")  # fmt: skip
    print(
        "no external peer for a report: the ratio is to the target (< 1 meets it); "
        "'cpu s' is the report's CPU time, which the wall time exceeds on a busy machine"
    )


if __name__ == "__main__":
    main()
