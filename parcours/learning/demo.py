"""Demo data of the learning app, on top of the base demo (``parcours.web.demo``): the ETP programme
published, patients part-way through it (modules, quizzes, home sessions, home and readiness assessments),
practice places and training records of the nurses (some qualifications expired), virtual classes held.

S1 patients whose other S1→S2 conditions are met (the base demo prepares some of the demo IDEC's: HAD
validated, consent, eligibility) are, one in two, made ready for home care through the services (exit-criterion
quizzes passed, home assessed, readiness recorded), so that « Passer à domicile (séquence 2) » succeeds for them;
the others get a readiness assessment listing what is still missing, and the ``education_ready`` guard refuses."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from parcours.accounts.models import User
from parcours.core import clock
from parcours.education.training import add_months, load_builtin_catalogue
from parcours.learning import selectors, services
from parcours.learning.content import programme_of
from parcours.learning.models import (
    Audience,
    EducationSession,
    Enrolment,
    HomeAssessment,
    Mode,
    ModuleProgress,
    ProfessionalProfile,
    QuizAttempt,
    TrainingRecord,
    TrainingSession,
)
from parcours.pathways.models import PathwayTransitionLog, PatientPathway
from parcours.patients.enums import HadRequestStatus
from parcours.patients.models import HadRequest

LYON = (45.7640, 4.8357)
NURSE_ROLES = ("idel", "had_nurse", "idec", "liaison_nurse")


def _around(rng: random.Random, km: float) -> tuple[float, float]:
    return (
        LYON[0] + rng.uniform(-km, km) / 111.0,
        LYON[1] + rng.uniform(-km, km) / 78.0,
    )


def _training(rng: random.Random, actor: User, today: dt.date, progress: Callable[[str], None]) -> None:
    catalogue = load_builtin_catalogue()
    nurses = list(User.objects.filter(role__code__in=NURSE_ROLES, is_active=True).order_by("username"))
    progress(f"learning: training records for {len(nurses)} nurses")
    # six-monthly virtual classes of the last two years
    classes = []
    day = today - dt.timedelta(days=730)
    while day < today - dt.timedelta(days=7):
        classes.append(
            TrainingSession.objects.create(
                course_id="virtual_class",
                date=day,
                title="Classe virtuelle immunothérapie à domicile",
                organiser="Centre de cancérologie Rhône-Est (démo)",
                created_by=actor,
            )
        )
        day = add_months(day, 6)
    records: list[TrainingRecord] = []
    course = {c.id: c for c in catalogue.courses}

    def add(user: User, course_id: str, on: dt.date, session: TrainingSession | None = None) -> None:
        c = course[course_id]
        records.append(
            TrainingRecord(
                professional=user,
                course_id=course_id,
                session=session,
                completed_on=on,
                hours=c.hours,
                dpc_hours=c.hours if c.dpc_eligible else Decimal(0),
                certificate_number=f"DEMO-{user.pk}-{course_id}-{on:%Y%m%d}",
                certificate_expires_on=add_months(on, c.validity_months) - dt.timedelta(days=1)
                if c.validity_months
                else None,
                recorded_by=actor,
            )
        )

    for user in nurses:
        lat, lon = _around(rng, 25)
        ProfessionalProfile.objects.update_or_create(
            user=user,
            defaults={
                "latitude": lat,
                "longitude": lon,
                "city": "Lyon" if abs(lat - LYON[0]) < 0.05 else "Métropole de Lyon",
                "practice_address": f"{rng.randint(1, 120)} rue de la Démo",
            },
        )
        star = user.username in {"idel", "ide.had", "idec"}
        if user.role is None or user.role.code not in {"idel", "had_nurse"}:
            if star:
                add(user, "etp_40h", today - dt.timedelta(days=500))
            continue
        roll = rng.random()
        if star or roll < 0.7:
            add(user, "etp_40h", today - dt.timedelta(days=rng.randint(200, 900)))
        if star:
            start = today - dt.timedelta(days=300)
            add(user, "immuno_initiation", start)
            add(user, "virtual_class", today - dt.timedelta(days=120))
        elif roll < 0.55:
            start = today - dt.timedelta(days=rng.randint(60, 330))
            add(user, "immuno_initiation", start)
        elif roll < 0.7:  # lapsed: initiation more than a year ago, no refresher
            add(user, "immuno_initiation", today - dt.timedelta(days=rng.randint(400, 600)))
        for session in classes:
            if rng.random() < 0.3 and not star:
                add(user, "virtual_class", session.date, session)
    TrainingRecord.objects.bulk_create(records)
    for user in nurses:
        selectors.qualifications_refresh(professional=user)


def _patients(rng: random.Random, progress: Callable[[str], None]) -> None:
    idec = User.objects.get(username="idec")
    idel = User.objects.get(username="idel")
    now = clock.now()
    pathways = list(
        PatientPathway.objects.filter(
            definition_key=selectors.PATHWAY_KEY, state__in=["s1", "s2", "s3"], ended_at__isnull=True
        ).select_related("patient")
    )
    progress(f"learning: ETP progress for {len(pathways)} patients")
    pv = services.programme_current(key=selectors.DEFAULT_PROGRAMME)
    programme = programme_of(pv)
    for pathway in pathways:
        patient = pathway.patient
        started = min(pathway.started_at + dt.timedelta(days=1), now)
        enrolment = Enrolment.objects.create(
            patient=patient, programme_key=pv.key, programme=pv, started_at=started, started_by=idec
        )
        eager = rng.random()
        home_done = False
        for _round in range(len(programme.modules)):
            open_now = [
                s
                for s in selectors.module_statuses(enrolment=enrolment, pathway=pathway)
                if s.status == "unlocked"
            ]
            if not open_now:
                break
            status = open_now[0]
            if pathway.state == "s1" and rng.random() > eager:
                break
            module = status.module
            at = min(now - dt.timedelta(days=rng.randint(1, 30)), now)
            home = module.delivery == "home"
            session = None
            if home and not home_done:
                session = EducationSession.objects.create(
                    patient=patient,
                    enrolment=enrolment,
                    date=at.date(),
                    place=Mode.HOME,
                    held_by=idel,
                    attendees=["patient", "aidant : conjoint"] if rng.random() < 0.6 else ["patient"],
                    modules=[m.id for m in programme.modules if m.delivery == "home"],
                    observations="Séance au domicile, bonne participation (démo).",
                )
                home_done = True
            ModuleProgress.objects.create(
                enrolment=enrolment,
                module_id=module.id,
                completed_at=at,
                completed_by=idel if home else None,
                mode=Mode.HOME if home else Mode.DIGITAL,
                audience=Audience.TEAM if home else rng.choice([Audience.PATIENT, Audience.CAREGIVER]),
                session=session,
            )
            passed = rng.random() < 0.85
            questions = module.quiz.questions
            score = len(questions) if passed else max(0, len(questions) - 2)
            QuizAttempt.objects.create(
                enrolment=enrolment,
                module_id=module.id,
                programme_version=pv.version,
                answers={},
                score=score,
                total=len(questions),
                percent=100 * score // len(questions),
                pass_mark=module.quiz.pass_mark_percent,
                passed=passed,
                understood=[],
                to_revisit=[] if passed else [{"fr": questions[0].revisit.fr, "en": questions[0].revisit.en}],
                taken_at=at,
                audience=Audience.PATIENT,
                by_proxy=home,
                entered_by=idel if home else None,
            )
        if pathway.state != "s1" or rng.random() < 0.4:
            HomeAssessment.objects.create(
                patient=patient,
                space_for_material=True,
                access_for_teams=rng.random() < 0.95,
                caregiver_present=rng.random() < 0.7,
                notes="Évaluation du domicile (démo).",
                assessed_by=idel,
                assessed_at=now - dt.timedelta(days=rng.randint(1, 40)),
            )
        if pathway.state != "s1" and rng.random() < 0.8:
            row = services.readiness_assess(actor=idec, patient=patient)
            s2_at = (
                PathwayTransitionLog.objects.filter(pathway=pathway, target="s2")
                .order_by("at")
                .values_list("at", flat=True)
                .first()
            )
            if s2_at is not None:  # assessed before moving home, as the v2 guard requires
                row.assessed_at = s2_at - dt.timedelta(days=rng.randint(1, 10))
                row.pathway_state = "s1"
                row.save(update_fields=["assessed_at", "pathway_state"])


def _ready_for_home(enrolment: Enrolment, idel: User) -> None:
    """Pass (through the services) the quiz of every exit-criterion module not passed yet, in programme order."""
    programme = programme_of(enrolment.programme)
    needed = {m for ids in programme.exit_criteria.values() for m in ids}
    passed = selectors.passed_ids(enrolment)
    for module in programme.modules:
        if module.id in needed and module.id not in passed:
            answers = {q.id: sorted(q.correct) for q in module.quiz.questions}
            services.quiz_submit(actor=idel, enrolment=enrolment, module_id=module.id, answers=answers)


def _prepared_for_s2(progress: Callable[[str], None]) -> None:
    idec = User.objects.get(username="idec")
    idel = User.objects.get(username="idel")
    validated = HadRequest.objects.filter(status=HadRequestStatus.VALIDATED).values("patient_id")
    pathways = [
        p
        for p in PatientPathway.objects.filter(
            definition_key=selectors.PATHWAY_KEY, state="s1", ended_at__isnull=True, patient_id__in=validated
        )
        .select_related("patient")
        .order_by("patient_id")
        if selectors.reads_education(p.definition_key, p.definition_version)
    ]
    ready = 0
    for i, pathway in enumerate(pathways):
        patient = pathway.patient
        if i % 2 == 0:
            enrolment = services.enrol(actor=idec, patient=patient)
            _ready_for_home(enrolment, idel)
            if not selectors.readiness_now(patient=patient).ready:
                services.home_assessment_record(
                    actor=idel,
                    patient=patient,
                    space_for_material=True,
                    access_for_teams=True,
                    caregiver_present=True,
                    notes="Domicile adapté : place pour le matériel, accès facile (démo).",
                )
        row = services.readiness_assess(actor=idec, patient=patient)
        ready += row.ready
    progress(f"learning: {len(pathways)} S1 patients prepared for S2, {ready} of them ready for home care")


def load_demo(*, seed: int, progress: Callable[[str], None]) -> None:
    rng = random.Random(seed + 6)
    actor = User.objects.filter(username="idec").first()
    if actor is None:
        progress("learning: base demo missing (no 'idec' user), skipped")
        return
    with transaction.atomic():
        services.programme_current(key=selectors.DEFAULT_PROGRAMME)
        _training(rng, actor, clock.today(), progress)
        _patients(rng, progress)
        _prepared_for_s2(progress)
