"""Benchmark: the day's care syntheses (one PDF per patient, WeasyPrint) for --per-day administered home cures,
sent through the outbox (rows queued; SMTP delivery is the outbox's own job and is not timed here).

    .venv/bin/python bench/cures_synthesis.py --workers 2
    .venv/bin/python bench/cures_synthesis.py --database-url postgresql://postgres@127.0.0.1:5432/parcours_cures

Prints the wall time of the whole job (HTML rendering, PDF, outbox rows, timeline, closing the cures), its CPU
time (main process and PDF workers) and the machine's load average, and its parts.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from cures_common import build, rebuild, setup


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-day", type=int, default=850)
    parser.add_argument("--professionals", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reuse", action="store_true", help="reuse the database of a previous run")
    args = parser.parse_args()
    os.environ["PARCOURS_PDF_WORKERS"] = str(args.workers)
    os.environ["PARCOURS_TASKS_IMMEDIATE"] = "false"  # the outbox's send tasks are queued, not run here
    setup(args.database_url, "cures-synthesis")
    from django.db import connection
    from django.utils import timezone

    from parcours.cures import synthesis
    from parcours.cures.models import Synthesis, SynthesisRun
    from parcours.notifications.models import Notification

    if not args.reuse:
        rebuild()
        t0 = time.perf_counter()
        build(per_day=args.per_day, professionals=args.professionals, administered_today=True)
        print(f"built in {time.perf_counter() - t0:.0f} s")
    else:
        from django.core.management import call_command

        from parcours.cures.models import Cure, CureEvent
        from parcours.cures.models import Synthesis as S
        from parcours.notifications.models import Notification as N
        from parcours.patients.models import TimelineEvent

        call_command("migrate", verbosity=0)
        S.objects.all().delete()
        N.objects.all().delete()
        SynthesisRun.objects.all().delete()
        TimelineEvent.objects.filter(kind="cure.synthesis").delete()
        CureEvent.objects.filter(event="close", cure__date=timezone.localdate()).delete()
        Cure.objects.filter(date=timezone.localdate(), status="closed").update(status="administered")
    day = timezone.localdate()
    ids = synthesis.patients_of_day(day)
    t = time.perf_counter()
    docs = synthesis._documents(ids[:50], day)
    html_ms = (time.perf_counter() - t) * 1000 / len(docs)
    synthesis.render_pdfs([docs[0].html])  # warm-up: fonts and stylesheets are built once per process
    t, c = time.perf_counter(), time.process_time()
    synthesis.render_pdfs([d.html for d in docs[:20]])
    pdf_ms = (time.perf_counter() - t) * 1000 / 20
    pdf_cpu_ms = (time.process_time() - c) * 1000 / 20
    run = SynthesisRun.objects.create(date=day)
    marks: list[tuple[float, int]] = []
    load_before = os.getloadavg()[0]
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t, c = time.perf_counter(), time.process_time()
    synthesis.synthesis_run_execute(
        run_id=run.pk, progress=lambda done, total: marks.append((time.perf_counter() - t, done))
    )
    total_s = time.perf_counter() - t
    main_cpu = time.process_time() - c
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, joined at its end
    workers_cpu = (children.ru_utime - children_before.ru_utime) + (
        children.ru_stime - children_before.ru_stime
    )
    load_after = os.getloadavg()[0]
    run.refresh_from_db()
    size = sum(len(bytes(p)) for p in Synthesis.objects.values_list("pdf", flat=True)[:100]) / 100
    print()
    print(
        f"Database: {connection.vendor}; {len(ids)} patients cared for today; {args.workers} PDF worker(s); "
        f"{os.cpu_count()} cores."
    )
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(f"| whole job ({run.done} syntheses, {run.sent} e-mails queued) | {total_s:.1f} s |")
    print(f"| CPU, main process (HTML, database, outbox) | {main_cpu:.1f} s |")
    print(f"| CPU, PDF workers | {workers_cpu:.1f} s |")
    print(f"| load average (1 min) before / after | {load_before:.1f} / {load_after:.1f} |")
    print(
        f"| first progress mark | {marks[0][0]:.1f} s ({marks[0][1]} done) |" if marks else "| no progress |"
    )
    print(f"| per synthesis, whole job | {total_s * 1000 / max(run.done, 1):.0f} ms |")
    print(f"| HTML rendering (one process) | {html_ms:.1f} ms per patient |")
    print(f"| PDF (WeasyPrint, one process) | {pdf_ms:.0f} ms wall, {pdf_cpu_ms:.0f} ms CPU per patient |")
    print(f"| PDF size | {size / 1024:.0f} kB |")
    print(f"| outbox rows | {Notification.objects.count()} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
