from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "parcours.learning"
    label = "learning"
    verbose_name = _("Éducation thérapeutique et formation")

    def ready(self) -> None:
        from parcours.learning.selectors import education_facts
        from parcours.pathways.facts import register_fact_provider

        register_fact_provider(education_facts)
