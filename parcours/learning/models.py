"""Models of the learning app: ETP programme versions, patient progress, home sessions, readiness, and the
professional training registry (profiles with practice coordinates, training records, qualifications)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parcours.core.models import BaseModel
from parcours.patients.models import Patient


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publiée")


class ProgrammeVersion(BaseModel):
    """One version of an ETP programme: the programme document (as in ``education/data/programmes``) and the
    Markdown text of each module file. Published versions never change; an edit makes a new version."""

    key = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT)
    document = models.JSONField()
    texts = models.JSONField(default=dict)  # file name -> Markdown
    based_on = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    change_note = models.CharField(max_length=500, blank=True)
    lock_version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="learning_programme_key_version"),
        ]
        ordering = ["key", "-version"]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class Enrolment(BaseModel):
    """A patient following one programme version (the version pin: she keeps the version she started)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="etp_enrolments")
    programme_key = models.CharField(max_length=64)
    programme = models.ForeignKey(ProgrammeVersion, on_delete=models.PROTECT, related_name="enrolments")
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "programme_key"], name="learning_one_enrolment"),
        ]


class Mode(models.TextChoices):
    DIGITAL = "digital", _("Sur téléphone (lien)")
    HOME = "home", _("À domicile avec l'IDEL")
    HDJ = "hdj", _("En hôpital de jour")


class Audience(models.TextChoices):
    PATIENT = "patient", _("Patient(e)")
    CAREGIVER = "caregiver", _("Aidant")
    TEAM = "team", _("Saisi par l'équipe")


class EducationSession(BaseModel):
    """An ETP session (at home with the IDEL, or in day hospital): who attended, modules covered."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="etp_sessions")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField()
    place = models.CharField(max_length=16, choices=Mode.choices, default=Mode.HOME)
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attendees = models.JSONField(default=list)  # ["patient", "caregiver:<name>", ...]
    modules = models.JSONField(default=list)
    observations = models.TextField(blank=True)

    class Meta:
        ordering = ["-date", "-id"]


class ModuleProgress(BaseModel):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="progress")
    module_id = models.CharField(max_length=64)
    completed_at = models.DateTimeField()
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    mode = models.CharField(max_length=16, choices=Mode.choices)
    audience = models.CharField(max_length=16, choices=Audience.choices)
    session = models.ForeignKey(EducationSession, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "module_id"], name="learning_module_once"),
        ]


class QuizAttempt(BaseModel):
    """One quiz answered: the pure ``score_quiz`` result stored as is."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attempts")
    module_id = models.CharField(max_length=64)
    programme_version = models.PositiveIntegerField()
    answers = models.JSONField()
    score = models.PositiveIntegerField()
    total = models.PositiveIntegerField()
    percent = models.PositiveIntegerField()
    pass_mark = models.PositiveIntegerField()
    passed = models.BooleanField()
    understood = models.JSONField(default=list)  # question texts answered correctly
    to_revisit = models.JSONField(default=list)  # [{"fr":..., "en":...}]
    taken_at = models.DateTimeField()
    audience = models.CharField(max_length=16, choices=Audience.choices)
    by_proxy = models.BooleanField(default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [models.Index(fields=["enrolment", "module_id"], name="learning_attempt_module")]


class HomeAssessment(BaseModel):
    """The IDEL's assessment of the home (space for material, access for the teams, caregiver present)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="home_assessments")
    space_for_material = models.BooleanField(_("place pour le matériel"))
    access_for_teams = models.BooleanField(_("accès pour les équipes et les livraisons"))
    caregiver_present = models.BooleanField(_("aidant présent"))
    notes = models.CharField(_("observations"), max_length=1000, blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()

    class Meta:
        ordering = ["-assessed_at", "-id"]


class ReadinessAssessment(BaseModel):
    """A recorded readiness-for-home assessment: criteria and support plan as computed then."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="readiness_assessments")
    assessed_at = models.DateTimeField()
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    pathway_state = models.CharField(max_length=64, blank=True)
    ready = models.BooleanField()
    criteria = models.JSONField(default=list)
    support_plan = models.JSONField(default=list)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-assessed_at", "-id"]


# ------------------------------------------------------------------------------------------- training


class ProfessionalProfile(BaseModel):
    """Where a professional practises (for "trained IDEL near this patient"); coordinates entered, never
    geocoded at run time."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning")
    rpps = models.CharField(_("RPPS"), max_length=11, blank=True)
    practice_address = models.CharField(_("adresse du cabinet"), max_length=300, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)

    class Meta:
        indexes = [models.Index(fields=["latitude", "longitude"], name="learning_profile_latlon")]


class ProfessionalQualification(models.Model):
    """Derived from the training records by ``education.training.qualifications`` (kept in sync by the
    services; a denormalised row so that the nearby search ranks in the database)."""

    profile = models.ForeignKey(ProfessionalProfile, on_delete=models.CASCADE, related_name="qualifications")
    qualification = models.CharField(max_length=32)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "qualification"], name="learning_qualification_once"),
        ]
        indexes = [models.Index(fields=["qualification", "valid_until"], name="learning_qual_until")]


class TrainingSession(BaseModel):
    """A held session of a catalogue course (e.g. one six-monthly virtual class)."""

    course_id = models.CharField(max_length=64)
    date = models.DateField()
    title = models.CharField(_("intitulé"), max_length=200, blank=True)
    organiser = models.CharField(_("organisateur"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-date", "-id"]


class TrainingRecord(BaseModel):
    """A completed course (attendance) with its certificate."""

    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_records"
    )
    course_id = models.CharField(max_length=64)
    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    completed_on = models.DateField()
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    dpc_hours = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    certificate_number = models.CharField(max_length=64, blank=True)
    certificate_expires_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-completed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "session"],
                condition=Q(session__isnull=False),
                name="learning_attend_once",
            ),
        ]


class Act(models.TextChoices):
    IMMUNOTHERAPY = "immunotherapy_administration", _("Administration de l'immunothérapie")
    ETP = "etp_session", _("Séance d'éducation thérapeutique")


class Assignment(BaseModel):
    """A professional assigned to a patient for an act, checked against her qualifications that day."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="learning_assignments")
    professional = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    act = models.CharField(max_length=64, choices=Act.choices)
    starts_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()

    class Meta:
        ordering = ["-assigned_at", "-id"]
