from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from parcours.core.models import BaseModel
from parcours.patients.models import Patient


class PatientPathway(BaseModel):
    """A patient on one version of a pathway definition (data in ``definitions/``), and where she is."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="pathways")
    definition_key = models.CharField(max_length=64)
    definition_version = models.PositiveIntegerField()
    state = models.CharField(max_length=64)
    state_entered_at = models.DateTimeField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "definition_key"],
                condition=Q(ended_at__isnull=True),
                name="pathway_one_open_per_definition",
            ),
        ]
        indexes = [models.Index(fields=["definition_key", "state"], name="pathway_key_state")]


class PathwayTransitionLog(models.Model):
    pathway = models.ForeignKey(PatientPathway, on_delete=models.CASCADE, related_name="transitions")
    transition_id = models.CharField(max_length=64)
    source = models.CharField(max_length=64)
    target = models.CharField(max_length=64)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-at", "-id"]


class ChecklistCompletion(BaseModel):
    """A ticked step of an admission checklist (e.g. the 9 steps of domain.md §2.2)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="checklist_completions")
    definition_key = models.CharField(max_length=64)
    step_id = models.CharField(max_length=64)
    done_at = models.DateTimeField()
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "definition_key", "step_id"], name="checklist_step_once"
            ),
        ]
