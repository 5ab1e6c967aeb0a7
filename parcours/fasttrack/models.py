"""Fast-track diagnostic pathway: referrals (guichet unique), resources and slots, bookings, pathology,
RCP, screening, discharge referrals, GP letters and the pathway events the indicators measure."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from parcours.core.models import BaseModel
from parcours.fasttrack.enums import (
    DiagnosisContext,
    DischargeStatus,
    DischargeTarget,
    EventKind,
    GpEvent,
    PathologyStatus,
    RcpStatus,
    ReferralStatus,
    ReferrerKind,
    ResourceKind,
    SlotStatus,
    Source,
    TaskKind,
    Urgency,
)
from parcours.patients.models import Patient

USER = settings.AUTH_USER_MODEL


class Referral(BaseModel):
    """One request to the single entry point (web form, software, phone)."""

    pathway = models.CharField(max_length=20)
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.NEW)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.RAPID)
    priority = models.PositiveSmallIntegerField(default=1)  # 0 urgent, 1 rapid, 2 standard
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEB)
    received_at = models.DateTimeField()
    # Referrer (often outside the hospital: no account needed)
    referrer_kind = models.CharField(max_length=12, choices=ReferrerKind.choices, default=ReferrerKind.GP)
    referrer_name = models.CharField(max_length=200)
    referrer_rpps = models.CharField(max_length=11, blank=True)
    referrer_email = models.EmailField(blank=True)
    referrer_phone = models.CharField(max_length=20, blank=True)
    referrer_user = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Patient as referred (a Patient record exists once the referral is accepted)
    patient_birth_name = models.CharField(max_length=100)
    patient_given_names = models.CharField(max_length=150)
    patient_birth_date = models.DateField()
    # Birth name without case, accents, spaces or hyphens: duplicate detection with the birth date.
    patient_name_key = models.CharField(max_length=100, blank=True)
    patient_sex = models.CharField(max_length=1, blank=True)
    patient_ins = models.CharField(max_length=15, blank=True, db_index=True)
    patient_phone = models.CharField(max_length=20, blank=True)
    patient_email = models.EmailField(blank=True)
    patient_postcode = models.CharField(max_length=5, blank=True)
    first_symptoms_date = models.DateField(null=True, blank=True)
    exams_done = models.JSONField(default=list, blank=True)  # exam keys (pathways.EXAMS)
    exams_note = models.TextField(blank=True)
    suspicion = models.TextField(blank=True)
    # Handling
    completeness = models.PositiveSmallIntegerField(default=0)
    missing = models.JSONField(default=list, blank=True)  # field names still missing
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_to = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="fasttrack_referrals"
    )
    info_requested_at = models.DateTimeField(null=True, blank=True)
    info_request_text = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    redirect_reason = models.TextField(blank=True)
    answer_hours = models.PositiveSmallIntegerField(default=48)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["priority", "received_at"]
        indexes = [
            models.Index(fields=["status", "priority", "received_at"], name="ft_referral_queue"),
            models.Index(fields=["patient_name_key", "patient_birth_date"], name="ft_referral_identity"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_birth_name.upper()} {self.patient_given_names} ({self.pathway})"

    @property
    def patient_display(self) -> str:
        return f"{self.patient_birth_name.upper()} {self.patient_given_names}"


class ReferralDocument(BaseModel):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="documents")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()


class SubmissionThrottle(models.Model):
    """One public submission attempt from an address (per-IP rate limit kept in the database)."""

    ip = models.CharField(max_length=45)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ip", "at"], name="ft_throttle_ip_at")]


class Resource(BaseModel):
    """An exam or consultation resource: a scanner, an MRI, a consultation line."""

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=ResourceKind.choices)
    release_hours = models.PositiveSmallIntegerField(
        default=48
    )  # sanctuarised slots given back N hours before
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


def local_day(start: dt.datetime) -> dt.date:
    return timezone.localtime(start).date()


class Slot(BaseModel):
    """A time on a resource. ``pathway`` set: sanctuarised for that pathway; ``emergency``: shared urgent slot."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="slots")
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The local (Europe/Paris) date of ``start``, stored so the availability grid groups on a plain column.
    day = models.DateField()
    pathway = models.CharField(max_length=20, blank=True)
    emergency = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=SlotStatus.choices, default=SlotStatus.OPEN)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "resource_id"]
        indexes = [
            models.Index(fields=["start", "resource"], name="ft_slot_start"),
            models.Index(fields=["day", "resource"], name="ft_slot_day"),
            models.Index(fields=["status", "start"], name="ft_slot_status_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="ft_slot_start_before_end"),
            models.UniqueConstraint(fields=["resource", "start"], name="ft_slot_one_per_resource_start"),
            models.CheckConstraint(condition=Q(day__isnull=False), name="ft_slot_has_day"),
        ]


class DayTemplate(BaseModel):
    """A diagnostic-day template: steps = [{"day": 1, "kind": "consult_onco"}, {"day": 1, "kind": "ct"}, ...]."""

    name = models.CharField(max_length=120)
    pathway = models.CharField(max_length=20, blank=True)
    steps = models.JSONField(default=list)

    def __str__(self) -> str:
        return self.name


class DiagnosticDay(BaseModel):
    """A diagnostic day (or days) booked in one go from a template."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="diagnostic_days")
    template = models.ForeignKey(
        DayTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    first_day = models.DateField()
    booked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    letter_sent_at = models.DateTimeField(null=True, blank=True)


class Booking(BaseModel):
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="bookings")
    diagnostic_day = models.ForeignKey(
        DiagnosticDay, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    booked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # The database itself refuses a second live booking on a slot (whatever the code path).
            models.UniqueConstraint(
                fields=["slot"], condition=Q(cancelled_at__isnull=True), name="ft_booking_one_live_per_slot"
            )
        ]


class PathologyRequest(BaseModel):
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="pathology_requests")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=18, choices=PathologyStatus.choices, default=PathologyStatus.REQUESTED
    )
    sample_site = models.CharField(max_length=200, blank=True)
    smoker = models.BooleanField(null=True, blank=True)
    metastatic = models.BooleanField(null=True, blank=True)
    context = models.CharField(
        max_length=12, choices=DiagnosisContext.choices, default=DiagnosisContext.FIRST
    )
    molecular_tests = models.CharField(max_length=300, blank=True)
    clinical_note = models.TextField(blank=True)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    sample_sent_at = models.DateTimeField(null=True, blank=True)
    non_contributive_at = models.DateTimeField(null=True, blank=True)
    contributive_confirmed_at = models.DateTimeField(null=True, blank=True)
    intermediate_at = models.DateTimeField(null=True, blank=True)
    intermediate_text = models.TextField(blank=True)
    final_at = models.DateTimeField(null=True, blank=True)
    final_text = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "sample_sent_at"], name="ft_patho_status")]


class CoordinatorTask(BaseModel):
    kind = models.CharField(max_length=20, choices=TaskKind.choices)
    key = models.CharField(max_length=120, unique=True)  # idempotence of periodic jobs
    title = models.CharField(max_length=300)
    team = models.CharField(max_length=40, blank=True)  # routed team (screening)
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["done_at", "due_at", "id"]


class TeamContact(BaseModel):
    """Where a positive screening is routed: the team's secure mailbox (supportive, palliative, geriatric)."""

    team = models.CharField(max_length=40, unique=True)
    email = models.EmailField()


class RcpCase(BaseModel):
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="rcp_cases")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    meeting_date = models.DateField()
    status = models.CharField(max_length=12, choices=RcpStatus.choices, default=RcpStatus.TO_PRESENT)
    question = models.TextField(blank=True)
    decision = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    treatment_planned_on = models.DateField(null=True, blank=True)
    transmitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting_date", "id"]


class ScreeningRecord(BaseModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="screenings"
    )
    instrument = models.CharField(max_length=20)
    answers = models.JSONField()
    score = models.FloatField(null=True, blank=True)
    positive = models.BooleanField()
    applicable = models.BooleanField(default=True)
    route_to = models.CharField(max_length=40, blank=True)
    result = models.JSONField()  # the engine's full output (version, policy, items)
    assessed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()


class DischargeReferral(BaseModel):
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="discharges")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    target = models.CharField(max_length=8, choices=DischargeTarget.choices)
    to_email = models.EmailField()
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DischargeStatus.choices, default=DischargeStatus.SENT)
    sent_at = models.DateTimeField()
    answer_due_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = models.TextField(blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")


class GpMessage(BaseModel):
    """A message to the referring doctor (GP) through the outbox, kept with the referral."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="gp_messages")
    event = models.CharField(max_length=20, choices=GpEvent.choices)
    to_email = models.EmailField()
    subject = models.CharField(max_length=200)
    notification_id = models.BigIntegerField(null=True, blank=True)
    sent_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")


class PathwayEvent(models.Model):
    """One dated step of a referral's pathway; the indicators are computed from these rows in the database."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    pathway = models.CharField(max_length=20)
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["referral", "kind"], name="ft_event_referral_kind"),
            models.Index(fields=["pathway", "kind", "at"], name="ft_event_pathway"),
        ]
