"""Benchmark: questionnaire submission -> alert visible in the IDEC work queue, 50 concurrent submissions, PostgreSQL.

Method: a PostgreSQL database (default ``parcours_bench_tm``, rebuilt: schema dropped, migrations applied) with
one hospital, one HAD, an IDEC, a referent oncologist and an HAD doctor, and ``--patients`` patients in their
care team, each with a pending questionnaire and a secure link (issued as the IDEC would, through the outbox).
Then ``--rounds`` rounds of ``--concurrency`` threads (one per patient, released together by a barrier); each
thread, with its own Django test client and database connection, goes through the full stack:

1. ``POST /questionnaire/<token>/`` with answers that grade ``urgent`` (shortness of breath, a red flag): link
   checks and consumption, answers validation, response, triage by the pure engine, assessment, hold, alert,
   audit, timeline, and the notification step (run inline here, as an idle worker would run it at once:
   outbox rows for the IDEC and the oncologist, SMS and e-mail; the actual sending is the outbox worker's job
   and is left out);
2. as the IDEC, ``GET /telesurveillance/file/`` (the htmx partial of her work queue) until the patient's alert
   is in it.

The latency of a submission is from the start of its POST to the end of the first queue GET that shows its
alert. Prints p50 / p95 / max and the throughput; stdout only.

    .venv/bin/python bench/telemonitoring_submissions.py [--database-url postgres://postgres@127.0.0.1:5432/parcours_bench_tm]
        [--concurrency 50] [--rounds 4]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import cast
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/parcours_bench_tm")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()

    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ["PARCOURS_TASKS_IMMEDIATE"] = "false"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
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

    # The worker side, as an idle worker would do it at once: notify inline; the outbox sending is left out.
    notification_services._queue_send = lambda notification_id: None

    def notify_now(alert_id: int) -> None:
        tm.alert_notify(alert_id=alert_id)

    tm._queue_notify = notify_now

    hospital = OrganisationFactory(name="Centre de lutte contre le cancer")
    had = OrganisationFactory(had=True, name="HAD du Rhône")
    idec = cast(
        User,
        UserFactory(
            role="idec", organisation=hospital, username="idec", phone="0611111111", email="idec@example.org"
        ),
    )
    onco = cast(
        User,
        UserFactory(
            role="oncologist",
            organisation=hospital,
            username="onco",
            phone="0622222222",
            email="onco@example.org",
        ),
    )
    had_md = cast(
        User, UserFactory(role="had_physician", organisation=had, username="medhad", phone="0633333333")
    )
    total = args.concurrency * args.rounds
    tokens: list[tuple[str, str]] = []
    for _ in range(total):
        patient = cast(
            Patient, PatientFactory(hospital=hospital, had=had, referring_oncologist=onco, phone="0612345678")
        )
        for member in (idec, onco, had_md):
            add_member(patient, member)
        assignment = tm.questionnaire_assign(
            actor=idec, patient=patient, due_at=tm.clock.now() + dt.timedelta(days=1)
        )
        issued = tm.questionnaire_link_send(actor=idec, assignment=assignment, channel="sms")
        tokens.append((issued.token, str(patient.external_id)))
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    connection.close()

    answers = {"PROCTCAE_19A_SCL": "3", "PROCTCAE_19B_SCL": "3", "PROCTCAE_16A_SCL": "1", "free_text": ""}
    latencies: list[float] = []
    polls: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(index: int, barrier: threading.Barrier) -> None:
        token, patient_id = tokens[index]
        patient_client = Client()
        idec_client = Client()
        idec_client.force_login(idec)
        try:
            barrier.wait()
            start = time.perf_counter()
            response = patient_client.post(
                f"/questionnaire/{token}/", {**answers, "submission_key": f"bench-{index:06d}-key"}
            )
            if response.status_code != 200 or b"Appelez le 15" not in response.content:
                raise RuntimeError(f"submission {index}: HTTP {response.status_code}")
            for attempt in range(1, 200):
                queue = idec_client.get("/telesurveillance/file/", HTTP_HX_REQUEST="true")
                if patient_id.encode() in queue.content:
                    elapsed = time.perf_counter() - start
                    with lock:
                        latencies.append(elapsed)
                        polls.append(attempt)
                    return
            raise RuntimeError(f"submission {index}: alert never visible")
        except Exception as exc:  # reported below
            with lock:
                errors.append(repr(exc))
        finally:
            connections.close_all()

    wall = time.perf_counter()
    for round_no in range(args.rounds):
        barrier = threading.Barrier(args.concurrency)
        threads = [
            threading.Thread(target=one, args=(round_no * args.concurrency + k, barrier))
            for k in range(args.concurrency)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    wall = time.perf_counter() - wall

    from parcours.notifications.models import Notification
    from parcours.telemonitoring.models import Alert, QuestionnaireResponse

    connection.connect()
    print(
        f"PostgreSQL {getattr(connection, 'pg_version', 0) // 10000}; {total} submissions in {args.rounds} rounds of "
        f"{args.concurrency} concurrent; {len(errors)} errors"
    )
    for err in errors[:5]:
        print("  error:", err)
    latencies.sort()
    if latencies:
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(
            f"submission -> alert visible in the IDEC queue: p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms (queue GETs per submission: "
            f"{statistics.mean(polls):.2f} on average)"
        )
    print(
        f"throughput {total / wall:.1f} submissions/s; rows: {QuestionnaireResponse.objects.count()} responses, "
        f"{Alert.objects.count()} alerts, {Notification.objects.count()} outbox messages"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
