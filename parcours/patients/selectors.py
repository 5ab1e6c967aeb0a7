"""Reads on patients, each with explicit joins so that a page's query count does not grow with its rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet

from parcours.accounts.models import User
from parcours.patients.access import patients_visible_to
from parcours.patients.enums import ConsentKind
from parcours.patients.models import (
    CareTeamMembership,
    Consent,
    EligibilityAssessment,
    HadRequest,
    Patient,
    TimelineEvent,
)


def my_patients(*, user: User, query: str = "") -> QuerySet[Patient]:
    qs = patients_visible_to(user=user)
    query = query.strip()
    if query:
        cond = (
            Q(birth_name__icontains=query) | Q(used_name__icontains=query) | Q(given_names__icontains=query)
        )
        if query.replace(" ", "").isalnum() and len(query) >= 5:
            cond |= Q(ins__startswith=query.replace(" ", "").upper())
        qs = qs.filter(cond)
    return qs.order_by("birth_name", "given_names", "id")


def my_patients_page(
    *, user: User, query: str = "", page_number: str | int | None = 1, per_page: int = 50
) -> tuple[Page[int], list[Patient]]:
    """One page of "my patients": sort and paginate narrow rows (ids), then load those rows only."""
    ids = my_patients(user=user, query=query).values_list("id", flat=True)
    page = Paginator(ids, per_page).get_page(page_number)
    by_id = {
        p.pk: p
        for p in Patient.objects.filter(pk__in=list(page)).select_related(
            "hospital", "had", "referring_oncologist"
        )
    }
    return page, [by_id[pk] for pk in page if pk in by_id]


def active_care_team(*, patient: Patient) -> list[CareTeamMembership]:
    return list(
        CareTeamMembership.objects.filter(patient=patient, until__isnull=True)
        .select_related("user", "user__role", "user__organisation")
        .order_by("since")
    )


def consents_in_force(*, patient: Patient) -> dict[str, Consent]:
    """Latest decision per consent kind."""
    latest: dict[str, Consent] = {}
    for consent in (
        Consent.objects.filter(patient=patient).select_related("recorded_by").order_by("-recorded_at", "-id")
    ):
        latest.setdefault(consent.kind, consent)
    return latest


def consent_given(*, patient: Patient, kind: str = ConsentKind.HAD_INFORMED) -> bool:
    latest = Consent.objects.filter(patient=patient, kind=kind).order_by("-recorded_at", "-id").first()
    return bool(latest and latest.given)


def latest_eligibility(*, patient: Patient) -> EligibilityAssessment | None:
    return (
        EligibilityAssessment.objects.filter(patient=patient)
        .select_related("assessed_by")
        .order_by("-assessed_at", "-id")
        .first()
    )


def had_requests(*, patient: Patient) -> list[HadRequest]:
    return list(
        HadRequest.objects.filter(patient=patient)
        .select_related("had", "requested_by", "decided_by")
        .order_by("-requested_at", "-id")
    )


def timeline_page(*, patient: Patient, before_id: int | None = None, limit: int = 50) -> list[TimelineEvent]:
    qs = TimelineEvent.objects.filter(patient=patient).select_related("actor")
    if before_id is not None:
        anchor = (
            TimelineEvent.objects.filter(patient=patient, pk=before_id).values_list("at", flat=True).first()
        )
        if anchor is not None:
            qs = qs.filter(Q(at__lt=anchor) | Q(at=anchor, id__lt=before_id))
    return list(qs.order_by("-at", "-id")[:limit])


@dataclass
class PatientHeader:
    patient: Patient
    caregivers: list[Any]


def patient_with_contacts(*, patient_id: int) -> Patient:
    return (
        Patient.objects.select_related(
            "hospital",
            "had",
            "referring_oncologist",
            "gp",
            "referring_oncologist__organisation",
            "gp__organisation",
        )
        .prefetch_related(Prefetch("caregivers"))
        .get(pk=patient_id)
    )


def patient_export(*, patient: Patient) -> dict[str, Any]:
    """Everything Parcours holds on a patient, for a data-access request (RGPD art. 15)."""
    p = patient_with_contacts(patient_id=patient.pk)

    def person(u: User | None) -> dict[str, Any] | None:
        return (
            None if u is None else {"name": str(u), "rpps": u.rpps, "organisation": str(u.organisation or "")}
        )

    return {
        "patient": {
            "id": str(p.external_id),
            "ins": p.ins,
            "identity_status": p.identity_status,
            "birth_name": p.birth_name,
            "used_name": p.used_name,
            "given_names": p.given_names,
            "sex": p.sex,
            "birth_date": p.birth_date.isoformat(),
            "birth_place_insee": p.birth_place_insee,
            "address": p.address,
            "postcode": p.postcode,
            "city": p.city,
            "phone": p.phone,
            "email": p.email,
            "hospital": str(p.hospital or ""),
            "had": str(p.had or ""),
            "referring_oncologist": person(p.referring_oncologist),
            "gp": person(p.gp),
        },
        "caregivers": [
            {"name": c.name, "relationship": c.relationship, "phone": c.phone, "is_primary": c.is_primary}
            for c in p.caregivers.all()
        ],
        "care_team": [
            {
                "name": str(m.user),
                "role": m.team_role,
                "since": m.since.isoformat(),
                "until": m.until.isoformat() if m.until else None,
            }
            for m in CareTeamMembership.objects.filter(patient=p).select_related("user").order_by("since")
        ],
        "consents": [
            {
                "kind": c.kind,
                "given": c.given,
                "at": c.recorded_at.isoformat(),
                "by": str(c.recorded_by),
                "note": c.note,
            }
            for c in Consent.objects.filter(patient=p).select_related("recorded_by")
        ],
        "eligibility_assessments": [
            {
                "at": e.assessed_at.isoformat(),
                "by": str(e.assessed_by),
                "conclusion": e.conclusion,
                "success_factors": e.success_factors,
                "risk_factors": e.risk_factors,
                "note": e.note,
            }
            for e in EligibilityAssessment.objects.filter(patient=p).select_related("assessed_by")
        ],
        "had_requests": [
            {
                "had": r.had.name,
                "status": r.status,
                "requested_at": r.requested_at.isoformat(),
                "requested_by": str(r.requested_by),
                "motive": r.motive,
                "decided_at": r.decided_at.isoformat() if r.decided_at else None,
                "decided_by": str(r.decided_by) if r.decided_by else None,
                "decision_note": r.decision_note,
            }
            for r in had_requests(patient=p)
        ],
        "timeline": [
            {"at": e.at.isoformat(), "by": e.actor_label, "kind": e.kind, "data": e.data, "reason": e.reason}
            for e in TimelineEvent.objects.filter(patient=p).order_by("at", "id")
        ],
    }
