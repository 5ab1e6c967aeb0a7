"""Benchmark: questionnaire submission -> alert visible in the IDEC work queue, 50 concurrent submissions, PostgreSQL.

Measured as production runs it: a real multi-process server and a separate client process.

1. **Setup** (this process, Django): the PostgreSQL database (default ``parcours_bench_tm``) is rebuilt (schema
   dropped, migrations applied); one hospital, one HAD, a referent oncologist, an HAD doctor; ``--rounds`` IDECs
   (one per round, so that each IDEC's queue holds her own round's alerts); ``--concurrency`` patients per round
   in that IDEC's care team, plus ``--sequential`` patients for the per-submission cost; each patient has a
   pending questionnaire and a secure link issued and sent (SMS) through the outbox as the IDEC would.
2. **Server**: ``gunicorn config.wsgi -w <--workers> -b 127.0.0.1:<free port>`` (sync workers, settings
   ``config.settings.local`` with ``DJANGO_DEBUG=false``, ``PARCOURS_VAR_DIR=var/bench-tm``), and one Huey
   consumer (``manage.py run_huey -w 1``, periodic tasks off) that runs the alert notifications (outbox rows,
   then one task per message sends it), as in production. The workers are warmed up first.
3. **Client**: a separate Python process (this script with ``--client``; standard library only, no Django) with
   one thread per submission using ``http.client``. Before the start, each thread opens the patient's page
   (``GET /questionnaire/<token>/``: CSRF cookie and token, as the browser does while the patient answers). Then
   all threads are released together: ``POST /questionnaire/<token>/`` with answers that grade ``urgent``.
   Meanwhile one more thread is the round's IDEC with her queue open: she re-reads ``GET /telesurveillance/file/``
   (the htmx partial, as her session) every ``--poll-ms`` (default 100 ms; a read starts at most that often and
   never two at once) and notes when each patient's alert first appears.

Two figures per submission (client clock):
- **visible**: from sending the POST to the end of the first queue read that shows the alert (the target's
  figure; it includes up to one polling interval plus one queue read of sampling delay);
- **committed**: from sending the POST to its response, which the server sends after the transaction that
  wrote the alert has committed (from then on every read of the queue shows it).

CPU: user+system time of the gunicorn workers, of the PostgreSQL backends of this database and of the Huey
consumer, read from ``/proc`` around each phase (so other engineers' processes on the machine do not count).
The ``--sequential`` phase (submissions one after another, no IDEC polling) gives the CPU cost of one
submission. After each phase the script waits until the worker has written and sent the alerts' messages
(and prints how long after the alert they were written: "opened -> notified").
The machine's load (``uptime``) is printed before and after.

    .venv/bin/python bench/telemonitoring_submissions.py [--database-url postgres://postgres@127.0.0.1:5432/parcours_bench_tm]
        [--concurrency 50] [--rounds 2] [--workers 4] [--sequential 10] [--poll-ms 100] [--worker-nice 10] [--redis-url redis://127.0.0.1:6379/14]
    .venv/bin/python bench/telemonitoring_submissions.py --profile   # one submission in-process: queries + cProfile
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ANSWERS = {"PROCTCAE_19A_SCL": "3", "PROCTCAE_19B_SCL": "3", "PROCTCAE_16A_SCL": "1", "free_text": ""}
URGENT_MARK = "Appelez le 15"


# ----------------------------------------------------------------------------------------- client side


def _request(
    port: int, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        cookies = {}
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, cookies, data
    finally:
        conn.close()


def _prepare(port: int, token: str) -> tuple[str, str]:
    """The patient opens the page: CSRF cookie and the form's token."""
    status, cookies, body = _request(port, "GET", f"/questionnaire/{token}/")
    if status != 200:
        raise RuntimeError(f"GET questionnaire: HTTP {status}")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if match is None or "csrftoken" not in cookies:
        raise RuntimeError("no CSRF token in the questionnaire page")
    return cookies["csrftoken"], match.group(1).decode()


def _submit(port: int, token: str, csrf_cookie: str, csrf_field: str, key: str) -> None:
    from urllib.parse import urlencode

    body = urlencode({**ANSWERS, "submission_key": key, "csrfmiddlewaretoken": csrf_field}).encode()
    status, _, data = _request(
        port,
        "POST",
        f"/questionnaire/{token}/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Origin": f"http://127.0.0.1:{port}",
        },
    )
    if status != 200 or URGENT_MARK.encode() not in data:
        raise RuntimeError(f"POST questionnaire: HTTP {status}")


def client_main(job_path: str) -> int:
    """Separate process: prepare the forms, say READY, wait for GO on stdin, fire, print the results as JSON."""
    job = json.loads(Path(job_path).read_text())
    port = job["port"]
    subs = job["submissions"]  # [{token, patient, key}]
    forms: list[tuple[str, str] | None] = [None] * len(subs)
    errors: list[str] = []

    def prep(i: int) -> None:
        try:
            forms[i] = _prepare(port, subs[i]["token"])
        except Exception as exc:
            errors.append(f"prepare {i}: {exc!r}")

    preparers = [threading.Thread(target=prep, args=(i,)) for i in range(len(subs))]
    for i in range(0, len(preparers), 8):  # the patients open their pages over time, not all at once
        batch = preparers[i : i + 8]
        for t in batch:
            t.start()
        for t in batch:
            t.join()
    print("READY", flush=True)
    if sys.stdin.readline().strip() != "GO":
        return 2

    sent: list[float | None] = [None] * len(subs)
    answered: list[float | None] = [None] * len(subs)
    seen: dict[str, float] = {}
    polls = [0]
    lock = threading.Lock()
    done = threading.Event()

    def fire(i: int, barrier: threading.Barrier) -> None:
        form = forms[i]
        if form is None:
            return
        barrier.wait()
        sent[i] = time.perf_counter()
        try:
            _submit(port, subs[i]["token"], form[0], form[1], subs[i]["key"])
            answered[i] = time.perf_counter()
        except Exception as exc:
            with lock:
                errors.append(f"submit {i}: {exc!r}")

    def observe(cookie: str, wanted: set[str], poll_s: float) -> None:
        deadline = time.perf_counter() + 300
        while not done.is_set() and time.perf_counter() < deadline:
            started = time.perf_counter()
            status, _, body = _request(
                port,
                "GET",
                "/telesurveillance/file/",
                headers={"Cookie": f"sessionid={cookie}", "HX-Request": "true"},
            )
            now = time.perf_counter()
            polls[0] += 1
            if status != 200:
                errors.append(f"queue: HTTP {status}")
                return
            text = body.decode()
            for patient in wanted - seen.keys():
                if patient in text:
                    seen[patient] = now
            if len(seen) == len(wanted):
                return
            pause = poll_s - (time.perf_counter() - started)
            if pause > 0:
                time.sleep(pause)

    ready = [i for i in range(len(subs)) if forms[i] is not None]
    if job.get("sequential"):  # one submission at a time, back to back
        wall = time.perf_counter()
        for i in ready:
            fire(i, threading.Barrier(1))
        wall = time.perf_counter() - wall
        committed = [a - s for s, a in zip(sent, answered, strict=True) if s is not None and a is not None]
        print(json.dumps({"committed": committed, "visible": [], "polls": 0, "wall": wall, "errors": errors}))
        return 0
    barrier = threading.Barrier(len(ready) + (1 if job.get("observe") else 0))
    threads = [threading.Thread(target=fire, args=(i, barrier)) for i in ready]
    for t in threads:
        t.start()
    observer = None
    if job.get("observe"):
        wanted = {s["patient"] for s in subs}
        observer = threading.Thread(target=observe, args=(job["idec_cookie"], wanted, job["poll_ms"] / 1000))
        barrier.wait()
        observer.start()
    wall = time.perf_counter()
    for t in threads:
        t.join()
    if observer is not None:
        observer.join()
    done.set()
    wall = time.perf_counter() - wall
    committed = [a - s for s, a in zip(sent, answered, strict=True) if s is not None and a is not None]
    visible = []
    for i, s in enumerate(sent):
        at = seen.get(subs[i]["patient"])
        if s is not None and at is not None:
            visible.append(at - s)
    print(
        json.dumps(
            {
                "committed": committed,
                "visible": visible,
                "polls": polls[0],
                "wall": wall,
                "errors": errors,
            }
        ),
        flush=True,
    )
    return 0


# ----------------------------------------------------------------------------------------- server side


def ensure_database(url: str) -> None:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"database name {name!r}: lower-case letters, digits and _ only")
    base = [
        "psql",
        "-h",
        parsed.hostname or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
    ]
    exists = subprocess.run(
        [*base, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],  # noqa: S608 - name checked above
        capture_output=True,
        text=True,
        check=False,
    )
    if exists.stdout.strip() != "1":
        subprocess.run([*base, "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)


def _env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        PARCOURS_TASKS_IMMEDIATE="false",
        PARCOURS_VAR_DIR=str(ROOT / "var" / "bench-tm"),
        PYTHONPATH=str(ROOT),
    )
    env["PARCOURS_WORKER_NICE"] = str(
        args.worker_nice
    )  # applied by the worker itself (parcours/core/tasks.py)
    if args.redis_url:
        env["PARCOURS_REDIS_URL"] = args.redis_url
    else:
        env.pop("PARCOURS_REDIS_URL", None)
    return env


def _setup_django(args: argparse.Namespace) -> None:
    ensure_database(args.database_url)
    os.environ.update(_env(args))
    (ROOT / "var" / "bench-tm").mkdir(parents=True, exist_ok=True)
    tasks_db = ROOT / "var" / "bench-tm" / "tasks.sqlite3"
    tasks_db.unlink(missing_ok=True)
    import django

    django.setup()
    if args.redis_url:  # a throw-away Redis database: the task queue and the cache start empty
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()


def _build(args: argparse.Namespace, *, patients: int, idecs: int) -> dict[str, Any]:
    """Rebuild the database; return the links (raw tokens) per IDEC and the IDECs' session cookies."""
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    import parcours.notifications.services as notification_services
    import parcours.telemonitoring.services as tm
    from parcours.accounts.models import User
    from parcours.patients.models import Patient
    from parcours.testing.factories import OrganisationFactory, PatientFactory, UserFactory, add_member

    assert connection.vendor == "postgresql", "this benchmark is for PostgreSQL"
    with connection.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)
    # the links' SMS of the setup stay in the outbox (not queued): the worker must not spend the measured
    # phases sending them
    notification_services._queue_send = lambda notification_id: None
    notification_services._queue_send_batch = lambda notification_ids: None
    hospital = OrganisationFactory(name="Centre de lutte contre le cancer")
    had = OrganisationFactory(had=True, name="HAD du Rhône")
    onco = cast(
        User,
        UserFactory(
            role="oncologist",
            organisation=hospital,
            username="onco",
            phone="0622222222",
            email="o@example.org",
        ),
    )
    had_md = cast(
        User, UserFactory(role="had_physician", organisation=had, username="medhad", phone="0633333333")
    )
    groups = []
    for n in range(idecs):
        idec = cast(
            User,
            UserFactory(
                role="idec",
                organisation=hospital,
                username=f"idec{n}",
                phone="0611111111",
                email=f"idec{n}@example.org",
            ),
        )
        subs = []
        for k in range(patients):
            patient = cast(
                Patient,
                PatientFactory(hospital=hospital, had=had, referring_oncologist=onco, phone="0612345678"),
            )
            for member in (idec, onco, had_md):
                add_member(patient, member)
            assignment = tm.questionnaire_assign(
                actor=idec, patient=patient, due_at=tm.clock.now() + dt.timedelta(days=1)
            )
            issued = tm.questionnaire_link_send(actor=idec, assignment=assignment, channel="sms")
            subs.append(
                {"token": issued.token, "patient": str(patient.external_id), "key": f"bench-{n}-{k:05d}-key"}
            )
        client = Client()
        client.force_login(idec)
        groups.append({"idec_cookie": client.cookies["sessionid"].value, "submissions": subs})
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    connection.close()
    return {"groups": groups}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of stat)
    return total


def _nice_values(pid: int) -> list[int]:
    """The nice value of each thread of a process (field 19 of /proc/<pid>/task/<tid>/stat)."""
    values = []
    for stat in sorted(Path(f"/proc/{pid}/task").glob("*/stat")):
        try:
            values.append(int(stat.read_text().rsplit(")", 1)[1].split()[16]))
        except (OSError, IndexError, ValueError):
            continue
    return values


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _pg_backends(url: str) -> list[int]:
    parsed = urlparse(url)
    out = subprocess.run(
        [
            "psql",
            "-h",
            parsed.hostname or "127.0.0.1",
            "-p",
            str(parsed.port or 5432),
            "-U",
            parsed.username or "postgres",
            "-d",
            parsed.path.lstrip("/"),
            "-tAc",
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return [int(p) for p in out.stdout.split()]


class Meter:
    """CPU seconds of the app workers, the database backends and the Huey consumer between two snapshots."""

    def __init__(self, url: str, gunicorn: int, huey: int) -> None:
        from django.db import connection

        self.url, self.gunicorn, self.huey = url, gunicorn, huey
        self.tick = os.sysconf("SC_CLK_TCK")
        with connection.cursor() as cur:  # this script's own connection (it waits for the notifications)
            cur.execute("SELECT pg_backend_pid()")
            self.own_backend = int(cur.fetchone()[0])

    def snapshot(self) -> dict[str, dict[int, int]]:
        groups = {
            "app": _children(self.gunicorn),
            "db": [p for p in _pg_backends(self.url) if p != self.own_backend],
            "worker": [self.huey, *_children(self.huey)],
        }
        return {name: {pid: _cpu_ticks([pid]) for pid in pids} for name, pids in groups.items()}

    def since(self, before: dict[str, dict[int, int]]) -> dict[str, float]:
        """Seconds used since ``before``; a process born meanwhile counts from zero (one that ended is lost:
        the workers and the pooled connections live through a phase)."""
        after = self.snapshot()
        return {
            name: sum(ticks - before[name].get(pid, 0) for pid, ticks in after[name].items()) / self.tick
            for name in after
        }


def _uptime() -> str:
    env = {**os.environ, "TZ": "UTC"}  # django.setup() sets TZ to the project time zone
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False, env=env).stdout.strip()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]  # nearest rank


def _notified(patients: list[str], timeout: float = 120) -> tuple[list[float], float]:
    """Wait until the worker has notified the alerts of these patients; their opened -> notified delays."""

    from parcours.notifications.models import Notification
    from parcours.patients.models import Patient
    from parcours.telemonitoring.models import Alert

    start = time.perf_counter()
    rows: list[tuple[Any, Any]] = []
    while time.perf_counter() - start < timeout:
        rows = list(
            Alert.objects.filter(patient__external_id__in=patients).values_list("opened_at", "notified_at")
        )
        unsent = Notification.objects.filter(
            idempotency_key__startswith="tm-alert:",
            status="pending",
            patient_id__in=Patient.objects.filter(external_id__in=patients).values("pk"),
        )
        if rows and all(n is not None for _, n in rows) and not unsent.exists():
            break
        time.sleep(0.2)
    return [(n - o).total_seconds() for o, n in rows if n is not None], time.perf_counter() - start


def _run_client(
    job: dict[str, Any], meter: Meter, settle: float
) -> tuple[dict[str, Any], dict[str, float], list[float]]:
    path = ROOT / "var" / "bench-tm" / "client-job.json"
    path.write_text(json.dumps(job))
    proc = subprocess.Popen(
        [sys.executable, __file__, "--client", str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    if proc.stdout.readline().strip() != "READY":
        raise SystemExit("client did not get ready")
    time.sleep(settle)  # let the page loads and their notifications settle
    before = meter.snapshot()
    proc.stdin.write("GO\n")
    proc.stdin.flush()
    result = json.loads(proc.stdout.readline())
    proc.wait()
    lags, _ = _notified([sub["patient"] for sub in job["submissions"]])  # the worker's part of this phase
    return result, meter.since(before), lags


def _wait_http(port: int, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            _request(port, "GET", "/")
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def server_main(args: argparse.Namespace) -> int:
    print("machine before:", _uptime(), flush=True)
    _setup_django(args)
    seq_groups = 1 if args.sequential else 0
    data = _build(args, patients=args.concurrency, idecs=args.rounds + seq_groups)
    env = _env(args)
    port = _free_port()
    gunicorn = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "-w", str(args.workers), "-b",
         f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning",
         *(["--threads", str(args.threads)] if args.threads > 1 else [])],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    huey = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_huey",
            "-w",
            "1",
            "-n",
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_http(port)
        # warm every worker up (imports, templates, connections) with the queue page; bad tokens would trip
        # the links' per-address failure limit
        warm_headers = {"Cookie": f"sessionid={data['groups'][-1]['idec_cookie']}", "HX-Request": "true"}
        warm = [
            threading.Thread(
                target=_request,
                args=(port, "GET", "/telesurveillance/file/"),
                kwargs={"headers": warm_headers},
            )
            for _ in range(4 * args.workers)
        ]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        meter = Meter(args.database_url, gunicorn.pid, huey.pid)
        print(f"worker threads' nice values: {_nice_values(huey.pid)}")
        n_sub = 0
        if args.sequential:
            group = data["groups"][-1]
            subs = group["submissions"][: args.sequential]
            res, cpu, lags = _run_client({"port": port, "submissions": subs, "sequential": True}, meter, 1.0)
            if res["errors"]:
                print("  error:", res["errors"][:3])
            walls = res["committed"] or [float("nan")]
            n = max(1, len(res["committed"]))
            print(
                f"sequential, {n} submissions one after another: POST {statistics.median(walls) * 1000:.0f} ms "
                f"wall (median); CPU per submission: app {cpu['app'] / n * 1000:.1f} ms, PostgreSQL "
                f"{cpu['db'] / n * 1000:.1f} ms, worker (notifications: outbox rows, then sending) "
                f"{cpu['worker'] / n * 1000:.1f} ms; {_uptime()}",
                flush=True,
            )
            n_sub += n
        visible: list[float] = []
        committed: list[float] = []
        errors: list[str] = []
        for r in range(args.rounds):
            group = data["groups"][r]
            job = {
                "port": port,
                "submissions": group["submissions"],
                "observe": True,
                "idec_cookie": group["idec_cookie"],
                "poll_ms": args.poll_ms,
            }
            res, cpu, lags = _run_client(job, meter, 1.0)
            lags = lags or [float("nan")]
            n = len(res["committed"])
            n_sub += n
            errors += res["errors"]
            visible += res["visible"]
            committed += res["committed"]
            v = res["visible"] or [float("nan")]
            c = res["committed"] or [float("nan")]
            print(
                f"round {r + 1}: {n}/{len(group['submissions'])} submissions in {res['wall']:.2f} s; visible p50 "
                f"{statistics.median(v) * 1000:.0f} / p95 {_pct(v, 0.95) * 1000:.0f} / max {max(v) * 1000:.0f} ms; "
                f"committed p50 {statistics.median(c) * 1000:.0f} / p95 {_pct(c, 0.95) * 1000:.0f} / max "
                f"{max(c) * 1000:.0f} ms; {res['polls']} queue reads; CPU app {cpu['app']:.2f} s, PostgreSQL "
                f"{cpu['db']:.2f} s, worker {cpu['worker']:.2f} s; alert opened -> notified (outbox rows written) "
                f"p50 {statistics.median(lags) * 1000:.0f} / max {max(lags) * 1000:.0f} ms; {_uptime()}",
                flush=True,
            )
        print(
            f"\nALL ROUNDS ({args.rounds} x {args.concurrency} concurrent, gunicorn -w {args.workers} --threads {args.threads}): "
            f"{len(visible)} alerts seen, {len(errors)} errors"
        )
        for err in errors[:5]:
            print("  error:", err)
        if visible:
            print(
                f"submission -> alert visible in the IDEC queue: p50 {statistics.median(visible) * 1000:.0f} ms, "
                f"p95 {_pct(visible, 0.95) * 1000:.0f} ms, max {max(visible) * 1000:.0f} ms"
            )
            print(
                f"submission -> committed (POST answered): p50 {statistics.median(committed) * 1000:.0f} ms, "
                f"p95 {_pct(committed, 0.95) * 1000:.0f} ms, max {max(committed) * 1000:.0f} ms"
            )
    finally:
        gunicorn.terminate()
        huey.terminate()
        gunicorn.wait(30)
        huey.wait(30)
    from django.db import connection

    from parcours.notifications.models import Notification
    from parcours.telemonitoring.models import Alert, QuestionnaireResponse

    connection.connect()
    pending = Alert.objects.filter(notify_pending=True).count()
    print(
        f"rows: {QuestionnaireResponse.objects.count()} responses, {Alert.objects.count()} alerts "
        f"({pending} still to notify), {Notification.objects.filter(idempotency_key__startswith='tm-alert:').count()} "
        f"alert messages in the outbox; PostgreSQL {getattr(connection, 'pg_version', 0) // 10000}"
    )
    print("machine after:", _uptime())
    return 1 if errors else 0


def profile_main(args: argparse.Namespace) -> int:
    """One submission in-process (Django test client): the SQL it runs, then cProfile over 20 submissions."""
    import cProfile
    import io
    import pstats

    _setup_django(args)
    data = _build(args, patients=65 if os.environ.get("BENCH_WSGI") else 45, idecs=1)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import parcours.telemonitoring.services as tm

    tm._queue_notify = lambda alert_id: None  # the worker's part is profiled apart
    client = Client()
    subs = data["groups"][0]["submissions"]

    def post(i: int) -> None:
        r = client.post(f"/questionnaire/{subs[i]['token']}/", {**ANSWERS, "submission_key": subs[i]["key"]})
        assert r.status_code == 200 and URGENT_MARK.encode() in r.content, r.status_code

    post(0)
    post(1)
    with CaptureQueriesContext(connection) as queries:
        post(2)
    print(f"one submission: {len(queries.captured_queries)} SQL statements")
    for q in queries.captured_queries:
        print("   ", q["sql"][:150])
    alert = tm.Alert.objects.order_by("-pk").first()
    assert alert is not None
    with CaptureQueriesContext(connection) as queries:
        tm.alert_notify(alert_id=alert.pk)
    print(f"its notification (worker): {len(queries.captured_queries)} SQL statements")
    for q in queries.captured_queries:
        print("   ", q["sql"][:150])
    backends = _pg_backends(args.database_url)
    db_ticks, cpu, wall = _cpu_ticks(backends), time.process_time(), time.perf_counter()
    for i in range(3, 23):
        post(i)  # (20 more under cProfile below)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    db_cpu = (_cpu_ticks(backends) - db_ticks) / os.sysconf("SC_CLK_TCK")
    print(
        f"per submission (20, in-process test client, no cProfile): {cpu / 20 * 1000:.1f} ms CPU here, "
        f"{db_cpu / 20 * 1000:.1f} ms CPU in PostgreSQL, {wall / 20 * 1000:.1f} ms wall"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(23, 43):
        post(i)
    profiler.disable()
    if os.environ.get("BENCH_WSGI"):  # the same POSTs through Django's WSGI handler, as gunicorn calls it
        import io as _io
        from urllib.parse import urlencode

        from django.core.handlers.wsgi import WSGIHandler

        handler = WSGIHandler()
        extra = subs[45:65]

        def environ_for(
            method: str, sub: dict[str, str], body: bytes = b"", cookie: str = ""
        ) -> dict[str, Any]:
            return {
                "REQUEST_METHOD": method,
                "PATH_INFO": f"/questionnaire/{sub['token']}/",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "80",
                "HTTP_HOST": "127.0.0.1",
                "HTTP_ORIGIN": "http://127.0.0.1",
                "HTTP_COOKIE": cookie,
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": _io.BytesIO(body),
                "wsgi.url_scheme": "http",
                "REMOTE_ADDR": "127.0.0.1",
            }

        forms = []
        for sub in extra:  # the patient opens the page first (not measured)
            got: list[Any] = []
            page = b"".join(
                handler(environ_for("GET", sub), lambda st, hd, exc_info=None, got=got: got.append(hd))
            )
            cookie = next(
                v.strip() for k, v in got[0] if k == "Set-Cookie" and v.strip().startswith("csrftoken=")
            ).split(";")[0]
            found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert found is not None
            forms.append((cookie, found.group(1).decode()))
        cpu, db_ticks = time.process_time(), _cpu_ticks(backends)
        for sub, (cookie, form_token) in zip(extra, forms, strict=True):
            body = urlencode(
                {**ANSWERS, "submission_key": sub["key"], "csrfmiddlewaretoken": form_token}
            ).encode()
            statuses: list[str] = []
            chunks = handler(
                environ_for("POST", sub, body, cookie),
                lambda st, hd, exc_info=None, statuses=statuses: statuses.append(st),
            )
            b"".join(chunks)
            assert statuses[0].startswith("200"), statuses
        cpu = time.process_time() - cpu
        db_cpu = (_cpu_ticks(backends) - db_ticks) / os.sysconf("SC_CLK_TCK")
        print(
            f"WSGI handler, per POST: {cpu / 20 * 1000:.1f} ms CPU here, {db_cpu / 20 * 1000:.1f} ms PostgreSQL ({statuses[0]})"
        )
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    calls = int(getattr(stats, "total_calls", 0))
    print(f"Python function calls per submission (deterministic): {calls // 20}")
    stats.sort_stats("cumulative").print_stats(r"parcours/|template/base|render", 45)
    if os.environ.get("BENCH_PROFILE_DUMP"):
        stats.dump_stats(os.environ["BENCH_PROFILE_DUMP"])
    print(out.getvalue())

    # The worker's part for 20 of those alerts: outbox rows, then sending them (as the Huey tasks do).
    from parcours.notifications.models import Notification
    from parcours.notifications.tasks import notification_send_batch_task

    pending = list(
        tm.Alert.objects.filter(notify_pending=True).order_by("pk").values_list("pk", flat=True)[:20]
    )
    profiler = cProfile.Profile()
    cpu, db_ticks = time.process_time(), _cpu_ticks(backends)
    profiler.enable()
    for alert_id in pending:
        before = set(Notification.objects.filter(status="pending").values_list("pk", flat=True))
        tm.alert_notify(alert_id=alert_id)
        fresh = sorted(
            set(Notification.objects.filter(status="pending").values_list("pk", flat=True)) - before
        )
        notification_send_batch_task.call_local(fresh)
    profiler.disable()
    cpu = time.process_time() - cpu
    db_cpu = (_cpu_ticks(backends) - db_ticks) / os.sysconf("SC_CLK_TCK")
    print(
        f"worker, per alert ({len(pending)} alerts, 4 messages each; under cProfile): {cpu / len(pending) * 1000:.1f} ms CPU here, "
        f"{db_cpu / len(pending) * 1000:.1f} ms CPU in PostgreSQL"
    )
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(r"parcours/|mail|channels", 25)
    print(out.getvalue())

    # The IDEC's queue with the 43 alerts above (the htmx partial her page re-reads).
    from parcours.accounts.models import User

    idec_client = Client()
    idec_client.force_login(User.objects.get(username="idec0"))

    def read_queue() -> None:
        r = idec_client.get("/telesurveillance/file/", HTTP_HX_REQUEST="true")
        assert r.status_code == 200 and r.content.count(b'class="card queue-item') >= 40, r.status_code

    read_queue()
    with CaptureQueriesContext(connection) as queries:
        read_queue()
    cpu, db_ticks = time.process_time(), _cpu_ticks(backends)
    for _ in range(20):
        read_queue()
    cpu = time.process_time() - cpu
    db_cpu = (_cpu_ticks(backends) - db_ticks) / os.sysconf("SC_CLK_TCK")
    print(
        f"IDEC queue read (43 alerts, htmx partial): {len(queries.captured_queries)} SQL statements, "
        f"{cpu / 20 * 1000:.1f} ms CPU here, {db_cpu / 20 * 1000:.1f} ms CPU in PostgreSQL"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        read_queue()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())
    return 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--client":
        return client_main(sys.argv[2])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/parcours_bench_tm")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (> 1: gthread workers, a request is taken at once instead of "
        "waiting for a free process)",
    )
    parser.add_argument("--sequential", type=int, default=10)
    parser.add_argument("--poll-ms", type=int, default=100)
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="PARCOURS_WORKER_NICE of the Huey consumer (the product's default, 10: the web requests first; "
        "0: same priority as the web processes)",
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="PARCOURS_REDIS_URL for the server and the worker (task queue and cache in Redis, as a deployment "
        "with several processes has them); this Redis database is flushed first. Default: none (SQLite queue, "
        "a cache per process).",
    )
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.profile:
        return profile_main(args)
    return server_main(args)


if __name__ == "__main__":
    sys.exit(main())
