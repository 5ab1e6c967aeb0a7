"""Reads of the outbox for the features that use it (was the synthesis sent?) and for supervision."""

from __future__ import annotations

from django.db.models import QuerySet

from parcours.notifications.enums import NotificationStatus
from parcours.notifications.models import Notification


def notification_by_key(*, idempotency_key: str) -> Notification | None:
    return Notification.objects.filter(idempotency_key=idempotency_key).first()


def notifications_needing_attention() -> QuerySet[Notification]:
    """Rows that gave up (``dead``) or are waiting for another try (``failed``), oldest first."""
    return Notification.objects.filter(
        status__in=[NotificationStatus.DEAD, NotificationStatus.FAILED]
    ).order_by("created_at")
