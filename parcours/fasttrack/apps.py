from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FasttrackConfig(AppConfig):
    name = "parcours.fasttrack"
    label = "fasttrack"
    verbose_name = _("Parcours diagnostique rapide")
