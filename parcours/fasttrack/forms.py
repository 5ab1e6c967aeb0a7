"""Forms of the fast-track pages (parsing only; the rules live in services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.fasttrack.enums import (
    DiagnosisContext,
    DischargeTarget,
    GpEvent,
    ReferrerKind,
    ResourceKind,
    Urgency,
)
from parcours.fasttrack.pathways import EXAMS, PATHWAYS

SEX_CHOICES = [("", "—"), ("F", _("Femme")), ("M", _("Homme")), ("I", _("Indéterminé"))]


class ReferralForm(forms.Form):
    referrer_kind = forms.ChoiceField(
        label=_("Vous êtes"), choices=ReferrerKind.choices, initial=ReferrerKind.GP
    )
    referrer_name = forms.CharField(label=_("Votre nom"), max_length=200, required=False)
    referrer_rpps = forms.CharField(label=_("Votre numéro RPPS (facultatif)"), max_length=11, required=False)
    referrer_email = forms.EmailField(
        label=_("Votre courriel (messagerie sécurisée de préférence)"), required=False
    )
    referrer_phone = forms.CharField(label=_("Votre téléphone"), max_length=20, required=False)
    patient_birth_name = forms.CharField(
        label=_("Nom de naissance du patient"), max_length=100, required=False
    )
    patient_given_names = forms.CharField(label=_("Prénom(s) du patient"), max_length=150, required=False)
    patient_birth_date = forms.DateField(
        label=_("Date de naissance du patient"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    patient_sex = forms.ChoiceField(label=_("Sexe du patient"), choices=SEX_CHOICES, required=False)
    patient_ins = forms.CharField(label=_("INS du patient (si connu)"), max_length=21, required=False)
    patient_phone = forms.CharField(label=_("Téléphone du patient"), max_length=20, required=False)
    patient_postcode = forms.CharField(label=_("Code postal du patient"), max_length=5, required=False)
    first_symptoms_date = forms.DateField(
        label=_("Date des premiers symptômes"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    suspicion = forms.CharField(
        label=_("Suspicion diagnostique et signes cliniques"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    exams_done = forms.MultipleChoiceField(
        label=_("Examens déjà réalisés"), required=False, widget=forms.CheckboxSelectMultiple, choices=[]
    )
    exams_note = forms.CharField(
        label=_("Autres examens, précisions"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    urgency = forms.ChoiceField(label=_("Urgence"), choices=Urgency.choices, initial=Urgency.RAPID)
    # Honeypot: hidden from people (CSS and aria-hidden), filled by robots.
    website = forms.CharField(required=False, label=_("Ne pas remplir"))
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, pathway: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        spec = PATHWAYS[pathway]
        expected = set(spec.expected_exams)
        ordered = list(spec.expected_exams) + [k for k in EXAMS if k not in expected]
        self.fields["exams_done"].choices = [(k, EXAMS[k][0]) for k in ordered]  # type: ignore[attr-defined]


class InfoRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Ce qui manque"), widget=forms.Textarea(attrs={"rows": 3}), max_length=3000
    )


class RedirectForm(forms.Form):
    reason = forms.CharField(
        label=_("Réorientation proposée"), widget=forms.Textarea(attrs={"rows": 3}), max_length=3000
    )
    duplicate = forms.BooleanField(label=_("C'est un doublon"), required=False)


class DiagnosticDayForm(forms.Form):
    template = forms.ChoiceField(label=_("Modèle de journée"), choices=[])
    first_day = forms.DateField(label=_("Premier jour"), widget=forms.DateInput(attrs={"type": "date"}))


class PathologyRequestForm(forms.Form):
    sample_site = forms.CharField(label=_("Site du prélèvement"), max_length=200)
    smoker = forms.NullBooleanField(label=_("Fumeur"), required=False)
    metastatic = forms.NullBooleanField(label=_("Métastatique"), required=False)
    context = forms.ChoiceField(label=_("Contexte"), choices=DiagnosisContext.choices)
    molecular_tests = forms.CharField(label=_("Tests moléculaires demandés"), max_length=300, required=False)
    clinical_note = forms.CharField(
        label=_("Renseignements cliniques"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PathologyReportForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Étape"),
        choices=[
            ("contributive", _("Prélèvement contributif")),
            ("non_contributive", _("Biopsie non contributive")),
            ("intermediate", _("Résultat intermédiaire")),
            ("final", _("Résultat définitif")),
        ],
    )
    text = forms.CharField(label=_("Résultat"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    report_ins = forms.CharField(label=_("INS sur le compte rendu"), max_length=21, required=False)
    report_birth_name = forms.CharField(
        label=_("Nom de naissance sur le compte rendu"), max_length=100, required=False
    )
    report_birth_date = forms.DateField(
        label=_("Date de naissance sur le compte rendu"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class RcpRegisterForm(forms.Form):
    meeting_date = forms.DateField(label=_("Date de la RCP"), widget=forms.DateInput(attrs={"type": "date"}))
    question = forms.CharField(
        label=_("Question posée"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RcpDecideForm(forms.Form):
    decision = forms.CharField(label=_("Décision"), widget=forms.Textarea(attrs={"rows": 3}))
    treatment_planned_on = forms.DateField(
        label=_("Début du traitement prévu le"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class RcpTransmitForm(forms.Form):
    service_emails = forms.CharField(
        label=_("Courriels des services (séparés par des virgules)"), required=False, max_length=1000
    )


class DischargeForm(forms.Form):
    target = forms.ChoiceField(label=_("Destinataire"), choices=DischargeTarget.choices)
    to_email = forms.EmailField(label=_("Courriel du destinataire"))
    note = forms.CharField(label=_("Précisions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class GpEventForm(forms.Form):
    event = forms.ChoiceField(
        label=_("Événement"),
        choices=[
            (e.value, e.label)
            for e in (GpEvent.ADMISSION, GpEvent.TRANSFER, GpEvent.DISCHARGE, GpEvent.DEATH)
        ],
    )
    note = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ResourceForm(forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=120)
    kind = forms.ChoiceField(label=_("Type"), choices=ResourceKind.choices)
    release_hours = forms.IntegerField(
        label=_("Libération des créneaux sanctuarisés (heures avant)"), initial=48
    )


class SlotsForm(forms.Form):
    resource = forms.ChoiceField(label=_("Ressource"), choices=[])
    first_day = forms.DateField(label=_("À partir du"), widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label=_("Pendant (jours)"), initial=14, min_value=1, max_value=366)
    times = forms.CharField(
        label=_("Heures (HH:MM, séparées par des virgules)"), initial="08:30, 10:00, 14:00"
    )
    minutes = forms.IntegerField(label=_("Durée (minutes)"), initial=45, min_value=5, max_value=480)
    pathway = forms.ChoiceField(label=_("Sanctuarisé pour la filière"), required=False, choices=[])
    emergency = forms.BooleanField(label=_("Créneau d'urgence partagé"), required=False)

    def __init__(self, *args: object, resources: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["resource"].choices = resources  # type: ignore[attr-defined]
        self.fields["pathway"].choices = [("", _("— aucune (créneau partagé)"))] + [  # type: ignore[attr-defined]
            (k, p.label_fr) for k, p in PATHWAYS.items()
        ]
