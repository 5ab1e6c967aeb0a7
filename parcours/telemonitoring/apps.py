from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemonitoringConfig(AppConfig):
    name = "parcours.telemonitoring"
    label = "telemonitoring"
    verbose_name = _("Télésurveillance")

    def ready(self) -> None:
        from parcours.clinical.hooks import on_observations_recorded
        from parcours.telemonitoring.services import on_observations

        # every lab or vital recorded anywhere in Parcours is triaged at once (and by the sweep if that fails)
        on_observations_recorded(on_observations)
