"""The daily care synthesis: one PDF per patient cared for at home that day, sent to the prescriber and the GP
through the notifications outbox (attachment), put on the timeline; the day's administered cures are closed.

The day's job works by batches of 50 patients: the main process reads a batch in a few queries, renders its HTML
(Django template) and queues its PDFs to a small process pool (WeasyPrint, ``PARCOURS_PDF_WORKERS``, default:
the number of cores), then writes the previous batch in one transaction (bulk inserts, the outbox, the cures
closed in one go) while the workers render. Figures and method: docs/benchmarks.md (home cures).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.audit.services import audit_record
from parcours.clinical.catalogue import lookup
from parcours.clinical.models import Observation
from parcours.core import clock
from parcours.core.errors import Conflict, Forbidden
from parcours.cures import pdf
from parcours.cures.models import Administration, Synthesis, SynthesisRun
from parcours.notifications.services import notification_enqueue
from parcours.patients.models import Patient, TimelineEvent


def _day_bounds(date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(date, dt.time(0), tzinfo=tz)
    return start, dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo=tz)


def patients_of_day(date: dt.date) -> list[int]:
    start, end = _day_bounds(date)
    return sorted(
        set(
            Administration.objects.filter(started_at__gte=start, started_at__lt=end).values_list(
                "cure__patient_id", flat=True
            )
        )
    )


@dataclass
class _Doc:
    patient: Patient
    html: str
    admins: list[Administration]


def _context(
    patient: Patient,
    date: dt.date,
    admins: list[Administration],
    vitals: list[Observation],
    excursions: list[TimelineEvent],
) -> dict[str, Any]:
    lang = (translation.get_language() or "fr")[:2]
    incidents = []
    for a in admins:
        if a.reaction_grade:
            incidents.append(
                _("Réaction à la perfusion de grade %(g)s : %(a)s")
                % {"g": a.reaction_grade, "a": a.immediate_actions}
            )
    for event in excursions:
        label = event.data.get("label", {})
        incidents.append(str(label.get(lang) or label.get("fr") or ""))
    vital_rows = []
    for v in vitals:
        code = lookup("vital", v.code)
        vital_rows.append(
            {
                "at": timezone.localtime(v.observed_at),
                "label": (code.en if lang == "en" else code.fr) if code else v.code,
                "value": v.value.normalize(),
                "unit": v.unit,
            }
        )
    return {
        "lang": lang,
        "patient": patient,
        "date": date,
        "cures": [
            {
                "cure": a.cure,
                "admin": a,
                "start": timezone.localtime(a.started_at),
                "end": timezone.localtime(a.ended_at),
                "nurse": a.nurse.get_full_name() or a.nurse.username,
            }
            for a in admins
        ],
        "vitals": vital_rows,
        "incidents": incidents,
        "generated_at": timezone.localtime(clock.now()),
    }


def _documents(patient_ids: Sequence[int], date: dt.date) -> list[_Doc]:
    start, end = _day_bounds(date)
    admins: dict[int, list[Administration]] = {}
    for a in (
        Administration.objects.filter(
            cure__patient_id__in=patient_ids, started_at__gte=start, started_at__lt=end
        )
        .select_related("cure", "cure__plan", "cure__plan__prescribed_by", "nurse")
        .order_by("started_at")
    ):
        admins.setdefault(a.cure.patient_id, []).append(a)
    vitals: dict[int, list[Observation]] = {}
    for o in Observation.objects.filter(
        patient_id__in=patient_ids, kind="vital", observed_at__gte=start, observed_at__lt=end
    ).order_by("observed_at", "id"):
        vitals.setdefault(o.patient_id, []).append(o)
    excursions: dict[int, list[TimelineEvent]] = {}
    for e in TimelineEvent.objects.filter(
        patient_id__in=patient_ids, kind="cure.cold_chain_excursion", at__range=_day_bounds(date)
    ).order_by("-at", "-id"):
        excursions.setdefault(e.patient_id, []).append(e)
    patients = (
        Patient.objects.filter(pk__in=patient_ids)
        .select_related("had", "hospital", "gp", "referring_oncologist")
        .order_by("pk")
    )
    return [
        _Doc(
            p,
            render_to_string(
                "cures/synthesis_pdf.html",
                _context(p, date, admins.get(p.pk, []), vitals.get(p.pk, []), excursions.get(p.pk, [])),
            ),
            admins.get(p.pk, []),
        )
        for p in patients
    ]


def _workers() -> int:
    configured = getattr(settings, "PARCOURS_PDF_WORKERS", None) or os.environ.get("PARCOURS_PDF_WORKERS")
    return int(configured) if configured else (os.cpu_count() or 1)


def render_pdfs(htmls: Sequence[str], *, pool: ProcessPoolExecutor | None = None) -> list[bytes]:
    if pool is None or len(htmls) < 4:
        return [pdf.html_to_pdf(h) for h in htmls]
    return list(pool.map(pdf.html_to_pdf, htmls, chunksize=2))


@contextmanager
def pdf_pool(expected: int) -> Iterator[ProcessPoolExecutor | None]:
    """A pool of PDF workers for a large day (spawned: the workers import no Django); none for a small one."""
    n = _workers()
    if n <= 1 or expected < 20:
        yield None
        return
    with ProcessPoolExecutor(
        max_workers=n, mp_context=multiprocessing.get_context("spawn"), initializer=pdf.warm_up
    ) as pool:
        yield pool


def _recipients(patient: Patient, admins: list[Administration]) -> list[tuple[str, User]]:
    out: list[tuple[str, User]] = []
    prescriber = admins[0].cure.plan.prescribed_by if admins else patient.referring_oncologist
    if prescriber is not None and prescriber.email:
        out.append(("prescriber", prescriber))
    if patient.gp is not None and patient.gp.email:
        out.append(("gp", patient.gp))
    return out


def _deliver_batch(
    items: Sequence[tuple[_Doc, bytes]], date: dt.date, run: SynthesisRun | None, actor: User | None
) -> int:
    """Write the results of a batch of patients in the caller's transaction, in a few statements: the
    ``Synthesis`` rows (created or replaced), one outbox e-mail per recipient (idempotent key, so a second
    run sends nothing twice), the timeline events, the audit events, and the day's administered cures
    closed (``services.cures_close``). Returns the number of e-mails."""
    from parcours.cures.services import cures_close

    if not items:
        return 0
    now = clock.now()
    existing = {
        s.patient_id: s
        for s in Synthesis.objects.filter(patient_id__in=[d.patient.pk for d, _pdf in items], date=date)
    }
    filename = f"synthese-{date.isoformat()}.pdf"
    created: list[Synthesis] = []
    replaced: list[Synthesis] = []
    syntheses: list[tuple[_Doc, Synthesis]] = []
    for doc, content in items:
        patient = doc.patient
        recipients = _recipients(patient, doc.admins)
        row = existing.get(patient.pk)
        if row is None:
            row = Synthesis(patient=patient, date=date)
            created.append(row)
        else:
            replaced.append(row)
        row.pdf = content
        row.generated_at = now
        row.run = run
        row.updated_at = now
        row.recipients = [{"role": role, "to": user.email} for role, user in recipients]
        syntheses.append((doc, row))
        for role, user in recipients:
            notification_enqueue(
                channel="email",
                to=user.email,
                subject=_("Synthèse quotidienne des soins — %(name)s — %(date)s")
                % {"name": patient.display_name, "date": date.strftime("%d/%m/%Y")},
                body=_(
                    "Bonjour,\n\nvous trouverez ci-joint la synthèse des soins à domicile du %(date)s pour "
                    "%(name)s.\n\nParcours"
                )
                % {"date": date.strftime("%d/%m/%Y"), "name": patient.display_name},
                idempotency_key=f"cure-synthesis:{patient.external_id}:{date.isoformat()}:{role}",
                attachments=[(filename, content, "application/pdf")],
                recipient=user,
                patient_id=patient.pk,
                actor=actor,
            )
    Synthesis.objects.bulk_create(created, batch_size=100)
    if replaced:
        Synthesis.objects.bulk_update(
            replaced, ["pdf", "generated_at", "run", "updated_at", "recipients"], batch_size=100
        )
    actor_label = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_label = actor.get_full_name() or actor.username
    events = []
    for doc, row in syntheses:
        n = len(row.recipients)
        events.append(
            TimelineEvent(  # what ``timeline_record`` writes, in one statement for the batch
                patient=doc.patient,
                at=now,
                actor=actor if actor_label else None,
                actor_label=actor_label or "système",
                kind="cure.synthesis",
                data={
                    "label": {
                        "fr": f"Synthèse quotidienne des soins du {date:%d/%m/%Y} envoyée ({n} destinataire(s))",
                        "en": f"Daily care synthesis of {date.isoformat()} sent ({n} recipient(s))",
                    },
                    "synthesis": str(row.external_id),
                },
            )
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="synthesis",
            object_id=str(row.external_id),
            patient_id=doc.patient.pk,
            detail={"recipients": [r["to"] for r in row.recipients]},
        )
    TimelineEvent.objects.bulk_create(events, batch_size=200)
    cures_close(
        actor=actor,
        cure_ids=[a.cure_id for doc, _pdf in items for a in doc.admins],  # only the administered ones close
    )
    return sum(len(row.recipients) for _doc, row in syntheses)


def synthesis_run_request(*, actor: User, date: dt.date) -> SynthesisRun:
    if not (
        has_perm(actor, "cure.administer") or has_perm(actor, "planning.manage") or has_perm(actor, "cure.ok")
    ):
        raise Forbidden(_("Votre rôle ne permet pas de lancer les synthèses."))
    if SynthesisRun.objects.filter(date=date, status__in=["queued", "running"]).exists():
        raise Conflict(_("Les synthèses de ce jour sont déjà en cours."))
    run = SynthesisRun.objects.create(date=date, requested_by=actor)
    audit_record(actor=actor, action="create", object_type="synthesis_run", object_id=str(run.external_id))
    from parcours.cures.tasks import synthesis_run_task

    transaction.on_commit(lambda: synthesis_run_task(run.pk))
    return run


def synthesis_run_execute(
    *, run_id: int, batch: int = 50, progress: Callable[[int, int], None] | None = None
) -> SynthesisRun:
    """Produce and send every synthesis of the run's day; progress is written after each batch."""
    run = SynthesisRun.objects.get(pk=run_id)
    if run.status not in {"queued"}:
        return run
    ids = patients_of_day(run.date)
    SynthesisRun.objects.filter(pk=run.pk).update(status="running", started_at=clock.now(), total=len(ids))
    done = sent = 0
    try:
        with pdf_pool(len(ids)) as pool:
            # HTML for a batch, its PDFs queued to the workers at once; the main process writes the previous
            # batch (outbox, timeline, closing the cures) while the workers render the next one.
            pending: list[tuple[_Doc, Any]] = []
            for i in range(0, len(ids), batch):
                docs = _documents(ids[i : i + batch], run.date)
                if pool is None:
                    pending.extend((d, pdf.html_to_pdf(d.html)) for d in docs)
                else:
                    pending.extend((d, pool.submit(pdf.html_to_pdf, d.html)) for d in docs)
                keep = batch if pool is not None and i + batch < len(ids) else 0
                while len(pending) > keep:
                    take = min(batch, len(pending) - keep)
                    slice_, pending = pending[:take], pending[take:]
                    ready = [(d, r if isinstance(r, bytes) else r.result()) for d, r in slice_]
                    with transaction.atomic():  # one commit per batch of patients
                        sent += _deliver_batch(ready, run.date, run, run.requested_by)
                        done += len(ready)
                        SynthesisRun.objects.filter(pk=run.pk).update(done=done, sent=sent)
                    if progress is not None:
                        progress(done, len(ids))
    except Exception as exc:
        SynthesisRun.objects.filter(pk=run.pk).update(
            status="failed", finished_at=clock.now(), error=str(exc)[:2000]
        )
        raise
    SynthesisRun.objects.filter(pk=run.pk).update(status="done", finished_at=clock.now())
    run.refresh_from_db()
    return run


def synthesis_for_patient(*, actor: User | None, patient: Patient, date: dt.date) -> Synthesis | None:
    """One patient's synthesis now (e.g. right after the administration)."""
    docs = _documents([patient.pk], date)
    if not docs or not docs[0].admins:
        return None
    content = pdf.html_to_pdf(docs[0].html)
    with transaction.atomic():
        _deliver_batch([(docs[0], content)], date, None, actor)
    return Synthesis.objects.get(patient=patient, date=date)
