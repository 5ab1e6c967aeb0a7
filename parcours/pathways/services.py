"""Writes on pathways: start, transition (guarded by the pure engine), admission checklist."""

from __future__ import annotations

from dataclasses import asdict

from django.db import IntegrityError, transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    StaleEdit,
    TransitionRefused,
    UnmetCondition,
    ValidationFailed,
)
from parcours.pathways import engine, registry
from parcours.pathways.facts import patient_facts
from parcours.pathways.models import ChecklistCompletion, PathwayTransitionLog, PatientPathway
from parcours.patients.models import Patient
from parcours.patients.timeline import timeline_record


def _text(label: engine.Label) -> str:
    return label.en if (get_language() or "fr").startswith("en") else label.fr


@transaction.atomic
def pathway_start(*, actor: User, patient: Patient, definition_key: str) -> PatientPathway:
    if not has_perm(actor, "pathway.transition"):
        raise Forbidden(_("Votre rôle ne permet pas de faire avancer le parcours."))
    try:
        defn = registry.start_definition(definition_key)
    except KeyError as exc:
        raise ValidationFailed(
            _("Parcours inconnu : %(key)s.") % {"key": definition_key},
            field_errors={"definition": [_("Parcours inconnu.")]},
        ) from exc
    now = clock.now()
    try:
        with transaction.atomic():
            pathway = PatientPathway.objects.create(
                patient=patient,
                definition_key=defn.key,
                definition_version=defn.version,
                state=defn.initial_state.id,
                state_entered_at=now,
                started_at=now,
            )
    except IntegrityError as exc:
        raise Conflict(_("Ce patient suit déjà ce parcours.")) from exc
    timeline_record(
        patient=patient,
        actor=actor,
        kind="pathway.started",
        data={"key": defn.key, "label": asdict(defn.name)},
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="pathway",
        object_id=str(pathway.external_id),
        patient_id=patient.pk,
    )
    return pathway


def pathway_of(*, patient: Patient, definition_key: str) -> PatientPathway | None:
    return PatientPathway.objects.filter(
        patient=patient, definition_key=definition_key, ended_at__isnull=True
    ).first()


def pathway_transition(
    *,
    actor: User,
    patient: Patient,
    definition_key: str,
    transition_id: str,
    reason: str = "",
    expected_version: int | None = None,
) -> PatientPathway:
    """Move the patient along; refuse with every unmet condition (``TransitionRefused``)."""
    result = _pathway_transition(
        actor=actor,
        patient=patient,
        definition_key=definition_key,
        transition_id=transition_id,
        reason=reason,
        expected_version=expected_version,
    )
    if isinstance(result, TransitionRefused):
        # Raised after the transaction committed, so that the "denied" audit event is kept.
        raise result
    return result


@transaction.atomic
def _pathway_transition(
    *,
    actor: User,
    patient: Patient,
    definition_key: str,
    transition_id: str,
    reason: str,
    expected_version: int | None,
) -> PatientPathway | TransitionRefused:
    if not has_perm(actor, "pathway.transition"):
        raise Forbidden(_("Votre rôle ne permet pas de faire avancer le parcours."))
    pathway = (
        PatientPathway.objects.select_for_update()
        .filter(patient=patient, definition_key=definition_key, ended_at__isnull=True)
        .first()
    )
    if pathway is None:
        raise NotFound(_("Ce patient ne suit pas ce parcours."))
    if expected_version is not None and expected_version != pathway.version:
        raise StaleEdit(
            _("Le parcours a changé entre-temps (quelqu'un d'autre l'a fait avancer). Rechargez la page.")
        )
    defn = registry.definition(pathway.definition_key, pathway.definition_version)
    now = clock.now()
    facts = patient_facts(patient=patient, pathway=pathway, now=now)
    outcome = engine.attempt(defn, pathway.state, transition_id, facts, now, reason=reason or None)
    if isinstance(outcome, engine.Refused):
        audit_record(
            actor=actor,
            action="denied",
            object_type="pathway",
            object_id=str(pathway.external_id),
            patient_id=patient.pk,
            detail={
                "transition": transition_id,
                "code": outcome.reason_code,
                "unmet": [u.id for u in outcome.unmet],
            },
        )
        return TransitionRefused(
            _text(outcome.message),
            unmet=[UnmetCondition(id=u.id, label=_text(u.label)) for u in outcome.unmet],
        )
    source_state, target_state = defn.state(outcome.source), defn.state(outcome.target)
    pathway.state = outcome.target
    pathway.state_entered_at = now
    pathway.version += 1
    if target_state.is_final:
        pathway.ended_at = now
    pathway.save(update_fields=["state", "state_entered_at", "version", "ended_at", "updated_at"])
    PathwayTransitionLog.objects.create(
        pathway=pathway,
        transition_id=transition_id,
        source=outcome.source,
        target=outcome.target,
        at=now,
        actor=actor,
        reason=outcome.reason or "",
    )
    timeline_record(
        patient=patient,
        actor=actor,
        kind="pathway.transition",
        data={
            "key": defn.key,
            "transition": transition_id,
            "source": outcome.source,
            "target": outcome.target,
            "source_label": asdict(source_state.label),
            "target_label": asdict(target_state.label),
        },
        reason=outcome.reason or "",
        at=now,
    )
    audit_record(
        actor=actor,
        action="transition",
        object_type="pathway",
        object_id=str(pathway.external_id),
        patient_id=patient.pk,
        detail={"transition": transition_id, "source": outcome.source, "target": outcome.target},
    )
    return pathway


@transaction.atomic
def checklist_set(
    *, actor: User, patient: Patient, definition_key: str, step_id: str, done: bool, note: str = ""
) -> None:
    if not has_perm(actor, "pathway.checklist"):
        raise Forbidden(_("Votre rôle ne permet pas de cocher les étapes d'admission."))
    defn = registry.definition(definition_key)
    step = next((s for s in defn.checklist if s.id == step_id), None)
    if step is None:
        raise ValidationFailed(_("Étape inconnue."), field_errors={"step": [_("Étape inconnue.")]})
    existing = ChecklistCompletion.objects.filter(
        patient=patient, definition_key=definition_key, step_id=step_id
    )
    if done:
        if existing.exists():
            return
        ChecklistCompletion.objects.create(
            patient=patient,
            definition_key=definition_key,
            step_id=step_id,
            done_at=clock.now(),
            done_by=actor,
            note=note,
        )
    else:
        if not existing.exists():
            return
        existing.delete()
    timeline_record(
        patient=patient,
        actor=actor,
        kind="checklist.done" if done else "checklist.undone",
        data={"key": definition_key, "step": step_id, "label": asdict(step.label)},
        reason=note,
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="checklist",
        object_id=f"{definition_key}:{step_id}",
        patient_id=patient.pk,
        detail={"done": done},
    )
