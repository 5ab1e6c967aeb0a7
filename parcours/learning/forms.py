"""Input shapes of the learning pages (rules live in services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.education.training import load_builtin_catalogue
from parcours.learning.content import pick
from parcours.learning.models import Act, Mode
from parcours.patients.models import Patient

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def course_choices() -> list[tuple[str, str]]:
    return [(c.id, pick(c.title)) for c in load_builtin_catalogue().courses]


class LinkForm(forms.Form):
    audience = forms.ChoiceField(
        label=_("Destinataire"),
        choices=[("patient", _("Le/la patient(e)")), ("caregiver", _("Un aidant"))],
    )
    caregiver = forms.ChoiceField(label=_("Aidant"), required=False, choices=[])
    days = forms.IntegerField(label=_("Valable (jours)"), min_value=1, max_value=120, initial=30)
    send_sms = forms.BooleanField(label=_("Envoyer aussi le lien par SMS au destinataire"), required=False)

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["caregiver"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (str(c.external_id), f"{c.name} ({c.relationship})") for c in patient.caregivers.all()
        ]


class SessionForm(forms.Form):
    date = forms.DateField(label=_("Date de la séance"), widget=DATE)
    place = forms.ChoiceField(
        label=_("Lieu"), choices=[(Mode.HOME, Mode.HOME.label), (Mode.HDJ, Mode.HDJ.label)], initial=Mode.HOME
    )
    patient_present = forms.BooleanField(label=_("Patient(e) présent(e)"), required=False, initial=True)
    caregivers_present = forms.CharField(
        label=_("Aidants présents (noms, séparés par des virgules)"), required=False, max_length=300
    )
    modules = forms.MultipleChoiceField(
        label=_("Modules abordés"), choices=[], widget=forms.CheckboxSelectMultiple, required=False
    )
    observations = forms.CharField(
        label=_("Observations"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, modules: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["modules"].choices = modules  # type: ignore[attr-defined]

    def attendees(self) -> list[str]:
        people = ["patient"] if self.cleaned_data.get("patient_present") else []
        names = [
            n.strip() for n in (self.cleaned_data.get("caregivers_present") or "").split(",") if n.strip()
        ]
        return people + [f"aidant : {n}" for n in names]


class HomeForm(forms.Form):
    space_for_material = forms.BooleanField(label=_("Place pour le matériel et les soins"), required=False)
    access_for_teams = forms.BooleanField(
        label=_("Accès facile pour les équipes et les livraisons"), required=False
    )
    caregiver_present = forms.BooleanField(label=_("Un aidant est présent"), required=False)
    notes = forms.CharField(
        label=_("Observations"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignmentForm(forms.Form):
    professional = forms.UUIDField(label=_("Professionnel(le)"))
    act = forms.ChoiceField(label=_("Acte"), choices=Act.choices)
    starts_on = forms.DateField(label=_("À partir du"), widget=DATE)


class NearbyForm(forms.Form):
    act = forms.ChoiceField(label=_("Acte"), choices=Act.choices, initial=Act.IMMUNOTHERAPY)
    radius_km = forms.IntegerField(label=_("Rayon (km)"), min_value=1, max_value=200, initial=30)
    on = forms.DateField(label=_("Date de l'acte"), widget=DATE, required=False)


class RecordForm(forms.Form):
    professional = forms.UUIDField(label=_("Professionnel(le)"))
    course_id = forms.ChoiceField(label=_("Formation"), choices=[])
    completed_on = forms.DateField(label=_("Date du certificat"), widget=DATE)
    certificate_number = forms.CharField(label=_("N° de certificat"), required=False, max_length=64)
    certificate_expires_on = forms.DateField(
        label=_("Expiration indiquée sur le certificat (facultatif)"), required=False, widget=DATE
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course_id"].choices = course_choices()  # type: ignore[attr-defined]


class TrainingSessionForm(forms.Form):
    course_id = forms.ChoiceField(label=_("Formation"), choices=[])
    date = forms.DateField(label=_("Date"), widget=DATE)
    title = forms.CharField(label=_("Intitulé"), required=False, max_length=200)
    organiser = forms.CharField(label=_("Organisateur"), required=False, max_length=200)
    attendees = forms.CharField(
        label=_("Identifiants des participants (séparés par des virgules)"), required=False, max_length=5000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course_id"].choices = course_choices()  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    professional = forms.UUIDField(label=_("Professionnel(le)"))
    practice_address = forms.CharField(label=_("Adresse du cabinet"), required=False, max_length=300)
    postcode = forms.CharField(label=_("Code postal"), required=False, max_length=5)
    city = forms.CharField(label=_("Commune"), required=False, max_length=120)
    latitude = forms.FloatField(label=_("Latitude"), required=False)
    longitude = forms.FloatField(label=_("Longitude"), required=False)


class ModuleTextForm(forms.Form):
    text = forms.CharField(label=_("Texte du module (Markdown)"), widget=forms.Textarea(attrs={"rows": 20}))
    lock = forms.IntegerField(widget=forms.HiddenInput)
