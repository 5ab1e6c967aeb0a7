from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def cure_dates(patient: Any) -> list[dt.date]:
    """Planned and administered cure dates of a patient, for telemonitoring (pre-cure questionnaires, charts)."""
    from parcours.cures.models import Cure

    return list(
        Cure.objects.filter(patient=patient)
        .exclude(status__in=["cancelled", "postponed"])
        .values_list("date", flat=True)
        .distinct()
    )


class CuresConfig(AppConfig):
    name = "parcours.cures"
    label = "cures"
    verbose_name = _("Cures à domicile")

    def ready(self) -> None:
        from parcours.cures.visits import SOURCE_NAME, home_cure_visits
        from parcours.logistics.sources import register_visit_source
        from parcours.telemonitoring.schedules import register_cure_dates_provider

        register_cure_dates_provider(cure_dates)
        register_visit_source(SOURCE_NAME, home_cure_visits)  # the day plan gathers the home cures
