"""Writes of the learning app: programme versions, patient progress, sessions, readiness, training registry,
assignments. Every write is audited; clinical events go on the patient's timeline."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import Conflict, Forbidden, NotFound, StaleEdit, ValidationFailed
from parcours.education.common import DataError, InputError
from parcours.education.programme import section_titles
from parcours.education.quiz import score_quiz
from parcours.education.readiness import assess_readiness
from parcours.education.training import add_months, load_builtin_catalogue
from parcours.learning import selectors
from parcours.learning.content import builtin_document, pick, programme_of
from parcours.learning.models import (
    Act,
    Assignment,
    Audience,
    EducationSession,
    Enrolment,
    HomeAssessment,
    Mode,
    ModuleProgress,
    ProfessionalProfile,
    ProgrammeStatus,
    ProgrammeVersion,
    QuizAttempt,
    ReadinessAssessment,
    TrainingRecord,
    TrainingSession,
)
from parcours.links.services import IssuedLink, link_consume, link_issue
from parcours.notifications.services import notification_enqueue
from parcours.patients.models import Caregiver, Patient
from parcours.patients.timeline import timeline_record


def _require(actor: User, permission: str) -> None:
    if not has_perm(actor, permission):
        raise Forbidden(_("Votre rôle ne permet pas cette action (%(perm)s).") % {"perm": permission})


# ------------------------------------------------------------------------------------------ programmes


@transaction.atomic
def programme_import_builtin(*, actor: User | None, key: str) -> ProgrammeVersion:
    """Store the latest builtin version of programme ``key`` as published (once)."""
    document, texts = builtin_document(key)
    version = int(document["version"])
    existing = ProgrammeVersion.objects.filter(key=key, version=version).first()
    if existing is not None:
        return existing
    pv = ProgrammeVersion.objects.create(
        key=key,
        version=version,
        status=ProgrammeStatus.PUBLISHED,
        document=document,
        texts=texts,
        created_by=actor,
        published_at=clock.now(),
        published_by=actor,
        change_note=_("Version intégrée à Parcours."),
    )
    audit_record(actor=actor, action="create", object_type="etp_programme", object_id=str(pv.external_id))
    return pv


def programme_current(*, key: str) -> ProgrammeVersion:
    """The published version new patients start on (the builtin one is stored on first use)."""
    pv = (
        ProgrammeVersion.objects.filter(key=key, status=ProgrammeStatus.PUBLISHED)
        .order_by("-version")
        .first()
    )
    return pv if pv is not None else programme_import_builtin(actor=None, key=key)


@transaction.atomic
def programme_draft_create(*, actor: User, key: str, change_note: str = "") -> ProgrammeVersion:
    """A new draft version copied from the latest version (published or not) of ``key``."""
    _require(actor, "education.manage")
    base = programme_current(key=key)
    draft = ProgrammeVersion.objects.filter(key=key, status=ProgrammeStatus.DRAFT).first()
    if draft is not None:
        raise Conflict(
            _("Une version brouillon (v%(v)s) existe déjà : terminez-la ou publiez-la.")
            % {"v": draft.version}
        )
    top = ProgrammeVersion.objects.filter(key=key).aggregate(m=Max("version"))["m"] or 0
    document = copy.deepcopy(base.document)
    document["version"] = top + 1
    draft = ProgrammeVersion.objects.create(
        key=key,
        version=top + 1,
        status=ProgrammeStatus.DRAFT,
        document=document,
        texts=dict(base.texts),
        based_on=base,
        created_by=actor,
        change_note=change_note[:500],
    )
    audit_record(actor=actor, action="create", object_type="etp_programme", object_id=str(draft.external_id))
    return draft


def _locked_draft(draft: ProgrammeVersion, expected_lock: int | None) -> ProgrammeVersion:
    row = ProgrammeVersion.objects.select_for_update().get(pk=draft.pk)
    if row.status != ProgrammeStatus.DRAFT:
        raise Conflict(_("Une version publiée ne change plus : créez une nouvelle version pour la modifier."))
    if expected_lock is not None and expected_lock != row.lock_version:
        raise StaleEdit(_("Le brouillon a changé entre-temps. Rechargez la page."))
    return row


def _validate_document(row: ProgrammeVersion, field: str) -> None:
    try:
        programme_of(row)
    except DataError as exc:
        raise ValidationFailed(
            _("Le programme n'est pas valide : %(e)s") % {"e": exc}, field_errors={field: [str(exc)]}
        ) from exc


@transaction.atomic
def programme_modules_set(
    *, actor: User, draft: ProgrammeVersion, module_ids: Sequence[str], expected_lock: int | None = None
) -> ProgrammeVersion:
    """Keep only ``module_ids`` in the draft, in that order (a removed module must not be needed elsewhere)."""
    _require(actor, "education.manage")
    row = _locked_draft(draft, expected_lock)
    by_id = {m["id"]: m for m in row.document["modules"]}
    unknown = [m for m in module_ids if m not in by_id]
    if unknown or not module_ids:
        raise ValidationFailed(
            _("Choisissez au moins un module du programme."), field_errors={"modules": [", ".join(unknown)]}
        )
    if len(set(module_ids)) != len(module_ids):
        raise ValidationFailed(_("Un module est choisi deux fois."), field_errors={"modules": []})
    row.document = {**row.document, "modules": [by_id[m] for m in module_ids]}
    _validate_document(row, "modules")
    row.lock_version += 1
    row.save(update_fields=["document", "lock_version", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        object_type="etp_programme",
        object_id=str(row.external_id),
        detail={"modules": list(module_ids)},
    )
    return row


@transaction.atomic
def programme_module_text_set(
    *,
    actor: User,
    draft: ProgrammeVersion,
    module_id: str,
    text: str,
    expected_lock: int | None = None,
) -> ProgrammeVersion:
    """Change a module's Markdown text in the draft; it gets a new file name so pinned patients keep theirs."""
    _require(actor, "education.manage")
    row = _locked_draft(draft, expected_lock)
    text = text.replace("\r\n", "\n").strip() + "\n"
    modules = [dict(m) for m in row.document["modules"]]
    found = next((m for m in modules if m["id"] == module_id), None)
    if found is None:
        raise NotFound(_("Module introuvable."))
    if not text.startswith("# "):
        raise ValidationFailed(
            _("Le texte doit commencer par un titre (« # Titre »)."),
            field_errors={"text": [_("Titre absent.")]},
        )
    needed = {q["revisit"]["fr"] for q in found["quiz"]["questions"]}
    missing = sorted(needed - set(section_titles(text)))
    if missing:
        raise ValidationFailed(
            _("Le quiz renvoie à des sections absentes du texte : %(s)s.") % {"s": ", ".join(missing)},
            field_errors={"text": [_("Section manquante : %(s)s") % {"s": s} for s in missing]},
        )
    name = f"{module_id}.v{row.version}.md"
    found["file"] = name
    texts = dict(row.texts)
    texts[name] = text
    row.document = {**row.document, "modules": modules}
    row.texts = texts
    _validate_document(row, "text")
    row.lock_version += 1
    row.save(update_fields=["document", "texts", "lock_version", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        object_type="etp_programme",
        object_id=str(row.external_id),
        detail={"module": module_id},
    )
    return row


@transaction.atomic
def programme_publish(*, actor: User, draft: ProgrammeVersion) -> ProgrammeVersion:
    _require(actor, "education.manage")
    row = _locked_draft(draft, None)
    row.texts = {m["file"]: row.texts[m["file"]] for m in row.document["modules"] if m["file"] in row.texts}
    _validate_document(row, "programme")
    row.status = ProgrammeStatus.PUBLISHED
    row.published_at = clock.now()
    row.published_by = actor
    row.lock_version += 1
    row.save(update_fields=["status", "published_at", "published_by", "texts", "lock_version", "updated_at"])
    audit_record(actor=actor, action="update", object_type="etp_programme", object_id=str(row.external_id))
    return row


# ------------------------------------------------------------------------------------------- patients


@transaction.atomic
def enrol(*, actor: User, patient: Patient, key: str = selectors.DEFAULT_PROGRAMME) -> Enrolment:
    """Start the patient on the current published version (idempotent: she keeps the one she started)."""
    _require(actor, "education.session")
    existing = Enrolment.objects.filter(patient=patient, programme_key=key).first()
    if existing is not None:
        return existing
    pv = programme_current(key=key)
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                patient=patient, programme_key=key, programme=pv, started_at=clock.now(), started_by=actor
            )
    except IntegrityError:
        return Enrolment.objects.get(patient=patient, programme_key=key)
    timeline_record(
        patient=patient,
        actor=actor,
        kind="education.enrolled",
        data={"programme": key, "version": pv.version, "label": asdict(programme_of(pv).name)},
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="etp_enrolment",
        object_id=str(enrolment.external_id),
        patient_id=patient.pk,
    )
    return enrolment


def _check_available(enrolment: Enrolment, module_id: str) -> None:
    statuses = {s.module_id: s for s in selectors.module_statuses(enrolment=enrolment)}
    status = statuses.get(module_id)
    if status is None:
        raise NotFound(_("Module introuvable."))
    if status.status == "locked":
        raise ValidationFailed(
            _("Ce module n'est pas encore ouvert : %(r)s") % {"r": pick(status.reason)},
            field_errors={"module": [pick(status.reason)]},
        )


def _progress_add(
    *,
    enrolment: Enrolment,
    module_id: str,
    actor: User | None,
    mode: str,
    audience: str,
    session: EducationSession | None = None,
) -> ModuleProgress | None:
    if ModuleProgress.objects.filter(enrolment=enrolment, module_id=module_id).exists():
        return None
    progress = ModuleProgress.objects.create(
        enrolment=enrolment,
        module_id=module_id,
        completed_at=clock.now(),
        completed_by=actor,
        mode=mode,
        audience=audience,
        session=session,
    )
    module = programme_of(enrolment.programme).module(module_id)
    timeline_record(
        patient=enrolment.patient,
        actor=actor,
        kind="education.module_completed",
        data={"module": module_id, "label": asdict(module.title), "mode": mode, "audience": audience},
    )
    return progress


@dataclass(frozen=True)
class LinkContext:
    """Who answers through a secure link (no account): the link row and its audience."""

    link: Any
    audience: str


def _enrolment_locked(enrolment: Enrolment) -> Enrolment:
    return Enrolment.objects.select_for_update().select_related("programme", "patient").get(pk=enrolment.pk)


@transaction.atomic
def module_complete(
    *,
    actor: User | None,
    enrolment: Enrolment,
    module_id: str,
    mode: str = Mode.DIGITAL,
    via: LinkContext | None = None,
) -> ModuleProgress | None:
    """Mark a module as followed (``None`` if it already was). Through a link: ``actor`` is None."""
    if actor is not None:
        _require(actor, "education.session")
    elif via is None:
        raise Forbidden(_("Accès refusé."))
    if mode not in Mode.values:
        raise ValidationFailed(_("Lieu inconnu."), field_errors={"mode": [_("Lieu inconnu.")]})
    enrolment = _enrolment_locked(enrolment)
    if via is not None:
        _consume(via, enrolment)
    _check_available(enrolment, module_id)
    progress = _progress_add(
        enrolment=enrolment,
        module_id=module_id,
        actor=actor,
        mode=mode,
        audience=via.audience if via is not None else Audience.TEAM,
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="etp_progress",
        object_id=str(enrolment.external_id),
        patient_id=enrolment.patient_id,
        detail={"module": module_id, "via_link": via is not None},
    )
    return progress


def _consume(via: LinkContext, enrolment: Enrolment) -> None:
    if via.link.patient_id != enrolment.patient_id or via.link.target_id != str(enrolment.external_id):
        raise Forbidden(_("Ce lien ne donne pas accès à ce programme."))
    link_consume(link=via.link)


@transaction.atomic
def quiz_submit(
    *,
    actor: User | None,
    enrolment: Enrolment,
    module_id: str,
    answers: Mapping[str, object],
    via: LinkContext | None = None,
    by_proxy: bool = False,
) -> QuizAttempt:
    """Score the answers with the pure core and store the result; the module counts as followed."""
    if actor is not None:
        _require(actor, "education.session")
    elif via is None:
        raise Forbidden(_("Accès refusé."))
    enrolment = _enrolment_locked(enrolment)
    if via is not None:
        _consume(via, enrolment)
    _check_available(enrolment, module_id)
    module = programme_of(enrolment.programme).module(module_id)
    try:
        result = score_quiz(module, answers)
    except InputError as exc:
        raise ValidationFailed(
            _("Réponses invalides : %(e)s") % {"e": exc}, field_errors={"answers": [str(exc)]}
        ) from exc
    audience = via.audience if via is not None else Audience.TEAM
    attempt = QuizAttempt.objects.create(
        enrolment=enrolment,
        module_id=module_id,
        programme_version=enrolment.programme.version,
        answers={q.question_id: sorted(q.selected) for q in result.questions},
        score=result.score,
        total=result.total,
        percent=result.percent,
        pass_mark=result.pass_mark_percent,
        passed=result.passed,
        understood=[asdict(q.question.text) for q in result.questions if q.correct],
        to_revisit=[asdict(t) for t in result.to_revisit],
        taken_at=clock.now(),
        audience=audience,
        by_proxy=by_proxy,
        entered_by=actor,
    )
    _progress_add(
        enrolment=enrolment,
        module_id=module_id,
        actor=actor,
        mode=Mode.DIGITAL if via is not None else Mode.HOME,
        audience=audience,
    )
    timeline_record(
        patient=enrolment.patient,
        actor=actor,
        kind="education.quiz",
        data={
            "module": module_id,
            "label": asdict(module.title),
            "score": result.score,
            "total": result.total,
            "passed": result.passed,
            "audience": audience,
        },
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="etp_quiz",
        object_id=str(attempt.external_id),
        patient_id=enrolment.patient_id,
        detail={"module": module_id, "passed": result.passed, "via_link": via is not None},
    )
    return attempt


@transaction.atomic
def session_record(
    *,
    actor: User,
    patient: Patient,
    date: dt.date,
    attendees: Sequence[str],
    module_ids: Sequence[str],
    observations: str = "",
    place: str = Mode.HOME,
) -> EducationSession:
    """An ETP session held by the IDEL at home (or in day hospital): the modules covered count as followed."""
    _require(actor, "education.session")
    errors: dict[str, list[str]] = {}
    if date > clock.today():
        errors["date"] = [_("La date de la séance ne peut pas être dans le futur.")]
    if not attendees:
        errors["attendees"] = [_("Indiquez qui était présent.")]
    if not module_ids:
        errors["modules"] = [_("Indiquez au moins un module abordé.")]
    if place not in Mode.values or place == Mode.DIGITAL:
        errors["place"] = [_("Lieu inconnu.")]
    enrolment = enrol(actor=actor, patient=patient)
    enrolment = _enrolment_locked(enrolment)
    statuses = {s.module_id: s for s in selectors.module_statuses(enrolment=enrolment)}
    for module_id in module_ids:
        status = statuses.get(module_id)
        if status is None:
            errors.setdefault("modules", []).append(_("Module inconnu : %(m)s.") % {"m": module_id})
        elif status.status == "locked":
            errors.setdefault("modules", []).append(
                _("« %(t)s » n'est pas encore ouvert : %(r)s")
                % {"t": pick(status.module.title), "r": pick(status.reason)}
            )
    if errors:
        raise ValidationFailed(_("La séance n'a pas été enregistrée."), field_errors=errors)
    session = EducationSession.objects.create(
        patient=patient,
        enrolment=enrolment,
        date=date,
        place=place,
        held_by=actor,
        attendees=list(attendees),
        modules=list(module_ids),
        observations=observations[:5000],
    )
    for module_id in module_ids:
        _progress_add(
            enrolment=enrolment,
            module_id=module_id,
            actor=actor,
            mode=place,
            audience=Audience.TEAM,
            session=session,
        )
    timeline_record(
        patient=patient,
        actor=actor,
        kind="education.session",
        data={"date": date.isoformat(), "modules": list(module_ids), "attendees": list(attendees)},
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="etp_session",
        object_id=str(session.external_id),
        patient_id=patient.pk,
    )
    return session


@transaction.atomic
def home_assessment_record(
    *,
    actor: User,
    patient: Patient,
    space_for_material: bool,
    access_for_teams: bool,
    caregiver_present: bool,
    notes: str = "",
) -> HomeAssessment:
    _require(actor, "readiness.assess")
    assessment = HomeAssessment.objects.create(
        patient=patient,
        space_for_material=space_for_material,
        access_for_teams=access_for_teams,
        caregiver_present=caregiver_present,
        notes=notes[:1000],
        assessed_by=actor,
        assessed_at=clock.now(),
    )
    timeline_record(
        patient=patient,
        actor=actor,
        kind="education.home_assessed",
        data={"space": space_for_material, "access": access_for_teams, "caregiver": caregiver_present},
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="home_assessment",
        object_id=str(assessment.external_id),
        patient_id=patient.pk,
    )
    return assessment


@transaction.atomic
def readiness_assess(*, actor: User, patient: Patient) -> ReadinessAssessment:
    """Record the readiness-for-home assessment as computed now, with its support plan."""
    _require(actor, "readiness.assess")
    inputs = selectors.readiness_inputs(patient=patient)
    result = assess_readiness(eligibility=inputs.eligibility, home=inputs.home, education=inputs.education)
    pathway = selectors.clb_pathway(patient=patient)
    row = ReadinessAssessment.objects.create(
        patient=patient,
        assessed_at=clock.now(),
        assessed_by=actor,
        pathway_state=pathway.state if pathway is not None else "",
        ready=result.ready,
        criteria=[
            {
                "id": c.id,
                "label": asdict(c.label),
                "met": c.met,
                "detail": asdict(c.detail) if c.detail else None,
            }
            for c in result.criteria
        ],
        support_plan=[
            {
                "id": a.id,
                "label": asdict(a.label),
                "description": asdict(a.description),
                "responsible": a.responsible,
                "because": [asdict(b) for b in a.because],
            }
            for a in result.support_plan
        ],
        summary=asdict(result.summary),
    )
    timeline_record(
        patient=patient,
        actor=actor,
        kind="education.readiness",
        data={"ready": result.ready, "label": asdict(result.summary), "support": len(result.support_plan)},
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="readiness",
        object_id=str(row.external_id),
        patient_id=patient.pk,
    )
    return row


# ------------------------------------------------------------------------------------------- training


@transaction.atomic
def profile_set(
    *,
    actor: User,
    professional: User,
    latitude: float | None,
    longitude: float | None,
    practice_address: str = "",
    postcode: str = "",
    city: str = "",
    rpps: str = "",
    phone: str = "",
) -> ProfessionalProfile:
    if actor.pk != professional.pk:
        _require(actor, "training.manage")
    errors: dict[str, list[str]] = {}
    if (latitude is None) != (longitude is None):
        errors["latitude"] = [_("Donnez la latitude et la longitude, ou aucune des deux.")]
    if latitude is not None and not -90 <= latitude <= 90:
        errors["latitude"] = [_("Latitude hors limites (-90 à 90).")]
    if longitude is not None and not -180 <= longitude <= 180:
        errors["longitude"] = [_("Longitude hors limites (-180 à 180).")]
    if errors:
        raise ValidationFailed(_("Lieu d'exercice invalide : rien n'a été enregistré."), field_errors=errors)
    profile, _created = ProfessionalProfile.objects.select_for_update().get_or_create(user=professional)
    profile.latitude, profile.longitude = latitude, longitude
    profile.practice_address, profile.postcode, profile.city = practice_address, postcode, city
    profile.rpps, profile.phone = rpps, phone
    profile.save()
    selectors.qualifications_refresh(professional=professional)
    audit_record(
        actor=actor, action="update", object_type="professional_profile", object_id=str(profile.external_id)
    )
    return profile


@transaction.atomic
def training_session_create(
    *, actor: User, course_id: str, date: dt.date, title: str = "", organiser: str = ""
) -> TrainingSession:
    _require(actor, "training.manage")
    catalogue = load_builtin_catalogue()
    errors: dict[str, list[str]] = {}
    if not catalogue.has_course(course_id):
        errors["course_id"] = [_("Formation inconnue.")]
    if date > clock.today():
        errors["date"] = [_("La session n'a pas encore eu lieu : enregistrez-la une fois tenue.")]
    if errors:
        raise ValidationFailed(_("La session n'a pas été enregistrée."), field_errors=errors)
    session = TrainingSession.objects.create(
        course_id=course_id,
        date=date,
        title=title or pick(catalogue.course(course_id).title),
        organiser=organiser,
        created_by=actor,
    )
    audit_record(
        actor=actor, action="create", object_type="training_session", object_id=str(session.external_id)
    )
    return session


@dataclass(frozen=True)
class RecordOutcome:
    record: TrainingRecord
    warnings: tuple[str, ...]


@transaction.atomic
def training_record_add(
    *,
    actor: User,
    professional: User,
    course_id: str,
    completed_on: dt.date,
    session: TrainingSession | None = None,
    certificate_number: str = "",
    certificate_expires_on: dt.date | None = None,
) -> RecordOutcome:
    """A completed course with its certificate. The expiry is derived from the catalogue unless given.

    Refused (nothing written): unknown course, a date in the future, an expiry before the certificate date,
    a certificate already expired (its qualification would be lost on arrival: record the later renewal).
    """
    _require(actor, "training.manage")
    catalogue = load_builtin_catalogue()
    today = clock.today()
    errors: dict[str, list[str]] = {}
    if not catalogue.has_course(course_id):
        raise ValidationFailed(
            _("Formation inconnue."), field_errors={"course_id": [_("Formation inconnue.")]}
        )
    course = catalogue.course(course_id)
    if completed_on > today:
        errors["completed_on"] = [
            _("La date du certificat (%(d)s) est dans le futur : enregistrez la formation une fois suivie.")
            % {"d": completed_on.strftime("%d/%m/%Y")}
        ]
    derived = (
        add_months(completed_on, course.validity_months) - dt.timedelta(days=1)
        if course.validity_months
        else None
    )
    expires = certificate_expires_on or derived
    if certificate_expires_on is not None and certificate_expires_on < completed_on:
        errors["certificate_expires_on"] = [_("La date d'expiration précède la date du certificat.")]
    elif certificate_expires_on is not None and certificate_expires_on < today:
        errors["certificate_expires_on"] = [
            _(
                "Ce certificat a expiré le %(d)s : il ne qualifie plus. Enregistrez la formation de "
                "renouvellement, ou laissez la date d'expiration vide pour garder l'historique."
            )
            % {"d": certificate_expires_on.strftime("%d/%m/%Y")}
        ]
    if session is not None and session.course_id != course_id:
        errors["session"] = [_("Cette session est celle d'une autre formation.")]
    if errors:
        raise ValidationFailed(_("La formation n'a pas été enregistrée."), field_errors=errors)
    try:
        with transaction.atomic():
            record = TrainingRecord.objects.create(
                professional=professional,
                course_id=course_id,
                session=session,
                completed_on=completed_on,
                hours=course.hours,
                dpc_hours=course.hours if course.dpc_eligible else Decimal(0),
                certificate_number=certificate_number[:64],
                certificate_expires_on=expires,
                recorded_by=actor,
            )
    except IntegrityError as exc:
        raise Conflict(_("Cette présence est déjà enregistrée.")) from exc
    validity = selectors.qualifications_refresh(professional=professional)
    warnings: list[str] = []
    for v in validity.values():
        for rid, why in v.ignored:
            if rid == str(record.external_id):
                warnings.append(pick(why))
    audit_record(
        actor=actor,
        action="create",
        object_type="training_record",
        object_id=str(record.external_id),
        detail={"professional": str(professional.external_id), "course": course_id},
    )
    return RecordOutcome(record=record, warnings=tuple(warnings))


@transaction.atomic
def attendance_record(
    *, actor: User, session: TrainingSession, professionals: Sequence[User], certificate_prefix: str = ""
) -> list[RecordOutcome]:
    """Everyone who attended a session gets a training record dated the session's day."""
    return [
        training_record_add(
            actor=actor,
            professional=p,
            course_id=session.course_id,
            completed_on=session.date,
            session=session,
            certificate_number=f"{certificate_prefix}{i + 1}" if certificate_prefix else "",
        )
        for i, p in enumerate(professionals)
    ]


def assignment_create(
    *, actor: User, patient: Patient, professional: User, act: str, starts_on: dt.date
) -> Assignment:
    """Assign a professional to the patient for ``act``: refused unless qualified and not expired that day."""
    _require(actor, "careteam.manage")
    if act not in Act.values:
        raise ValidationFailed(_("Acte inconnu."), field_errors={"act": [_("Acte inconnu.")]})
    ok, reason, valid_until = selectors.qualification_status(user=professional, act=act, on=starts_on)
    if not ok:
        audit_record(
            actor=actor,
            action="denied",
            object_type="assignment",
            patient_id=patient.pk,
            detail={"professional": str(professional.external_id), "act": act, "reason": reason},
        )
        # raised outside any transaction of ours, so that the "denied" trace is kept
        raise ValidationFailed(
            _("Affectation refusée : %(r)s") % {"r": reason}, field_errors={"professional": [reason]}
        )
    return _assignment_write(
        actor=actor,
        patient=patient,
        professional=professional,
        act=act,
        starts_on=starts_on,
        valid_until=valid_until,
    )


@transaction.atomic
def _assignment_write(
    *,
    actor: User,
    patient: Patient,
    professional: User,
    act: str,
    starts_on: dt.date,
    valid_until: dt.date | None,
) -> Assignment:
    assignment = Assignment.objects.create(
        patient=patient,
        professional=professional,
        act=act,
        starts_on=starts_on,
        valid_until=valid_until,
        assigned_by=actor,
        assigned_at=clock.now(),
    )
    from parcours.patients.models import CareTeamMembership

    if not CareTeamMembership.objects.filter(patient=patient, user=professional, until__isnull=True).exists():
        CareTeamMembership.objects.create(
            patient=patient,
            user=professional,
            team_role=str(Act(act).label)[:100],
            since=clock.now(),
            added_by=actor,
        )
    timeline_record(
        patient=patient,
        actor=actor,
        kind="education.assigned",
        data={"professional": str(professional), "act": act, "label": str(Act(act).label)},
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="assignment",
        object_id=str(assignment.external_id),
        patient_id=patient.pk,
    )
    return assignment


# ---------------------------------------------------------------------------------------------- links

PURPOSE = "education"


@transaction.atomic
def education_link_issue(
    *, actor: User, patient: Patient, audience: str, caregiver_id: str = "", days: int = 30
) -> IssuedLink:
    """A multi-use link to the patient's (or a caregiver's) ETP modules on the phone, with an expiry."""
    _require(actor, "education.session")
    enrolment = enrol(actor=actor, patient=patient)
    caregiver = None
    if caregiver_id:
        try:
            uid = uuid.UUID(str(caregiver_id))
        except ValueError:
            uid = None
        caregiver = Caregiver.objects.filter(patient=patient, external_id=uid).first() if uid else None
        if caregiver is None:
            raise ValidationFailed(
                _("Aidant introuvable."), field_errors={"caregiver": [_("Aidant introuvable.")]}
            )
    return link_issue(
        actor=actor,
        patient=patient,
        purpose=PURPOSE,
        target_id=str(enrolment.external_id),
        audience=audience,
        caregiver=caregiver if audience == "caregiver" else None,
        ttl=dt.timedelta(days=days),
        single_use=False,
    )


def education_link_send_sms(*, actor: User, issued: IssuedLink, url: str, phone: str) -> None:
    """Send the link by SMS (outbox; once per link). ``ValidationFailed`` for a number that is not a mobile."""
    notification_enqueue(
        channel="sms",
        to=phone,
        subject="",
        body=_(
            "Votre équipe soignante vous propose les modules d'éducation sur l'immunothérapie : %(url)s "
            "(lien personnel, ne le transférez pas)."
        )
        % {"url": url},
        idempotency_key=f"learning-link-{issued.link.external_id}",
        patient_id=issued.link.patient_id,
        actor=actor,
    )


# ------------------------------------------------------------------------------------ expiry reminders

REMINDER_DAYS = 60


def expiry_reminders_send(*, within_days: int = REMINDER_DAYS) -> int:
    """E-mail every professional whose qualification ends within ``within_days`` (once per expiry date)."""
    from parcours.learning.models import ProfessionalQualification

    today = clock.today()
    catalogue = load_builtin_catalogue()
    rows = ProfessionalQualification.objects.filter(
        valid_until__gte=today, valid_until__lte=today + dt.timedelta(days=within_days)
    ).select_related("profile__user")
    sent = 0
    for row in rows:
        user = row.profile.user
        if not user.is_active or not user.email:
            continue
        try:
            label = pick(catalogue.qualification(row.qualification).label)
            renew = ", ".join(pick(c.title) for c in catalogue.renewing(row.qualification)) or _(
                "la formation initiale"
            )
        except KeyError:
            continue
        assert row.valid_until is not None
        notification_enqueue(
            channel="email",
            to=user.email,
            subject=_("Votre qualification « %(q)s » expire le %(d)s")
            % {"q": label, "d": row.valid_until.strftime("%d/%m/%Y")},
            body=_(
                "Bonjour,\n\nVotre qualification « %(q)s » est valable jusqu'au %(d)s. Après cette date, vous ne "
                "pourrez plus être affecté(e) aux actes qui la demandent. Pour la renouveler : %(r)s.\n\n"
                "Parcours"
            )
            % {"q": label, "d": row.valid_until.strftime("%d/%m/%Y"), "r": renew},
            idempotency_key=f"learning-expiry-{user.pk}-{row.qualification}-{row.valid_until.isoformat()}",
            recipient=user,
        )
        sent += 1
    return sent
