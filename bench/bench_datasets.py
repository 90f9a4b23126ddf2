"""Benchmark: building the analysis datasets and exporting them, against a per-subject peer.

Run: .venv/bin/python bench/bench_datasets.py [--subjects 1000] [--data-dir DIR]
     [--baseline-src OLD/src]
Creates a throw-away SQLite EDC database with N subjects (half overt, half MRD; about 30 form
records each: blood counts at every treatment visit, marrow and extramedullary disease at the
response visits, MRD, dosing, NK infusions, adverse events, CRS, follow-up), inserted in bulk.
Then it times, in the same run:
  1. `build_trial_data` (records prefetched once, a fixed number of queries), against
  2. the peer: the same derivations with one `derive_subject(subject)` per subject querying its
     own records (what the datasets did before), printing the ratio and the query counts;
  3. the full CSV, XPT and ODM exports (load, derive, write: what `nakip export` does), with
     no derivation kept from an earlier step.
With --baseline-src, the same timings of the code before the change, on the same database in
the same run, and the ratios baseline / this code. Also prints build_trial_data with the
derivations kept (`derived_cache`: a second build in the same process).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

# this code's sources, or the baseline's when the run is the baseline's side
sys.path.insert(
    0, os.environ.get("NAKIP_BENCH_SRC", str(Path(__file__).resolve().parents[1] / "src"))
)

VISITS = [("C1D1", 0), ("C1D8", 7), ("C1D15", 14), ("C1D22", 21), ("C2D1", 28), ("C3D1", 56),
          ("C4D1", 84), ("EOT", 112)]  # fmt: skip
RESPONSE_VISITS = {"C1D1", "C2D1", "C4D1", "EOT"}


def _iso(d: date) -> str:
    return d.isoformat()


def _records(cohort: str, day1: date, i: int) -> list[tuple[str, str, dict]]:
    """(form, visit, values) of one synthetic subject."""
    out: list[tuple[str, str, dict]] = []
    blasts = 12.0 if i % 3 else 30.0
    for k, (visit, offset) in enumerate(VISITS):
        when = _iso(day1 + timedelta(days=offset))
        anc = 0.6 + 0.2 * k
        out.append(("haematology", visit, {"sample_date": when, "anc": round(anc, 2),
                    "platelets": 40 + 15 * k, "haemoglobin": 9.0, "pb_blasts_pct": 0 if k else 2,
                    "wbc": 2.0, "lymphocytes": 0.7}))  # fmt: skip
        if visit in RESPONSE_VISITS:
            bm = blasts if k == 0 else max(1.0, blasts / (k + 1))
            out.append(("marrow", visit, {"aspirate_date": when, "evaluable": True,
                        "bm_blasts_pct": round(bm, 1), "cellularity_pct": 40}))  # fmt: skip
            out.append(("emd", visit, {"assessment_date": when, "emd_present": False}))
            if cohort == "mrd":
                out.append(("mrd", visit, {"sample_date": when, "material": "bone_marrow",
                            "assay": "qPCR", "marker": "NPM1", "value": 1.0 / (1 + 9 * k),
                            "value_unit": "percent_of_abl1"}))  # fmt: skip
    out.append(("talazoparib", "C1D1", {"period_start": _iso(day1), "daily_dose_mg": "1.0",
                "period_end": _iso(day1 + timedelta(days=111)), "interrupted": False,
                "reduced": False}))  # fmt: skip
    for n, visit in enumerate(("C1D8", "C1D22"), start=1):
        when = _iso(day1 + timedelta(days=7 if n == 1 else 21))
        out.append(("nk_infusion", visit, {"infusion_date": when, "infusion_number": n,
                    "given": True, "cell_dose_per_kg": 1e7, "viability_pct": 90,
                    "infusion_reaction_grade": 0}))  # fmt: skip
    for n in range(3):
        onset = _iso(day1 + timedelta(days=10 + 9 * n))
        out.append(("adverse_event", "", {"term": ["Nausea", "Pneumonitis", "Fatigue"][n],
                    "ctcae_grade": 1 + (i + n) % 3, "onset_date": onset, "serious": n == 1,
                    "attribution_talazoparib": "possible", "attribution_nk": "unlikely",
                    "category": "nonhematologic", "outcome": "recovered"}))  # fmt: skip
    out.append(("crs", "", {"onset_date": _iso(day1 + timedelta(days=8)),
                "assessment_date": _iso(day1 + timedelta(days=8)), "fever_c": 38.5,
                "antipyretics_or_anticytokine_given": False, "hypotension": "none",
                "hypoxia": "none", "death_from_crs": False}))  # fmt: skip
    for n in (1, 2):
        contact = _iso(day1 + timedelta(days=112 + 90 * n))
        out.append(("follow_up", f"FU{n}", {"contact_date": contact, "vital_status": "alive",
                    "disease_status": "remission"}))  # fmt: skip
    return out


def populate(n: int) -> None:
    from nakip.edc import services
    from nakip.edc.models import FormRecord, ScreeningRecord, Site, Subject

    site = Site.objects.create(code="B01", name="Bench")
    proto = services.get_protocol()
    versions = {f.code: proto.form(f.code).version for f in proto.forms}
    screenings, subjects, records = [], [], []
    for i in range(n):
        cohort = "overt" if i % 2 == 0 else "mrd"
        screenings.append(ScreeningRecord(site=site, screening_number=f"B01-S{i:05d}",
                          consent_date=date(2025, 1, 1), form_version=versions["screening"],
                          values={"age_years": 60, "sex": "female"},
                          eligibility_status="eligible", eligibility_cohort=cohort,
                          outcome="enrolled"))  # fmt: skip
    ScreeningRecord.objects.bulk_create(screenings)
    for i, scr in enumerate(ScreeningRecord.objects.order_by("screening_number")):
        cohort = scr.eligibility_cohort
        day1 = date(2025, 1, 8) + timedelta(days=i % 300)
        prefix = "A" if cohort == "overt" else "B"
        number = f"{prefix}-{i + 1:05d}"
        subjects.append(Subject(site=site, screening=scr, cohort=cohort, sequence=i + 1,
                                subject_number=number, enrolment_date=day1))  # fmt: skip
    Subject.objects.bulk_create(subjects)
    for i, s in enumerate(Subject.objects.order_by("sequence")):
        for form, visit, values in _records(s.cohort, s.enrolment_date, i):
            records.append(FormRecord(subject=s, visit_code=visit, form_code=form,
                                      form_version=versions[form], values=values))  # fmt: skip
    FormRecord.objects.bulk_create(records, batch_size=2000)


def _timed(fn):  # noqa: ANN001, ANN202
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as q:
        t0 = time.perf_counter()
        out = fn()
        elapsed = time.perf_counter() - t0
    return elapsed, len(q.captured_queries), out


def _cold() -> None:
    """Forget kept derivations (this code keeps them per subject; the baseline has no cache)."""
    try:
        from nakip.edc import derived_cache
    except ImportError:
        return
    derived_cache.clear()


def measure(folder: Path) -> dict[str, float]:
    """Every timing of the benchmark on the populated database in `folder`, in seconds."""
    from nakip.edc import services
    from nakip.edc.datasets import build_trial_data, load_snapshot
    from nakip.edc.derivations import derive_subject
    from nakip.edc.exports import export
    from nakip.edc.models import Subject

    proto = services.get_protocol()
    out: dict[str, float] = {}
    first = load_snapshot(proto, subjects=list(Subject.objects.order_by("pk")[:1]))
    for fmt in ("csv", "xpt", "odm"):  # not timed: imports and first-call set-up
        export(fmt, first, folder / f"warm-{fmt}-{time.monotonic_ns()}")
    _cold()
    out["build_trial_data"], q_new, data = _timed(lambda: build_trial_data(proto))
    out["build_trial_data, derivations kept"], _, _ = _timed(lambda: build_trial_data(proto))

    def peer() -> int:
        subjects = list(Subject.objects.select_related("site", "screening"))
        return len([derive_subject(s, proto) for s in subjects])

    _cold()
    out["peer: derive_subject per subject"], q_peer, _ = _timed(peer)
    print(f"  {len(data.adsl)} ADSL, {len(data.adlb)} ADLB, {len(data.adae)} ADAE rows; "
          f"queries: build {q_new}, peer {q_peer}", flush=True)  # fmt: skip
    for fmt in ("csv", "xpt", "odm"):
        _cold()  # what `nakip export FMT` does in a fresh process: load, derive, write
        t0 = time.perf_counter()
        snap = load_snapshot(proto)
        export(fmt, snap, folder / f"export-{fmt}-{time.monotonic_ns()}")
        out[f"full export {fmt}"] = time.perf_counter() - t0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="sources of the peer run (the code before the change)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = args.data_dir or Path(tempfile.mkdtemp(prefix="nakip-bench-"))
    os.environ["NAKIP_DEBUG"] = "false"
    from nakip.cli.edc_database import ensure_database, setup_django

    setup_django(folder)
    ensure_database()
    from nakip.edc.models import Subject

    if args.json:  # the baseline's side of a run: timings only, on the given database
        print(json.dumps(measure(folder)))
        return
    if not Subject.objects.exists():
        t0 = time.perf_counter()
        populate(args.subjects)
        print(f"database: {args.subjects} subjects in {time.perf_counter() - t0:.1f} s ({folder})")
    baseline: dict[str, float] = {}
    if args.baseline_src is not None:
        env = {**os.environ, "NAKIP_BENCH_SRC": str(args.baseline_src.resolve()),
               "PYTHONPATH": str(args.baseline_src.resolve())}  # fmt: skip
        done = subprocess.run(
            [sys.executable, __file__, "--json", "--data-dir", str(folder)],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        baseline = json.loads(done.stdout.strip().splitlines()[-1])
    load = os.getloadavg()[0]
    ours = measure(folder)
    print(f"load average (1 min) {load:.1f} -> {os.getloadavg()[0]:.1f}: the machine is shared, "
          "compare the ratios (measured in this run), not the seconds")  # fmt: skip
    peer = ours["peer: derive_subject per subject"]
    for name, seconds in ours.items():
        line = f"{name}: {seconds:.2f} s"
        if name in baseline:
            ratio = baseline[name] / seconds
            line += f" (baseline {baseline[name]:.2f} s; baseline / this code {ratio:.2f})"
        print(line)
    print(f"ratio peer / build_trial_data: {peer / ours['build_trial_data']:.2f}")
    csv = ours["full export csv"]
    print(f"target full CSV export < 5 s: {'met' if csv < 5 else 'NOT met'} ({csv:.2f} s)")


if __name__ == "__main__":
    main()
