"""Writes of the outbox: enqueue (idempotent), send (claimed), re-queue due and stuck rows, re-queue by hand.

Sending is at-least-once: a row is claimed (one transaction), delivered outside any transaction (network
I/O must not hold the database), then its outcome is recorded (a second transaction). A worker that dies
in between leaves the row in ``sending``; the sweep takes it back after ``STUCK_AFTER``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.audit.services import audit_batch, audit_record
from parcours.core import clock
from parcours.core.errors import Conflict, NotFound, ValidationFailed
from parcours.notifications import channels, rules
from parcours.notifications.enums import Channel, NotificationStatus
from parcours.notifications.models import Notification, NotificationAttachment

logger = logging.getLogger(__name__)

S = NotificationStatus
MAX_ATTACHMENTS_BYTES = 5 * 1024 * 1024  # small PDFs; SMTP relays often refuse more than 10 MB once encoded
SMS_MAX_LENGTH = 640  # about four concatenated SMS
SWEEP_BATCH = 500
ERROR_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class Outgoing:
    """One message for ``notification_enqueue_many`` (the arguments of ``notification_enqueue``)."""

    channel: str
    to: str
    subject: str
    body: str
    idempotency_key: str
    recipient: User | None = None
    patient_id: int | None = None
    html: str | None = None


def _attachments(raw: Iterable[Attachment | tuple[str, bytes, str]]) -> list[Attachment]:
    return [item if isinstance(item, Attachment) else Attachment(*item) for item in raw]


def _validate(
    *,
    channel: str,
    to: str,
    subject: str,
    body: str,
    html: str | None,
    idempotency_key: str,
    attachments: Sequence[Attachment],
) -> tuple[str, dict[str, list[str]]]:
    """Return the normalised address and the errors by field."""
    errors: dict[str, list[str]] = {}
    address = (to or "").strip()
    if channel == Channel.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            errors["to"] = [_("Adresse e-mail invalide : « %(to)s ».") % {"to": to}]
        else:
            local, _at, domain = address.rpartition("@")
            address = f"{local}@{domain.lower()}"
        if not subject.strip():
            errors["subject"] = [_("L'objet de l'e-mail est obligatoire.")]
    elif channel == Channel.SMS:
        number = rules.french_mobile_e164(address)
        if number is None:
            errors["to"] = [
                _("Numéro de mobile français invalide : « %(to)s » (attendu : 06…, 07… ou +33 6…, +33 7…).")
                % {"to": to}
            ]
        else:
            address = number
        if len(body) > SMS_MAX_LENGTH:
            errors["body"] = [
                _("Un SMS compte au plus %(max)d caractères (ici %(n)d).")
                % {"max": SMS_MAX_LENGTH, "n": len(body)}
            ]
        if html:
            errors["html"] = [_("Un SMS n'a pas de version HTML.")]
        if attachments:
            errors["attachments"] = [_("Un SMS ne peut pas porter de pièce jointe.")]
    else:
        errors["channel"] = [_("Canal inconnu : « %(channel)s ».") % {"channel": channel}]
    if "\n" in subject or "\r" in subject:
        errors.setdefault("subject", []).append(_("L'objet tient sur une ligne."))
    if len(subject) > 255:
        errors.setdefault("subject", []).append(_("L'objet compte au plus 255 caractères."))
    if not body.strip():
        errors.setdefault("body", []).append(_("Le texte du message est obligatoire."))
    key = idempotency_key.strip()
    if not key or len(key) > 200:
        errors["idempotency_key"] = [_("La clé d'idempotence est obligatoire (200 caractères au plus).")]
    for attachment in attachments:
        name = attachment.filename
        if not name or len(name) > 200 or any(c in name for c in "/\\\r\n"):
            errors.setdefault("attachments", []).append(
                _("Nom de pièce jointe invalide : « %(name)s ».") % {"name": name}
            )
        if not isinstance(attachment.content, bytes | bytearray):
            errors.setdefault("attachments", []).append(
                _("Le contenu de « %(name)s » doit être binaire.") % {"name": name}
            )
    if sum(len(a.content) for a in attachments) > MAX_ATTACHMENTS_BYTES:
        errors.setdefault("attachments", []).append(
            _("Les pièces jointes dépassent %(mb)d Mo.") % {"mb": MAX_ATTACHMENTS_BYTES // (1024 * 1024)}
        )
    return address, errors


def _existing(idempotency_key: str) -> Notification | None:
    return Notification.objects.filter(idempotency_key=idempotency_key).first()


def _same_target(existing: Notification, *, channel: str, to: str) -> Notification:
    """The same key for another recipient is a caller's bug that would lose a message: refuse it."""
    if existing.channel != channel or existing.to != to:
        raise Conflict(
            _("La clé d'idempotence « %(key)s » a déjà servi pour un autre destinataire.")
            % {"key": existing.idempotency_key}
        )
    return existing


def _queue_send(notification_id: int) -> None:
    from parcours.notifications.tasks import notification_send_task

    transaction.on_commit(lambda: notification_send_task(notification_id))


@transaction.atomic
def notification_enqueue(
    *,
    channel: str,
    to: str,
    subject: str,
    body: str,
    idempotency_key: str,
    html: str | None = None,
    attachments: Iterable[Attachment | tuple[str, bytes, str]] = (),
    recipient: User | None = None,
    patient_id: int | None = None,
    actor: User | None = None,
) -> Notification:
    """Put one message in the outbox and queue its sending once the caller's transaction commits.

    Idempotent: a key already used returns its row unchanged and queues nothing (the row goes on with its
    own life: sent, retried or dead). Raises ``ValidationFailed`` (nothing written) on a bad address or
    message, ``Conflict`` when the key was used for another channel or address.
    """
    files = _attachments(attachments)
    address, errors = _validate(
        channel=channel,
        to=to,
        subject=subject,
        body=body,
        html=html,
        idempotency_key=idempotency_key,
        attachments=files,
    )
    if errors:
        raise ValidationFailed(
            _("La notification n'a pas été créée : corrigez les champs signalés."), field_errors=errors
        )
    key = idempotency_key.strip()
    existing = _existing(key)
    if existing is not None:
        return _same_target(existing, channel=channel, to=address)
    now = clock.now()
    try:
        with transaction.atomic():  # a savepoint: losing the race on the unique key leaves the caller's work
            notification = Notification.objects.create(
                channel=channel,
                to=address,
                recipient=recipient,
                subject=subject.strip(),
                body=body,
                html=html or "",
                idempotency_key=key,
                status=S.PENDING,
                next_attempt_at=now,
                patient_id=patient_id,
                created_by=actor,
            )
            NotificationAttachment.objects.bulk_create(
                NotificationAttachment(
                    notification=notification,
                    filename=a.filename,
                    content_type=a.content_type,
                    content=bytes(a.content),
                    size=len(a.content),
                )
                for a in files
            )
    except IntegrityError:
        winner = _existing(key)
        if winner is None:
            raise
        return _same_target(winner, channel=channel, to=address)
    audit_record(
        actor=actor,
        action="create",
        object_type="notification",
        object_id=str(notification.external_id),
        patient_id=patient_id,
        detail={
            "notification": channel,
            "to": address,
            "idempotency_key": key,
            "attachments": [a.filename for a in files],
        },
    )
    _queue_send(notification.pk)
    return notification


def _queue_send_batch(notification_ids: list[int]) -> None:
    from parcours.notifications.tasks import notification_send_batch_task

    transaction.on_commit(lambda: notification_send_batch_task(notification_ids))


def notification_enqueue_many(
    messages: Sequence[Outgoing], *, actor: User | None = None
) -> list[Notification | ValidationFailed]:
    """Put several messages in the outbox at once (an alert to four people); one sending task for them all.

    Same rules as ``notification_enqueue`` for each message (idempotent by key; ``Conflict`` when a key was
    used for another address), but a message that does not validate does not stop the others: its place in
    the result holds the ``ValidationFailed`` instead of the row. Three or four statements for the whole
    batch instead of seven per message.
    """
    results: list[Notification | ValidationFailed | None] = [None] * len(messages)
    valid: list[tuple[int, Outgoing, str, str]] = []  # (position, message, address, key)
    for i, m in enumerate(messages):
        address, errors = _validate(
            channel=m.channel,
            to=m.to,
            subject=m.subject,
            body=m.body,
            html=m.html,
            idempotency_key=m.idempotency_key,
            attachments=[],
        )
        if errors:
            results[i] = ValidationFailed(
                _("La notification n'a pas été créée : corrigez les champs signalés."), field_errors=errors
            )
        else:
            valid.append((i, m, address, m.idempotency_key.strip()))
    existing = {
        n.idempotency_key: n for n in Notification.objects.filter(idempotency_key__in=[k for *_, k in valid])
    }
    now = clock.now()
    fresh: list[tuple[int, Outgoing, str, str]] = []
    for i, m, address, key in valid:
        if key in existing:
            results[i] = _same_target(existing[key], channel=m.channel, to=address)
        elif any(k == key for *_, k in fresh):
            raise Conflict(_("La clé d'idempotence « %(key)s » est en double dans l'envoi.") % {"key": key})
        else:
            fresh.append((i, m, address, key))
    if fresh:
        rows = [
            Notification(
                channel=m.channel,
                to=address,
                recipient=m.recipient,
                subject=m.subject.strip(),
                body=m.body,
                html=m.html or "",
                idempotency_key=key,
                status=S.PENDING,
                next_attempt_at=now,
                patient_id=m.patient_id,
                created_by=actor,
            )
            for _i, m, address, key in fresh
        ]
        try:
            # The rows and their audit together (a savepoint inside the caller's transaction): a racing
            # worker that wrote one of the keys meanwhile makes it fail as a whole.
            with transaction.atomic():
                created = Notification.objects.bulk_create(rows)
                if any(n.pk is None for n in created):  # a database without RETURNING: read the ids back
                    ids = dict(
                        Notification.objects.filter(idempotency_key__in=[k for *_, k in fresh]).values_list(
                            "idempotency_key", "pk"
                        )
                    )
                    for n in created:
                        n.pk = ids[n.idempotency_key]
                with audit_batch():
                    for (_i, m, address, key), notification in zip(fresh, created, strict=True):
                        audit_record(
                            actor=actor,
                            action="create",
                            object_type="notification",
                            object_id=str(notification.external_id),
                            patient_id=m.patient_id,
                            detail={
                                "notification": m.channel,
                                "to": address,
                                "idempotency_key": key,
                                "attachments": [],
                            },
                        )
        except IntegrityError:  # rare: one by one, each resolving its own race
            for i, m, _address, key in fresh:
                results[i] = notification_enqueue(
                    channel=m.channel,
                    to=m.to,
                    subject=m.subject,
                    body=m.body,
                    idempotency_key=key,
                    html=m.html,
                    recipient=m.recipient,
                    patient_id=m.patient_id,
                    actor=actor,
                )
        else:
            for (i, *_rest), notification in zip(fresh, created, strict=True):
                results[i] = notification
            _queue_send_batch([n.pk for n in created])
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _claim(notification_id: int) -> bool:
    """Take the row for this worker (one conditional UPDATE, atomic on its own); False if it is not ours to
    send (already sent, being sent by another worker, dead, or not due yet)."""
    now = clock.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status__in=[S.PENDING, S.FAILED], next_attempt_at__lte=now
    ).update(
        status=S.SENDING,
        claimed_at=now,
        next_attempt_at=None,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    return claimed == 1


def _audit_outcome(notification: Notification, event: str, **detail: Any) -> None:
    audit_record(
        actor=None,
        action="update",
        object_type="notification",
        object_id=str(notification.external_id),
        patient_id=notification.patient_id,
        detail={"notification": notification.channel, "event": event, "to": notification.to, **detail},
    )


def _record_sent(sent: Sequence[tuple[Notification, int, str]]) -> None:
    """Record (row, attempt, provider id) outcomes as sent, in one transaction, their audit in one INSERT."""
    now = clock.now()
    with transaction.atomic(), audit_batch():
        for notification, attempt, provider_id in sent:
            # Recorded even if the sweep took the row back meanwhile (a very slow server): it did leave.
            Notification.objects.filter(pk=notification.pk).exclude(status=S.SENT).update(
                status=S.SENT,
                sent_at=now,
                claimed_at=None,
                next_attempt_at=None,
                provider_message_id=provider_id[:255],
                last_error="",
                updated_at=now,
            )
            _audit_outcome(notification, "sent", attempt=attempt, provider_message_id=provider_id[:255])


def _record_failure(notification: Notification, *, attempt: int, error: str, permanent: bool) -> None:
    now = clock.now()
    delay = None if permanent else rules.retry_delay(attempt)
    status = S.DEAD if delay is None else S.FAILED
    with transaction.atomic():
        updated = Notification.objects.filter(pk=notification.pk, status=S.SENDING, attempts=attempt).update(
            status=status,
            claimed_at=None,
            next_attempt_at=None if delay is None else now + delay,
            last_error=error[:ERROR_MAX_LENGTH],
            updated_at=now,
        )
        if updated != 1:
            return  # the sweep took the row back meanwhile; it owns the next step
        _audit_outcome(notification, status, attempt=attempt, error=error[:ERROR_MAX_LENGTH])
    if status == S.DEAD:
        logger.error(
            "notification %s (%s to %s) given up after %d attempt(s): %s",
            notification.external_id,
            notification.channel,
            notification.to,
            attempt,
            error,
        )
    else:
        logger.warning("notification %s attempt %d failed: %s", notification.external_id, attempt, error)


def notification_send(*, notification_id: int) -> Notification:
    """Send one outbox row if it is due and nobody else is sending it; record the outcome.

    Safe to call any number of times, from any number of workers: only the worker whose conditional
    update claims the row sends it. Returns the row as it stands afterwards.
    """
    if not _claim(notification_id):
        try:
            return Notification.objects.get(pk=notification_id)
        except Notification.DoesNotExist as exc:
            raise NotFound(_("Notification introuvable.")) from exc
    notification = Notification.objects.get(pk=notification_id)
    provider_id = _deliver(notification, attempt=notification.attempts)
    if provider_id is not None:
        _record_sent([(notification, notification.attempts, provider_id)])
    notification.refresh_from_db()
    return notification


def _deliver(notification: Notification, *, attempt: int) -> str | None:
    """Deliver a claimed row: the provider's id, or None once the failure is recorded (retry or dead)."""
    try:
        return channels.deliver(notification)
    except channels.DeliveryError as exc:
        permanent = isinstance(exc, channels.PermanentDeliveryError)
        _record_failure(notification, attempt=attempt, error=str(exc), permanent=permanent)
    except Exception as exc:  # a bug or an unexpected answer in a channel: retried, never lost
        logger.exception("notification %s: unexpected error while sending", notification.external_id)
        _record_failure(notification, attempt=attempt, error=f"{type(exc).__name__}: {exc}", permanent=False)
    return None


def notification_send_many(*, notification_ids: Sequence[int]) -> int:
    """Send several outbox rows (an alert's messages) with fewer round trips; returns how many left.

    Same guarantees as ``notification_send`` for each row (claimed by one conditional UPDATE, delivered
    outside any transaction, outcome recorded): the rows are read in one query (attachments included), and
    the successful outcomes are recorded together in one transaction at the end, with their audit in one
    INSERT. A failure is recorded at once, as ``notification_send`` does. A worker that dies before the end
    leaves its claimed rows in ``sending``: the sweep takes them back (at-least-once, as for one row).
    """
    rows = {
        n.pk: n
        for n in Notification.objects.filter(
            pk__in=list(notification_ids), status__in=[S.PENDING, S.FAILED]
        ).prefetch_related("attachments")
    }
    claimed = [pk for pk in notification_ids if pk in rows and _claim(pk)]
    if not claimed:
        return 0
    attempts = dict(Notification.objects.filter(pk__in=claimed).values_list("pk", "attempts"))
    sent: list[tuple[Notification, int, str]] = []
    for pk in claimed:
        provider_id = _deliver(rows[pk], attempt=attempts[pk])
        if provider_id is not None:
            sent.append((rows[pk], attempts[pk], provider_id))
    if sent:
        _record_sent(sent)
    return len(sent)


@transaction.atomic
def notification_requeue_due(*, limit: int = SWEEP_BATCH) -> list[int]:
    """The periodic sweep: take back rows left in ``sending`` by a dead worker, then queue every row that is
    due (retries, and pending rows whose first task was lost). Returns the ids queued."""
    now = clock.now()
    stuck = list(
        Notification.objects.filter(status=S.SENDING, claimed_at__lt=now - rules.STUCK_AFTER).order_by(
            "claimed_at"
        )[:limit]
    )
    for notification in stuck:
        give_up = notification.attempts >= rules.MAX_ATTEMPTS
        status = S.DEAD if give_up else S.FAILED
        error = f"worker stopped while sending (claimed at {notification.claimed_at:%Y-%m-%d %H:%M:%S%z}); delivery unknown"
        updated = Notification.objects.filter(
            pk=notification.pk, status=S.SENDING, claimed_at=notification.claimed_at
        ).update(
            status=status,
            claimed_at=None,
            next_attempt_at=None if give_up else now,
            last_error=error,
            updated_at=now,
        )
        if updated == 1:
            _audit_outcome(notification, f"{status}_after_stuck", attempt=notification.attempts, error=error)
            log = logger.error if give_up else logger.warning
            log("notification %s: %s", notification.external_id, error)
    due = list(
        Notification.objects.filter(
            Q(status=S.FAILED, next_attempt_at__lte=now)
            | Q(status=S.PENDING, next_attempt_at__lte=now - rules.PENDING_GRACE)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        _queue_send(pk)
    return due


@transaction.atomic
def notification_requeue(*, actor: User | None, notification_id: int) -> Notification:
    """Give a row a fresh series of attempts now (administrator's action on a dead or failed row)."""
    try:
        notification = Notification.objects.select_for_update().get(pk=notification_id)
    except Notification.DoesNotExist as exc:
        raise NotFound(_("Notification introuvable.")) from exc
    now = clock.now()
    if notification.status == S.SENT:
        raise Conflict(_("Cette notification a déjà été envoyée."))
    if notification.status == S.SENDING and (
        notification.claimed_at is None or notification.claimed_at >= now - rules.STUCK_AFTER
    ):
        raise Conflict(_("Cette notification est en cours d'envoi."))
    previous = {"previous_status": notification.status, "previous_attempts": notification.attempts}
    notification.status = S.PENDING
    notification.attempts = 0
    notification.claimed_at = None
    notification.next_attempt_at = now
    notification.save(update_fields=["status", "attempts", "claimed_at", "next_attempt_at", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        object_type="notification",
        object_id=str(notification.external_id),
        patient_id=notification.patient_id,
        detail={"notification": notification.channel, "event": "requeued", "to": notification.to, **previous},
    )
    _queue_send(notification.pk)
    return notification
