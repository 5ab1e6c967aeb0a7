"""Reads of the learning app: module statuses, readiness inputs and facts, qualifications, nearby search,
indicators."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone

from parcours.accounts.models import User
from parcours.core import clock
from parcours.education.programme import Programme
from parcours.education.quiz import QuizResult
from parcours.education.readiness import (
    EducationOutcome,
    Eligibility,
    assess_readiness,
    education_outcome,
    pathway_facts,
)
from parcours.education.readiness import (
    HomeAssessment as PureHome,
)
from parcours.education.sequencing import ModuleStatus, available_modules
from parcours.education.training import (
    Refused,
    Validity,
    can_assign,
    load_builtin_catalogue,
    qualifications,
    training_hours,
)
from parcours.education.training import (
    TrainingRecord as PureRecord,
)
from parcours.learning.content import pick, programme_of
from parcours.learning.models import (
    EducationSession,
    Enrolment,
    HomeAssessment,
    ModuleProgress,
    ProfessionalProfile,
    ProfessionalQualification,
    QuizAttempt,
    ReadinessAssessment,
    TrainingRecord,
    TrainingSession,
)
from parcours.pathways import registry
from parcours.pathways.engine import required_facts
from parcours.pathways.models import PathwayTransitionLog, PatientPathway
from parcours.patients.models import EligibilityAssessment, Patient

DEFAULT_PROGRAMME = "clb_immunotherapy_etp"
PATHWAY_KEY = "clb_home_immunotherapy"
EARTH_RADIUS_KM = 6371.0088


# ------------------------------------------------------------------------------------------- progress


def clb_pathway(*, patient: Patient) -> PatientPathway | None:
    return (
        PatientPathway.objects.filter(patient=patient, definition_key=PATHWAY_KEY)
        .order_by("ended_at", "-started_at")
        .first()
    )


def _position(
    enrolment: Enrolment, pathway: PatientPathway | None
) -> tuple[str, dt.datetime, dt.datetime | None]:
    if pathway is None:
        return "inclusion", enrolment.started_at, None
    s1 = (
        PathwayTransitionLog.objects.filter(pathway=pathway, target="s1")
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    if s1 is None and pathway.state == "s1":
        s1 = pathway.state_entered_at
    return pathway.state, pathway.state_entered_at, s1


def completed_ids(enrolment: Enrolment) -> set[str]:
    return set(ModuleProgress.objects.filter(enrolment=enrolment).values_list("module_id", flat=True))


def passed_ids(enrolment: Enrolment) -> set[str]:
    return set(
        QuizAttempt.objects.filter(enrolment=enrolment, passed=True).values_list("module_id", flat=True)
    )


def module_statuses(
    *, enrolment: Enrolment, pathway: PatientPathway | None = None, now: dt.datetime | None = None
) -> list[ModuleStatus]:
    programme = programme_of(enrolment.programme)
    pathway = pathway if pathway is not None else clb_pathway(patient=enrolment.patient)
    state, entered, s1 = _position(enrolment, pathway)
    completed = completed_ids(enrolment) & {m.id for m in programme.modules}
    return available_modules(
        programme,
        pathway_state=state,
        state_entered_at=entered,
        s1_started_at=s1,
        completed=completed,
        now=now or clock.now(),
    )


@dataclass
class ModuleRow:
    status: ModuleStatus
    last_attempt: QuizAttempt | None
    passed: bool
    attempts: int
    progress: ModuleProgress | None


@dataclass
class Progress:
    enrolment: Enrolment
    programme: Programme
    rows: list[ModuleRow]
    completed: int
    passed: int
    sessions: list[EducationSession] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows)


def enrolment_of(*, patient: Patient, key: str = DEFAULT_PROGRAMME) -> Enrolment | None:
    return (
        Enrolment.objects.select_related("programme", "patient")
        .filter(patient=patient, programme_key=key)
        .first()
    )


def progress_of(*, enrolment: Enrolment) -> Progress:
    programme = programme_of(enrolment.programme)
    statuses = module_statuses(enrolment=enrolment)
    attempts: dict[str, list[QuizAttempt]] = {}
    for a in QuizAttempt.objects.filter(enrolment=enrolment).order_by("-taken_at", "-id"):
        attempts.setdefault(a.module_id, []).append(a)
    progress = {p.module_id: p for p in ModuleProgress.objects.filter(enrolment=enrolment)}
    rows = [
        ModuleRow(
            status=s,
            last_attempt=attempts[s.module_id][0] if s.module_id in attempts else None,
            passed=any(a.passed for a in attempts.get(s.module_id, [])),
            attempts=len(attempts.get(s.module_id, [])),
            progress=progress.get(s.module_id),
        )
        for s in statuses
    ]
    return Progress(
        enrolment=enrolment,
        programme=programme,
        rows=rows,
        completed=sum(1 for r in rows if r.status.status == "completed"),
        passed=sum(1 for r in rows if r.passed),
        sessions=list(EducationSession.objects.filter(enrolment=enrolment).select_related("held_by")),
    )


def result_lines(result: QuizResult) -> dict[str, list[str]]:
    return {
        "understood": [pick(q.question.text) for q in result.questions if q.correct],
        "revisit": [pick(t) for t in result.to_revisit],
    }


# ------------------------------------------------------------------------------------------ readiness


@dataclass(frozen=True)
class ReadinessInputs:
    eligibility: Eligibility | None
    home: PureHome | None
    education: EducationOutcome
    modules_completed: int
    eligibility_row: EligibilityAssessment | None
    home_row: HomeAssessment | None


def readiness_inputs(*, patient: Patient) -> ReadinessInputs:
    el = EligibilityAssessment.objects.filter(patient=patient).order_by("-assessed_at", "-id").first()
    home = HomeAssessment.objects.filter(patient=patient).order_by("-assessed_at", "-id").first()
    enrolment = enrolment_of(patient=patient)
    if enrolment is not None:
        programme = programme_of(enrolment.programme)
        known = {m.id for m in programme.modules}
        completed = completed_ids(enrolment) & known
        passed = passed_ids(enrolment) & known
    else:
        from parcours.learning.services import programme_current

        programme = programme_of(programme_current(key=DEFAULT_PROGRAMME))
        completed, passed = set(), set()
    return ReadinessInputs(
        eligibility=Eligibility(
            success_factors=frozenset(el.success_factors), risk_factors=frozenset(el.risk_factors)
        )
        if el is not None
        else None,
        home=PureHome(
            space_for_material=home.space_for_material,
            access_for_teams=home.access_for_teams,
            caregiver_present=home.caregiver_present,
        )
        if home is not None
        else None,
        education=education_outcome(programme, completed=completed, quizzes_passed=passed),
        modules_completed=len(completed),
        eligibility_row=el,
        home_row=home,
    )


def readiness_now(*, patient: Patient) -> Any:
    inputs = readiness_inputs(patient=patient)
    return assess_readiness(eligibility=inputs.eligibility, home=inputs.home, education=inputs.education)


def education_facts(patient: Patient, pathway: PatientPathway | None, now: dt.datetime) -> dict[str, object]:
    """Fact provider for pathway guards (registered in ``LearningConfig.ready``): ``education.ready`` …

    Computed only for a pathway version whose guards read an ``education.*``/``readiness.*`` fact (v2+), so
    that patients on v1 pay nothing."""
    if pathway is None or not reads_education(pathway.definition_key, pathway.definition_version):
        return {}
    inputs = readiness_inputs(patient=patient)
    result = assess_readiness(eligibility=inputs.eligibility, home=inputs.home, education=inputs.education)
    facts = pathway_facts(result, modules_completed=inputs.modules_completed)
    facts["readiness.assessed"] = ReadinessAssessment.objects.filter(patient=patient).exists()
    return facts


@lru_cache(maxsize=32)
def reads_education(key: str, version: int) -> bool:
    """Whether the guards of this pathway version read an ``education.*``/``readiness.*`` fact (v2+)."""
    try:
        defn = registry.definition(key, version)
    except KeyError:
        return False
    return any(f.startswith(("education.", "readiness.")) for f in required_facts(defn))


def last_readiness(*, patient: Patient) -> ReadinessAssessment | None:
    return ReadinessAssessment.objects.filter(patient=patient).select_related("assessed_by").first()


# ----------------------------------------------------------------------------------- qualifications


def _pure_records(rows: Iterable[TrainingRecord]) -> list[PureRecord]:
    return [
        PureRecord(id=str(r.external_id), course_id=r.course_id, completed_on=r.completed_on) for r in rows
    ]


def validity_of(*, user: User, now: dt.datetime | None = None) -> dict[str, Validity]:
    records = TrainingRecord.objects.filter(professional=user).only(
        "external_id", "course_id", "completed_on"
    )
    return qualifications(_pure_records(records), now or clock.now())


def qualifications_refresh(*, professional: User) -> dict[str, Validity]:
    """Recompute the denormalised qualification rows of a professional from her training records."""
    validity = validity_of(user=professional)
    profile, _created = ProfessionalProfile.objects.get_or_create(user=professional)
    ProfessionalQualification.objects.filter(profile=profile).delete()
    ProfessionalQualification.objects.bulk_create(
        [
            ProfessionalQualification(
                profile=profile, qualification=qid, valid_from=v.obtained_on, valid_until=v.valid_until
            )
            for qid, v in validity.items()
            if v.obtained_on is not None and v.status in {"valid", "expired"}
        ]
    )
    return validity


def _fr_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def qualification_status(*, user: User, act: str, on: dt.date) -> tuple[bool, str, dt.date | None]:
    """``(ok, reason, valid_until)`` for assigning ``user`` to ``act`` on day ``on``."""
    from django.utils.translation import gettext as _

    catalogue = load_builtin_catalogue()
    try:
        catalogue.act(act)
    except KeyError:
        return False, _("Acte inconnu : %(a)s.") % {"a": act}, None
    decision = can_assign(validity_of(user=user), act, catalogue=catalogue)
    if isinstance(decision, Refused):
        return False, " ".join(pick(r) for r in decision.reasons), None
    valid_until = decision.valid_until
    if valid_until is not None and valid_until < on:
        return (
            False,
            _(
                "Qualification valable jusqu'au %(u)s seulement, avant le %(d)s : une formation de renouvellement est nécessaire."
            )
            % {"u": _fr_date(valid_until), "d": _fr_date(on)},
            valid_until,
        )
    reason = (
        _("Qualifié(e) jusqu'au %(u)s.") % {"u": _fr_date(valid_until)}
        if valid_until is not None
        else _("Qualifié(e) (sans date d'expiration).")
    )
    return True, reason, valid_until


def qualification_check(*, user: User, act: str, on: dt.date) -> tuple[bool, str]:
    """May ``user`` be assigned ``act`` (``immunotherapy_administration`` | ``etp_session``) on ``on``?

    Derived from the training registry (``education.training``): qualified and not expired that day.
    Returns ``(ok, reason)`` with the reason in the reader's language.
    """
    ok, reason, _until = qualification_status(user=user, act=act, on=on)
    return ok, reason


# --------------------------------------------------------------------------------------------- nearby


@dataclass(frozen=True)
class Nearby:
    user_id: int
    external_id: Any
    name: str
    city: str
    distance_km: float
    qualified: bool
    valid_quals: int


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _valid_on(qid: str, on: dt.date) -> Exists:
    return Exists(
        ProfessionalQualification.objects.filter(
            profile=OuterRef("pk"), qualification=qid, valid_from__lte=on
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
    )


def nearby_professionals(
    *,
    latitude: float,
    longitude: float,
    act: str,
    on: dt.date,
    radius_km: float = 30.0,
    limit: int = 20,
    qualified_only: bool = False,
) -> list[Nearby]:
    """Professionals practising within ``radius_km``: a bounding box in the database (index on latitude,
    longitude), then the exact great-circle distance; ranked qualified first (for ``act`` on ``on``), then by
    the number of required qualifications held, then by distance."""
    requires = load_builtin_catalogue().act(act).requires
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    coslat = max(math.cos(math.radians(latitude)), 1e-6)
    dlon = min(180.0, math.degrees(radius_km / (EARTH_RADIUS_KM * coslat)))
    qs = ProfessionalProfile.objects.filter(
        latitude__gte=latitude - dlat,
        latitude__lte=latitude + dlat,
        longitude__gte=longitude - dlon,
        longitude__lte=longitude + dlon,
        user__is_active=True,
    ).annotate(**{f"q_{qid}": _valid_on(qid, on) for qid in requires})
    if qualified_only:
        qs = qs.filter(**{f"q_{qid}": True for qid in requires})
    fields = ["user_id", "user__external_id", "user__first_name", "user__last_name", "user__username"]
    rows = qs.values_list(*fields, "city", "latitude", "longitude", *[f"q_{q}" for q in requires])
    found: list[Nearby] = []
    for row in rows:
        uid, ext, first, last, username, city, lat, lon, *flags = row
        distance = haversine_km(latitude, longitude, lat, lon)
        if distance > radius_km:
            continue
        held = sum(1 for f in flags if f)
        found.append(
            Nearby(
                user_id=uid,
                external_id=ext,
                name=f"{first} {last}".strip() or username,
                city=city,
                distance_km=round(distance, 2),
                qualified=held == len(requires),
                valid_quals=held,
            )
        )
    found.sort(key=lambda n: (not n.qualified, -n.valid_quals, n.distance_km))
    return found[:limit]


# ----------------------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class Indicators:
    trained_per_year: list[tuple[int, int]]
    virtual_classes_per_year: list[tuple[int, int]]
    home_workshops_per_year: list[tuple[int, int]]
    hours_per_year: list[tuple[int, Any, Any]]
    s2_patients: int
    s2_with_readiness_before: int
    enrolled: int
    quiz_pass_rate: list[tuple[str, int, int]]


def indicators() -> Indicators:
    catalogue = load_builtin_catalogue()
    granting = [c.id for c in catalogue.courses if c.grants]
    trained = (
        TrainingRecord.objects.filter(course_id__in=granting)
        .annotate(y=ExtractYear("completed_on"))
        .values("y")
        .annotate(n=Count("professional", distinct=True))
        .order_by("y")
    )
    virtual_ids = [c.id for c in catalogue.courses if c.format == "virtual_class"]
    classes = (
        TrainingSession.objects.filter(course_id__in=virtual_ids)
        .annotate(y=ExtractYear("date"))
        .values("y")
        .annotate(n=Count("id"))
        .order_by("y")
    )
    workshops = (
        EducationSession.objects.filter(place="home")
        .annotate(y=ExtractYear("date"))
        .values("y")
        .annotate(n=Count("id"))
        .order_by("y")
    )
    hours: dict[int, list[Any]] = {}
    for day, spent, dpc in TrainingRecord.objects.values_list("completed_on", "hours", "dpc_hours"):
        h = hours.setdefault(day.year, [0, 0])
        h[0] += spent
        h[1] += dpc
    # patients who reached S2 (first entry) and whether a readiness assessment was recorded before
    first_s2: dict[int, dt.datetime] = {}
    for pid, at in (
        PathwayTransitionLog.objects.filter(pathway__definition_key=PATHWAY_KEY, target="s2")
        .order_by("at")
        .values_list("pathway__patient_id", "at")
    ):
        first_s2.setdefault(pid, at)
    first_ready: dict[int, dt.datetime] = {}
    for pid, at in ReadinessAssessment.objects.order_by("assessed_at").values_list(
        "patient_id", "assessed_at"
    ):
        first_ready.setdefault(pid, at)
    before = sum(1 for pid, at in first_s2.items() if pid in first_ready and first_ready[pid] <= at)
    rates: dict[str, list[int]] = {}
    for module_id, passed in QuizAttempt.objects.values_list("module_id", "passed"):
        r = rates.setdefault(module_id, [0, 0])
        r[0] += 1
        r[1] += int(passed)
    return Indicators(
        trained_per_year=[(t["y"], t["n"]) for t in trained],
        virtual_classes_per_year=[(c["y"], c["n"]) for c in classes],
        home_workshops_per_year=[(w["y"], w["n"]) for w in workshops],
        hours_per_year=[(y, h[0], h[1]) for y, h in sorted(hours.items())],
        s2_patients=len(first_s2),
        s2_with_readiness_before=before,
        enrolled=Enrolment.objects.count(),
        quiz_pass_rate=[(m, r[0], r[1]) for m, r in sorted(rates.items())],
    )


def training_overview(*, query: str = "", limit: int = 200) -> list[dict[str, Any]]:
    """Professionals with training records or a profile, with their qualifications today."""
    users = (
        User.objects.filter(Q(training_records__isnull=False) | Q(learning__isnull=False))
        .distinct()
        .select_related("role")
        .order_by("last_name", "first_name")
    )
    if query:
        users = users.filter(Q(last_name__icontains=query) | Q(first_name__icontains=query))
    now = clock.now()
    year = timezone.localdate(now).year
    out: list[dict[str, Any]] = []
    for user in users[:limit]:
        records = list(TrainingRecord.objects.filter(professional=user))
        pure = _pure_records(records)
        out.append(
            {
                "user": user,
                "records": records,
                "validity": qualifications(pure, now),
                "hours": training_hours(pure, now, year=year),
            }
        )
    return out


def contacts_for(*, patient: Patient) -> list[tuple[str, str, str]]:
    """Whom to call, for the printed sheets: ``(role in the team, name, phone)`` of the active care team."""
    from parcours.patients.models import CareTeamMembership

    order = {"idec": 0, "idel": 1, "had_nurse": 2, "had_physician": 3, "oncologist": 4, "gp": 5}
    members = (
        CareTeamMembership.objects.filter(patient=patient, until__isnull=True)
        .select_related("user__role")
        .order_by("since")
    )
    rows = [
        (m.team_role or (str(m.user.role) if m.user.role else ""), str(m.user), m.user.phone)
        for m in members
        if m.user.role is not None and m.user.role.code in order
    ]
    codes = {str(m.user): m.user.role.code for m in members if m.user.role is not None}
    return sorted(rows, key=lambda r: order.get(codes.get(r[1], ""), 9))
