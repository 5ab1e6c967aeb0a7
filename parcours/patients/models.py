from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parcours.accounts.models import Organisation
from parcours.core.models import BaseModel
from parcours.patients.enums import (
    ConsentKind,
    EligibilityConclusion,
    HadRequestStatus,
    IdentityStatus,
    Sex,
)


class Patient(BaseModel):
    ins = models.CharField(_("INS"), max_length=15, blank=True, db_index=True)
    identity_status = models.CharField(
        _("statut de l'identité"),
        max_length=16,
        choices=IdentityStatus.choices,
        default=IdentityStatus.PROVISIONAL,
    )
    birth_name = models.CharField(_("nom de naissance"), max_length=100)
    used_name = models.CharField(_("nom utilisé"), max_length=100, blank=True)
    given_names = models.CharField(_("prénoms"), max_length=150)
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date de naissance"))
    birth_place_insee = models.CharField(_("lieu de naissance (code INSEE)"), max_length=5, blank=True)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    hospital = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="hospital_patients", null=True, blank=True
    )
    had = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="had_patients", null=True, blank=True
    )
    referring_oncologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    gp = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    primary_diagnosis = models.CharField(_("diagnostic principal"), max_length=200, blank=True)
    # Optimistic locking: every update states the version it read; a mismatch is a stale edit.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["birth_name", "given_names"]
        indexes = [models.Index(fields=["birth_name", "given_names"], name="patient_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(identity_status="provisional") | ~Q(ins=""),
                name="patient_validated_identity_has_ins",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.birth_date:%d/%m/%Y})"

    @property
    def display_name(self) -> str:
        name = self.used_name or self.birth_name
        return f"{name.upper()} {self.given_names}"


class Caregiver(BaseModel):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="caregivers")
    name = models.CharField(_("nom et prénom"), max_length=200)
    relationship = models.CharField(_("lien"), max_length=60)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    is_primary = models.BooleanField(_("aidant principal"), default=False)
    lives_with_patient = models.BooleanField(_("vit avec le patient"), default=False)


class CareTeamMembership(BaseModel):
    """Need-to-know: a professional sees a patient only while an active member of the care team."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    team_role = models.CharField(_("rôle dans l'équipe"), max_length=100, blank=True)
    since = models.DateTimeField()
    until = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        indexes = [models.Index(fields=["user", "until", "patient"], name="careteam_user_active")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "user"], condition=Q(until__isnull=True), name="careteam_one_active"
            ),
        ]


class Consent(BaseModel):
    """One recorded consent decision; the latest of a kind is in force (withdrawal = given False)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=32, choices=ConsentKind.choices)
    given = models.BooleanField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("commentaire"), max_length=500, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]


class EligibilityAssessment(BaseModel):
    """HAD eligibility (domain.md §2.4): success factors, risk factors, conclusion."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="eligibility_assessments")
    assessed_at = models.DateTimeField()
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    success_factors = models.JSONField(default=list)
    risk_factors = models.JSONField(default=list)
    had_covers_address = models.BooleanField(_("l'HAD couvre l'adresse du patient"), default=False)
    conclusion = models.CharField(max_length=32, choices=EligibilityConclusion.choices)
    note = models.CharField(_("commentaire"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]


class HadRequest(BaseModel):
    """An oncologist's request for HAD care, and the HAD physician's feasibility decision."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="had_requests")
    had = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="had_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    motive = models.CharField(_("motif"), max_length=1000)
    status = models.CharField(
        max_length=16, choices=HadRequestStatus.choices, default=HadRequestStatus.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("commentaire de décision"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="requested"), name="had_request_one_pending"
            ),
        ]


class TimelineEvent(models.Model):
    """A clinical or coordination event on the patient's timeline: who, when, what, why."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    actor_label = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at", "-id"], name="timeline_patient_at")]
