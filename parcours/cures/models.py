"""Home cures: a prescription (plan) of a regimen, its cures, and every step of each cure.

The life cycle itself lives in the pure core (``parcours/treatments/cure_machine.py``); a :class:`Cure` row
mirrors its ``CureState`` (status, OKs, bag, cold chain, delivery, administration) so that services can rebuild
the state, apply an event and write the outcome back (``version`` for optimistic locking).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from parcours.accounts.models import Organisation
from parcours.core.models import BaseModel
from parcours.patients.models import Patient


class CureStatus(models.TextChoices):
    PLANNED = "planned", _("Prévue")
    LABS_DUE = "labs_due", _("Bilan à prélever")
    READY_FOR_OK = "ready_for_ok", _("En attente d'OK")
    OK_GIVEN = "ok_given", _("OK donné")
    OK_REFUSED = "ok_refused", _("OK refusé")
    IN_PREPARATION = "in_preparation", _("En préparation")
    RELEASED = "released", _("Poche libérée")
    IN_DELIVERY = "in_delivery", _("En livraison")
    DELIVERED = "delivered", _("Livrée")
    ADMINISTERED = "administered", _("Administrée")
    CLOSED = "closed", _("Clôturée")
    CANCELLED = "cancelled", _("Annulée")
    POSTPONED = "postponed", _("Reportée")


class Place(models.TextChoices):
    HDJ = "hdj", _("Hôpital de jour")
    HOME = "home", _("Domicile")


class CurePlan(BaseModel):
    """A prescription: one regimen for one patient, with the regimen data version it was made with."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cure_plans")
    regimen_id = models.CharField(max_length=80)
    regimen_version = models.PositiveIntegerField()
    drug = models.CharField(max_length=40)
    regimen_label = models.JSONField(default=dict)  # {"fr": ..., "en": ...}
    start = models.DateField()
    cycles = models.PositiveIntegerField(null=True, blank=True)  # None: until stopped (a horizon is planned)
    first_number = models.PositiveIntegerField(default=1)  # continuing a regimen started earlier
    dose_mg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    interval_days = models.PositiveIntegerField(null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    pharmacy = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cure_plans")
    prescribed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prescribed_at = models.DateTimeField()
    warnings = models.JSONField(
        default=list
    )  # calendar warnings: key, code, message{fr,en}, expected, prescribed
    confirmations = models.JSONField(default=list)  # key, actor, reason, at
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-prescribed_at", "-id"]
        indexes = [models.Index(fields=["patient", "-prescribed_at"], name="cureplan_patient")]


class Cure(BaseModel):
    """One cure of a plan; mirrors the pure ``CureState``."""

    plan = models.ForeignKey(CurePlan, on_delete=models.PROTECT, related_name="cures")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cures")
    had = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    pharmacy = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    date = models.DateField()
    planned_start = models.DateTimeField()
    lab_window_opens = models.DateTimeField()
    place = models.CharField(max_length=4, choices=Place.choices)
    dose_mg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    infusion_minutes = models.PositiveIntegerField()
    interval_days = models.PositiveIntegerField()
    shifted_by_days = models.IntegerField(default=0)
    status = models.CharField(max_length=16, choices=CureStatus.choices, default=CureStatus.PLANNED)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["date", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="cure_one_number_per_plan"),
            models.CheckConstraint(condition=Q(status__in=CureStatus.values), name="cure_status_known"),
            models.CheckConstraint(
                condition=Q(lab_window_opens__lte=F("planned_start")), name="cure_lab_window_before_start"
            ),
        ]
        indexes = [
            # Covering for the board's counts and scope (one index read, no table row per cure counted).
            models.Index(
                fields=["date", "status", "had", "lab_window_opens", "pharmacy", "patient"],
                name="cure_board_cover",
            ),
            models.Index(fields=["had", "date"], name="cure_had_date"),
            models.Index(fields=["pharmacy", "date"], name="cure_pharmacy_date"),
            models.Index(fields=["patient", "date"], name="cure_patient_date"),
        ]

    def __str__(self) -> str:
        return f"cure {self.number} ({self.date:%d/%m/%Y})"


class CureEvent(models.Model):
    """The history log of a cure: every accepted step, with actor, time and reason."""

    cure = models.ForeignKey(Cure, on_delete=models.CASCADE, related_name="events")
    event = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    actor_label = models.CharField(max_length=200)
    at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    reason = models.CharField(max_length=1000, blank=True)
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["cure", "id"], name="cureevent_cure")]


class OkDecision(BaseModel):
    """An OK clinique et biologique given or refused, with the gate's conditions and any override."""

    cure = models.ForeignKey(Cure, on_delete=models.PROTECT, related_name="ok_decisions")
    kind = models.CharField(max_length=12)  # cycle | day_of_cure
    decision = models.CharField(max_length=8)  # given | refused
    party = models.CharField(max_length=8)  # hospital | had
    delegated = models.BooleanField(default=False)
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField()
    cure_date = models.DateField()
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    conditions = models.JSONField(default=list)  # id, met, label{fr,en}, detail{fr,en}|None
    override_reason = models.CharField(max_length=1000, blank=True)
    overridden = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=1000, blank=True)  # refusal reason
    revoked_at = models.DateTimeField(null=True, blank=True)  # a postponement clears the OKs

    class Meta:
        ordering = ["given_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["cycle", "day_of_cure"]), name="ok_kind_known"),
            models.CheckConstraint(condition=Q(decision__in=["given", "refused"]), name="ok_decision_known"),
            models.CheckConstraint(
                condition=Q(decision="given") | ~Q(reason=""), name="ok_refusal_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(overridden=[]) | ~Q(override_reason=""), name="ok_override_has_reason"
            ),
        ]


class Bag(BaseModel):
    """The prepared infusion bag: preparation, stability deadline, release, and whether it is blocked."""

    cure = models.OneToOneField(Cure, on_delete=models.PROTECT, related_name="bag")
    lot = models.CharField(max_length=60)
    preparer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()
    storage = models.CharField(max_length=16)  # refrigerated | room_temperature
    aseptic_validated = models.BooleanField(default=True)
    deadline = models.DateTimeField()
    latest_start = models.DateTimeField()
    limit_hours = models.PositiveIntegerField()
    basis = models.CharField(max_length=20)
    source = models.CharField(max_length=300, blank=True)
    explanation = models.JSONField(default=dict)
    local_limit_hours = models.PositiveIntegerField(null=True, blank=True)
    local_limit_reason = models.CharField(max_length=500, blank=True)
    allowed_min_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    allowed_max_c = models.DecimalField(max_digits=4, decimal_places=1)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    blocked_at = models.DateTimeField(null=True, blank=True)
    blocked_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gt=F("prepared_at")), name="bag_deadline_after_prep"
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_at__gte=F("prepared_at")),
                name="bag_released_after_prep",
            ),
        ]


class ColdChainReading(models.Model):
    bag = models.ForeignKey(Bag, on_delete=models.CASCADE, related_name="readings")
    at = models.DateTimeField()
    temperature_c = models.DecimalField(max_digits=4, decimal_places=1)
    in_range = models.BooleanField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]


class Delivery(BaseModel):
    """Pick-up at the pharmacy and hand-over at home, with the anti-allergy kit checked."""

    cure = models.OneToOneField(Cure, on_delete=models.PROTECT, related_name="delivery")
    picked_up_at = models.DateTimeField()
    picked_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    kit_antihistamine = models.BooleanField(default=False)
    kit_adrenaline = models.BooleanField(default=False)
    kit_corticosteroid = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)


class Administration(BaseModel):
    """What the nurse recorded at the patient's home. One per cure (database constraint)."""

    cure = models.OneToOneField(Cure, on_delete=models.PROTECT, related_name="administration")
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    identity_checked = models.BooleanField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    lot = models.CharField(max_length=60)
    tolerance = models.CharField(max_length=1000, blank=True)
    reaction_grade = models.PositiveSmallIntegerField(default=0)  # CTCAE infusion-related reaction, 0 = none
    immediate_actions = models.CharField(max_length=1000, blank=True)
    dasri_disposed = models.BooleanField()
    material_to_return = models.CharField(max_length=500, blank=True)
    vitals_before = models.JSONField(default=dict)  # code -> value (also recorded as clinical observations)
    vitals_after = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__gte=F("started_at")), name="admin_end_after_start"),
            models.CheckConstraint(condition=Q(reaction_grade__lte=5), name="admin_reaction_grade_ctcae"),
            models.CheckConstraint(
                condition=Q(reaction_grade=0) | ~Q(immediate_actions=""), name="admin_reaction_has_actions"
            ),
            models.CheckConstraint(condition=Q(identity_checked=True), name="admin_identity_checked"),
        ]


class Synthesis(BaseModel):
    """The daily care synthesis of one patient (PDF), and to whom it was sent."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cure_syntheses")
    date = models.DateField()
    pdf = models.BinaryField()
    recipients = models.JSONField(default=list)
    generated_at = models.DateTimeField()
    run = models.ForeignKey(
        "SynthesisRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "date"], name="synthesis_one_per_patient_day")
        ]


class SynthesisRun(BaseModel):
    """A background job producing the day's syntheses; progress shown on a page."""

    date = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status = models.CharField(max_length=10, default="queued")  # queued | running | done | failed
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
