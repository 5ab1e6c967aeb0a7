"""Input shapes for the planning page (rules live in services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Organisation, User
from parcours.logistics.enums import SKILLS, VisitKind
from parcours.patients.models import Patient

SKILL_CHOICES = list(SKILLS.items())


class VisitForm(forms.Form):
    patient = forms.ModelChoiceField(label=_("Patient"), queryset=Patient.objects.none())
    kind = forms.ChoiceField(label=_("Soin"), choices=VisitKind.choices)
    window_start = forms.TimeField(label=_("Créneau : début"), widget=forms.TimeInput(attrs={"type": "time"}))
    window_end = forms.TimeField(label=_("Créneau : fin"), widget=forms.TimeInput(attrs={"type": "time"}))
    duration_min = forms.IntegerField(label=_("Durée (minutes)"), min_value=1, max_value=600, initial=45)
    skills = forms.MultipleChoiceField(
        label=_("Qualifications requises"),
        choices=SKILL_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    bag_pharmacy = forms.ModelChoiceField(
        label=_("Poche à retirer à la PUI"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.PHARMACY),
        required=False,
    )
    bag_ready = forms.TimeField(
        label=_("Poche disponible à"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    bag_stability_min = forms.IntegerField(
        label=_("Stabilité de la poche (minutes)"), required=False, min_value=1
    )

    def __init__(self, *args: Any, had: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["patient"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Patient.objects.filter(had=had).order_by("birth_name", "given_names")


class ShiftForm(forms.Form):
    nurse = forms.ModelChoiceField(label=_("Infirmier(ère)"), queryset=User.objects.none())
    start_time = forms.TimeField(label=_("Début de service"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("Fin de service"), widget=forms.TimeInput(attrs={"type": "time"}))
    skills = forms.MultipleChoiceField(
        label=_("Qualifications"), choices=SKILL_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    max_visits = forms.IntegerField(label=_("Visites au plus"), required=False, min_value=1, max_value=30)
    latitude = forms.FloatField(label=_("Départ : latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Départ : longitude"), required=False, min_value=-180, max_value=180)

    def __init__(self, *args: Any, had: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["nurse"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            User.objects.filter(is_active=True, role__code__in=["had_nurse", "idel"])
            .select_related("role")
            .order_by("last_name", "first_name")
        )
