"""Reads of the cures app: who reaches a cure, the "today" board per role, a cure's page."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import Forbidden, NotFound
from parcours.cures import gate
from parcours.cures.models import Cure, CureStatus, OkDecision
from parcours.patients.models import CareTeamMembership

CURE_PERMS = (
    "cure.prescribe",
    "cure.labs",
    "cure.ok",
    "cure.override",
    "pharmacy.prepare",
    "delivery.manage",
    "cure.administer",
)
ACTIVE = [
    s for s in CureStatus.values if s not in {CureStatus.CANCELLED, CureStatus.CLOSED, CureStatus.POSTPONED}
]


def can_see_cures(user: User) -> bool:
    return any(has_perm(user, p) for p in CURE_PERMS)


def cures_visible_to(user: User) -> QuerySet[Cure]:
    """Cures of the patients on the user's care team, plus (by organisation) those her pharmacy prepares or
    her HAD delivers and administers: the pharmacy and HAD staff are not on every care team."""
    if not user.is_active or not can_see_cures(user):
        return Cure.objects.none()
    team = CareTeamMembership.objects.filter(patient=OuterRef("patient_id"), user=user, until__isnull=True)
    scope = Q(Exists(team)) if has_perm(user, "patient.view") else Q(pk__in=[])
    if user.organisation_id is not None:
        if has_perm(user, "pharmacy.prepare"):
            scope |= Q(pharmacy_id=user.organisation_id)
        scope |= Q(had_id=user.organisation_id)
    return Cure.objects.filter(scope)


def cure_for(*, user: User, cure_id: uuid.UUID | str, permission: str | None = None) -> Cure:
    """The cure if the user reaches it (else ``NotFound``, traced); ``Forbidden`` without ``permission``."""
    try:
        uid = uuid.UUID(str(cure_id))
    except ValueError:
        raise NotFound(_("Cure introuvable.")) from None
    cure = (
        cures_visible_to(user).select_related("patient", "plan", "pharmacy").filter(external_id=uid).first()
    )
    if cure is None:
        audit_record(actor=user, action="denied", object_type="cure", object_id=str(cure_id)[:64])
        raise NotFound(_("Cure introuvable."))
    if permission is not None and not has_perm(user, permission):
        audit_record(
            actor=user,
            action="denied",
            object_type="cure",
            object_id=str(cure.external_id),
            patient_id=cure.patient_id,
            detail={"permission": permission},
        )
        raise Forbidden(_("Votre rôle ne permet pas cette action (%(perm)s).") % {"perm": permission})
    if permission is None:
        audit_record(
            actor=user,
            action="read",
            object_type="cure",
            object_id=str(cure.external_id),
            patient_id=cure.patient_id,
        )
    return cure


# ------------------------------------------------------------------------------------------ board


@dataclass
class BoardItem:
    cure: Cure
    detail: str = ""
    missing_ok: tuple[str, ...] = ()


@dataclass
class Board:
    date: dt.date
    labs: list[BoardItem] = field(default_factory=list)
    oks: list[BoardItem] = field(default_factory=list)
    preparations: list[BoardItem] = field(default_factory=list)
    deliveries: list[BoardItem] = field(default_factory=list)
    administrations: list[BoardItem] = field(default_factory=list)
    reports: list[BoardItem] = field(default_factory=list)

    @property
    def sections(self) -> list[tuple[str, str, list[BoardItem]]]:
        return [
            ("labs", _("Bilans à prélever (72 h avant la cure)"), self.labs),
            ("oks", _("OK clinique et biologique à donner"), self.oks),
            ("preparations", _("Poches à préparer ou à libérer"), self.preparations),
            ("deliveries", _("Livraisons"), self.deliveries),
            ("administrations", _("Administrations"), self.administrations),
            ("reports", _("Synthèses à envoyer"), self.reports),
        ]

    @property
    def total(self) -> int:
        return sum(len(items) for _k, _t, items in self.sections)


def board(*, user: User, day: dt.date | None = None) -> Board:
    """What is due today (and labs/OKs of the next 3 days) for this user: few queries whatever the volume."""
    date = day or clock.today()
    now = clock.now()
    result = Board(date=date)
    horizon = date + dt.timedelta(days=3)
    rows = list(
        cures_visible_to(user)
        .filter(date__gte=date, date__lte=horizon, status__in=ACTIVE)
        .select_related("patient", "plan")
        .only(
            "external_id",
            "number",
            "date",
            "planned_start",
            "lab_window_opens",
            "place",
            "status",
            "version",
            "dose_mg",
            "had_id",
            "pharmacy_id",
            "patient__external_id",
            "patient__birth_name",
            "patient__used_name",
            "patient__given_names",
            "patient__birth_date",
            "patient__hospital_id",
            "patient__had_id",
            "plan__drug",
        )
        .order_by("date", "planned_start", "id")
    )
    oks: dict[int, set[str]] = defaultdict(set)
    waiting = [
        c.pk for c in rows if c.status in {CureStatus.READY_FOR_OK, CureStatus.LABS_DUE, CureStatus.PLANNED}
    ]
    if waiting:
        for cure_id, kind in OkDecision.objects.filter(
            cure_id__in=waiting, decision="given", revoked_at__isnull=True, valid_until__gt=now
        ).values_list("cure_id", "kind"):
            oks[cure_id].add(kind)
    party = gate.party_of(user)
    may_ok = has_perm(user, "cure.ok")
    conventions: dict[tuple[int | None, int | None], Any] = {}
    for cure in rows:
        today = cure.date == date
        if cure.status in {CureStatus.PLANNED, CureStatus.LABS_DUE} and cure.lab_window_opens <= now:
            result.labs.append(
                BoardItem(
                    cure,
                    detail=_("fenêtre ouverte depuis le %(d)s")
                    % {"d": timezone.localtime(cure.lab_window_opens).strftime("%d/%m %H:%M")},
                )
            )
        if cure.status == CureStatus.READY_FOR_OK:
            key = (cure.patient.hospital_id, cure.patient.had_id)
            if key not in conventions:
                conventions[key] = gate.convention_for(cure.patient)
            convention = conventions[key]
            missing = tuple(k for k in ("cycle", "day_of_cure") if k not in oks[cure.pk])
            mine = tuple(
                k
                for k in missing
                if not may_ok
                or party is None
                or convention.allowed(k) in {"both", party}
                or (k == "cycle" and party == "had" and convention.delegation_allowed)
            )
            if mine:
                result.oks.append(BoardItem(cure, missing_ok=mine))
        if cure.status in {
            CureStatus.OK_GIVEN,
            CureStatus.IN_PREPARATION,
        } and cure.date <= date + dt.timedelta(days=1):
            result.preparations.append(BoardItem(cure))
        if today and cure.status in {CureStatus.RELEASED, CureStatus.IN_DELIVERY}:
            result.deliveries.append(BoardItem(cure))
        if today and cure.status == CureStatus.DELIVERED:
            result.administrations.append(BoardItem(cure))
        if today and cure.status == CureStatus.ADMINISTERED:
            result.reports.append(BoardItem(cure))
    return result


def plan_cures_of(plan_id: int) -> QuerySet[Cure]:
    return Cure.objects.filter(plan_id=plan_id).order_by("number")
