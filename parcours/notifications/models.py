"""The outbox: one row per message to send, with its attachments. Written only by ``services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parcours.core.models import BaseModel
from parcours.notifications.enums import Channel, NotificationStatus

S = NotificationStatus


class Notification(BaseModel):
    channel = models.CharField(_("canal"), max_length=8, choices=Channel.choices)
    to = models.CharField(_("destinataire"), max_length=254)  # e-mail address or E.164 number
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur destinataire"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.CharField(_("objet"), max_length=255, blank=True)
    body = models.TextField(_("texte"))
    html = models.TextField(_("HTML"), blank=True)
    # The caller's key ("synthesis:<patient>:<date>:<recipient>"): the same key never sends twice.
    idempotency_key = models.CharField(_("clé d'idempotence"), max_length=200, unique=True)
    status = models.CharField(
        _("état"), max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    next_attempt_at = models.DateTimeField(_("prochain essai"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    provider_message_id = models.CharField(_("identifiant chez le fournisseur"), max_length=255, blank=True)
    # The patient concerned, by internal id (no foreign key: notifications sit below patients).
    patient_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["patient_id", "-created_at"], name="notification_patient"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="notification_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=NotificationStatus.values), name="notification_status_valid"
            ),
            # sent ⇔ sent_at; waiting rows know when they are due; a row being sent knows since when.
            models.CheckConstraint(
                condition=(Q(status=S.SENT) & Q(sent_at__isnull=False))
                | (~Q(status=S.SENT) & Q(sent_at__isnull=True)),
                name="notification_sent_has_sent_at",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[S.PENDING, S.FAILED]) | Q(next_attempt_at__isnull=False),
                name="notification_waiting_has_due_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=S.SENDING) | Q(claimed_at__isnull=False),
                name="notification_sending_is_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to} ({self.get_status_display()})"


class NotificationAttachment(models.Model):
    """A small file sent with an e-mail (a PDF synthesis): kept with the row so a retry sends the same."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("nom du fichier"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    content = models.BinaryField(_("contenu"))
    size = models.PositiveIntegerField(_("taille (octets)"))

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename
