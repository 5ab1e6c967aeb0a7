"""notification_enqueue: validation, idempotency, queueing on commit; SMS through the log gateway."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction

from parcours.audit.models import AuditEvent
from parcours.core.errors import Conflict, ValidationFailed
from parcours.notifications import services
from parcours.notifications.enums import Channel, NotificationStatus
from parcours.notifications.models import Notification, NotificationAttachment
from parcours.notifications.services import Attachment
from parcours.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _email(**overrides: object) -> Notification:
    args: dict[str, object] = {
        "channel": Channel.EMAIL,
        "to": "dr.martin@cabinet.example.org",
        "subject": "Synthèse du jour",
        "body": "Bonjour,\nvoici la synthèse.",
        "idempotency_key": "synthesis:1:2026-11-23:dr.martin",
    }
    args.update(overrides)
    return services.notification_enqueue(**args)  # type: ignore[arg-type]


def test_enqueue_stores_the_message_and_its_pdf_and_audits_it() -> None:
    actor = UserFactory(role="idec")
    gp = UserFactory(role="gp")
    notification = _email(
        to="Dr.Martin@Cabinet.EXAMPLE.org",
        attachments=[Attachment("synthese.pdf", PDF)],
        html="<p>Bonjour</p>",
        recipient=gp,
        patient_id=42,
        actor=actor,
    )
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.to == "Dr.Martin@cabinet.example.org"  # the domain is case-insensitive
    assert notification.attempts == 0
    assert notification.next_attempt_at is not None
    assert (notification.recipient, notification.created_by, notification.patient_id) == (gp, actor, 42)
    (attachment,) = notification.attachments.all()
    assert (attachment.filename, attachment.content_type, bytes(attachment.content), attachment.size) == (
        "synthese.pdf",
        "application/pdf",
        PDF,
        len(PDF),
    )
    event = AuditEvent.objects.get(object_type="notification", action="create")
    assert event.object_id == str(notification.external_id)
    assert event.patient_id == 42
    assert event.actor == actor
    assert event.detail["attachments"] == ["synthese.pdf"]


def test_enqueue_twice_with_the_same_key_keeps_one_row_and_sends_one_message(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = _email()
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = _email(body="Un autre texte, même clé")
    assert second.pk == first.pk
    assert second_callbacks == []  # nothing queued the second time
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_the_same_key_for_another_recipient_is_refused() -> None:
    _email()
    with pytest.raises(Conflict):
        _email(to="quelquun.dautre@example.org")
    assert Notification.objects.count() == 1


def test_losing_the_race_on_the_unique_key_returns_the_winners_row(monkeypatch) -> None:
    winner = _email()
    # A concurrent caller read "no row yet" just before the winner committed: its INSERT hits the constraint.
    real_existing = services._existing
    calls = iter([None])
    monkeypatch.setattr(services, "_existing", lambda key: next(calls, None) or real_existing(key))
    loser = _email()
    assert loser.pk == winner.pk
    assert Notification.objects.count() == 1
    # the caller's transaction is still usable after the savepoint rolled back
    assert AuditEvent.objects.filter(object_type="notification").count() == 1


@pytest.mark.parametrize("bad", ["pas-une-adresse", "dr.martin@", "Dr Martin <dr.martin@example.org>", ""])
def test_an_invalid_email_address_is_refused_naming_the_field_and_nothing_is_written(bad: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _email(to=bad)
    assert list(exc.value.field_errors) == ["to"]
    assert "e-mail" in exc.value.field_errors["to"][0]
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(object_type="notification").exists()


def test_an_invalid_sms_number_is_refused_naming_the_field_and_nothing_is_written() -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.notification_enqueue(
            channel=Channel.SMS, to="01 23 45 67 89", subject="", body="Alerte", idempotency_key="alert:1"
        )
    assert "to" in exc.value.field_errors
    assert "mobile" in exc.value.field_errors["to"][0]
    assert not Notification.objects.exists()


def test_every_broken_field_is_named_at_once() -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.notification_enqueue(
            channel=Channel.SMS,
            to="06 12 34 56 78",
            subject="Deux\nlignes",
            body=" ",
            idempotency_key="",
            html="<p>non</p>",
            attachments=[("a.pdf", PDF, "application/pdf")],
        )
    assert set(exc.value.field_errors) == {"subject", "body", "idempotency_key", "html", "attachments"}
    with pytest.raises(ValidationFailed) as exc:
        _email(channel="fax")
    assert "channel" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        _email(subject="")
    assert "subject" in exc.value.field_errors
    with pytest.raises(ValidationFailed) as exc:
        _email(attachments=[Attachment("../../etc/passwd", b"x", "text/plain")])
    assert "attachments" in exc.value.field_errors
    assert not Notification.objects.exists()


def test_nothing_is_queued_when_the_callers_transaction_rolls_back(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                _email()
                raise RuntimeError("the caller fails after enqueueing")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_sending_waits_for_the_callers_commit(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = _email()
    assert len(callbacks) == 1  # the send task is queued on commit, not before
    assert mail.outbox == []
    callbacks[0]()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert len(mail.outbox) == 1


def test_an_sms_is_normalised_to_e164_and_written_by_the_log_gateway(
    sms_dir: Path, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notification_enqueue(
            channel=Channel.SMS,
            to="06 12 34 56 78",
            subject="Alerte",
            body="Fièvre 38,9 °C chez Mme M. : rappelez l'IDEC.",
            idempotency_key="alert:7:fever",
            patient_id=7,
        )
    notification.refresh_from_db()
    assert notification.to == "+33612345678"
    assert notification.status == NotificationStatus.SENT
    assert notification.provider_message_id == f"log:{notification.external_id}"
    (log,) = sms_dir.glob("sms-*.jsonl")
    (line,) = log.read_text(encoding="utf-8").splitlines()
    assert json.loads(line) | {"at": None} == {
        "at": None,
        "to": "+33612345678",
        "reference": str(notification.external_id),
        "body": "Fièvre 38,9 °C chez Mme M. : rappelez l'IDEC.",
    }


def test_several_attachments_are_kept_in_the_order_given() -> None:
    notification = _email(attachments=[Attachment("a.pdf", PDF), ("b.txt", b"texte", "text/plain")])
    kept = NotificationAttachment.objects.filter(notification=notification)
    assert [(a.filename, a.content_type) for a in kept] == [
        ("a.pdf", "application/pdf"),
        ("b.txt", "text/plain"),
    ]


def _alert_batch(suffix: str = "") -> list[services.Outgoing]:
    return [
        services.Outgoing(
            channel=Channel.SMS,
            to="+33612345678",
            subject="Alerte",
            body="Une alerte attend.",
            idempotency_key=f"a:1:sms{suffix}",
        ),
        services.Outgoing(
            channel=Channel.EMAIL,
            to="idec@had.example.org",
            subject="Alerte",
            body="Une alerte attend.",
            idempotency_key=f"a:1:mail{suffix}",
        ),
        services.Outgoing(
            channel=Channel.EMAIL,
            to="not an address",
            subject="Alerte",
            body="Une alerte attend.",
            idempotency_key=f"a:1:bad{suffix}",
        ),
    ]


def test_enqueue_many_writes_the_valid_messages_and_reports_a_bad_address_in_its_place(monkeypatch) -> None:
    queued: list[list[int]] = []
    monkeypatch.setattr(services, "_queue_send_batch", queued.append)
    results = services.notification_enqueue_many(_alert_batch())
    assert isinstance(results[0], Notification) and isinstance(results[1], Notification)
    assert isinstance(results[2], ValidationFailed) and "to" in results[2].field_errors
    assert Notification.objects.filter(status=NotificationStatus.PENDING).count() == 2
    assert queued == [[results[0].pk, results[1].pk]]  # one sending task for the batch
    audited = AuditEvent.objects.filter(object_type="notification", action="create")
    assert sorted(e.object_id for e in audited) == sorted(str(r.external_id) for r in results[:2])


def test_enqueue_many_is_idempotent_by_key_and_refuses_a_key_reused_for_another_address(monkeypatch) -> None:
    monkeypatch.setattr(services, "_queue_send_batch", lambda ids: None)
    first = services.notification_enqueue_many(_alert_batch())
    again = services.notification_enqueue_many(_alert_batch())
    assert [r.pk for r in again[:2]] == [r.pk for r in first[:2]]  # type: ignore[union-attr]
    assert Notification.objects.count() == 2
    other = services.Outgoing(
        channel=Channel.SMS, to="+33699999999", subject="Alerte", body="x", idempotency_key="a:1:sms"
    )
    with pytest.raises(Conflict):
        services.notification_enqueue_many([other])
    assert Notification.objects.count() == 2


def test_enqueued_batch_is_sent_by_one_task_after_commit(
    sms_dir: Path, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        results = services.notification_enqueue_many(_alert_batch("-t"))
        assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 0
    assert len(callbacks) == 1
    assert len(list(sms_dir.glob("sms-*.jsonl"))) == 1
    sent = Notification.objects.filter(status=NotificationStatus.SENT)
    assert {n.pk for n in sent} == {r.pk for r in results[:2]}  # type: ignore[union-attr]
    assert len(mail.outbox) == 1
