from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemonitoringConfig(AppConfig):
    name = "parcours.telemonitoring"
    label = "telemonitoring"
    verbose_name = _("Télésurveillance")
