from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    HOSPITAL = "hospital", _("Établissement de santé")
    HAD = "had", _("Structure d'HAD")
    PHARMACY = "pharmacy", _("Pharmacie (PUI)")
    PRACTICE = "practice", _("Cabinet de ville")


class Party(models.TextChoices):
    HOSPITAL = "hospital", _("Établissement")
    HAD = "had", _("HAD")
    BOTH = "both", _("Les deux")
