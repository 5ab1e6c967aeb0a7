"""notification_send and the sweep against a real SMTP server: delivery, retries, giving up, worker crash."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.core import mail

from parcours.audit.models import AuditEvent
from parcours.notifications import channels, rules, services, tasks
from parcours.notifications.enums import Channel, NotificationStatus
from parcours.notifications.models import Notification
from parcours.notifications.services import Attachment
from parcours.notifications.tests.conftest import SmtpServer

pytestmark = pytest.mark.django_db

S = NotificationStatus
T0 = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _enqueue(capture, key: str = "synthesis:1:2026-11-23:gp", **overrides: object) -> Notification:  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "channel": Channel.EMAIL,
        "to": "medecin.traitant@cabinet.example.org",
        "subject": "Synthèse quotidienne — 23/11/2026",
        "body": "Bonjour Docteur,\nla synthèse du jour est jointe.",
        "idempotency_key": key,
        "attachments": [Attachment("synthese-2026-11-23.pdf", PDF)],
        "patient_id": 1,
    }
    args.update(overrides)
    with capture(execute=True):  # the send task is queued on commit; the test queue runs it at once
        notification = services.notification_enqueue(**args)
    notification.refresh_from_db()
    return notification


def _sweep(capture) -> list[int]:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return services.notification_requeue_due()


def test_an_email_with_its_pdf_arrives_through_a_real_smtp_exchange(
    smtp_server: SmtpServer, django_capture_on_commit_callbacks, clock
) -> None:
    notification = _enqueue(django_capture_on_commit_callbacks, html="<p>Bonjour <b>Docteur</b></p>")
    assert notification.status == S.SENT
    assert notification.sent_at == T0
    assert notification.attempts == 1
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["medecin.traitant@cabinet.example.org"]
    assert received.mail_from == "parcours@had.example.org"
    message = received.message
    assert message["Subject"] == "Synthèse quotidienne — 23/11/2026"
    assert (
        message["Message-ID"]
        == notification.provider_message_id
        == f"<{notification.external_id}@had.example.org>"
    )
    assert message.get_body(preferencelist=("plain",)).get_content().splitlines() == [
        "Bonjour Docteur,",
        "la synthèse du jour est jointe.",
    ]
    assert "<b>Docteur</b>" in message.get_body(preferencelist=("html",)).get_content()
    (pdf,) = message.iter_attachments()
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "synthese-2026-11-23.pdf"
    assert pdf.get_content() == PDF
    events = list(AuditEvent.objects.filter(object_id=str(notification.external_id)).order_by("id"))
    assert [(e.action, e.detail.get("event")) for e in events] == [("create", None), ("update", "sent")]
    assert events[1].patient_id == 1


def test_enqueueing_the_same_key_twice_delivers_one_message(
    smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    first = _enqueue(django_capture_on_commit_callbacks)
    again = _enqueue(django_capture_on_commit_callbacks)
    assert again.pk == first.pk
    assert len(smtp_server.messages) == 1
    # sending an already sent row again (a duplicate task) sends nothing either
    services.notification_send(notification_id=first.pk)
    assert len(smtp_server.messages) == 1


def test_a_451_answer_schedules_a_retry_and_the_retry_is_sent_when_due(
    smtp_server: SmtpServer, django_capture_on_commit_callbacks, clock
) -> None:
    smtp_server.answer_data = "451 4.3.0 Try again later"
    notification = _enqueue(django_capture_on_commit_callbacks)
    assert notification.status == S.FAILED
    assert notification.attempts == 1
    assert notification.next_attempt_at == T0 + dt.timedelta(minutes=1)
    assert "451" in notification.last_error
    assert smtp_server.messages == []

    smtp_server.answer_data = None
    clock.shift(dt.timedelta(seconds=30))
    assert _sweep(django_capture_on_commit_callbacks) == []  # not due yet
    services.notification_send(notification_id=notification.pk)  # an early task does not send either
    assert Notification.objects.get(pk=notification.pk).status == S.FAILED

    clock.shift(dt.timedelta(seconds=31))
    assert _sweep(django_capture_on_commit_callbacks) == [notification.pk]
    notification.refresh_from_db()
    assert notification.status == S.SENT
    assert notification.attempts == 2
    assert notification.last_error == ""
    assert len(smtp_server.messages) == 1


def test_a_server_that_is_down_then_up_gets_the_message_on_the_retry(
    smtp_server: SmtpServer, django_capture_on_commit_callbacks, clock
) -> None:
    with smtp_server.down():
        notification = _enqueue(django_capture_on_commit_callbacks)
    assert notification.status == S.FAILED
    assert "ConnectionRefused" in notification.last_error
    clock.shift(dt.timedelta(minutes=1))
    _sweep(django_capture_on_commit_callbacks)
    notification.refresh_from_db()
    assert notification.status == S.SENT
    assert len(smtp_server.messages) == 1


def test_after_six_failed_attempts_the_notification_is_dead_and_no_longer_retried(
    smtp_server: SmtpServer, django_capture_on_commit_callbacks, clock, caplog
) -> None:
    smtp_server.answer_data = "451 4.3.0 Try again later"
    notification = _enqueue(django_capture_on_commit_callbacks)
    waits = []
    while notification.status == S.FAILED:
        assert notification.next_attempt_at is not None
        waits.append(notification.next_attempt_at - dt.datetime.now(dt.UTC))
        clock.move_to(notification.next_attempt_at)
        _sweep(django_capture_on_commit_callbacks)
        notification.refresh_from_db()
    assert waits == list(rules.BACKOFF)
    assert notification.status == S.DEAD
    assert notification.attempts == rules.MAX_ATTEMPTS
    assert notification.next_attempt_at is None
    assert "given up after 6 attempt(s)" in caplog.text
    clock.shift(dt.timedelta(days=1))
    assert _sweep(django_capture_on_commit_callbacks) == []
    assert (
        AuditEvent.objects.filter(object_id=str(notification.external_id), detail__event="dead").count() == 1
    )


def test_a_recipient_refused_with_a_5xx_answer_gives_up_at_once(
    smtp_server: SmtpServer, django_capture_on_commit_callbacks
) -> None:
    smtp_server.answer_rcpt = "550 5.1.1 Unknown user"
    notification = _enqueue(django_capture_on_commit_callbacks)
    assert notification.status == S.DEAD
    assert notification.attempts == 1
    assert "550" in notification.last_error


def test_a_row_left_in_sending_by_a_crashed_worker_is_taken_back_by_the_sweep_and_sent(
    smtp_server: SmtpServer, django_capture_on_commit_callbacks, clock, monkeypatch
) -> None:
    class WorkerKilled(BaseException):
        """The process dies between the claim and the SMTP exchange."""

    def die(notification: Notification) -> str:
        raise WorkerKilled

    monkeypatch.setattr(channels, "deliver", die)
    with pytest.raises(WorkerKilled):
        _enqueue(django_capture_on_commit_callbacks)
    notification = Notification.objects.get()
    assert notification.status == S.SENDING
    assert notification.claimed_at == T0
    monkeypatch.undo()

    clock.shift(rules.STUCK_AFTER - dt.timedelta(seconds=1))
    assert _sweep(django_capture_on_commit_callbacks) == []  # maybe still working: leave it
    assert Notification.objects.get().status == S.SENDING

    clock.shift(dt.timedelta(seconds=2))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.notification_sweep_task()  # the periodic task itself (immediate queue in tests)
    notification.refresh_from_db()
    assert notification.status == S.SENT
    assert notification.attempts == 2
    assert len(smtp_server.messages) == 1
    events = AuditEvent.objects.filter(object_id=str(notification.external_id)).values_list(
        "detail__event", flat=True
    )
    assert "failed_after_stuck" in list(events)


def test_a_row_stuck_in_sending_on_its_last_attempt_is_declared_dead(
    django_capture_on_commit_callbacks, clock
) -> None:
    notification = _enqueue(django_capture_on_commit_callbacks)
    Notification.objects.filter(pk=notification.pk).update(
        status=S.SENDING, sent_at=None, claimed_at=T0, attempts=rules.MAX_ATTEMPTS, next_attempt_at=None
    )
    clock.shift(rules.STUCK_AFTER + dt.timedelta(minutes=1))
    assert _sweep(django_capture_on_commit_callbacks) == []
    notification.refresh_from_db()
    assert notification.status == S.DEAD
    assert "worker stopped while sending" in notification.last_error


def test_a_row_claimed_by_another_worker_is_not_sent_twice(
    smtp_server: SmtpServer, django_capture_on_commit_callbacks, clock
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        notification = services.notification_enqueue(
            channel=Channel.EMAIL, to="a@example.org", subject="x", body="y", idempotency_key="k"
        )
    assert services._claim(notification.pk) is True  # worker A claims the row…
    services.notification_send(notification_id=notification.pk)  # …worker B's task finds it taken
    notification.refresh_from_db()
    assert notification.status == S.SENDING
    assert notification.attempts == 1
    assert smtp_server.messages == []
    assert services._claim(notification.pk) is False


def test_a_pending_row_whose_first_task_was_lost_is_sent_by_the_sweep(
    django_capture_on_commit_callbacks, clock
) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # the queue lost the on-commit task
        notification = services.notification_enqueue(
            channel=Channel.EMAIL, to="a@example.org", subject="x", body="y", idempotency_key="k"
        )
    assert _sweep(django_capture_on_commit_callbacks) == []  # a fresh row: its task is probably on its way
    clock.shift(rules.PENDING_GRACE)
    assert _sweep(django_capture_on_commit_callbacks) == [notification.pk]
    notification.refresh_from_db()
    assert notification.status == S.SENT
    assert len(mail.outbox) == 1


def test_an_unexpected_error_in_a_channel_is_retried_not_lost(
    django_capture_on_commit_callbacks, clock, monkeypatch
) -> None:
    def broken(notification: Notification) -> str:
        raise KeyError("provider answered something odd")

    monkeypatch.setattr(channels, "deliver", broken)
    notification = _enqueue(django_capture_on_commit_callbacks)
    assert notification.status == S.FAILED
    assert "KeyError" in notification.last_error
    assert notification.next_attempt_at == T0 + rules.BACKOFF[0]


def _pending(key: str, **overrides: object) -> Notification:
    args: dict[str, object] = {
        "channel": Channel.EMAIL,
        "to": f"{key}@had.example.org",
        "subject": "Alerte",
        "body": "Une alerte attend.",
        "idempotency_key": key,
        "patient_id": 1,
    }
    args.update(overrides)
    return services.notification_enqueue(**args)  # type: ignore[arg-type]  # not sent: no commit callback run


def test_a_batch_is_sent_through_a_real_smtp_exchange_and_each_outcome_is_recorded_and_audited(
    smtp_server: SmtpServer, sms_dir, clock
) -> None:
    rows = [
        _pending("a1"),
        _pending("a2", attachments=[Attachment("note.pdf", PDF)]),
        _pending("a3", channel=Channel.SMS, to="0612345678"),
    ]
    assert services.notification_send_many(notification_ids=[r.pk for r in rows]) == 3
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["a1@had.example.org", "a2@had.example.org"]
    with_pdf = next(m for m in smtp_server.messages if m.rcpt_tos == ["a2@had.example.org"])
    assert [p.get_filename() for p in with_pdf.message.iter_attachments()] == ["note.pdf"]
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.attempts, row.sent_at) == (S.SENT, 1, T0)
        assert AuditEvent.objects.filter(
            object_id=str(row.external_id), action="update", detail__event="sent"
        ).exists()
    # sent rows are not sent again by a second task (at-least-once, never twice on purpose)
    assert services.notification_send_many(notification_ids=[r.pk for r in rows]) == 0
    assert len(smtp_server.messages) == 2


def test_in_a_batch_a_refused_message_is_recorded_for_retry_and_the_others_still_leave(
    smtp_server: SmtpServer, sms_dir, clock
) -> None:
    email_row = _pending("b1")
    sms_row = _pending("b2", channel=Channel.SMS, to="0612345678")
    smtp_server.answer_data = "451 4.3.0 Try again later"
    assert services.notification_send_many(notification_ids=[email_row.pk, sms_row.pk]) == 1
    email_row.refresh_from_db()
    sms_row.refresh_from_db()
    assert (
        email_row.status == S.FAILED
        and email_row.next_attempt_at is not None
        and "451" in email_row.last_error
    )
    assert sms_row.status == S.SENT
