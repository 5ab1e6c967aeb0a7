from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Router, Schema, Status

from parcours.accounts.models import User
from parcours.core import clock
from parcours.pathways import selectors, services
from parcours.pathways.engine import Label
from parcours.patients.access import access_patient_by_id

router = Router(tags=["pathways"])


def _t(label: Label) -> str:
    return label.en if (get_language() or "fr").startswith("en") else label.fr


class GuardOut(Schema):
    label: str
    met: bool


class TransitionOut(Schema):
    id: str
    label: str
    target: str
    allowed: bool
    requires_reason: bool
    guards: list[GuardOut]


class PathwayOut(Schema):
    key: str
    version: int
    name: str
    state: str
    state_label: str
    state_entered_at: dt.datetime
    ended_at: dt.datetime | None
    record_version: int
    next: list[TransitionOut]


class TransitionIn(Schema):
    transition: str = Field(min_length=1, max_length=64)
    reason: str = Field("", max_length=1000)
    version: int | None = Field(
        None, description="The pathway record_version you read (optional; 409 if stale)"
    )


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _out(view: selectors.PathwayView) -> PathwayOut:
    return PathwayOut(
        key=view.definition.key,
        version=view.definition.version,
        name=_t(view.definition.name),
        state=view.state.id,
        state_label=_t(view.state.label),
        state_entered_at=view.pathway.state_entered_at,
        ended_at=view.pathway.ended_at,
        record_version=view.pathway.version,
        next=[
            TransitionOut(
                id=c.transition.id,
                label=_t(c.transition.label),
                target=c.transition.target,
                allowed=c.allowed,
                requires_reason=c.transition.requires_reason,
                guards=[GuardOut(label=_t(g.label), met=g.met) for g in guards],
            )
            for c, guards in view.checks
        ],
    )


@router.get(
    "/patients/{patient_id}/pathways", response=list[PathwayOut], summary="Pathway state and what comes next"
)
def pathways(request: HttpRequest, patient_id: str) -> Any:
    patient = access_patient_by_id(user=_user(request), patient_id=patient_id)
    return [_out(v) for v in selectors.pathway_views(patient=patient, now=clock.now())]


@router.post(
    "/patients/{patient_id}/pathways/{key}/transitions",
    response={200: PathwayOut},
    summary="Move the patient along; 409 with the unmet conditions when refused",
)
def transition(request: HttpRequest, patient_id: str, key: str, payload: TransitionIn) -> Any:
    patient = access_patient_by_id(
        user=_user(request), patient_id=patient_id, permission="pathway.transition"
    )
    pathway = services.pathway_transition(
        actor=_user(request),
        patient=patient,
        definition_key=key,
        transition_id=payload.transition,
        reason=payload.reason,
        expected_version=payload.version,
    )
    view = next(
        v for v in selectors.pathway_views(patient=patient, now=clock.now()) if v.pathway.pk == pathway.pk
    )
    return _out(view)


@router.post("/patients/{patient_id}/pathways/{key}", response={201: PathwayOut}, summary="Start a pathway")
def start(request: HttpRequest, patient_id: str, key: str) -> Any:
    patient = access_patient_by_id(
        user=_user(request), patient_id=patient_id, permission="pathway.transition"
    )
    pathway = services.pathway_start(actor=_user(request), patient=patient, definition_key=key)
    view = next(
        v for v in selectors.pathway_views(patient=patient, now=clock.now()) if v.pathway.pk == pathway.pk
    )
    return Status(201, _out(view))
