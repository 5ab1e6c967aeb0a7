"""Daily care synthesis: PDF, sent through the outbox over a real SMTP exchange, on the timeline, cures closed."""

from __future__ import annotations

import pytest

from parcours.cures import synthesis
from parcours.cures.models import Cure, Synthesis, SynthesisRun
from parcours.cures.tests.conftest import TODAY, CureWorld, administer, run_to_delivered
from parcours.notifications.models import Notification
from parcours.notifications.tests.conftest import SmtpServer
from parcours.patients.models import TimelineEvent

pytestmark = pytest.mark.django_db


def test_the_days_synthesis_is_mailed_with_its_pdf_to_prescriber_and_gp(
    cw: CureWorld,
    clock,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    administer(cw, cure, clock, reaction_grade=1, immediate_actions="Ralentissement du débit, paracétamol")
    with django_capture_on_commit_callbacks(execute=True):
        run = synthesis.synthesis_run_request(actor=cw.nurse, date=TODAY)
    run.refresh_from_db()
    assert (run.status, run.total, run.done, run.sent) == ("done", 1, 1, 2)
    received = {r.rcpt_tos[0]: r.message for r in smtp_server.messages}
    assert set(received) == {"onco@clb.example.org", "gp@cabinet.example.org"}
    (attachment,) = received["gp@cabinet.example.org"].iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")
    assert bytes(Synthesis.objects.get(patient=cw.patient, date=TODAY).pdf).startswith(b"%PDF")
    assert TimelineEvent.objects.filter(patient=cw.patient, kind="cure.synthesis").exists()
    assert Cure.objects.get(pk=cure.pk).status == "closed"
    assert Notification.objects.filter(patient_id=cw.patient.pk, status="sent").count() == 2


def test_a_second_run_sends_nothing_twice(cw: CureWorld, clock, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    administer(cw, cure, clock)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            run = SynthesisRun.objects.create(date=TODAY)
            synthesis.synthesis_run_execute(run_id=run.pk)
    assert Notification.objects.count() == 2
    assert Synthesis.objects.count() == 1


def test_pdf_text_holds_what_was_done(cw: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(cw, cw.first_cure(cw.plan()), clock)
    administer(cw, cure, clock)
    (doc,) = synthesis._documents([cw.patient.pk], TODAY)
    assert "LOT-42" in doc.html and "pembrolizumab" in doc.html and "Pompe et pied" in doc.html
    assert "36,9" in doc.html
