"""The read-only outbox in the admin, and its "re-queue" action (through the service)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from parcours.audit.models import AuditEvent
from parcours.notifications import services
from parcours.notifications.enums import Channel, NotificationStatus
from parcours.notifications.models import Notification
from parcours.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

S = NotificationStatus
CHANGELIST = "admin:notifications_notification_changelist"


def _dead(key: str = "k1") -> Notification:
    notification = services.notification_enqueue(
        channel=Channel.EMAIL,
        to="a@example.org",
        subject="Synthèse",
        body="Texte secret",
        idempotency_key=key,
    )
    Notification.objects.filter(pk=notification.pk).update(
        status=S.DEAD, attempts=6, next_attempt_at=None, last_error="451 Try again later"
    )
    return notification


def _admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(role=None, is_staff=True, is_superuser=True, username="root"))
    return client


def test_the_outbox_lists_and_filters_by_status_and_channel_without_showing_content() -> None:
    dead = _dead()
    services.notification_enqueue(
        channel=Channel.SMS, to="0612345678", subject="Alerte", body="Texte SMS", idempotency_key="k2"
    )
    client = _admin_client()
    page = client.get(reverse(CHANGELIST), {"status__exact": "dead"})
    assert page.status_code == 200
    assert "a@example.org" in page.text
    assert "+33612345678" not in page.text
    page = client.get(reverse(CHANGELIST), {"channel__exact": "sms"})
    assert "+33612345678" in page.text
    assert "a@example.org" not in page.text
    detail = client.get(reverse("admin:notifications_notification_change", args=[dead.pk]))
    assert detail.status_code == 200
    assert "451 Try again later" in detail.text
    assert "Texte secret" not in detail.text  # the message itself (patient data) is not shown here
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403


def test_the_requeue_action_gives_a_dead_notification_a_new_series_of_attempts(
    django_capture_on_commit_callbacks,
) -> None:
    dead = _dead()
    client = _admin_client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(CHANGELIST), {"action": "requeue", "_selected_action": [dead.pk]}, follow=True
        )
    assert "1 notification remise en file" in response.text
    dead.refresh_from_db()
    assert dead.status == S.SENT
    assert dead.attempts == 1
    assert len(mail.outbox) == 1
    event = AuditEvent.objects.get(object_id=str(dead.external_id), detail__event="requeued")
    assert event.detail["previous_status"] == "dead"
    assert event.actor is not None and event.actor.username == "root"


def test_requeueing_a_sent_notification_is_refused_and_sends_nothing_again(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.notification_enqueue(
            channel=Channel.EMAIL, to="a@example.org", subject="x", body="y", idempotency_key="k"
        )
    client = _admin_client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(CHANGELIST), {"action": "requeue", "_selected_action": [sent.pk]}, follow=True
        )
    assert "déjà été envoyée" in response.text
    assert len(mail.outbox) == 1


def test_staff_who_may_only_view_the_outbox_cannot_requeue() -> None:
    dead = _dead()
    viewer = UserFactory(role=None, is_staff=True, username="ops")
    viewer.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client = Client()
    client.force_login(viewer)
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert 'value="requeue"' not in page.text
    client.post(reverse(CHANGELIST), {"action": "requeue", "_selected_action": [dead.pk]})
    dead.refresh_from_db()
    assert dead.status == S.DEAD
