"""How a notification leaves: e-mail through Django's mail framework, SMS through a pluggable gateway.

A channel returns the provider's message id, or raises ``DeliveryError`` (worth another try: server down,
4xx answer, timeout) or ``PermanentDeliveryError`` (another try would fail the same way: address refused
with a 5xx answer). The outbox (``services``) decides what happens next.
"""

from __future__ import annotations

import json
import smtplib
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

from parcours.core import clock
from parcours.notifications.enums import Channel

if TYPE_CHECKING:
    from parcours.notifications.models import Notification

DEFAULT_SMS_GATEWAY = "parcours.notifications.channels.LogSmsGateway"


class DeliveryError(Exception):
    """The message did not leave; trying again later may work."""


class PermanentDeliveryError(DeliveryError):
    """The message did not leave and never will as it is (e.g. the address is refused)."""


@runtime_checkable
class SmsGateway(Protocol):
    """What a hospital's SMS provider adapter implements (``settings.PARCOURS_SMS_GATEWAY``).

    ``to`` is an E.164 number (+336…), ``reference`` the notification's UUID, stable across retries: pass
    it to the provider as the client reference when it supports de-duplication. Return the provider's
    message id; raise ``DeliveryError`` or ``PermanentDeliveryError``.
    """

    def send(self, *, to: str, body: str, reference: str) -> str: ...


class LogSmsGateway:
    """Default gateway: no SMS leaves the machine; each message is one JSON line in
    ``<PARCOURS_SMS_DIR>/sms-YYYY-MM-DD.jsonl`` (the demo and tests read it there)."""

    def __init__(self, directory: Path | str | None = None) -> None:
        default = getattr(settings, "PARCOURS_SMS_DIR", Path(settings.BASE_DIR) / "var" / "sms")
        self.directory = Path(directory if directory is not None else default)

    def send(self, *, to: str, body: str, reference: str) -> str:
        at = clock.now()
        line = json.dumps(
            {"at": at.isoformat(), "to": to, "reference": reference, "body": body}, ensure_ascii=False
        )
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with (self.directory / f"sms-{clock.today():%Y-%m-%d}.jsonl").open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            raise DeliveryError(f"SMS log: {exc}") from exc
        return f"log:{reference}"


def sms_gateway() -> SmsGateway:
    path = getattr(settings, "PARCOURS_SMS_GATEWAY", DEFAULT_SMS_GATEWAY)
    try:
        gateway = import_string(path)()
    except ImportError as exc:
        raise ImproperlyConfigured(f"PARCOURS_SMS_GATEWAY: cannot import {path!r}: {exc}") from exc
    if not isinstance(gateway, SmsGateway):
        raise ImproperlyConfigured(f"PARCOURS_SMS_GATEWAY: {path!r} has no send(*, to, body, reference)")
    return gateway


def message_id(notification: Notification) -> str:
    """A Message-ID stable across retries, so a mail client can drop a duplicate of an uncertain send."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "parcours.invalid"
    return f"<{notification.external_id}@{domain}>"


def send_email(notification: Notification) -> str:
    msg_id = message_id(notification)
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to],
        headers={"Message-ID": msg_id, "Auto-Submitted": "auto-generated"},
    )
    if notification.html:
        message.attach_alternative(notification.html, "text/html")
    for attachment in notification.attachments.all():
        message.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
    try:
        accepted = message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _reason in exc.recipients.values()]
        error = f"SMTP: recipient refused {exc.recipients!r}"
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentDeliveryError(error) from exc
        raise DeliveryError(error) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {type(exc).__name__}: {exc}") from exc
    if accepted != 1:
        raise DeliveryError("the e-mail backend accepted no message")
    return msg_id


def send_sms(notification: Notification) -> str:
    return sms_gateway().send(
        to=notification.to, body=notification.body, reference=str(notification.external_id)
    )


def deliver(notification: Notification) -> str:
    """Send through the notification's channel; return the provider's message id."""
    if notification.channel == Channel.EMAIL:
        return send_email(notification)
    if notification.channel == Channel.SMS:
        return send_sms(notification)
    raise PermanentDeliveryError(f"unknown channel {notification.channel!r}")
