from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    SENDING = "sending", _("Envoi en cours")
    SENT = "sent", _("Envoyée")
    FAILED = "failed", _("Échec, nouvel essai prévu")
    DEAD = "dead", _("Abandonnée")
