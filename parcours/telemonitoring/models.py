"""Telemonitoring between cures: questionnaires, triage assessments, alerts, treatment holds, IDEC tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from parcours.core.models import BaseModel
from parcours.patients.models import Patient
from parcours.telemonitoring.enums import (
    AlertEventKind,
    AlertStatus,
    AssignmentReason,
    AssignmentStatus,
    HoldDecision,
    HoldStatus,
    Level,
    ResponseChannel,
    TaskKind,
    TaskStatus,
    TriageTrigger,
)

USER = settings.AUTH_USER_MODEL


class MonitoringPlan(BaseModel):
    """A patient followed by telemonitoring: questionnaire, regimen, schedule, how links are sent."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="monitoring_plan")
    questionnaire = models.CharField(max_length=60, default="pro-ctcae-ici")
    regimen = models.CharField(max_length=120, blank=True)
    treatment_start = models.DateField()
    weekly_weeks = models.PositiveSmallIntegerField(default=13)  # first 3 months: weekly
    pre_cure_days = models.PositiveSmallIntegerField(default=2)  # then: due this many days before each cure
    send_channel = models.CharField(
        max_length=8, default="sms"
    )  # "sms" | "email" | "proxy" (entered by IDEL)
    audience = models.CharField(max_length=12, default="patient")  # "patient" | "caregiver"
    sequence = models.CharField(max_length=8, blank=True)  # "S1" | "S2" ... (domain.md section 2.1)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)


class QuestionnaireAssignment(BaseModel):
    """One questionnaire the patient is asked to fill in by a due time (scheduled or on demand)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="questionnaire_assignments")
    questionnaire = models.CharField(max_length=60)  # definition code, e.g. "pro-ctcae-ici"
    regimen = models.CharField(max_length=120, blank=True)
    reason = models.CharField(
        max_length=12, choices=AssignmentReason.choices, default=AssignmentReason.MANUAL
    )
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    # Schedules create assignments idempotently: "weekly:2026-W48", "pre_cure:<cure id>".
    schedule_key = models.CharField(max_length=80, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"], name="tm_assign_status_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "schedule_key"],
                condition=~Q(schedule_key=""),
                name="tm_assign_schedule_once",
            ),
        ]


class QuestionnaireResponse(BaseModel):
    """Answers as submitted, once: ``submission_key`` makes a resubmission return the first one."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="questionnaire_responses")
    assignment = models.ForeignKey(
        QuestionnaireAssignment, on_delete=models.PROTECT, related_name="responses", null=True, blank=True
    )
    questionnaire = models.CharField(max_length=60)
    questionnaire_version = models.CharField(max_length=20)
    answers = models.JSONField(default=dict)  # ProAE variable -> 0..4 | None
    free_text = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=ResponseChannel.choices)
    audience = models.CharField(max_length=12, blank=True)  # "patient" | "caregiver" for a link
    entered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    link_id = models.CharField(max_length=40, blank=True)  # SecureLink.external_id
    submission_key = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["patient", "-submitted_at"], name="tm_response_patient")]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(assignment__isnull=False),
                name="tm_response_one_per_assignment",
            ),
        ]


class TriageAssessment(BaseModel):
    """One run of the triage engine: what it was given, what it said, under which policy version."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="triage_assessments")
    trigger = models.CharField(max_length=16, choices=TriageTrigger.choices)
    response = models.ForeignKey(
        QuestionnaireResponse, on_delete=models.PROTECT, related_name="assessments", null=True, blank=True
    )
    observation_ids = models.JSONField(default=list, blank=True)
    assessed_at = models.DateTimeField()
    policy = models.CharField(max_length=40)
    input = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    max_grade = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=10, choices=Level.choices)
    hold_treatment = models.BooleanField()
    discontinuation_review = models.BooleanField()
    red_flags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        indexes = [models.Index(fields=["patient", "-assessed_at", "-id"], name="tm_triage_patient_at")]


class Alert(BaseModel):
    """An alert raised by a triage (urgent or same_day), until a professional closes it.

    Timers are rows, not queued jobs: ``notify_pending`` stays true until every notification of the current
    step is in the outbox, ``escalation_due_at`` says when the next step is due. A periodic sweep does what
    is due, so a worker that dies between grading and notification loses nothing.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="telemonitoring_alerts")
    assessment = models.ForeignKey(TriageAssessment, on_delete=models.PROTECT, related_name="alerts")
    level = models.CharField(max_length=10, choices=Level.choices)
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    opened_at = models.DateTimeField()
    notify_pending = models.BooleanField(default=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    escalation_step = models.PositiveSmallIntegerField(default=0)
    escalation_due_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    close_reason = models.CharField(max_length=1000, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "status"], name="tm_alert_patient_status"),
            models.Index(fields=["status", "escalation_due_at"], name="tm_alert_due"),
            models.Index(fields=["notify_pending"], name="tm_alert_notify", condition=Q(notify_pending=True)),
        ]


class AlertEvent(BaseModel):
    """The trace of an alert: opened, notified (to whom), escalated, acknowledged, actions, closed."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=14, choices=AlertEventKind.choices)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class TreatmentHold(BaseModel):
    """A triage said ``hold_treatment``: the next cure's OK is blocked until a doctor lifts it."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="treatment_holds")
    assessment = models.ForeignKey(TriageAssessment, on_delete=models.PROTECT, related_name="holds")
    opened_at = models.DateTimeField()
    reasons = models.JSONField(default=list)  # codes from the triage (hold reasons / red flags)
    reason_text = models.CharField(max_length=1000)  # in French, for the gate and the screens
    status = models.CharField(max_length=8, choices=HoldStatus.choices, default=HoldStatus.OPEN)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"], name="tm_hold_patient_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="open"), name="tm_hold_one_open_per_patient"
            ),
        ]


class HoldReview(BaseModel):
    """A doctor's review of a hold: lift it (the cure may go on) or keep it, with a written note."""

    hold = models.ForeignKey(TreatmentHold, on_delete=models.CASCADE, related_name="reviews")
    at = models.DateTimeField()
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=6, choices=HoldDecision.choices)
    note = models.CharField(max_length=1000)

    class Meta:
        ordering = ["at", "id"]


class WorkTask(BaseModel):
    """A task in the IDEC work queue (missed questionnaire, D+10 follow-up call, incomplete answers...)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="telemonitoring_tasks")
    kind = models.CharField(max_length=28, choices=TaskKind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    detail = models.CharField(max_length=500, blank=True)
    key = models.CharField(max_length=120, unique=True)  # idempotency: one task per cause
    assignment = models.ForeignKey(
        QuestionnaireAssignment, on_delete=models.SET_NULL, related_name="tasks", null=True, blank=True
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="tm_task_status_due")]
