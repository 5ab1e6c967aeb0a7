"""Choices of the fast-track diagnostic pathway (seed 004)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Urgency(models.TextChoices):
    URGENT = "urgent", _("Urgent (sous 48 h)")
    RAPID = "rapid", _("Rapide (sous 7 jours)")
    STANDARD = "standard", _("Standard")


# Lower rank = handled first in the coordinator's queue.
URGENCY_RANK = {Urgency.URGENT: 0, Urgency.RAPID: 1, Urgency.STANDARD: 2}


class ReferrerKind(models.TextChoices):
    GP = "gp", _("Médecin généraliste")
    RADIOLOGIST = "radiologist", _("Radiologue")
    SPECIALIST = "specialist", _("Médecin spécialiste")
    OTHER = "other", _("Autre professionnel")


class ReferralStatus(models.TextChoices):
    NEW = "new", _("Nouvelle")
    INFO_REQUESTED = "info_requested", _("Informations demandées")
    ACCEPTED = "accepted", _("Acceptée")
    SCHEDULED = "scheduled", _("Rendez-vous programmés")
    REDIRECTED = "redirected", _("Réorientée")
    DUPLICATE = "duplicate", _("Doublon")


OPEN_STATUSES = (ReferralStatus.NEW, ReferralStatus.INFO_REQUESTED)


class Source(models.TextChoices):
    WEB = "web", _("Formulaire en ligne")
    API = "api", _("Logiciel (API)")
    PHONE = "phone", _("Téléphone")


class ResourceKind(models.TextChoices):
    CT = "ct", _("Scanner")
    MRI = "mri", _("IRM")
    PET = "pet", _("TEP-scan")
    EUS = "eus", _("Écho-endoscopie")
    BIOPSY = "biopsy", _("Biopsie")
    CONSULT_ONCO = "consult_onco", _("Consultation oncologue")
    CONSULT_RADIO = "consult_radio", _("Consultation radiologue")
    CONSULT_SURGEON = "consult_surgeon", _("Consultation chirurgien")


IMAGING_KINDS = (ResourceKind.CT, ResourceKind.MRI, ResourceKind.PET, ResourceKind.EUS)
CONSULT_KINDS = (ResourceKind.CONSULT_ONCO, ResourceKind.CONSULT_RADIO, ResourceKind.CONSULT_SURGEON)


class SlotStatus(models.TextChoices):
    OPEN = "open", _("Ouvert")
    RELEASED = "released", _("Libéré (rendu au service)")
    CLOSED = "closed", _("Fermé")


class PathologyStatus(models.TextChoices):
    REQUESTED = "requested", _("Demandé")
    SENT = "sent", _("Prélèvement envoyé")
    NON_CONTRIBUTIVE = "non_contributive", _("Non contributif")
    INTERMEDIATE = "intermediate", _("Résultat intermédiaire")
    FINAL = "final", _("Résultat définitif")


class DiagnosisContext(models.TextChoices):
    FIRST = "first", _("Premier diagnostic")
    RECURRENCE = "recurrence", _("Récidive")


class TaskKind(models.TextChoices):
    PATHOLOGY_OVERDUE = "pathology_overdue", _("Anatomopathologie en retard")
    SCREENING_POSITIVE = "screening_positive", _("Dépistage positif à orienter")
    INFO_MISSING = "info_missing", _("Informations manquantes")
    DISCHARGE_FOLLOWUP = "discharge_followup", _("Relance sortie")
    OTHER = "other", _("Autre")


class RcpStatus(models.TextChoices):
    TO_PRESENT = "to_present", _("À présenter")
    DECIDED = "decided", _("Décision rendue")
    TRANSMITTED = "transmitted", _("Décision transmise")


class GpEvent(models.TextChoices):
    ADMISSION = "admission", _("Admission")
    TRANSFER = "transfer", _("Transfert")
    DISCHARGE = "discharge", _("Sortie")
    DEATH = "death", _("Décès")
    FIRST_DAY_LETTER = "first_day_letter", _("Courrier après la première journée diagnostique")
    APPOINTMENTS = "appointments", _("Rendez-vous programmés")
    RCP_DECISION = "rcp_decision", _("Décision de RCP")


class DischargeTarget(models.TextChoices):
    PRADO = "prado", _("PRADO (Assurance maladie)")
    CPTS = "cpts", _("CPTS")
    DAC = "dac", _("DAC (dispositif d'appui à la coordination)")


class DischargeStatus(models.TextChoices):
    SENT = "sent", _("Envoyée")
    ACCEPTED = "accepted", _("Acceptée")
    REFUSED = "refused", _("Refusée")


class EventKind(models.TextChoices):
    """Pathway events the indicators measure (seed 004 fiches 3–6)."""

    RECEIVED = "received", _("Demande reçue")
    FIRST_VISIT = "first_visit", _("Première consultation")
    IMAGING = "imaging", _("Imagerie")
    BIOPSY = "biopsy", _("Biopsie")
    PATHOLOGY_RESULT = "pathology_result", _("Résultat d'anatomopathologie")
    RCP = "rcp", _("RCP")
    TREATMENT_START = "treatment_start", _("Premier traitement")
    SUPPORTIVE_ASSESSMENT = "supportive_assessment", _("Évaluation en soins de support")
    ER_READMISSION = "er_readmission", _("Réadmission par les urgences")
