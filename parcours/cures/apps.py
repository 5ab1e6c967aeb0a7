from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CuresConfig(AppConfig):
    name = "parcours.cures"
    label = "cures"
    verbose_name = _("Cures à domicile")
