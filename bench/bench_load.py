"""Load benchmark of the EDC: gunicorn + PostgreSQL (or SQLite), 20 users reading pages and
saving forms on a trial of 50 sites, 1,000 subjects and 50,000 form records.

Run: .venv/bin/python bench/bench_load.py [--engine postgres|sqlite] [--users 20]
     [--seconds 30] [--slices 6] [--think 1 0] [--baseline-src ../main/src]
     [--pg-url postgresql://postgres@127.0.0.1:5432]

Users: each of --users is one investigator of its own site (logged in through the login page,
warmed up unmeasured), then a mix of casebook, subject list, dashboard, audit, API reads and
form saves/corrections. --think sets the mean pause between one user's requests: 1 s (each
pause uniform in 0.5-1.5 s) models data-entry staff acting about every second; 0 is the closed
loop (every user sends its next request as soon as the last answered), the worst case. Both
run by default, in that order, on the same servers and data.

Peer, interleaved: with --baseline-src (the code before the change) two servers run side by
side, the baseline's and this code's, each on its own port and its own database seeded by its
own code (their migrations may differ, and each side's saves then grow only its own data). Each
side's --seconds is cut into --slices slices run in turn, A B B A A B ..., one side loaded while
the other stands idle, so both see the same machine load (the machine is shared) and a load
that drifts over the run weighs alike on both. Each side's latencies are pooled over its
slices; ratios printed are baseline / this code (above 1: this code is faster). The load
average (1 min) is printed for every slice and with every figure.

Bounded and local: the servers listen on 127.0.0.1 only, every slice stops after its share of
--seconds, and at the end - also on Ctrl-C or an error - the servers are stopped and the
benchmark databases (PostgreSQL: nakip_bench_rel and nakip_bench_rel_baseline, SQLite: a
temporary folder each) dropped.

Target (issue 11): p95 < 150 ms for page views and form saves at 20 users, no errors.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OWN_SRC = HERE.parent / "src"
PASSWORD = "Bench-load-Pa55word!"
BENCH_DB = "nakip_bench_rel"
VISITS = ("C1D1", "C1D8", "C1D15", "C1D22", "C2D1", "C3D1", "C4D1")
SCREENING = {
    "consent_signed": True, "diagnosis": "AML_de_novo", "apl": False, "prior_lines": 2,
    "days_since_last_therapy": 30, "age_years": 61, "ecog": 1, "childbearing_potential": False,
    "active_gvhd_grade": 0, "prior_hsct": False, "creatinine_clearance_ml_min": 80,
    "worst_liver_x_uln_exceeds": False, "active_cns_disease": False,
    "pregnant_or_breastfeeding": False, "systemic_immunosuppression": False,
    "uncontrolled_infection": False, "unsafe_condition": False, "relapsed_or_refractory": True,
    "in_haematological_remission": False, "bm_blasts_pct": 12, "pb_blasts_pct": 2,
}  # fmt: skip
AE = {
    "term": "Pneumonitis", "ctcae_grade": 2, "onset_date": "2026-01-25", "serious": False,
    "attribution_talazoparib": "unlikely", "attribution_nk": "possible",
    "category": "nonhematologic", "outcome": "recovering",
}  # fmt: skip
CONSENT, DAY1 = date(2026, 1, 5), date(2026, 1, 12)
#: Adverse-event terms from the protocol's controlled list (CTCAE v5.0 terms)
TERMS = ("Pneumonitis", "Fatigue", "Sepsis", "Fever", "Dyspnea", "Cough")


# =========================================================================== seeding
def seed(sites: int, subjects: int, records: int) -> None:
    """Migrate and fill the database named by the environment, through the models in bulk
    (history rows included), in the sources on PYTHONPATH (this code or the baseline)."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token
    from simple_history.utils import bulk_create_with_history

    from nakip.edc import models as m

    call_command("migrate", verbosity=0)
    hashed = make_password(PASSWORD)
    site_objs = m.Site.objects.bulk_create(
        [m.Site(code=f"S{i:02d}", name=f"Site {i}") for i in range(1, sites + 1)]
    )
    users = User.objects.bulk_create(
        [User(username=f"inv_{s.code}", password=hashed) for s in site_objs]
    )
    m.Membership.objects.bulk_create(
        [
            m.Membership(user=u, site=s, role="investigator")
            for u, s in zip(users, site_objs, strict=True)
        ]
    )
    Token.objects.bulk_create([Token(key=f"{i:040x}", user=u) for i, u in enumerate(users, 1)])
    per_site = subjects // sites
    screenings = [
        m.ScreeningRecord(
            site=site_objs[i // per_site], screening_number=f"SCR-{i + 1:05d}",
            consent_date=CONSENT, form_version=1, values=SCREENING, eligibility_status="eligible",
            eligibility_cohort="overt", outcome="enrolled", outcome_date=DAY1,
        )
        for i in range(subjects)
    ]  # fmt: skip
    screenings = bulk_create_with_history(screenings, m.ScreeningRecord, batch_size=1000)
    screenings = list(m.ScreeningRecord.objects.order_by("screening_number"))
    subj = [
        m.Subject(
            site_id=scr.site_id, screening=scr, cohort="overt", sequence=i + 1,
            subject_number=f"A-{i + 1:04d}", enrolment_date=DAY1,
        )
        for i, scr in enumerate(screenings)
    ]  # fmt: skip
    bulk_create_with_history(subj, m.Subject, batch_size=1000)
    m.SubjectSequence.objects.create(cohort="overt", last=subjects)
    subj = list(m.Subject.objects.order_by("subject_number"))
    per_subject = records // subjects
    recs = []
    for s in subj:
        for k, visit in enumerate(VISITS[: min(len(VISITS), per_subject)]):
            day = DAY1 + timedelta(days=7 * k)
            values = {"sample_date": day.isoformat(), "anc": 1.2, "platelets": 80,
                      "haemoglobin": 9.5, "pb_blasts_pct": 1}  # fmt: skip
            recs.append(m.FormRecord(subject=s, visit_code=visit, form_code="haematology",
                                     form_version=1, values=values))  # fmt: skip
        for k in range(per_subject - min(len(VISITS), per_subject)):
            values = {**AE, "term": TERMS[k % len(TERMS)],
                      "onset_date": (DAY1 + timedelta(days=k % 90)).isoformat()}  # fmt: skip
            recs.append(m.FormRecord(subject=s, form_code="adverse_event", form_version=1,
                                     values=values))  # fmt: skip
    bulk_create_with_history(recs, m.FormRecord, batch_size=2000)
    print(f"seeded {sites} sites, {len(subj)} subjects, {len(recs)} form records", flush=True)


# =========================================================================== load
@dataclass
class Sample:
    kind: str
    ms: float
    status: int


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failure(self, name: str) -> None:
        """Count a request that got no answer, by the client's exception class."""
        with self.lock:
            self.failures[name] = self.failures.get(name, 0) + 1

    def add(self, kind: str, ms: float, status: int) -> None:
        with self.lock:
            self.samples.append(Sample(kind, ms, status))


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


@dataclass
class User:
    """One site's investigator: a logged-in web client, the subjects of its site, its API token,
    its own random stream (the same on both sides) and the records it saved (to correct)."""

    n: int
    web: Any
    numbers: list[str]
    token: dict[str, str]
    rng: random.Random
    mine: list[tuple[int, int]] = field(default_factory=list)  # (record id, version)


def _login(base: str, n: int, site: int, per_site: int) -> User:
    """Log user `n` of `site` in through the login page and warm its pages up (not measured)."""
    import httpx

    code = f"S{site:02d}"
    numbers = [f"A-{(site - 1) * per_site + i + 1:04d}" for i in range(per_site)]
    web = httpx.Client(base_url=base, timeout=60.0, follow_redirects=False)
    try:
        web.get("/login/")
        web.post("/login/", data={"username": f"inv_{code}", "password": PASSWORD,
                                  "csrfmiddlewaretoken": web.cookies.get("csrftoken", "")},
                 headers={"Referer": base + "/login/"})  # fmt: skip
        for warm in ("/", "/subjects/", f"/subjects/{numbers[0]}/"):
            web.get(warm)
    except httpx.HTTPError as exc:
        print(f"user {n}: warm-up failed ({exc!r}); measured anyway", flush=True)
    return User(n, web, numbers, {"Authorization": f"Token {site:040x}"}, random.Random(n))


def _user(user: User, until: float, out: Results, think: float, stop: threading.Event) -> None:
    """Requests of the mix until `until`, pausing a think time drawn uniformly from
    0.5-1.5 x `think` seconds after each (0: closed loop). With a think time, the first request
    waits 0-1 x `think`, so that the users of a slice do not all start at the same instant."""
    import httpx

    rng = user.rng
    if think > 0:
        time.sleep(max(0.0, min(rng.uniform(0, think), until - time.monotonic())))
    while time.monotonic() < until and not stop.is_set():
        number = rng.choice(user.numbers)
        kind = rng.choices(
            ["casebook", "subjects", "dashboard", "audit", "records api", "save", "correct"],
            weights=[25, 10, 10, 5, 20, 20, 10],
        )[0]
        start = time.perf_counter()
        try:
            status = _request(user.web, kind, number, user.n, user.token, user.mine)
        except httpx.HTTPError as exc:
            status = 599  # timeout or connection error: counted as an error
            out.failure(type(exc).__name__)
        if status:
            out.add(kind, (time.perf_counter() - start) * 1000, status)
        if think > 0:
            time.sleep(max(0.0, min(rng.uniform(0.5, 1.5) * think, until - time.monotonic())))


def _request(
    web: Any, kind: str, number: str, n: int, token: dict[str, str], mine: list[tuple[int, int]]
) -> int:
    """One request of the mix; its status (0 when there was nothing to do)."""
    if kind == "casebook":
        r = web.get(f"/subjects/{number}/")
    elif kind == "subjects":
        r = web.get("/subjects/")
    elif kind == "dashboard":
        r = web.get("/")
    elif kind == "audit":
        r = web.get(f"/subjects/{number}/audit/")
    elif kind == "records api":
        r = web.get(f"/api/subjects/{number}/records/", headers=token)
    elif kind == "save":
        body = {"form_code": "adverse_event", "values": {**AE, "term": TERMS[n % len(TERMS)]}}
        r = web.post(f"/api/subjects/{number}/records/", json=body, headers=token)
        if r.status_code == 201:
            mine.append((r.json()["id"], 1))
    else:
        if not mine:
            return 0
        pk, version = mine.pop()
        body = {"values": {"term": "Fatigue"}, "reason": "bench", "version": version}
        r = web.patch(f"/api/records/{pk}/", json=body, headers=token)
    return r.status_code


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"the server at {url} did not start")


@dataclass
class Slice:
    """One slice of one side: its samples, how long it lasted and the machine's load average
    (1 min) before and after (the machine is shared: the load average says how busy it was)."""

    label: str
    think: float
    results: Results
    seconds: float
    load_before: float
    load_after: float


@dataclass
class Side:
    """One server under test (the baseline or this code): its label, address and users."""

    label: str
    server: subprocess.Popen[bytes]
    users: list[User]


def _slice(side: Side, think: float, seconds: float) -> Slice:
    """Every user of `side` sends requests for `seconds` at this think time; the other side's
    server stands idle meanwhile. Returns once every user's last request is answered."""
    out, stop = Results(), threading.Event()
    before = os.getloadavg()[0]
    start = time.monotonic()
    until = start + seconds
    threads = [
        threading.Thread(target=_user, args=(u, until, out, think, stop), daemon=True)
        for u in side.users
    ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except BaseException:  # Ctrl-C: let every user finish its request before the clean-up
        stop.set()
        for t in threads:
            t.join(timeout=70)
        raise
    if side.server.poll() is not None:
        raise SystemExit(f"the {side.label} server stopped (exit code {side.server.returncode})")
    return Slice(side.label, think, out, time.monotonic() - start, before, os.getloadavg()[0])


def _schedule(sides: list[Side], slices: int) -> list[Side]:
    """The order of the slices: A B B A A B B A ... (`slices` each), so that a load that rises
    or falls steadily over the run weighs the same on both sides (A B A B would give B the
    later half of every pair)."""
    order: list[Side] = []
    for i in range(slices):
        order += sides if i % 2 == 0 else sides[::-1]
    return order


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)


def _serve(
    label: str, src: Path, db: str, args: argparse.Namespace, stack: contextlib.ExitStack
) -> Side:
    """Create and seed this side's own database, start gunicorn on loopback on the sources
    `src`, log its users in; the server's stop, the users' clients and the database's drop are
    put on `stack` (they run at the end, also on Ctrl-C or an error)."""
    tmp = Path(tempfile.mkdtemp(prefix="nakip-bench-"))
    env = _database(args.engine, args.pg_url, db, tmp, stack)
    env = {**env, "PYTHONPATH": str(src), "DJANGO_SETTINGS_MODULE": "nakip.edc.settings"}
    print(f"{label}: seeding ({src})", flush=True)
    subprocess.run(
        [sys.executable, __file__, "--seed", "--sites", str(args.sites),
         "--subjects", str(args.subjects), "--records", str(args.records)],
        env=env, check=True,
    )  # fmt: skip
    port = _free_port()
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    server = subprocess.Popen(
        [gunicorn, "nakip.edc.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(args.workers), "--threads", "4", "--worker-class", "gthread",
         "--keep-alive", str(args.keep_alive),
         "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    stack.callback(_stop, server)
    base = f"http://127.0.0.1:{port}"
    _wait_for(base + "/login/")
    per_site = args.subjects // args.sites
    users = [_login(base, i, i % args.sites + 1, per_site) for i in range(args.users)]
    for u in users:
        stack.callback(u.web.close)
    return Side(label, server, users)


def _report(label: str, parts: list[Slice]) -> dict[str, float]:
    """Print one side's figures at one think time, its slices' samples pooled; the figures."""
    samples = [s for part in parts for s in part.results.samples]
    failures: dict[str, int] = {}
    for part in parts:
        for name, count in part.results.failures.items():
            failures[name] = failures.get(name, 0) + count
    seconds = sum(part.seconds for part in parts)
    loads = [part.load_before for part in parts] + [part.load_after for part in parts]
    ms = [s.ms for s in samples]
    errors = sum(1 for s in samples if s.status >= 400)
    figures = {"p50": _pct(ms, 50), "p95": _pct(ms, 95), "p99": _pct(ms, 99),
               "rps": len(ms) / seconds, "errors": errors,
               "load_min": min(loads), "load_max": max(loads)}  # fmt: skip
    print(f"\n{label}: {len(ms)} requests in {seconds:.0f} s over {len(parts)} slices "
          f"({len(ms) / seconds:.1f}/s), {errors} errors; p50 {figures['p50']:.0f} ms, "
          f"p95 {figures['p95']:.0f} ms, p99 {figures['p99']:.0f} ms; load average "
          f"{min(loads):.1f}-{max(loads):.1f} (shared machine)")  # fmt: skip
    if failures:
        print(f"  no answer (599): {failures}")
    for kind in sorted({s.kind for s in samples}):
        k = [s.ms for s in samples if s.kind == kind]
        bad = sorted({s.status for s in samples if s.kind == kind and s.status >= 400})
        print(f"  {kind:12s} n={len(k):5d}  p50 {_pct(k, 50):6.0f}  p95 {_pct(k, 95):6.0f}  "
              f"p99 {_pct(k, 99):6.0f} ms" + (f"  errors {bad}" if bad else ""))  # fmt: skip
    return figures


def _database(
    engine: str, pg_url: str, db: str, tmp: Path, stack: contextlib.ExitStack
) -> dict[str, str]:
    """Environment of a fresh benchmark database named `db` (PostgreSQL) or in `tmp` (SQLite);
    its drop, and the removal of `tmp`, are put on `stack`."""
    env = {**os.environ, "NAKIP_ENV": "development", "NAKIP_DEBUG": "0",
           "NAKIP_SECRET_KEY": "bench-" + "k" * 50, "NAKIP_DATA_DIR": str(tmp)}  # fmt: skip
    env.pop("NAKIP_DATABASE_URL", None)
    stack.callback(shutil.rmtree, tmp, ignore_errors=True)
    if engine == "sqlite":
        return env
    import psycopg

    admin = pg_url.rstrip("/") + "/postgres"

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")

    drop()  # a database left by an interrupted run
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {db}")
    stack.callback(drop)
    env["NAKIP_DATABASE_URL"] = f"{pg_url.rstrip('/')}/{db}"
    return env


def _mode(think: float) -> str:
    return f"think {think:g} s" if think > 0 else "closed loop"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--engine", choices=["postgres", "sqlite"], default="postgres")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--seconds", type=float, default=30, help="measured seconds per side")
    p.add_argument(
        "--slices", type=int, default=6,
        help="slices each side's --seconds is cut into, interleaved with the other side's",
    )  # fmt: skip
    p.add_argument(
        "--think", type=float, nargs="+", default=[1.0, 0.0],
        help="think times to run, in seconds (mean; each pause is 0.5-1.5 x it); 0 = closed "
        "loop. Default: 1 s (a data-entry user acting about every second), then closed loop",
    )  # fmt: skip
    p.add_argument("--workers", type=int, default=3)
    p.add_argument(
        "--keep-alive", type=int, default=5,
        help="gunicorn keep-alive seconds; above the longest think time (1.5 s), as a reverse "
        "proxy keeps its upstream connections: gunicorn's default 2 s closes a thinking user's "
        "connection, and a request sent at that instant fails on the client's side",
    )  # fmt: skip
    p.add_argument("--sites", type=int, default=50)
    p.add_argument("--subjects", type=int, default=1000)
    p.add_argument("--records", type=int, default=50_000)
    p.add_argument("--baseline-src", type=Path, default=None, help="sources of the peer run")
    p.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.seed:
        seed(args.sites, args.subjects, args.records)
        return
    if args.slices < 1:
        p.error("--slices must be at least 1")
    plan = [("this code", OWN_SRC, BENCH_DB)]
    if args.baseline_src is not None:
        plan.insert(0, ("baseline", args.baseline_src.resolve(), BENCH_DB + "_baseline"))
    figures: dict[tuple[str, float], dict[str, float]] = {}
    with contextlib.ExitStack() as stack:  # servers stopped, databases dropped, come what may
        sides = [_serve(label, src, db, args, stack) for label, src, db in plan]
        seconds = args.seconds / args.slices
        for think in args.think:
            parts: list[Slice] = []
            for i, side in enumerate(_schedule(sides, args.slices), 1):
                part = _slice(side, think, seconds)
                parts.append(part)
                print(f"{_mode(think)}, slice {i:2d}: {side.label:9s} "
                      f"{len(part.results.samples):5d} requests in {part.seconds:4.1f} s, "
                      f"load average {part.load_before:.1f} -> {part.load_after:.1f}",
                      flush=True)  # fmt: skip
            for side in sides:
                figures[(side.label, think)] = _report(
                    f"{side.label} ({args.engine}, {args.users} users, {_mode(think)})",
                    [part for part in parts if part.label == side.label],
                )
    print("\n| run | load average | requests/s | p50 | p95 | p99 | errors |\n"
          "|---|---|---|---|---|---|---|")  # fmt: skip
    for (label, think), f in figures.items():
        print(f"| {label}, {_mode(think)} | {f['load_min']:.1f}–{f['load_max']:.1f} | "
              f"{f['rps']:.1f} | {f['p50']:,.0f} ms | {f['p95']:,.0f} ms | "
              f"{f['p99']:,.0f} ms | {f['errors']:.0f} |")  # fmt: skip
    for think in args.think:
        if ("baseline", think) in figures:
            b, t = figures[("baseline", think)], figures[("this code", think)]
            ratio = {k: b[k] / t[k] for k in ("p50", "p95", "p99")}
            print(f"baseline / this code ({_mode(think)}, interleaved): "
                  + ", ".join(f"{k} {v:.2f}x" for k, v in ratio.items())
                  + f"; requests/s this code / baseline {t['rps'] / b['rps']:.2f}x")  # fmt: skip
        p95 = figures[("this code", think)]["p95"]
        print(f"target p95 < 150 ms ({_mode(think)}): "
              f"{'met' if p95 < 150 else 'NOT met'} ({p95:.0f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
