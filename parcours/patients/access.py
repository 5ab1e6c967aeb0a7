"""Access gates: the only way to reach a patient. Missing and forbidden both answer "not found"."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.audit.services import audit_record
from parcours.core.errors import Forbidden, NotFound
from parcours.patients.models import CareTeamMembership, Patient


def _active_membership(user: User) -> QuerySet[CareTeamMembership]:
    return CareTeamMembership.objects.filter(patient=OuterRef("pk"), user=user, until__isnull=True)


def patients_visible_to(*, user: User | AnonymousUser) -> QuerySet[Patient]:
    """Patients whose care team the user belongs to now (and only if the role may see patients)."""
    if not isinstance(user, User) or not user.is_active or not has_perm(user, "patient.view"):
        return Patient.objects.none()
    return Patient.objects.filter(Exists(_active_membership(user)))


def _parse_id(patient_id: str | uuid.UUID) -> uuid.UUID | None:
    if isinstance(patient_id, uuid.UUID):
        return patient_id
    try:
        return uuid.UUID(str(patient_id))
    except ValueError:
        return None


def access_patient_by_id(
    *,
    user: User | AnonymousUser,
    patient_id: str | uuid.UUID,
    for_write: bool = False,
    permission: str | None = None,
    record_read: bool = True,
) -> Patient:
    """The patient if the user may reach it; else ``NotFound`` (also for a guessed id) and a trace.

    ``for_write`` requires ``patient.edit``; ``permission`` names the action's own permission. A member
    lacking it gets ``Forbidden`` with the reason (she can see the patient, so hiding it would be odd).
    """
    uid = _parse_id(patient_id)
    patient = (
        patients_visible_to(user=user).select_related("hospital", "had").filter(external_id=uid).first()
        if uid is not None
        else None
    )
    if patient is None:
        if isinstance(user, User):
            audit_record(actor=user, action="denied", object_type="patient", object_id=str(patient_id)[:64])
        raise NotFound(_("Patient introuvable."))
    needed = permission or ("patient.edit" if for_write else None)
    if needed and not has_perm(user, needed):
        audit_record(
            actor=user,
            action="denied",
            object_type="patient",
            object_id=str(patient.external_id),
            patient_id=patient.pk,
            detail={"permission": needed},
        )
        raise Forbidden(_("Votre rôle ne permet pas cette action (%(perm)s).") % {"perm": needed})
    if record_read and not for_write and permission is None:
        audit_record(
            actor=user,
            action="read",
            object_type="patient",
            object_id=str(patient.external_id),
            patient_id=patient.pk,
        )
    return patient


def access_patient_for_export(*, user: User | AnonymousUser, patient_id: str | uuid.UUID) -> Patient:
    """Data-access requests: the privacy officer reaches any patient, and it is traced."""
    uid = _parse_id(patient_id)
    if not has_perm(user, "patient.export_any"):
        return access_patient_by_id(user=user, patient_id=patient_id, permission="patient.export_any")
    patient = Patient.objects.filter(external_id=uid).first() if uid is not None else None
    if patient is None:
        raise NotFound(_("Patient introuvable."))
    return patient
