"""Day planning: the visits to make, the nurses' shifts, and the planning runs (with their stored plans)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from parcours.accounts.models import Organisation
from parcours.core.models import BaseModel
from parcours.logistics.enums import RunKind, RunStatus, VisitKind, VisitStatus
from parcours.patients.models import Patient


class NurseShift(BaseModel):
    """A nurse available to an HAD on a date: shift, where she starts and ends, what she is qualified for."""

    had = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="nurse_shifts")
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts")
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    start_latitude = models.FloatField()
    start_longitude = models.FloatField()
    end_latitude = models.FloatField()
    end_longitude = models.FloatField()
    skills = models.JSONField(default=list)
    max_visits = models.PositiveIntegerField(null=True, blank=True)
    # Called in sick / stopped during the day: re-planning takes her remaining visits away.
    unavailable_from = models.TimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["nurse", "date"], name="shift_one_per_nurse_day"),
            models.CheckConstraint(
                condition=Q(start_time__lt=models.F("end_time")), name="shift_starts_before_end"
            ),
        ]
        indexes = [models.Index(fields=["had", "date"], name="shift_had_date")]


class HomeVisit(BaseModel):
    """A visit to make at a patient's home on a date, in the time window agreed with the patient."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="home_visits")
    had = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="home_visits")
    date = models.DateField()
    kind = models.CharField(max_length=20, choices=VisitKind.choices)
    window_start = models.TimeField()
    window_end = models.TimeField()
    duration_min = models.PositiveIntegerField()
    skills = models.JSONField(default=list)
    # Infusion bag prepared the same morning at a hospital pharmacy (PUI).
    bag_pharmacy = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="bag_visits", null=True, blank=True
    )
    bag_ready = models.TimeField(null=True, blank=True)
    bag_stability_min = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=VisitStatus.choices, default=VisitStatus.PLANNED)
    pinned_nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    pinned_start = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    # Where a gathered visit comes from (``cure:<cure id>``, see ``logistics.sources``); empty when typed in.
    source_ref = models.CharField(max_length=80, blank=True)

    class Meta:
        indexes = [models.Index(fields=["had", "date", "status"], name="visit_had_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["had", "date", "source_ref"],
                condition=~Q(source_ref=""),
                name="visit_one_per_source_ref",
            ),
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("window_end")), name="visit_window_ordered"
            ),
            models.CheckConstraint(
                condition=Q(bag_pharmacy__isnull=True)
                | (Q(bag_ready__isnull=False) & Q(bag_stability_min__gt=0)),
                name="visit_bag_complete",
            ),
        ]


class PlanRun(BaseModel):
    """One optimisation of an HAD's day (or a re-plan), with the exact instance and the plan found."""

    had = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="plan_runs")
    date = models.DateField()
    kind = models.CharField(max_length=8, choices=RunKind.choices, default=RunKind.FULL)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    time_limit_s = models.PositiveIntegerField(default=30)
    seed = models.IntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stop_requested = models.BooleanField(default=False)
    best_travel_min = models.FloatField(null=True, blank=True)
    instance = models.JSONField(
        default=dict
    )  # the optimiser's contract format (docs/subsystems/optimiser.md)
    plan = models.JSONField(null=True, blank=True)
    previous = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    moved = models.JSONField(default=list, blank=True)  # re-plan: visits that changed nurse
    unlocated = models.JSONField(default=list, blank=True)  # visits left out: patient address not geocoded
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["had", "date", "-created_at"], name="planrun_had_date")]
