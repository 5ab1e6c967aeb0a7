"""Observations: lab results and vital signs, wherever they are entered (cure labs, questionnaires, import)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcours.core.models import BaseModel


class ObservationKind(models.TextChoices):
    LAB = "lab", _("Biologie")
    VITAL = "vital", _("Constante")


class Observation(BaseModel):
    """One measured value with its unit and reference range, attributable to whoever recorded it."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="observations")
    kind = models.CharField(max_length=8, choices=ObservationKind.choices)
    code = models.CharField(max_length=32)
    value = models.DecimalField(max_digits=12, decimal_places=4)
    unit = models.CharField(max_length=24)
    lower = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    upper = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    observed_at = models.DateTimeField(help_text="sampling or measurement time")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=24)
    context = models.CharField(max_length=64, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "kind", "code", "-observed_at"], name="obs_patient_code"),
            models.Index(fields=["triaged_at", "recorded_at"], name="obs_untriaged"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["lab", "vital"]), name="obs_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.value} {self.unit}"
