from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitKind(models.TextChoices):
    ADMINISTRATION = "administration", _("Administration d'une cure")
    ETP = "etp", _("Séance d'éducation thérapeutique")
    FOLLOW_UP = "follow_up", _("Visite de suivi")
    DELIVERY = "delivery", _("Livraison de matériel")
    MATERIAL_PICKUP = "material_pickup", _("Reprise de matériel et déchets (DASRI)")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("À faire")
    CANCELLED = "cancelled", _("Annulée")
    DONE = "done", _("Faite")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("En attente")
    RUNNING = "running", _("Calcul en cours")
    DONE = "done", _("Terminé")
    STOPPED = "stopped", _("Arrêté (meilleur plan conservé)")
    FAILED = "failed", _("Échec")


class RunKind(models.TextChoices):
    FULL = "full", _("Planification complète")
    REPLAN = "replan", _("Re-planification en cours de journée")


SKILLS: dict[str, str] = {
    "immuno": "Immunothérapie (formation ½ journée)",
    "chimio": "Chimiothérapie",
    "picc": "Voie centrale (PICC, chambre implantable)",
    "etp": "Éducation thérapeutique (40 h)",
    "logistics": "Livraison et reprise de matériel",
}
