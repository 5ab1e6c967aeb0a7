"""The daily care synthesis: one PDF per patient cared for at home that day, sent to the prescriber and the GP
through the notifications outbox (attachment), put on the timeline; the day's administered cures are closed.

The day's job renders every HTML document first (Django templates, one process), then turns them into PDFs
with WeasyPrint in a small process pool (``PARCOURS_PDF_WORKERS``, default: the number of cores).
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
from parcours.cures.models import Administration, Cure, CureStatus, Synthesis, SynthesisRun
from parcours.notifications.services import notification_enqueue
from parcours.patients.models import Patient, TimelineEvent
from parcours.patients.timeline import timeline_record


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
    patient: Patient, date: dt.date, admins: list[Administration], vitals: list[Observation]
) -> dict[str, Any]:
    lang = (translation.get_language() or "fr")[:2]
    incidents = []
    for a in admins:
        if a.reaction_grade:
            incidents.append(
                _("Réaction à la perfusion de grade %(g)s : %(a)s")
                % {"g": a.reaction_grade, "a": a.immediate_actions}
            )
    for event in TimelineEvent.objects.filter(
        patient=patient, kind="cure.cold_chain_excursion", at__range=_day_bounds(date)
    ):
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
    patients = Patient.objects.filter(pk__in=patient_ids).select_related(
        "had", "hospital", "gp", "referring_oncologist"
    )
    return [
        _Doc(
            p,
            render_to_string(
                "cures/synthesis_pdf.html", _context(p, date, admins.get(p.pk, []), vitals.get(p.pk, []))
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
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def _recipients(patient: Patient, admins: list[Administration]) -> list[tuple[str, User]]:
    out: list[tuple[str, User]] = []
    prescriber = admins[0].cure.plan.prescribed_by if admins else patient.referring_oncologist
    if prescriber is not None and prescriber.email:
        out.append(("prescriber", prescriber))
    if patient.gp is not None and patient.gp.email:
        out.append(("gp", patient.gp))
    return out


def _deliver(doc: _Doc, content: bytes, date: dt.date, run: SynthesisRun | None, actor: User | None) -> int:
    patient = doc.patient
    synthesis, _created = Synthesis.objects.update_or_create(
        patient=patient,
        date=date,
        defaults={"pdf": content, "generated_at": clock.now(), "run": run},
    )
    filename = f"synthese-{date.isoformat()}.pdf"
    sent = []
    for role, user in _recipients(patient, doc.admins):
        notification_enqueue(
            channel="email",
            to=user.email,
            subject=_("Synthèse quotidienne des soins — %(name)s — %(date)s")
            % {"name": patient.display_name, "date": date.strftime("%d/%m/%Y")},
            body=_(
                "Bonjour,\n\nvous trouverez ci-joint la synthèse des soins à domicile du %(date)s pour %(name)s.\n\n"
                "Parcours"
            )
            % {"date": date.strftime("%d/%m/%Y"), "name": patient.display_name},
            idempotency_key=f"cure-synthesis:{patient.external_id}:{date.isoformat()}:{role}",
            attachments=[(filename, content, "application/pdf")],
            recipient=user,
            patient_id=patient.pk,
            actor=actor,
        )
        sent.append({"role": role, "to": user.email})
    synthesis.recipients = sent
    synthesis.save(update_fields=["recipients", "updated_at"])
    timeline_record(
        patient=patient,
        actor=actor,
        kind="cure.synthesis",
        data={
            "label": {
                "fr": f"Synthèse quotidienne des soins du {date:%d/%m/%Y} envoyée ({len(sent)} destinataire(s))",
                "en": f"Daily care synthesis of {date.isoformat()} sent ({len(sent)} recipient(s))",
            },
            "synthesis": str(synthesis.external_id),
        },
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="synthesis",
        object_id=str(synthesis.external_id),
        patient_id=patient.pk,
        detail={"recipients": [s["to"] for s in sent]},
    )
    from parcours.cures.services import cure_close

    for admin in doc.admins:
        cure = Cure.objects.get(pk=admin.cure_id)
        if cure.status == CureStatus.ADMINISTERED:
            cure_close(actor=actor, cure=cure)
    return len(sent)


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
                    with transaction.atomic():  # one commit per slice of 25 patients, not per patient
                        for _ in range(min(25, len(pending) - keep)):
                            doc, result = pending.pop(0)
                            content = result if isinstance(result, bytes) else result.result()
                            sent += _deliver(doc, content, run.date, run, run.requested_by)
                            done += 1
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
        _deliver(docs[0], content, date, None, actor)
    return Synthesis.objects.get(patient=patient, date=date)
