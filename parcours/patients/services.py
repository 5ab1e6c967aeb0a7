"""Writes on patients. Each service: keyword-only arguments, one transaction, audit + timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Organisation, User
from parcours.accounts.permissions import has_perm, role_code
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import Conflict, Forbidden, StaleEdit, ValidationFailed
from parcours.patients import ins as ins_rules
from parcours.patients.enums import (
    ConsentKind,
    EligibilityConclusion,
    HadRequestStatus,
    IdentityStatus,
    RiskFactor,
    Sex,
    SuccessFactor,
)
from parcours.patients.models import (
    Caregiver,
    CareTeamMembership,
    Consent,
    EligibilityAssessment,
    HadRequest,
    Patient,
)
from parcours.patients.timeline import timeline_record


@dataclass
class PatientInput:
    birth_name: str
    given_names: str
    sex: str
    birth_date: dt.date
    ins: str = ""
    identity_status: str = IdentityStatus.PROVISIONAL
    used_name: str = ""
    birth_place_insee: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    phone: str = ""
    email: str = ""
    primary_diagnosis: str = ""


EDITABLE_FIELDS = tuple(f.name for f in fields(PatientInput))


def _lang_en() -> bool:
    return (get_language() or "fr").startswith("en")


def validate_patient_input(data: PatientInput) -> dict[str, list[str]]:
    """Field errors for a patient's identity and contact details (empty when valid)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, msg: str) -> None:
        errors.setdefault(field, []).append(msg)

    if not data.birth_name.strip():
        add("birth_name", _("Le nom de naissance est obligatoire."))
    if not data.given_names.strip():
        add("given_names", _("Le ou les prénoms sont obligatoires."))
    if data.sex not in Sex.values:
        add("sex", _("Sexe attendu : F, M ou I."))
    if data.birth_date > clock.today():
        add("birth_date", _("La date de naissance est dans le futur."))
    elif data.birth_date.year < 1900:
        add("birth_date", _("La date de naissance est invraisemblable."))
    if data.ins:
        problem = ins_rules.check_ins(data.ins)
        if problem is not None:
            add("ins", problem.message_en if _lang_en() else problem.message_fr)
    if data.identity_status not in IdentityStatus.values:
        add("identity_status", _("Statut d'identité inconnu."))
    elif data.identity_status == IdentityStatus.VALIDATED and not data.ins:
        add("identity_status", _("Une identité validée exige un INS."))
    if data.birth_place_insee and not ins_rules.check_insee_place(data.birth_place_insee):
        add(
            "birth_place_insee",
            _("Le code INSEE du lieu de naissance compte 5 caractères (ex. 69123, 2A004)."),
        )
    if data.postcode and (not data.postcode.isdigit() or len(data.postcode) != 5):
        add("postcode", _("Le code postal compte 5 chiffres."))
    if (data.latitude is None) != (data.longitude is None):
        add("latitude", _("Latitude et longitude vont ensemble."))
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        add("latitude", _("Latitude hors limites."))
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        add("longitude", _("Longitude hors limites."))
    return errors


def _normalised(data: PatientInput) -> PatientInput:
    data.ins = ins_rules.normalise(data.ins) if data.ins else ""
    data.birth_place_insee = data.birth_place_insee.upper()
    data.birth_name = data.birth_name.strip()
    data.given_names = data.given_names.strip()
    return data


@transaction.atomic
def patient_create(
    *,
    actor: User,
    data: PatientInput,
    hospital: Organisation | None = None,
    had: Organisation | None = None,
    referring_oncologist: User | None = None,
    gp: User | None = None,
) -> Patient:
    """Create a patient; the creator joins the care team (otherwise she could not see what she made)."""
    if not has_perm(actor, "patient.create"):
        raise Forbidden(_("Votre rôle ne permet pas de créer un dossier patient."))
    data = _normalised(data)
    errors = validate_patient_input(data)
    if hospital is not None and hospital.kind != OrganisationKind.HOSPITAL:
        errors.setdefault("hospital", []).append(_("Choisissez un établissement de santé."))
    if had is not None and had.kind != OrganisationKind.HAD:
        errors.setdefault("had", []).append(_("Choisissez une structure d'HAD."))
    if data.ins and Patient.objects.filter(ins=data.ins).exists():
        errors.setdefault("ins", []).append(_("Un patient porte déjà cet INS."))
    if errors:
        raise ValidationFailed(
            _("Le dossier n'a pas été créé : corrigez les champs signalés."), field_errors=errors
        )
    patient = Patient.objects.create(
        **{name: getattr(data, name) for name in EDITABLE_FIELDS},
        hospital=hospital,
        had=had,
        referring_oncologist=referring_oncologist,
        gp=gp,
    )
    _member_add(patient=patient, user=actor, team_role=str(actor.role or ""), actor=actor)
    if referring_oncologist is not None and referring_oncologist != actor:
        _member_add(
            patient=patient, user=referring_oncologist, team_role=_("Oncologue référent"), actor=actor
        )
    if gp is not None and gp != actor:
        _member_add(patient=patient, user=gp, team_role=_("Médecin traitant"), actor=actor)
    timeline_record(patient=patient, actor=actor, kind="patient.created")
    audit_record(
        actor=actor,
        action="create",
        object_type="patient",
        object_id=str(patient.external_id),
        patient_id=patient.pk,
    )
    return patient


@transaction.atomic
def patient_update(
    *, actor: User, patient: Patient, expected_version: int, changes: dict[str, Any]
) -> Patient:
    """Apply ``changes`` if nobody saved the patient since ``expected_version`` was read."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Champs non modifiables : %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            field_errors={f: [_("Champ inconnu ou non modifiable.")] for f in sorted(unknown)},
        )
    current = PatientInput(**{name: getattr(patient, name) for name in EDITABLE_FIELDS})
    for key, value in changes.items():
        setattr(current, key, value)
    current = _normalised(current)
    errors = validate_patient_input(current)
    if current.ins and Patient.objects.filter(ins=current.ins).exclude(pk=patient.pk).exists():
        errors.setdefault("ins", []).append(_("Un patient porte déjà cet INS."))
    if errors:
        raise ValidationFailed(
            _("Rien n'a été enregistré : corrigez les champs signalés."), field_errors=errors
        )
    changed = [name for name in EDITABLE_FIELDS if getattr(current, name) != getattr(patient, name)]
    if not changed:
        if patient.version != expected_version:
            raise StaleEdit(
                _("Ce dossier a été modifié par quelqu'un d'autre entre-temps. Rechargez la page.")
            )
        return patient
    values = {name: getattr(current, name) for name in changed}
    updated = Patient.objects.filter(pk=patient.pk, version=expected_version).update(
        **values, version=F("version") + 1, updated_at=clock.now()
    )
    if updated != 1:
        raise StaleEdit(_("Ce dossier a été modifié par quelqu'un d'autre entre-temps. Rechargez la page."))
    patient.refresh_from_db()
    timeline_record(patient=patient, actor=actor, kind="patient.updated", data={"fields": changed})
    audit_record(
        actor=actor,
        action="update",
        object_type="patient",
        object_id=str(patient.external_id),
        patient_id=patient.pk,
        detail={"fields": changed},
    )
    return patient


def _member_add(*, patient: Patient, user: User, team_role: str, actor: User) -> CareTeamMembership:
    membership = CareTeamMembership.objects.create(
        patient=patient, user=user, team_role=team_role, since=clock.now(), added_by=actor
    )
    timeline_record(patient=patient, actor=actor, kind="careteam.added", data={"member": str(user)})
    return membership


def careteam_member_check(*, patient: Patient, user: User) -> None:
    """Raise if ``user`` cannot join ``patient``'s care team (not a care professional, already in)."""
    if user.role is None or role_code(user) in {
        "patient",
        "caregiver",
        "privacy_officer",
        "admin",
        "manager",
    }:
        raise ValidationFailed(
            _("Seul un professionnel de soins peut rejoindre une équipe de soins."),
            field_errors={"user": [_("Professionnel de soins attendu.")]},
        )
    if CareTeamMembership.objects.filter(patient=patient, user=user, until__isnull=True).exists():
        raise Conflict(_("%(name)s fait déjà partie de l'équipe de soins.") % {"name": str(user)})


@transaction.atomic
def careteam_member_add(
    *, actor: User, patient: Patient, user: User, team_role: str = ""
) -> CareTeamMembership:
    if not has_perm(actor, "careteam.manage"):
        raise Forbidden(_("Votre rôle ne permet pas de modifier l'équipe de soins."))
    careteam_member_check(patient=patient, user=user)
    membership = _member_add(patient=patient, user=user, team_role=team_role or str(user.role), actor=actor)
    audit_record(
        actor=actor,
        action="create",
        object_type="care_team_membership",
        object_id=str(membership.external_id),
        patient_id=patient.pk,
    )
    return membership


@transaction.atomic
def careteam_member_remove(*, actor: User, patient: Patient, membership_id: str) -> None:
    if not has_perm(actor, "careteam.manage"):
        raise Forbidden(_("Votre rôle ne permet pas de modifier l'équipe de soins."))
    membership = (
        CareTeamMembership.objects.select_related("user")
        .filter(patient=patient, external_id=membership_id, until__isnull=True)
        .first()
    )
    if membership is None:
        raise ValidationFailed(_("Ce membre ne fait pas partie de l'équipe."))
    membership.until = clock.now()
    membership.save(update_fields=["until", "updated_at"])
    timeline_record(
        patient=patient, actor=actor, kind="careteam.removed", data={"member": str(membership.user)}
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="care_team_membership",
        object_id=str(membership.external_id),
        patient_id=patient.pk,
    )


@transaction.atomic
def caregiver_add(
    *, actor: User, patient: Patient, name: str, relationship: str, phone: str = "", is_primary: bool = False
) -> Caregiver:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Le nom de l'aidant est obligatoire.")]
    if not relationship.strip():
        errors["relationship"] = [_("Précisez le lien avec le patient.")]
    if errors:
        raise ValidationFailed(_("L'aidant n'a pas été ajouté."), field_errors=errors)
    if is_primary:
        Caregiver.objects.filter(patient=patient, is_primary=True).update(is_primary=False)
    cg = Caregiver.objects.create(
        patient=patient,
        name=name.strip(),
        relationship=relationship.strip(),
        phone=phone,
        is_primary=is_primary,
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="caregiver",
        object_id=str(cg.external_id),
        patient_id=patient.pk,
    )
    return cg


def _label(choice: Any) -> dict[str, str]:
    """A choice label in both languages, stored on timeline events."""
    from django.utils import translation

    with translation.override("fr"):
        fr = str(choice.label)
    with translation.override("en"):
        en = str(choice.label)
    return {"fr": fr, "en": en}


@transaction.atomic
def consent_record(*, actor: User, patient: Patient, kind: str, given: bool, note: str = "") -> Consent:
    if not has_perm(actor, "consent.record"):
        raise Forbidden(_("Votre rôle ne permet pas d'enregistrer un consentement."))
    if kind not in ConsentKind.values:
        raise ValidationFailed(
            _("Type de consentement inconnu."), field_errors={"kind": [_("Type de consentement inconnu.")]}
        )
    consent = Consent.objects.create(
        patient=patient, kind=kind, given=given, note=note, recorded_at=clock.now(), recorded_by=actor
    )
    timeline_record(
        patient=patient,
        actor=actor,
        kind="consent.recorded",
        data={"kind": kind, "given": given, "label": _label(ConsentKind(kind))},
        reason=note,
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="consent",
        object_id=str(consent.external_id),
        patient_id=patient.pk,
    )
    return consent


def _covers(had: Organisation | None, postcode: str) -> bool:
    if had is None or not postcode:
        return False
    return any(postcode.startswith(prefix) for prefix in had.service_area)


@transaction.atomic
def eligibility_assess(
    *,
    actor: User,
    patient: Patient,
    success_factors: list[str],
    risk_factors: list[str],
    conclusion: str,
    note: str = "",
) -> EligibilityAssessment:
    if not has_perm(actor, "eligibility.assess"):
        raise Forbidden(_("Votre rôle ne permet pas d'évaluer l'éligibilité."))
    errors: dict[str, list[str]] = {}
    bad_s = set(success_factors) - set(SuccessFactor.values)
    bad_r = set(risk_factors) - set(RiskFactor.values)
    if bad_s:
        errors["success_factors"] = [_("Facteur inconnu : %(v)s.") % {"v": ", ".join(sorted(bad_s))}]
    if bad_r:
        errors["risk_factors"] = [_("Facteur inconnu : %(v)s.") % {"v": ", ".join(sorted(bad_r))}]
    if conclusion not in EligibilityConclusion.values:
        errors["conclusion"] = [_("Choisissez une conclusion.")]
    if conclusion == EligibilityConclusion.NOT_ELIGIBLE and not note.strip():
        errors["note"] = [_("Expliquez pourquoi le patient n'est pas éligible.")]
    if errors:
        raise ValidationFailed(_("L'évaluation n'a pas été enregistrée."), field_errors=errors)
    assessment = EligibilityAssessment.objects.create(
        patient=patient,
        assessed_at=clock.now(),
        assessed_by=actor,
        success_factors=sorted(set(success_factors)),
        risk_factors=sorted(set(risk_factors)),
        had_covers_address=_covers(patient.had, patient.postcode),
        conclusion=conclusion,
        note=note,
    )
    timeline_record(
        patient=patient,
        actor=actor,
        kind="eligibility.assessed",
        data={"conclusion": conclusion, "label": _label(EligibilityConclusion(conclusion))},
        reason=note,
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="eligibility_assessment",
        object_id=str(assessment.external_id),
        patient_id=patient.pk,
    )
    return assessment


@transaction.atomic
def had_request_create(*, actor: User, patient: Patient, had: Organisation, motive: str) -> HadRequest:
    """An oncologist (hospital doctor) requests HAD care (domain.md §2.3: HAD prescription)."""
    if not has_perm(actor, "had.request"):
        raise Forbidden(_("Seul un médecin hospitalier peut demander une HAD."))
    errors: dict[str, list[str]] = {}
    if had.kind != OrganisationKind.HAD:
        errors["had"] = [_("Choisissez une structure d'HAD.")]
    if not motive.strip():
        errors["motive"] = [_("Le motif de la demande est obligatoire.")]
    if errors:
        raise ValidationFailed(_("La demande d'HAD n'a pas été envoyée."), field_errors=errors)
    try:
        with transaction.atomic():
            req = HadRequest.objects.create(
                patient=patient, had=had, requested_by=actor, requested_at=clock.now(), motive=motive.strip()
            )
    except IntegrityError as exc:
        raise Conflict(_("Une demande d'HAD est déjà en attente pour ce patient.")) from exc
    if patient.had_id != had.pk:
        patient.had = had
        patient.version += 1
        patient.save(update_fields=["had", "version", "updated_at"])
    timeline_record(patient=patient, actor=actor, kind="had.requested", data={"had": had.name}, reason=motive)
    audit_record(
        actor=actor,
        action="create",
        object_type="had_request",
        object_id=str(req.external_id),
        patient_id=patient.pk,
    )
    return req


@transaction.atomic
def had_request_decide(
    *, actor: User, patient: Patient, request_id: str, validate: bool, note: str = ""
) -> HadRequest:
    """The HAD physician of the requested structure validates (or refuses) feasibility."""
    if not has_perm(actor, "had.validate"):
        raise Forbidden(_("Seul un médecin d'HAD peut valider la faisabilité."))
    req = (
        HadRequest.objects.select_for_update()
        .select_related("had")
        .filter(patient=patient, external_id=request_id)
        .first()
    )
    if req is None:
        raise ValidationFailed(_("Demande d'HAD introuvable."))
    if req.status != HadRequestStatus.REQUESTED:
        raise Conflict(
            _("Cette demande a déjà été traitée (%(status)s).") % {"status": req.get_status_display()}
        )
    if actor.organisation_id != req.had_id:
        raise Forbidden(
            _("Seul un médecin de %(had)s peut se prononcer sur cette demande.") % {"had": req.had.name}
        )
    if not validate and not note.strip():
        raise ValidationFailed(
            _("Expliquez le refus."), field_errors={"note": [_("Le motif du refus est obligatoire.")]}
        )
    req.status = HadRequestStatus.VALIDATED if validate else HadRequestStatus.REFUSED
    req.decided_by = actor
    req.decided_at = clock.now()
    req.decision_note = note
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    timeline_record(
        patient=patient,
        actor=actor,
        kind="had.validated" if validate else "had.refused",
        data={"had": req.had.name},
        reason=note,
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="had_request",
        object_id=str(req.external_id),
        patient_id=patient.pk,
        detail={"status": req.status},
    )
    return req
