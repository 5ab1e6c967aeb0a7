"""Reads of the cures app: who reaches a cure, the "today" board per role, a cure's page."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
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
    # The organisation's columns first: the database tests the OR's terms in order and skips the care-team
    # sub-query for every cure of the user's HAD or pharmacy.
    scope = Q(pk__in=[])
    if user.organisation_id is not None:
        scope = Q(had_id=user.organisation_id)
        if has_perm(user, "pharmacy.prepare"):
            scope |= Q(pharmacy_id=user.organisation_id)
    if has_perm(user, "patient.view"):
        team = CareTeamMembership.objects.filter(
            patient=OuterRef("patient_id"), user=user, until__isnull=True
        )
        scope |= Q(Exists(team))
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
class BoardSection:
    key: str
    title: str
    items: list[BoardItem] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass
class Board:
    date: dt.date
    sections: list[BoardSection] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sections)

    def section(self, key: str) -> BoardSection | None:
        return next((s for s in self.sections if s.key == key), None)


SECTION_LIMIT = 25
# section -> the permission that acts on it (coordinators see every section)
SECTION_PERMS = {
    "labs": "cure.labs",
    "oks": "cure.ok",
    "preparations": "pharmacy.prepare",
    "deliveries": "delivery.manage",
    "administrations": "cure.administer",
    "reports": "cure.administer",
}
_ONLY = (
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


def _is_coordinator(user: User) -> bool:
    return has_perm(user, "planning.manage") and has_perm(user, "cure.labs")


def board(*, user: User, day: dt.date | None = None, limit: int = SECTION_LIMIT) -> Board:
    """What is due for this user: labs and OKs of the next 3 days, today's bags, deliveries, administrations
    and reports. Whatever the HAD's size: every section's total in one counting statement, then one page of
    rows (``limit``) per section; the OK section is filtered in SQL too (see ``_ok_section``)."""
    date = day or clock.today()
    now = clock.now()
    result = Board(date=date)
    visible = cures_visible_to(user)
    base = visible.select_related("patient", "plan").only(*_ONLY)
    coordinator = _is_coordinator(user)
    wanted = {key for key, perm in SECTION_PERMS.items() if coordinator or has_perm(user, perm)}
    soon = date + dt.timedelta(days=3)
    filters: dict[str, tuple[str, Q]] = {
        "labs": (
            _("Bilans à prélever (72 h avant la cure)"),
            Q(
                date__gte=date,
                date__lte=soon,
                status__in=[CureStatus.PLANNED, CureStatus.LABS_DUE],
                lab_window_opens__lte=now,
            ),
        ),
        "preparations": (
            _("Poches à préparer ou à libérer"),
            Q(
                date__gte=date,
                date__lte=date + dt.timedelta(days=1),
                status__in=[CureStatus.OK_GIVEN, CureStatus.IN_PREPARATION],
            ),
        ),
        "deliveries": (
            _("Livraisons"),
            Q(date=date, status__in=[CureStatus.RELEASED, CureStatus.IN_DELIVERY]),
        ),
        "administrations": (_("Administrations"), Q(date=date, status=CureStatus.DELIVERED)),
        "reports": (_("Synthèses à envoyer"), Q(date=date, status=CureStatus.ADMINISTERED)),
    }
    counted = [key for key in filters if key in wanted]
    totals: dict[str, int] = {}
    if counted:
        totals = visible.filter(date__gte=date, date__lte=soon).aggregate(
            **{key: Count("pk", filter=filters[key][1]) for key in counted}
        )
    for key in ("labs", "oks", "preparations", "deliveries", "administrations", "reports"):
        if key not in wanted:
            continue
        if key == "oks":
            result.sections.append(_ok_section(user, visible, base, date, soon, now, limit))
            continue
        title, condition = filters[key]
        total = totals.get(key) or 0
        rows = list(base.filter(condition).order_by("date", "planned_start", "id")[:limit]) if total else []
        items = [
            BoardItem(
                c,
                detail=_("fenêtre ouverte depuis le %(d)s")
                % {"d": timezone.localtime(c.lab_window_opens).strftime("%d/%m %H:%M")}
                if key == "labs"
                else "",
            )
            for c in rows
        ]
        result.sections.append(BoardSection(key, title, items, max(total, len(items))))
    return result


def _ok_section(
    user: User,
    visible: QuerySet[Cure],
    base: QuerySet[Cure],
    date: dt.date,
    soon: dt.date,
    now: dt.datetime,
    limit: int,
) -> BoardSection:
    """OKs still missing on ready cures, kept to the kinds the convention lets this user's party give.

    In SQL: the conventions of the (hospital, HAD) pairs of the ready cures decide which missing kinds are
    this user's; a cure is listed when one of them has no valid OK (a ``NOT EXISTS``). Then one count, one
    page of rows and the OKs of that page only, however many cures are waiting."""
    title = _("OK clinique et biologique à donner")
    ready = visible.filter(date__gte=date, date__lte=soon, status=CureStatus.READY_FOR_OK)
    pairs = list(ready.order_by().values_list("patient__hospital_id", "patient__had_id").distinct())
    if not pairs:
        return BoardSection("oks", title, [], 0)
    party = gate.party_of(user)
    may_ok = has_perm(user, "cure.ok")
    valid = OkDecision.objects.filter(
        cure_id=OuterRef("pk"), decision="given", revoked_at__isnull=True, valid_until__gt=now
    )
    kinds_of: dict[tuple[int | None, int | None], tuple[str, ...]] = {}
    where = Q(pk__in=[])
    for hospital_id, had_id in pairs:
        convention = gate.convention_between_ids(hospital_id=hospital_id, had_id=had_id)
        mine = tuple(
            k
            for k in ("cycle", "day_of_cure")
            if not may_ok
            or (party is not None and convention.allowed(k) in {"both", party})
            or (k == "cycle" and party == "had" and convention.delegation_allowed)
        )
        kinds_of[(hospital_id, had_id)] = mine
        if mine:
            missing = Q(pk__in=[])
            for k in mine:
                missing |= Q(~Exists(valid.filter(kind=k)))
            where |= Q(patient__hospital_id=hospital_id, patient__had_id=had_id) & missing
    waiting = base.filter(date__gte=date, date__lte=soon, status=CureStatus.READY_FOR_OK).filter(where)
    rows = list(waiting.order_by("date", "planned_start", "id")[:limit])
    total = len(rows) if len(rows) < limit else waiting.count()
    given: dict[int, set[str]] = defaultdict(set)
    if rows:
        for cure_id, kind in OkDecision.objects.filter(
            cure_id__in=[c.pk for c in rows], decision="given", revoked_at__isnull=True, valid_until__gt=now
        ).values_list("cure_id", "kind"):
            given[cure_id].add(kind)
    items = [
        BoardItem(
            cure,
            missing_ok=tuple(
                k
                for k in kinds_of[(cure.patient.hospital_id, cure.patient.had_id)]
                if k not in given[cure.pk]
            ),
        )
        for cure in rows
    ]
    return BoardSection("oks", title, items, total)


def plan_cures_of(plan_id: int) -> QuerySet[Cure]:
    return Cure.objects.filter(plan_id=plan_id).order_by("number")
