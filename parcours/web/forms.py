"""Forms parse input shapes only; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Organisation, User
from parcours.patients.enums import (
    ConsentKind,
    EligibilityConclusion,
    IdentityStatus,
    RiskFactor,
    Sex,
    SuccessFactor,
)


class PatientForm(forms.Form):
    birth_name = forms.CharField(label=_("Nom de naissance"), max_length=100)
    used_name = forms.CharField(label=_("Nom utilisé"), max_length=100, required=False)
    given_names = forms.CharField(label=_("Prénom(s)"), max_length=150)
    sex = forms.ChoiceField(label=_("Sexe"), choices=Sex.choices)
    birth_date = forms.DateField(label=_("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"}))
    birth_place_insee = forms.CharField(
        label=_("Lieu de naissance (code INSEE)"),
        max_length=5,
        required=False,
        help_text=_("5 caractères, ex. 69123 (Lyon) ; 99xxx si né(e) à l'étranger."),
    )
    ins = forms.CharField(
        label=_("INS (matricule INS)"),
        max_length=21,
        required=False,
        help_text=_("15 caractères : NIR (13) + clé (2). Les espaces sont acceptés."),
    )
    identity_status = forms.ChoiceField(label=_("Statut de l'identité"), choices=IdentityStatus.choices)
    address = forms.CharField(label=_("Adresse"), max_length=300, required=False)
    postcode = forms.CharField(label=_("Code postal"), max_length=5, required=False)
    city = forms.CharField(label=_("Commune"), max_length=120, required=False)
    phone = forms.CharField(label=_("Téléphone"), max_length=20, required=False)
    email = forms.EmailField(label=_("Courriel"), required=False)
    primary_diagnosis = forms.CharField(label=_("Diagnostic principal"), max_length=200, required=False)


class PatientCreateForm(PatientForm):
    hospital = forms.ModelChoiceField(
        label=_("Établissement"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.HOSPITAL),
        required=False,
    )
    referring_oncologist = forms.ModelChoiceField(
        label=_("Oncologue référent"),
        queryset=User.objects.filter(role__code="oncologist", is_active=True),
        required=False,
    )
    gp = forms.ModelChoiceField(
        label=_("Médecin traitant"),
        queryset=User.objects.filter(role__code="gp", is_active=True),
        required=False,
    )


class TransitionForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Consentement"), choices=ConsentKind.choices)
    given = forms.TypedChoiceField(
        label=_("Décision"),
        choices=[("1", _("Donné")), ("0", _("Refusé ou retiré"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("Commentaire"), max_length=500, required=False)


class EligibilityForm(forms.Form):
    success_factors = forms.MultipleChoiceField(
        label=_("Facteurs de réussite"),
        choices=SuccessFactor.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    risk_factors = forms.MultipleChoiceField(
        label=_("Facteurs de risque nécessitant un accompagnement"),
        choices=RiskFactor.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    conclusion = forms.ChoiceField(label=_("Conclusion"), choices=EligibilityConclusion.choices)
    note = forms.CharField(
        label=_("Commentaire"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class HadRequestForm(forms.Form):
    had = forms.ModelChoiceField(
        label=_("Structure d'HAD"), queryset=Organisation.objects.filter(kind=OrganisationKind.HAD)
    )
    motive = forms.CharField(label=_("Motif"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class HadDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("validate", _("Valider")), ("refuse", _("Refuser"))])
    note = forms.CharField(label=_("Commentaire"), max_length=1000, required=False)


class CaregiverForm(forms.Form):
    name = forms.CharField(label=_("Nom et prénom"), max_length=200)
    relationship = forms.CharField(label=_("Lien avec le patient"), max_length=60)
    phone = forms.CharField(label=_("Téléphone"), max_length=20, required=False)
    is_primary = forms.BooleanField(label=_("Aidant principal"), required=False)


class CareTeamAddForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Professionnel"),
        queryset=User.objects.filter(is_active=True, role__isnull=False)
        .exclude(role__code__in=["patient", "caregiver", "privacy_officer", "admin", "manager"])
        .select_related("role"),
    )
    team_role = forms.CharField(label=_("Rôle dans l'équipe"), max_length=100, required=False)
