"""Secure single-purpose links sent to patients and caregivers (questionnaires, education modules)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcours.core.models import BaseModel


class Audience(models.TextChoices):
    PATIENT = "patient", _("Patient")
    CAREGIVER = "caregiver", _("Aidant")


class SecureLink(BaseModel):
    """Only the SHA-256 of the token is stored: a leaked database does not open any link."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="secure_links")
    purpose = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64)
    audience = models.CharField(max_length=12, choices=Audience.choices, default=Audience.PATIENT)
    caregiver = models.ForeignKey("patients.Caregiver", on_delete=models.PROTECT, null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    single_use = models.BooleanField(default=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(max_length=300, blank=True)
    opened_count = models.PositiveIntegerField(default=0)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["patient", "purpose", "target_id"], name="link_target")]

    def __str__(self) -> str:
        return f"{self.purpose}:{self.target_id}"


class LinkAttempt(models.Model):
    """Failed openings per client (hashed address), for the rate limit; pruned by age."""

    client = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(db_index=True)
    reason = models.CharField(max_length=16)
