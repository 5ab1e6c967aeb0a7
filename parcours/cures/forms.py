"""Input shapes of the cure pages (rules live in services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Organisation
from parcours.treatments.regimens import load_builtin_regimens

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

# code, label, unit, lower, upper (typical adult references, editable: the lab's own range is what counts)
LAB_ROWS: list[tuple[str, Any, str, str, str]] = [
    ("NEUTROPHILS", _("Polynucléaires neutrophiles"), "10^9/L", "1.5", "7"),
    ("PLATELETS", _("Plaquettes"), "10^9/L", "150", "400"),
    ("CREATININE", _("Créatinine"), "µmol/L", "45", "90"),
    ("ALT", _("ALAT"), "U/L", "0", "40"),
    ("AST", _("ASAT"), "U/L", "0", "40"),
    ("BILIRUBIN", _("Bilirubine totale"), "µmol/L", "0", "17"),
    ("GLUCOSE", _("Glycémie"), "mmol/L", "3.9", "6.1"),
    ("TSH", _("TSH"), "mUI/L", "0.4", "4"),
]
VITAL_ROWS: list[tuple[str, Any, str]] = [
    ("TEMP", _("Température"), "°C"),
    ("SBP", _("Pression systolique"), "mmHg"),
    ("DBP", _("Pression diastolique"), "mmHg"),
    ("HR", _("Fréquence cardiaque"), "/min"),
    ("SPO2", _("Saturation en oxygène"), "%"),
]


def regimen_choices() -> list[tuple[str, str]]:
    catalogue = load_builtin_regimens()
    return [(r.id, r.label.fr) for r in catalogue.regimens.values()]


class PrescribeForm(forms.Form):
    regimen_id = forms.ChoiceField(label=_("Protocole"), choices=())
    start = forms.DateField(label=_("Date de la première cure"), widget=DATE)
    cycles = forms.IntegerField(
        label=_("Nombre de cures"),
        required=False,
        min_value=1,
        max_value=60,
        help_text=_("Vide : jusqu'à l'arrêt (six mois sont planifiés)."),
    )
    first_number = forms.IntegerField(
        label=_("Numéro de la première cure"),
        min_value=1,
        initial=1,
        help_text=_("Pour poursuivre à domicile un protocole commencé en hôpital de jour."),
    )
    dose_mg = forms.DecimalField(
        label=_("Dose prescrite (mg)"), required=False, min_value=1, max_digits=8, decimal_places=2
    )
    interval_days = forms.IntegerField(
        label=_("Intervalle (jours)"), required=False, min_value=1, max_value=120
    )
    weight_kg = forms.DecimalField(
        label=_("Poids (kg)"), required=False, min_value=1, max_digits=5, decimal_places=1
    )
    pharmacy = forms.ModelChoiceField(label=_("Pharmacie (PUI)"), queryset=Organisation.objects.none())
    confirm_reason = forms.CharField(
        label=_("Motif de l'écart au protocole"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Obligatoire si la dose ou l'intervalle s'écarte du protocole."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regimen = self.fields["regimen_id"]
        assert isinstance(regimen, forms.ChoiceField)
        regimen.choices = regimen_choices()
        pharmacy = self.fields["pharmacy"]
        assert isinstance(pharmacy, forms.ModelChoiceField)
        pharmacy.queryset = Organisation.objects.filter(kind=OrganisationKind.PHARMACY).order_by("name")


class LabsForm(forms.Form):
    sampled_at = forms.DateTimeField(label=_("Prélevé le"), widget=DT, input_formats=DT_FORMATS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label, unit, low, high in LAB_ROWS:
            self.fields[f"{code}_value"] = forms.DecimalField(
                label=label, required=False, max_digits=12, decimal_places=4
            )
            self.fields[f"{code}_unit"] = forms.CharField(
                label=_("Unité"), initial=unit, required=False, max_length=24
            )
            self.fields[f"{code}_lower"] = forms.DecimalField(
                label=_("Borne basse"), initial=low, required=False
            )
            self.fields[f"{code}_upper"] = forms.DecimalField(
                label=_("Borne haute"), initial=high, required=False
            )

    def rows(self) -> list[tuple[str, Any, Any, Any, Any]]:
        return [
            (code, self[f"{code}_value"], self[f"{code}_unit"], self[f"{code}_lower"], self[f"{code}_upper"])
            for code, *_rest in LAB_ROWS
        ]


def _vital_fields(form: forms.Form, prefix: str = "") -> None:
    for code, label, unit in VITAL_ROWS:
        form.fields[f"{prefix}{code}"] = forms.DecimalField(
            label=f"{label} ({unit})",
            required=False,
            max_digits=6,
            decimal_places=1,
            widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        )


class VitalsForm(forms.Form):
    observed_at = forms.DateTimeField(label=_("Mesuré le"), widget=DT, input_formats=DT_FORMATS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _vital_fields(self)


class OkForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("OK"), choices=[("cycle", _("OK pour le cycle")), ("day_of_cure", _("OK du jour de la cure"))]
    )
    delegated = forms.BooleanField(label=_("OK délégué (HAD pour l'établissement)"), required=False)
    override_reason = forms.CharField(
        label=_("Passer outre (médecin) : motif écrit"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RefuseForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("OK"), choices=[("cycle", _("OK pour le cycle")), ("day_of_cure", _("OK du jour de la cure"))]
    )
    reason = forms.CharField(
        label=_("Motif du refus"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PrepareForm(forms.Form):
    lot = forms.CharField(label=_("Numéro de lot"), max_length=60)
    prepared_at = forms.DateTimeField(label=_("Préparée le"), widget=DT, input_formats=DT_FORMATS)
    storage = forms.ChoiceField(
        label=_("Conservation"),
        choices=[("refrigerated", _("Réfrigérée (2–8 °C)")), ("room_temperature", _("Température ambiante"))],
    )
    aseptic_validated = forms.BooleanField(
        label=_("Préparation aseptique validée"), required=False, initial=True
    )
    local_limit_hours = forms.IntegerField(label=_("Limite locale (heures)"), required=False, min_value=1)
    local_limit_reason = forms.CharField(
        label=_("Référence de la limite locale"), required=False, max_length=500
    )


class ReadingForm(forms.Form):
    temperature_c = forms.DecimalField(label=_("Température relevée (°C)"), max_digits=4, decimal_places=1)


class HandoverForm(forms.Form):
    kit_antihistamine = forms.BooleanField(label=_("Antihistaminique H1 présent"), required=False)
    kit_adrenaline = forms.BooleanField(label=_("Stylo d'adrénaline présent"), required=False)
    kit_corticosteroid = forms.BooleanField(label=_("Corticoïde oral présent"), required=False)
    note = forms.CharField(label=_("Remarque"), required=False, max_length=500)


class PostponeForm(forms.Form):
    days = forms.IntegerField(label=_("Reporter de (jours)"), min_value=1, max_value=90)
    reason = forms.CharField(label=_("Motif"), max_length=1000)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Motif de l'annulation"), max_length=1000)


class AdministerForm(forms.Form):
    identity_checked = forms.BooleanField(
        label=_("Identité vérifiée (nom, prénom, date de naissance)"), required=False
    )
    started_at = forms.DateTimeField(label=_("Début de la perfusion"), widget=DT, input_formats=DT_FORMATS)
    ended_at = forms.DateTimeField(label=_("Fin de la perfusion"), widget=DT, input_formats=DT_FORMATS)
    lot = forms.CharField(label=_("Numéro de lot de la poche"), max_length=60)
    tolerance = forms.CharField(
        label=_("Tolérance"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    reaction_grade = forms.TypedChoiceField(
        label=_("Réaction à la perfusion (grade CTCAE)"),
        coerce=int,
        choices=[(0, _("Aucune")), (1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5")],
        initial=0,
    )
    immediate_actions = forms.CharField(
        label=_("Mesures immédiates prises"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    dasri_disposed = forms.BooleanField(label=_("Déchets (DASRI) éliminés"), required=False)
    material_to_return = forms.CharField(label=_("Matériel à reprendre"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _vital_fields(self, "before_")
        _vital_fields(self, "after_")

    def vitals(self, prefix: str) -> dict[str, Any]:
        return {
            code: self.cleaned_data[f"{prefix}{code}"]
            for code, *_rest in VITAL_ROWS
            if self.cleaned_data.get(f"{prefix}{code}") is not None
        }

    def vital_fields(self, prefix: str) -> list[Any]:
        return [self[f"{prefix}{code}"] for code, *_rest in VITAL_ROWS]
