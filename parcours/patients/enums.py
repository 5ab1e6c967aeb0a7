from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "F", _("Femme")
    MALE = "M", _("Homme")
    OTHER = "I", _("Indéterminé")


class IdentityStatus(models.TextChoices):
    PROVISIONAL = "provisional", _("Provisoire")
    VALIDATED = "validated", _("Validée")


class ConsentKind(models.TextChoices):
    HAD_INFORMED = "had_informed", _("Consentement éclairé à la prise en charge en HAD")
    DATA_SHARING = "data_sharing", _("Partage des données entre les équipes")
    TELEMONITORING = "telemonitoring", _("Télésurveillance")


class HadRequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Demandée")
    VALIDATED = "validated", _("Validée")
    REFUSED = "refused", _("Refusée")


class EligibilityConclusion(models.TextChoices):
    ELIGIBLE = "eligible", _("Éligible")
    ELIGIBLE_WITH_SUPPORT = "eligible_with_support", _("Éligible avec accompagnement")
    NOT_ELIGIBLE = "not_eligible", _("Non éligible")


# domain.md §2.4 — success factors and risk factors (seed 000, « Les conditions pour que l'HAD soit recommandée »)
class SuccessFactor(models.TextChoices):
    MORALE = "morale", _("Bon moral")
    WANTS_HOME = "wants_home", _("Souhaite être soigné(e) à domicile")
    INFORMED = "informed", _("Informé(e) ou capable d'apprendre (ETP)")
    SURROUNDED = "surrounded", _("Entouré(e) (aidant)")
    HOUSING = "housing", _("Logement adapté (place, accès équipes et livraisons)")


class RiskFactor(models.TextChoices):
    ANXIOUS = "anxious", _("Anxieux(se)")
    RECENT_DIAGNOSIS = "recent_diagnosis", _("Diagnostic récent")
    ISOLATED = "isolated", _("Isolé(e)")
    ALERT_DIFFICULTY = "alert_difficulty", _("Difficulté à utiliser les moyens pour alerter l'équipe")
    FINANCIAL = "financial", _("Difficultés financières ou administratives")
    DAILY_HELP = "daily_help", _("A besoin d'aide au quotidien")
    MULTIPLE_PATHOLOGIES = "multiple_pathologies", _("Polypathologie")
    TREATMENT_DISCOMFORT = (
        "treatment_discomfort",
        _("Mal à l'aise avec le traitement / nombreux effets indésirables"),
    )
