"""Choices of the telemonitoring app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("À remplir")
    SUBMITTED = "submitted", _("Rempli")
    MISSED = "missed", _("Non rempli")
    CANCELLED = "cancelled", _("Annulé")


class AssignmentReason(models.TextChoices):
    WEEKLY = "weekly", _("Hebdomadaire (3 premiers mois)")
    PRE_CURE = "pre_cure", _("Avant la cure")
    MANUAL = "manual", _("Demandé par l'équipe")


class ResponseChannel(models.TextChoices):
    LINK = "link", _("Lien sécurisé (patient ou aidant)")
    PROXY = "proxy", _("Saisie par un soignant")
    API = "api", _("API")


class TriageTrigger(models.TextChoices):
    QUESTIONNAIRE = "questionnaire", _("Questionnaire")
    OBSERVATIONS = "observations", _("Biologie ou constantes")


class Level(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    SAME_DAY = "same_day", _("Dans la journée")
    ROUTINE = "routine", _("Au prochain contact")
    NONE = "none", _("Rien à signaler")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Ouverte")
    ACKNOWLEDGED = "acknowledged", _("Prise en charge")
    CLOSED = "closed", _("Clôturée")


class AlertEventKind(models.TextChoices):
    OPENED = "opened", _("Alerte ouverte")
    NOTIFIED = "notified", _("Équipe prévenue")
    ESCALATED = "escalated", _("Escaladée")
    ACKNOWLEDGED = "acknowledged", _("Prise en charge")
    ACTION = "action", _("Action")
    REASSESSED = "reassessed", _("Nouvelle évaluation")
    CLOSED = "closed", _("Clôturée")


class HoldStatus(models.TextChoices):
    OPEN = "open", _("Traitement suspendu, avis médical attendu")
    LIFTED = "lifted", _("Levée par un médecin")


class HoldDecision(models.TextChoices):
    LIFT = "lift", _("Reprise autorisée")
    KEEP = "keep", _("Suspension maintenue")


class TaskKind(models.TextChoices):
    MISSED_QUESTIONNAIRE = "missed_questionnaire", _("Questionnaire non rempli : appeler le patient")
    INCOMPLETE_QUESTIONNAIRE = (
        "incomplete_questionnaire",
        _("Questionnaire incomplet : compléter les réponses"),
    )
    FOLLOWUP_CALL = "followup_call", _("Appel de suivi J+10 après la cure à domicile")
    ROUTINE_REVIEW = "routine_review", _("Message du patient à lire")
    PROXY_ENTRY = "proxy_entry", _("Questionnaire à saisir avec le patient")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("À faire")
    DONE = "done", _("Fait")
    CANCELLED = "cancelled", _("Annulé")
