"""Writes of the fast-track diagnostic pathway (seed 004). Keyword-only arguments, one transaction each,
audit records, patient timeline events, notifications through the outbox."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import Conflict, DomainError, Forbidden, NotFound, StaleEdit, ValidationFailed
from parcours.fasttrack import completeness, uploads
from parcours.fasttrack.enums import (
    CONSULT_KINDS,
    IMAGING_KINDS,
    OPEN_STATUSES,
    URGENCY_RANK,
    DiagnosisContext,
    DischargeStatus,
    DischargeTarget,
    EventKind,
    GpEvent,
    PathologyStatus,
    RcpStatus,
    ReferralStatus,
    ReferrerKind,
    ResourceKind,
    SlotStatus,
    Source,
    TaskKind,
    Urgency,
)
from parcours.fasttrack.models import (
    Booking,
    CoordinatorTask,
    DayTemplate,
    DiagnosticDay,
    DischargeReferral,
    GpMessage,
    PathologyRequest,
    PathwayEvent,
    RcpCase,
    Referral,
    ReferralDocument,
    Resource,
    ScreeningRecord,
    Slot,
    SubmissionThrottle,
    TeamContact,
)
from parcours.fasttrack.pathways import EXAMS, PATHWAYS
from parcours.notifications.services import notification_enqueue
from parcours.patients import ins as ins_rules
from parcours.patients.access import patients_visible_to
from parcours.patients.models import Patient
from parcours.patients.services import PatientInput, patient_create
from parcours.patients.timeline import timeline_record
from parcours.screening import scoring

RATE_LIMIT_PER_HOUR = 10
MIN_FILL_SECONDS = 3
MAX_FILL_SECONDS = 4 * 3600
DISCHARGE_ANSWER_HOURS = 48
# Seed 004 fiche 5: non-contributive biopsy reported by D+2/D+3, intermediate result by D+4.
NOTICE_DAYS = 3
INTERMEDIATE_DAYS = 4
FINAL_DAYS = 10


def _fr(text: str) -> str:
    """E-mail subjects stay in French (the bodies are French templates), whatever the sender's language."""
    return text


class RateLimited(Forbidden):
    code = "rate_limited"


def _en() -> bool:
    return (get_language() or "fr").startswith("en")


def _require(actor: User | None, perm: str, message: str) -> User:
    if actor is None or not has_perm(actor, perm):
        raise Forbidden(message)
    return actor


def _coordinator(actor: User | None) -> User:
    return _require(actor, "fasttrack.coordinate", _("Votre rôle ne permet pas de coordonner les demandes."))


def _slot_manager(actor: User | None) -> User:
    return _require(actor, "slots.manage", _("Votre rôle ne permet pas de gérer les créneaux."))


def _event(referral: Referral, kind: str, at: dt.datetime) -> None:
    PathwayEvent.objects.create(referral=referral, pathway=referral.pathway, kind=kind, at=at)


def _bump(referral: Referral, expected_version: int | None) -> None:
    if expected_version is not None and referral.version != expected_version:
        raise StaleEdit(_("La demande a été modifiée entre-temps : rechargez la page."))
    referral.version += 1


def _locked(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().get(pk=referral.pk)


# ---------------------------------------------------------------- referrals: intake (guichet unique) ----


@dataclass
class ReferralInput:
    pathway: str
    referrer_name: str
    patient_birth_name: str
    patient_given_names: str
    patient_birth_date: dt.date | None
    urgency: str = Urgency.RAPID
    referrer_kind: str = ReferrerKind.GP
    referrer_rpps: str = ""
    referrer_email: str = ""
    referrer_phone: str = ""
    patient_sex: str = ""
    patient_ins: str = ""
    patient_phone: str = ""
    patient_email: str = ""
    patient_postcode: str = ""
    first_symptoms_date: dt.date | None = None
    exams_done: list[str] = field(default_factory=list)
    exams_note: str = ""
    suspicion: str = ""

    def as_mapping(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def validate_referral(data: ReferralInput, documents: Sequence[Upload] = ()) -> dict[str, list[str]]:
    """Field errors that stop a referral from being saved (completeness is separate: it never blocks)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, msg: str) -> None:
        errors.setdefault(name, []).append(msg)

    if data.pathway not in PATHWAYS:
        add("pathway", _("Filière inconnue."))
    if not data.referrer_name.strip():
        add("referrer_name", _("Indiquez votre nom : le coordinateur doit pouvoir vous rappeler."))
    if not data.referrer_email.strip() and not data.referrer_phone.strip():
        add("referrer_email", _("Indiquez au moins un courriel ou un téléphone pour la réponse."))
    if data.referrer_email and "@" not in data.referrer_email:
        add("referrer_email", _("Adresse de courriel invalide."))
    if data.referrer_kind not in ReferrerKind.values:
        add("referrer_kind", _("Type d'adresseur inconnu."))
    if data.referrer_rpps and (not data.referrer_rpps.isdigit() or len(data.referrer_rpps) != 11):
        add("referrer_rpps", _("Le numéro RPPS compte 11 chiffres."))
    if not data.patient_birth_name.strip():
        add("patient_birth_name", _("Le nom du patient est obligatoire."))
    if not data.patient_given_names.strip():
        add("patient_given_names", _("Le prénom du patient est obligatoire."))
    today = clock.today()
    if data.patient_birth_date is None:
        add("patient_birth_date", _("La date de naissance du patient est obligatoire."))
    elif data.patient_birth_date > today or data.patient_birth_date.year < 1900:
        add("patient_birth_date", _("Date de naissance invraisemblable."))
    if data.patient_sex and data.patient_sex not in {"F", "M", "I"}:
        add("patient_sex", _("Sexe attendu : F, M ou I."))
    if data.patient_ins:
        problem = ins_rules.check_ins(data.patient_ins)
        if problem is not None:
            add("patient_ins", problem.message_en if _en() else problem.message_fr)
    if data.patient_postcode and (not data.patient_postcode.isdigit() or len(data.patient_postcode) != 5):
        add("patient_postcode", _("Le code postal compte 5 chiffres."))
    if data.first_symptoms_date is not None and data.first_symptoms_date > today:
        add("first_symptoms_date", _("La date des premiers symptômes est dans le futur."))
    if data.urgency not in Urgency.values:
        add("urgency", _("Urgence inconnue."))
    unknown = [e for e in data.exams_done if e not in EXAMS]
    if unknown:
        add("exams_done", _("Examen inconnu : %(e)s.") % {"e": ", ".join(unknown)})
    if len(documents) > uploads.MAX_FILES:
        add("documents", _("Au plus %(n)s documents.") % {"n": uploads.MAX_FILES})
    for i, doc in enumerate(documents):
        verdict = uploads.check_upload(doc.content)
        if not verdict.ok:
            add(
                "documents",
                f"{doc.filename or i + 1} : {verdict.reason_en if _en() else verdict.reason_fr}",
            )
    for name in ("suspicion", "exams_note"):
        if len(getattr(data, name)) > 5000:
            add(name, _("Texte trop long (5 000 caractères au plus)."))
    return errors


def throttle_hit(*, ip: str, limit: int = RATE_LIMIT_PER_HOUR) -> None:
    """Count one public submission from ``ip``; refuse beyond ``limit`` per hour (kept in the database)."""
    now = clock.now()
    with transaction.atomic():
        SubmissionThrottle.objects.filter(at__lt=now - dt.timedelta(hours=24)).delete()
        recent = SubmissionThrottle.objects.filter(ip=ip, at__gte=now - dt.timedelta(hours=1)).count()
        if recent >= limit:
            audit_record(
                actor=None, action="denied", object_type="referral", detail={"reason": "rate_limited"}
            )
            raise RateLimited(_("Trop de demandes envoyées depuis cette adresse : réessayez dans une heure."))
        SubmissionThrottle.objects.create(ip=ip, at=now)


def name_key(name: str) -> str:
    """``"Lefèvre-Dupont "`` → ``"lefevredupont"``: how two spellings of one birth name are compared."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))[:100]


def _duplicate_of(data: ReferralInput) -> Referral | None:
    q = Q(patient_name_key=name_key(data.patient_birth_name), patient_birth_date=data.patient_birth_date)
    if data.patient_ins:
        q |= Q(patient_ins=ins_rules.normalise(data.patient_ins))
    return (
        Referral.objects.filter(q)
        .exclude(status__in=[ReferralStatus.REDIRECTED, ReferralStatus.DUPLICATE])
        .order_by("received_at")
        .first()
    )


def _refresh_completeness(referral: Referral) -> None:
    data = {f: getattr(referral, f) for f in ReferralInput.__dataclass_fields__}
    docs = referral.documents.count() if referral.pk else 0
    missing = completeness.missing_items(referral.pathway, data, documents=docs)
    referral.missing = [m.field for m in missing]
    referral.completeness = completeness.completeness_percent(referral.pathway, data, documents=docs)


@transaction.atomic
def referral_submit(
    *,
    actor: User | None,
    data: ReferralInput,
    documents: Sequence[Upload] = (),
    source: str = Source.WEB,
    client_ip: str | None = None,
) -> Referral:
    """Save a referral from the public form (``actor`` None), software (API) or the phone (coordinator).

    Invalid input or a refused document: ``ValidationFailed``, nothing saved. Incomplete is allowed (the
    coordinator asks for what is missing); a probable duplicate is flagged, never dropped.
    """
    errors = validate_referral(data, documents)
    if errors:
        raise ValidationFailed(
            _("La demande n'a pas été envoyée : corrigez les champs signalés."), field_errors=errors
        )
    assert data.patient_birth_date is not None
    now = clock.now()
    spec = PATHWAYS[data.pathway]
    duplicate = _duplicate_of(data)
    referral = Referral(
        **{k: v for k, v in data.as_mapping().items() if k != "exams_done"},
        exams_done=sorted(set(data.exams_done)),
        received_at=now,
        source=source,
        priority=URGENCY_RANK[Urgency(data.urgency)],
        referrer_user=actor,
        duplicate_of=duplicate,
        answer_hours=spec.answer_hours if data.urgency != Urgency.STANDARD else spec.answer_hours * 2,
        client_ip=client_ip,
    )
    referral.patient_ins = ins_rules.normalise(data.patient_ins) if data.patient_ins else ""
    referral.patient_birth_name = data.patient_birth_name.strip()
    referral.patient_given_names = data.patient_given_names.strip()
    referral.patient_name_key = name_key(referral.patient_birth_name)
    referral.save()
    for doc in documents:
        verdict = uploads.check_upload(doc.content)
        ReferralDocument.objects.create(
            referral=referral,
            filename=(doc.filename or f"document.{verdict.extension}")[:200],
            content_type=verdict.content_type,
            size=len(doc.content),
            sha256=hashlib.sha256(doc.content).hexdigest(),
            content=doc.content,
        )
    _refresh_completeness(referral)
    referral.save(update_fields=["missing", "completeness"])
    _event(referral, EventKind.RECEIVED, now)
    audit_record(
        actor=actor,
        action="create",
        object_type="referral",
        object_id=str(referral.external_id),
        detail={"source": source, "pathway": referral.pathway, "duplicate": bool(duplicate)},
    )
    if referral.referrer_email:
        body = render_to_string("fasttrack/mail/acknowledgement.txt", {"r": referral, "pathway": spec})
        notification_enqueue(
            channel="email",
            to=referral.referrer_email,
            subject=_fr("Demande reçue — parcours diagnostique rapide"),
            body=body,
            idempotency_key=f"ft-ack-{referral.external_id}",
            actor=actor,
        )
    return referral


def documents_add(*, actor: User, referral: Referral, documents: Sequence[Upload]) -> None:
    """Coordinator adds documents received later (same checks as the public form)."""
    _coordinator(actor)
    errors: dict[str, list[str]] = {}
    for doc in documents:
        verdict = uploads.check_upload(doc.content)
        if not verdict.ok:
            errors.setdefault("documents", []).append(
                f"{doc.filename} : {verdict.reason_en if _en() else verdict.reason_fr}"
            )
    if errors:
        raise ValidationFailed(_("Document refusé."), field_errors=errors)
    with transaction.atomic():
        for doc in documents:
            verdict = uploads.check_upload(doc.content)
            ReferralDocument.objects.create(
                referral=referral,
                filename=doc.filename[:200],
                content_type=verdict.content_type,
                size=len(doc.content),
                sha256=hashlib.sha256(doc.content).hexdigest(),
                content=doc.content,
            )
        _refresh_completeness(referral)
        referral.save(update_fields=["missing", "completeness"])
        audit_record(
            actor=actor, action="update", object_type="referral", object_id=str(referral.external_id)
        )


# ---------------------------------------------------------------- referrals: coordinator's decisions ----


@transaction.atomic
def referral_assign(*, actor: User, referral: Referral, assignee: User | None) -> Referral:
    _coordinator(actor)
    if assignee is not None and not has_perm(assignee, "fasttrack.coordinate"):
        raise ValidationFailed(
            _("Cette personne ne coordonne pas les demandes."),
            field_errors={"assignee": [_("Coordinateur attendu.")]},
        )
    referral = _locked(referral)
    referral.assigned_to = assignee
    referral.version += 1
    referral.save(update_fields=["assigned_to", "version", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        object_type="referral",
        object_id=str(referral.external_id),
        detail={"assigned_to": assignee.username if assignee else None},
    )
    return referral


@transaction.atomic
def referral_update(*, actor: User, referral: Referral, changes: dict[str, Any]) -> Referral:
    """The coordinator completes a request (information received by phone or mail)."""
    _coordinator(actor)
    referral = _locked(referral)
    allowed = set(ReferralInput.__dataclass_fields__) - {"pathway"}
    bad = set(changes) - allowed
    if bad:
        raise ValidationFailed(
            _("Champ non modifiable."), field_errors={b: [_("Non modifiable.")] for b in bad}
        )
    current = ReferralInput(**{f: getattr(referral, f) for f in ReferralInput.__dataclass_fields__})
    for k, v in changes.items():
        setattr(current, k, v)
    errors = validate_referral(current)
    if errors:
        raise ValidationFailed(_("Demande non modifiée : corrigez les champs signalés."), field_errors=errors)
    for k, v in changes.items():
        setattr(referral, k, v)
    referral.patient_name_key = name_key(referral.patient_birth_name)
    if "patient_ins" in changes and referral.patient_ins:
        referral.patient_ins = ins_rules.normalise(referral.patient_ins)
    if "urgency" in changes:
        referral.priority = URGENCY_RANK[Urgency(referral.urgency)]
    if referral.status == ReferralStatus.INFO_REQUESTED:
        referral.status = ReferralStatus.NEW
    _refresh_completeness(referral)
    referral.version += 1
    referral.save()
    audit_record(
        actor=actor,
        action="update",
        object_type="referral",
        object_id=str(referral.external_id),
        detail={"fields": sorted(changes)},
    )
    return referral


@transaction.atomic
def referral_request_info(*, actor: User, referral: Referral, message: str) -> Referral:
    """Ask the referrer for what is missing (e-mail through the outbox)."""
    _coordinator(actor)
    referral = _locked(referral)
    if referral.status not in OPEN_STATUSES:
        raise Conflict(_("La demande est déjà traitée."))
    if not referral.referrer_email:
        raise ValidationFailed(
            _("L'adresseur n'a pas laissé de courriel : appelez-le au %(p)s.")
            % {"p": referral.referrer_phone},
            field_errors={"referrer_email": [_("Courriel absent.")]},
        )
    if not message.strip():
        raise ValidationFailed(_("Écrivez ce qui manque."), field_errors={"message": [_("Obligatoire.")]})
    now = clock.now()
    referral.status = ReferralStatus.INFO_REQUESTED
    referral.info_requested_at = now
    referral.info_request_text = message.strip()
    referral.version += 1
    referral.save()
    body = render_to_string(
        "fasttrack/mail/info_request.txt",
        {"r": referral, "message": message.strip(), "pathway": PATHWAYS[referral.pathway]},
    )
    notification_enqueue(
        channel="email",
        to=referral.referrer_email,
        subject=_fr("Demande d'informations complémentaires — parcours diagnostique rapide"),
        body=body,
        idempotency_key=f"ft-info-{referral.external_id}-{referral.version}",
        actor=actor,
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="referral",
        object_id=str(referral.external_id),
        detail={"status": referral.status},
    )
    return referral


def _patient_for(actor: User, referral: Referral) -> Patient:
    if referral.patient_ins:
        existing = Patient.objects.filter(ins=referral.patient_ins).first()
        if existing is not None:
            if not patients_visible_to(user=actor).filter(pk=existing.pk).exists():
                raise Conflict(
                    _(
                        "Un dossier patient porte déjà cet INS : demandez à son équipe de soins de vous "
                        "ajouter, puis acceptez la demande."
                    )
                )
            return existing
    same = (
        patients_visible_to(user=actor)
        .filter(birth_name__iexact=referral.patient_birth_name, birth_date=referral.patient_birth_date)
        .filter(given_names__iexact=referral.patient_given_names)
        .first()
    )
    if same is not None:
        return same
    return patient_create(
        actor=actor,
        data=PatientInput(
            birth_name=referral.patient_birth_name,
            given_names=referral.patient_given_names,
            sex=referral.patient_sex or "I",
            birth_date=referral.patient_birth_date,
            ins=referral.patient_ins,
            postcode=referral.patient_postcode,
            phone=referral.patient_phone,
            email=referral.patient_email,
            primary_diagnosis=referral.suspicion[:200],
        ),
    )


@transaction.atomic
def referral_accept(*, actor: User, referral: Referral, expected_version: int | None = None) -> Referral:
    """Accept into the fast-track pathway: the patient record is created (or the existing one linked)."""
    _coordinator(actor)
    referral = _locked(referral)
    if referral.status not in OPEN_STATUSES:
        raise Conflict(_("La demande est déjà traitée (%(s)s).") % {"s": referral.get_status_display()})
    _bump(referral, expected_version)
    patient = _patient_for(actor, referral)
    now = clock.now()
    referral.patient = patient
    referral.status = ReferralStatus.ACCEPTED
    referral.decided_at = now
    referral.decided_by = actor
    if referral.assigned_to is None:
        referral.assigned_to = actor
    referral.save()
    timeline_record(
        patient=patient,
        actor=actor,
        kind="fasttrack.accepted",
        data={"pathway": PATHWAYS[referral.pathway].label_fr, "referral": str(referral.external_id)},
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="referral",
        object_id=str(referral.external_id),
        patient_id=patient.pk,
        detail={"status": "accepted"},
    )
    gp_notify(actor=actor, referral=referral, event=GpEvent.ADMISSION)
    return referral


@transaction.atomic
def referral_redirect(*, actor: User, referral: Referral, reason: str, duplicate: bool = False) -> Referral:
    """Send the request elsewhere (other pathway, ordinary consultation) or close it as a duplicate."""
    _coordinator(actor)
    referral = _locked(referral)
    if referral.status not in OPEN_STATUSES:
        raise Conflict(_("La demande est déjà traitée (%(s)s).") % {"s": referral.get_status_display()})
    if not reason.strip():
        raise ValidationFailed(
            _("Donnez la raison à l'adresseur."), field_errors={"reason": [_("Obligatoire.")]}
        )
    referral.status = ReferralStatus.DUPLICATE if duplicate else ReferralStatus.REDIRECTED
    referral.redirect_reason = reason.strip()
    referral.decided_at = clock.now()
    referral.decided_by = actor
    referral.version += 1
    referral.save()
    audit_record(
        actor=actor,
        action="update",
        object_type="referral",
        object_id=str(referral.external_id),
        detail={"status": referral.status},
    )
    if referral.referrer_email and not duplicate:
        notification_enqueue(
            channel="email",
            to=referral.referrer_email,
            subject=_fr("Votre demande a été réorientée — parcours diagnostique rapide"),
            body=render_to_string("fasttrack/mail/redirected.txt", {"r": referral}),
            idempotency_key=f"ft-redirect-{referral.external_id}",
            actor=actor,
        )
    return referral


# ---------------------------------------------------------------- resources, slots, bookings ----


@transaction.atomic
def resource_create(*, actor: User, name: str, kind: str, release_hours: int = 48) -> Resource:
    _slot_manager(actor)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Obligatoire.")]
    if kind not in ResourceKind.values:
        errors["kind"] = [_("Type de ressource inconnu.")]
    if not 0 <= release_hours <= 24 * 14:
        errors["release_hours"] = [_("Entre 0 et 336 heures.")]
    if errors:
        raise ValidationFailed(_("Ressource non créée."), field_errors=errors)
    resource = Resource.objects.create(name=name.strip(), kind=kind, release_hours=release_hours)
    audit_record(actor=actor, action="create", object_type="resource", object_id=str(resource.external_id))
    return resource


@transaction.atomic
def resource_set_release_hours(*, actor: User, resource: Resource, release_hours: int) -> Resource:
    _slot_manager(actor)
    if not 0 <= release_hours <= 24 * 14:
        raise ValidationFailed(
            _("Délai de libération invalide."), field_errors={"release_hours": [_("Entre 0 et 336 heures.")]}
        )
    resource.release_hours = release_hours
    resource.save(update_fields=["release_hours", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        object_type="resource",
        object_id=str(resource.external_id),
        detail={"release_hours": release_hours},
    )
    return resource


@transaction.atomic
def slots_create(
    *,
    actor: User,
    resource: Resource,
    first_day: dt.date,
    days: int,
    times: Sequence[dt.time],
    minutes: int,
    pathway: str = "",
    emergency: bool = False,
    weekdays: Sequence[int] = (0, 1, 2, 3, 4),
) -> int:
    """Open slots on a resource: every ``weekdays`` day from ``first_day`` for ``days`` days, at ``times``."""
    _slot_manager(actor)
    errors: dict[str, list[str]] = {}
    if pathway and pathway not in PATHWAYS:
        errors["pathway"] = [_("Filière inconnue.")]
    if not 1 <= days <= 366:
        errors["days"] = [_("Entre 1 et 366 jours.")]
    if not 5 <= minutes <= 480:
        errors["minutes"] = [_("Entre 5 et 480 minutes.")]
    if not times:
        errors["times"] = [_("Au moins une heure.")]
    if errors:
        raise ValidationFailed(_("Créneaux non créés."), field_errors=errors)
    tz = timezone.get_current_timezone()
    existing = set(
        Slot.objects.filter(
            resource=resource,
            start__gte=dt.datetime.combine(first_day, dt.time.min, tzinfo=tz),
            start__lt=dt.datetime.combine(first_day + dt.timedelta(days=days), dt.time.min, tzinfo=tz),
        ).values_list("start", flat=True)
    )
    rows = []
    for d in range(days):
        day = first_day + dt.timedelta(days=d)
        if day.weekday() not in weekdays:
            continue
        for t in times:
            start = dt.datetime.combine(day, t, tzinfo=tz)
            if start in existing:
                continue
            rows.append(
                Slot(
                    resource=resource,
                    start=start,
                    day=day,
                    end=start + dt.timedelta(minutes=minutes),
                    pathway=pathway,
                    emergency=emergency,
                )
            )
    Slot.objects.bulk_create(rows, batch_size=1000)
    audit_record(
        actor=actor,
        action="create",
        object_type="slot",
        object_id=str(resource.external_id),
        detail={"count": len(rows), "pathway": pathway, "emergency": emergency},
    )
    return len(rows)


def _live_booking() -> Exists:
    return Exists(Booking.objects.filter(slot=OuterRef("pk"), cancelled_at__isnull=True))


def slot_refusal(slot: Slot, referral: Referral, *, now: dt.datetime) -> str | None:
    """Why ``referral`` may not take ``slot`` (None: it may). Checked under the row lock."""
    if slot.status == SlotStatus.RELEASED:
        return _("Ce créneau a été libéré et rendu au service : il n'est plus réservable ici.")
    if slot.status != SlotStatus.OPEN or not slot.resource.active:
        return _("Ce créneau est fermé.")
    if slot.start <= now:
        return _("Ce créneau est passé.")
    if slot.pathway and slot.pathway != referral.pathway:
        return _("Ce créneau est réservé à une autre filière.")
    if slot.emergency and referral.urgency != Urgency.URGENT:
        return _("Les créneaux d'urgence partagés sont réservés aux demandes urgentes.")
    return None


def _book_locked(
    *, actor: User, slot: Slot, referral: Referral, diagnostic_day: DiagnosticDay | None, now: dt.datetime
) -> Booking:
    reason = slot_refusal(slot, referral, now=now)
    if reason:
        raise Conflict(reason)
    try:
        with transaction.atomic():  # savepoint: the unique constraint is the last line of defence
            return Booking.objects.create(
                slot=slot, referral=referral, diagnostic_day=diagnostic_day, booked_by=actor
            )
    except IntegrityError as exc:
        raise Conflict(_("Ce créneau vient d'être réservé par quelqu'un d'autre.")) from exc


def _bookable_referral(referral: Referral) -> Referral:
    referral = _locked(referral)
    if referral.status not in (ReferralStatus.ACCEPTED, ReferralStatus.SCHEDULED):
        raise Conflict(_("Acceptez d'abord la demande pour réserver des créneaux."))
    return referral


def _refresh_booking_events(referral: Referral) -> None:
    """The first visit, imaging and biopsy dates follow the live bookings."""
    PathwayEvent.objects.filter(
        referral=referral, kind__in=[EventKind.FIRST_VISIT, EventKind.IMAGING, EventKind.BIOPSY]
    ).delete()
    live = Booking.objects.filter(referral=referral, cancelled_at__isnull=True).select_related(
        "slot__resource"
    )
    firsts: dict[EventKind, dt.datetime] = {}
    for b in live:
        k = b.slot.resource.kind
        kind = (
            EventKind.FIRST_VISIT
            if k in CONSULT_KINDS
            else EventKind.IMAGING
            if k in IMAGING_KINDS
            else EventKind.BIOPSY
        )
        if kind not in firsts or b.slot.start < firsts[kind]:
            firsts[kind] = b.slot.start
    for event_kind, at in firsts.items():
        _event(referral, event_kind, at)


@transaction.atomic
def slot_book(*, actor: User, slot_id: int, referral: Referral) -> Booking:
    """Book one slot for an accepted referral. Concurrency-safe: row lock, then the unique constraint."""
    _slot_manager(actor)
    referral = _bookable_referral(referral)
    slot = Slot.objects.select_for_update().select_related("resource").filter(pk=slot_id).first()
    if slot is None:
        raise NotFound(_("Créneau introuvable."))
    booking = _book_locked(actor=actor, slot=slot, referral=referral, diagnostic_day=None, now=clock.now())
    if referral.status == ReferralStatus.ACCEPTED:
        referral.status = ReferralStatus.SCHEDULED
        referral.save(update_fields=["status", "updated_at"])
    _refresh_booking_events(referral)
    audit_record(
        actor=actor,
        action="create",
        object_type="booking",
        object_id=str(booking.external_id),
        patient_id=referral.patient_id,
        detail={"slot": str(slot.external_id)},
    )
    return booking


@transaction.atomic
def booking_cancel(*, actor: User, booking: Booking) -> Booking:
    _slot_manager(actor)
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.cancelled_at is not None:
        raise Conflict(_("Réservation déjà annulée."))
    booking.cancelled_at = clock.now()
    booking.save(update_fields=["cancelled_at", "updated_at"])
    _refresh_booking_events(booking.referral)
    audit_record(
        actor=actor,
        action="delete",
        object_type="booking",
        object_id=str(booking.external_id),
        patient_id=booking.referral.patient_id,
    )
    return booking


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class StepPlan:
    day: int
    kind: str


def template_steps(template: DayTemplate) -> list[StepPlan]:
    steps = []
    for i, raw in enumerate(template.steps):
        if not isinstance(raw, dict) or raw.get("kind") not in ResourceKind.values:
            raise ValidationFailed(
                _("Modèle de journée invalide (étape %(i)s).") % {"i": i + 1},
                field_errors={f"steps[{i}]": [_("Type de ressource inconnu.")]},
            )
        day = raw.get("day", 1)
        if not isinstance(day, int) or not 1 <= day <= 14:
            raise ValidationFailed(
                _("Modèle de journée invalide (étape %(i)s).") % {"i": i + 1},
                field_errors={f"steps[{i}]": [_("Jour entre 1 et 14.")]},
            )
        steps.append(StepPlan(day=day, kind=str(raw["kind"])))
    if not steps:
        raise ValidationFailed(_("Le modèle n'a aucune étape."), field_errors={"steps": [_("Vide.")]})
    return steps


@transaction.atomic
def day_template_create(*, actor: User, name: str, pathway: str, steps: list[dict[str, Any]]) -> DayTemplate:
    _slot_manager(actor)
    if pathway and pathway not in PATHWAYS:
        raise ValidationFailed(_("Filière inconnue."), field_errors={"pathway": [_("Filière inconnue.")]})
    template = DayTemplate(name=name.strip() or _("Journée diagnostique"), pathway=pathway, steps=steps)
    template_steps(template)
    template.save()
    audit_record(
        actor=actor, action="create", object_type="day_template", object_id=str(template.external_id)
    )
    return template


def _rank(slot: Slot, referral: Referral) -> tuple[int, dt.datetime]:
    # Sanctuarised for this pathway first, then the shared pool, then the emergency slots.
    if slot.pathway == referral.pathway:
        return (0, slot.start)
    if slot.emergency:
        return (2, slot.start)
    return (1, slot.start)


@transaction.atomic
def diagnostic_day_book(
    *, actor: User, referral: Referral, template: DayTemplate, first_day: dt.date
) -> DiagnosticDay:
    """Book every step of a diagnostic-day template in one transaction (all or nothing).

    Each step takes the earliest free slot of its kind on its day, after the previous step of that day,
    preferring the pathway's sanctuarised slots. Then the referrer (GP) is told the appointments.
    """
    _slot_manager(actor)
    referral = _bookable_referral(referral)
    steps = template_steps(template)
    now = clock.now()
    if first_day < timezone.localdate(now):
        raise ValidationFailed(_("La journée est passée."), field_errors={"first_day": [_("Date passée.")]})
    dday = DiagnosticDay.objects.create(
        referral=referral, template=template, first_day=first_day, booked_by=actor
    )
    after: dict[int, dt.datetime] = {}
    booked: list[Booking] = []
    for step in steps:
        day = first_day + dt.timedelta(days=step.day - 1)
        lower = max(after.get(step.day, _day_start(day)), now)
        candidates = list(
            Slot.objects.select_for_update(skip_locked=True)
            .select_related("resource")
            .filter(
                resource__kind=step.kind,
                resource__active=True,
                status=SlotStatus.OPEN,
                start__gte=lower,
                start__lt=_day_start(day + dt.timedelta(days=1)),
            )
            .filter(Q(pathway="") | Q(pathway=referral.pathway))
            .exclude(_live_booking())
            .exclude(pk__in=[b.slot_id for b in booked])
            .order_by("start")[:50]
        )
        candidates = [s for s in candidates if slot_refusal(s, referral, now=now) is None]
        candidates.sort(key=lambda s: _rank(s, referral))
        booking = None
        for slot in candidates:
            try:
                booking = _book_locked(
                    actor=actor, slot=slot, referral=referral, diagnostic_day=dday, now=now
                )
                break
            except Conflict:
                continue
        if booking is None:
            raise Conflict(
                _("Pas de créneau libre « %(kind)s » le %(day)s : rien n'a été réservé.")
                % {"kind": ResourceKind(step.kind).label, "day": day.strftime("%d/%m/%Y")}
            )
        booked.append(booking)
        after[step.day] = booking.slot.end
    referral.status = ReferralStatus.SCHEDULED
    referral.version += 1
    referral.save(update_fields=["status", "version", "updated_at"])
    _refresh_booking_events(referral)
    audit_record(
        actor=actor,
        action="create",
        object_type="diagnostic_day",
        object_id=str(dday.external_id),
        patient_id=referral.patient_id,
        detail={"bookings": [str(b.slot.external_id) for b in booked]},
    )
    if referral.patient is not None:
        timeline_record(
            patient=referral.patient,
            actor=actor,
            kind="fasttrack.diagnostic_day",
            data={"first_day": first_day.isoformat(), "steps": len(booked)},
        )
    gp_notify(
        actor=actor,
        referral=referral,
        event=GpEvent.APPOINTMENTS,
        context={"bookings": booked},
        key_suffix=str(dday.external_id),
    )
    return dday


def slots_release_due(*, now: dt.datetime | None = None) -> int:
    """Give back the sanctuarised slots still free N hours before they start (N per resource). Idempotent."""
    now = now or clock.now()
    released = 0
    for resource in Resource.objects.filter(active=True).only("pk", "release_hours"):
        with transaction.atomic():
            due = (
                Slot.objects.filter(
                    resource=resource,
                    status=SlotStatus.OPEN,
                    start__lte=now + dt.timedelta(hours=resource.release_hours),
                )
                .exclude(pathway="")
                .exclude(_live_booking())
            )
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True))
            if ids:
                released += (
                    Slot.objects.filter(pk__in=ids, status=SlotStatus.OPEN)
                    .exclude(_live_booking())
                    .update(status=SlotStatus.RELEASED, released_at=now)
                )
    if released:
        audit_record(actor=None, action="update", object_type="slot", detail={"released": released})
    return released


# ---------------------------------------------------------------- pathology ----


@transaction.atomic
def pathology_request_create(
    *,
    actor: User,
    referral: Referral,
    sample_site: str,
    smoker: bool | None = None,
    metastatic: bool | None = None,
    context: str = DiagnosisContext.FIRST,
    molecular_tests: str = "",
    clinical_note: str = "",
) -> PathologyRequest:
    """The enriched request (seed 004 fiche 5): what the pathologist needs to answer fast."""
    _coordinator(actor)
    if referral.patient is None:
        raise Conflict(_("Acceptez d'abord la demande."))
    errors: dict[str, list[str]] = {}
    if not sample_site.strip():
        errors["sample_site"] = [_("Indiquez le site du prélèvement.")]
    if context not in DiagnosisContext.values:
        errors["context"] = [_("Premier diagnostic ou récidive.")]
    if errors:
        raise ValidationFailed(_("Demande d'anatomopathologie non créée."), field_errors=errors)
    req = PathologyRequest.objects.create(
        referral=referral,
        patient=referral.patient,
        sample_site=sample_site.strip(),
        smoker=smoker,
        metastatic=metastatic,
        context=context,
        molecular_tests=molecular_tests.strip(),
        clinical_note=clinical_note.strip(),
        requested_by=actor,
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="pathology_request",
        object_id=str(req.external_id),
        patient_id=req.patient_id,
    )
    timeline_record(
        patient=req.patient, actor=actor, kind="fasttrack.pathology_requested", data={"site": req.sample_site}
    )
    return req


@transaction.atomic
def pathology_sample_sent(
    *, actor: User, request: PathologyRequest, at: dt.datetime | None = None
) -> PathologyRequest:
    _coordinator(actor)
    req = PathologyRequest.objects.select_for_update().get(pk=request.pk)
    if req.status != PathologyStatus.REQUESTED:
        raise Conflict(_("Le prélèvement est déjà envoyé."))
    sent = at or clock.now()
    if sent > clock.now() + dt.timedelta(minutes=2):
        raise ValidationFailed(_("Date dans le futur."), field_errors={"at": [_("Date dans le futur.")]})
    req.sample_sent_at = sent
    req.status = PathologyStatus.SENT
    req.save(update_fields=["sample_sent_at", "status", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        object_type="pathology_request",
        object_id=str(req.external_id),
        patient_id=req.patient_id,
        detail={"status": "sent"},
    )
    return req


def identity_matches(patient: Patient, *, ins: str, birth_name: str, birth_date: dt.date | None) -> bool:
    """The identity printed on a pathology report must be the patient's (INS when both have one)."""
    if ins and patient.ins:
        return ins_rules.normalise(ins) == patient.ins
    return (
        birth_date is not None
        and birth_date == patient.birth_date
        and birth_name.strip().casefold() == patient.birth_name.strip().casefold()
    )


@transaction.atomic
def pathology_report(
    *,
    actor: User,
    request: PathologyRequest,
    stage: str,
    text: str,
    report_ins: str = "",
    report_birth_name: str = "",
    report_birth_date: dt.date | None = None,
) -> PathologyRequest:
    """Attach a pathology result — only once the identity on the report matches the patient."""
    _coordinator(actor)
    req = (
        PathologyRequest.objects.select_for_update().select_related("patient", "referral").get(pk=request.pk)
    )
    if stage not in {"non_contributive", "contributive", "intermediate", "final"}:
        raise ValidationFailed(_("Étape inconnue."), field_errors={"stage": [_("Étape inconnue.")]})
    if req.sample_sent_at is None:
        raise Conflict(_("Le prélèvement n'est pas encore envoyé."))
    if req.status == PathologyStatus.FINAL:
        raise Conflict(_("Le résultat définitif est déjà enregistré."))
    if not identity_matches(
        req.patient, ins=report_ins, birth_name=report_birth_name, birth_date=report_birth_date
    ):
        audit_record(
            actor=actor,
            action="denied",
            object_type="pathology_request",
            object_id=str(req.external_id),
            patient_id=req.patient_id,
            detail={"reason": "identity_mismatch"},
        )
        raise ValidationFailed(
            _("L'identité du compte rendu ne correspond pas au patient : rien n'a été rattaché."),
            field_errors={"identity": [_("Identité différente de celle du patient.")]},
        )
    if stage != "contributive" and not text.strip():
        raise ValidationFailed(
            _("Le texte du résultat est vide."), field_errors={"text": [_("Obligatoire.")]}
        )
    now = clock.now()
    if stage == "non_contributive":
        req.non_contributive_at = now
        req.status = PathologyStatus.NON_CONTRIBUTIVE
        req.intermediate_text = text.strip()
        CoordinatorTask.objects.get_or_create(
            key=f"patho-rebiopsy-{req.pk}",
            defaults={
                "kind": TaskKind.PATHOLOGY_OVERDUE,
                "title": _("Biopsie non contributive : reprogrammer un prélèvement pour %(p)s")
                % {"p": req.patient.display_name},
                "referral": req.referral,
                "patient": req.patient,
                "due_at": now + dt.timedelta(days=1),
            },
        )
    elif stage == "contributive":
        req.contributive_confirmed_at = now
    elif stage == "intermediate":
        req.intermediate_at = now
        req.intermediate_text = text.strip()
        req.status = PathologyStatus.INTERMEDIATE
        if req.contributive_confirmed_at is None:
            req.contributive_confirmed_at = now
    else:
        req.final_at = now
        req.final_text = text.strip()
        req.status = PathologyStatus.FINAL
        if req.contributive_confirmed_at is None:
            req.contributive_confirmed_at = now
        _event(req.referral, EventKind.PATHOLOGY_RESULT, now)
    req.save()
    CoordinatorTask.objects.filter(key__startswith=f"patho-{req.pk}-", done_at__isnull=True).filter(
        key__in=_satisfied_keys(req)
    ).update(done_at=now)
    audit_record(
        actor=actor,
        action="update",
        object_type="pathology_request",
        object_id=str(req.external_id),
        patient_id=req.patient_id,
        detail={"stage": stage},
    )
    timeline_record(
        patient=req.patient, actor=actor, kind="fasttrack.pathology_result", data={"stage": stage}
    )
    return req


def _satisfied_keys(req: PathologyRequest) -> list[str]:
    keys = []
    if req.contributive_confirmed_at or req.non_contributive_at:
        keys.append(f"patho-{req.pk}-notice")
    if req.intermediate_at or req.final_at:
        keys.append(f"patho-{req.pk}-intermediate")
    if req.final_at:
        keys.append(f"patho-{req.pk}-final")
    return keys


def pathology_overdue_scan(*, now: dt.datetime | None = None) -> int:
    """Coordinator tasks for late steps: notice by D+3, intermediate by D+4, final by D+10. Idempotent."""
    now = now or clock.now()
    created = 0
    pending = (
        PathologyRequest.objects.filter(sample_sent_at__isnull=False, final_at__isnull=True)
        .exclude(status=PathologyStatus.NON_CONTRIBUTIVE)
        .select_related("patient", "referral")
    )
    for req in pending:
        assert req.sample_sent_at is not None
        checks = [
            (
                "notice",
                NOTICE_DAYS,
                req.contributive_confirmed_at is None and req.non_contributive_at is None,
                _("Anatomopathologie : caractère contributif non confirmé à J+%(d)s"),
            ),
            (
                "intermediate",
                INTERMEDIATE_DAYS,
                req.intermediate_at is None,
                _("Anatomopathologie : résultat intermédiaire attendu à J+%(d)s"),
            ),
            ("final", FINAL_DAYS, True, _("Anatomopathologie : résultat définitif en retard (J+%(d)s)")),
        ]
        for name, days, missing, title in checks:
            due = req.sample_sent_at + dt.timedelta(days=days)
            if missing and now >= due:
                _task, made = CoordinatorTask.objects.get_or_create(
                    key=f"patho-{req.pk}-{name}",
                    defaults={
                        "kind": TaskKind.PATHOLOGY_OVERDUE,
                        "title": f"{title % {'d': days}} — {req.patient.display_name}",
                        "referral": req.referral,
                        "patient": req.patient,
                        "due_at": due,
                    },
                )
                created += int(made)
    return created


@transaction.atomic
def task_done(*, actor: User, task: CoordinatorTask) -> CoordinatorTask:
    _coordinator(actor)
    task = CoordinatorTask.objects.select_for_update().get(pk=task.pk)
    if task.done_at is None:
        task.done_at = clock.now()
        task.done_by = actor
        task.save(update_fields=["done_at", "done_by", "updated_at"])
        audit_record(
            actor=actor, action="update", object_type="coordinator_task", object_id=str(task.external_id)
        )
    return task


# ---------------------------------------------------------------- RCP ----


def _rcp_manager(actor: User) -> User:
    return _require(actor, "rcp.manage", _("Votre rôle ne permet pas de préparer les RCP."))


@transaction.atomic
def rcp_case_create(*, actor: User, referral: Referral, meeting_date: dt.date, question: str = "") -> RcpCase:
    _rcp_manager(actor)
    if referral.patient is None:
        raise Conflict(_("Acceptez d'abord la demande."))
    if RcpCase.objects.filter(referral=referral, status=RcpStatus.TO_PRESENT).exists():
        raise Conflict(_("Ce dossier est déjà inscrit à une RCP."))
    case = RcpCase.objects.create(
        referral=referral, patient=referral.patient, meeting_date=meeting_date, question=question.strip()
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="rcp_case",
        object_id=str(case.external_id),
        patient_id=case.patient_id,
    )
    timeline_record(
        patient=case.patient,
        actor=actor,
        kind="fasttrack.rcp_registered",
        data={"meeting_date": meeting_date.isoformat()},
    )
    return case


@transaction.atomic
def rcp_decide(
    *, actor: User, case: RcpCase, decision: str, treatment_planned_on: dt.date | None = None
) -> RcpCase:
    _rcp_manager(actor)
    case = RcpCase.objects.select_for_update().select_related("referral", "patient").get(pk=case.pk)
    if case.status != RcpStatus.TO_PRESENT:
        raise Conflict(_("La décision est déjà enregistrée."))
    if not decision.strip():
        raise ValidationFailed(_("La décision est vide."), field_errors={"decision": [_("Obligatoire.")]})
    now = clock.now()
    case.decision = decision.strip()
    case.decided_at = now
    case.decided_by = actor
    case.treatment_planned_on = treatment_planned_on
    case.status = RcpStatus.DECIDED
    case.save()
    _event(case.referral, EventKind.RCP, now)
    audit_record(
        actor=actor,
        action="update",
        object_type="rcp_case",
        object_id=str(case.external_id),
        patient_id=case.patient_id,
        detail={"status": "decided"},
    )
    timeline_record(patient=case.patient, actor=actor, kind="fasttrack.rcp_decided")
    return case


@transaction.atomic
def rcp_transmit(*, actor: User, case: RcpCase, service_emails: Sequence[str] = ()) -> RcpCase:
    """Send the decision to the services concerned and to the GP (outbox)."""
    _rcp_manager(actor)
    case = RcpCase.objects.select_for_update().select_related("referral", "patient").get(pk=case.pk)
    if case.status == RcpStatus.TO_PRESENT:
        raise Conflict(_("Enregistrez d'abord la décision."))
    body = render_to_string("fasttrack/mail/rcp_decision.txt", {"case": case, "r": case.referral})
    for i, email in enumerate(e.strip() for e in service_emails if e.strip()):
        notification_enqueue(
            channel="email",
            to=email,
            subject=_fr("Décision de RCP — %(p)s") % {"p": case.patient.display_name},
            body=body,
            idempotency_key=f"ft-rcp-{case.external_id}-svc-{i}-{email}",
            patient_id=case.patient_id,
            actor=actor,
        )
    gp_notify(
        actor=actor,
        referral=case.referral,
        event=GpEvent.RCP_DECISION,
        context={"case": case},
        key_suffix=str(case.external_id),
    )
    case.status = RcpStatus.TRANSMITTED
    case.transmitted_at = clock.now()
    case.save(update_fields=["status", "transmitted_at", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        object_type="rcp_case",
        object_id=str(case.external_id),
        patient_id=case.patient_id,
        detail={"status": "transmitted"},
    )
    return case


@transaction.atomic
def treatment_start_record(*, actor: User, referral: Referral, on: dt.datetime) -> None:
    _coordinator(actor)
    PathwayEvent.objects.filter(referral=referral, kind=EventKind.TREATMENT_START).delete()
    _event(referral, EventKind.TREATMENT_START, on)
    audit_record(
        actor=actor,
        action="update",
        object_type="referral",
        object_id=str(referral.external_id),
        patient_id=referral.patient_id,
        detail={"treatment_start": on.isoformat()},
    )


@transaction.atomic
def er_readmission_record(*, actor: User, referral: Referral, at: dt.datetime) -> None:
    _coordinator(actor)
    _event(referral, EventKind.ER_READMISSION, at)
    audit_record(
        actor=actor,
        action="update",
        object_type="referral",
        object_id=str(referral.external_id),
        patient_id=referral.patient_id,
        detail={"er_readmission": at.isoformat()},
    )


# ---------------------------------------------------------------- GP information ----

_GP_SUBJECTS = {
    GpEvent.ADMISSION: "Votre patient(e) %(p)s est pris(e) en charge dans le parcours diagnostique rapide",
    GpEvent.TRANSFER: "Transfert de votre patient(e) %(p)s",
    GpEvent.DISCHARGE: "Sortie de votre patient(e) %(p)s",
    GpEvent.DEATH: "Décès de votre patient(e) %(p)s",
    GpEvent.FIRST_DAY_LETTER: "Courrier après la première journée diagnostique — %(p)s",
    GpEvent.APPOINTMENTS: "Rendez-vous programmés pour votre patient(e) %(p)s",
    GpEvent.RCP_DECISION: "Décision de la RCP pour votre patient(e) %(p)s",
}


def gp_notify(
    *,
    actor: User | None,
    referral: Referral,
    event: str,
    context: dict[str, Any] | None = None,
    key_suffix: str = "",
) -> GpMessage | None:
    """E-mail the referring doctor (template ``fasttrack/mail/gp_<event>.txt``, in French). Idempotent."""
    if not referral.referrer_email:
        return None
    kind = GpEvent(event)
    subject = _GP_SUBJECTS[kind] % {"p": referral.patient_display}
    body = render_to_string(
        f"fasttrack/mail/gp_{kind.value}.txt",
        {"r": referral, "pathway": PATHWAYS[referral.pathway], **(context or {})},
    )
    notification = notification_enqueue(
        channel="email",
        to=referral.referrer_email,
        subject=subject,
        body=body,
        idempotency_key=f"ft-gp-{referral.external_id}-{kind.value}-{key_suffix}"[:200],
        patient_id=referral.patient_id,
        actor=actor,
    )
    message, _made = GpMessage.objects.get_or_create(
        referral=referral,
        event=kind,
        notification_id=notification.pk,
        defaults={"to_email": referral.referrer_email, "subject": subject[:200], "sent_by": actor},
    )
    return message


@transaction.atomic
def gp_event_notify(*, actor: User, referral: Referral, event: str, note: str = "") -> GpMessage | None:
    """Admission, transfer, discharge or death, told to the GP by the coordinator's action."""
    _coordinator(actor)
    if event not in (GpEvent.ADMISSION, GpEvent.TRANSFER, GpEvent.DISCHARGE, GpEvent.DEATH):
        raise ValidationFailed(_("Événement inconnu."), field_errors={"event": [_("Événement inconnu.")]})
    if referral.patient is None:
        raise Conflict(_("Acceptez d'abord la demande."))
    if not referral.referrer_email:
        raise ValidationFailed(
            _("Le médecin adresseur n'a pas de courriel."),
            field_errors={"referrer_email": [_("Courriel absent.")]},
        )
    if event == GpEvent.DEATH:
        timeline_record(patient=referral.patient, actor=actor, kind="fasttrack.death_notified")
    return gp_notify(
        actor=actor,
        referral=referral,
        event=event,
        context={"note": note.strip()},
        key_suffix=clock.now().strftime("%Y%m%d%H%M%S"),
    )


def first_day_letters_send(*, now: dt.datetime | None = None) -> int:
    """The letter to the GP after the first diagnostic day (periodic job, once per diagnostic day)."""
    now = now or clock.now()
    today = timezone.localdate(now)
    sent = 0
    due = DiagnosticDay.objects.filter(first_day__lt=today, letter_sent_at__isnull=True).select_related(
        "referral"
    )
    for dday in due:
        with transaction.atomic():
            locked = DiagnosticDay.objects.select_for_update().get(pk=dday.pk)
            if locked.letter_sent_at is not None:
                continue
            bookings = list(
                locked.bookings.filter(cancelled_at__isnull=True)
                .select_related("slot__resource")
                .order_by("slot__start")
            )
            gp_notify(
                actor=None,
                referral=dday.referral,
                event=GpEvent.FIRST_DAY_LETTER,
                context={"bookings": bookings, "dday": locked},
                key_suffix=str(locked.external_id),
            )
            locked.letter_sent_at = now
            locked.save(update_fields=["letter_sent_at", "updated_at"])
            sent += 1
    return sent


# ---------------------------------------------------------------- screening ----


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@transaction.atomic
def screening_record(
    *,
    actor: User,
    patient: Patient,
    instrument: str,
    answers: object,
    referral: Referral | None = None,
) -> ScreeningRecord:
    """Score with the pure engine (``parcours.screening``); a positive result is routed to its team."""
    _require(actor, "screening.assess", _("Votre rôle ne permet pas de faire ce dépistage."))
    if instrument not in scoring.instrument_ids():
        raise ValidationFailed(_("Questionnaire inconnu."), field_errors={"instrument": [_("Inconnu.")]})
    if instrument == "g8" and _age(patient.birth_date, clock.today()) < 75:
        raise ValidationFailed(
            _("Le G8 concerne les patients de 75 ans et plus."),
            field_errors={"instrument": [_("Patient de moins de 75 ans.")]},
        )
    try:
        result = scoring.score(instrument, answers)
    except scoring.ScoreInputError as exc:
        raise ValidationFailed(
            _("Réponses invalides : rien n'a été enregistré."), field_errors={exc.item: [str(exc)]}
        ) from exc
    except scoring.ScoreError as exc:
        raise ValidationFailed(str(exc), field_errors={"answers": [str(exc)]}) from exc
    now = clock.now()
    record = ScreeningRecord.objects.create(
        patient=patient,
        referral=referral,
        instrument=instrument,
        answers=answers,
        score=result.score,
        positive=result.positive,
        applicable=result.applicable,
        route_to=result.route_to.id if result.route_to else "",
        result=result.as_dict(),
        assessed_by=actor,
        assessed_at=now,
    )
    if referral is not None and not referral.events.filter(kind=EventKind.SUPPORTIVE_ASSESSMENT).exists():
        _event(referral, EventKind.SUPPORTIVE_ASSESSMENT, now)
    if result.positive and result.route_to is not None:
        team = result.route_to
        CoordinatorTask.objects.create(
            kind=TaskKind.SCREENING_POSITIVE,
            key=f"screening-{record.external_id}",
            title=_("%(instrument)s positif pour %(p)s : orienter vers %(team)s")
            % {"instrument": instrument, "p": patient.display_name, "team": team.label.fr},
            team=team.id,
            referral=referral,
            patient=patient,
            due_at=now + dt.timedelta(days=2),
        )
        contact = TeamContact.objects.filter(team=team.id).first()
        if contact is not None:
            notification_enqueue(
                channel="email",
                to=contact.email,
                subject=_fr("Dépistage positif à prendre en charge — %(p)s") % {"p": patient.display_name},
                body=render_to_string(
                    "fasttrack/mail/screening_positive.txt",
                    {"patient": patient, "result": result, "record": record, "team": team.label.fr},
                ),
                idempotency_key=f"ft-screening-{record.external_id}",
                patient_id=patient.pk,
                actor=actor,
            )
    audit_record(
        actor=actor,
        action="create",
        object_type="screening",
        object_id=str(record.external_id),
        patient_id=patient.pk,
        detail={"instrument": instrument, "positive": result.positive},
    )
    timeline_record(
        patient=patient,
        actor=actor,
        kind="fasttrack.screening",
        data={"instrument": instrument, "score": result.score, "positive": result.positive},
    )
    return record


# ---------------------------------------------------------------- discharge coordination ----


@transaction.atomic
def discharge_refer(
    *, actor: User, referral: Referral, target: str, to_email: str, note: str = ""
) -> DischargeReferral:
    """A referral to PRADO, the CPTS or the DAC from its template, followed until answered."""
    _coordinator(actor)
    if referral.patient is None:
        raise Conflict(_("Acceptez d'abord la demande."))
    errors: dict[str, list[str]] = {}
    if target not in DischargeTarget.values:
        errors["target"] = [_("Destinataire inconnu.")]
    if "@" not in to_email:
        errors["to_email"] = [_("Adresse de courriel invalide.")]
    if errors:
        raise ValidationFailed(_("Demande de sortie non envoyée."), field_errors=errors)
    now = clock.now()
    patient = referral.patient
    body = render_to_string(
        f"fasttrack/mail/discharge_{target}.txt",
        {
            "r": referral,
            "patient": patient,
            "note": note.strip(),
            "age": _age(patient.birth_date, clock.today()),
        },
    )
    dis = DischargeReferral.objects.create(
        referral=referral,
        patient=patient,
        target=target,
        to_email=to_email.strip(),
        body=body,
        sent_at=now,
        answer_due_at=now + dt.timedelta(hours=DISCHARGE_ANSWER_HOURS),
        created_by=actor,
    )
    notification_enqueue(
        channel="email",
        to=dis.to_email,
        subject=_fr("Demande de coordination de sortie (%(t)s) — %(p)s")
        % {"t": DischargeTarget(target).label, "p": patient.display_name},
        body=body,
        idempotency_key=f"ft-discharge-{dis.external_id}",
        patient_id=patient.pk,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="discharge_referral",
        object_id=str(dis.external_id),
        patient_id=patient.pk,
        detail={"target": target},
    )
    timeline_record(
        patient=patient, actor=actor, kind="fasttrack.discharge_referral", data={"target": target}
    )
    return dis


@transaction.atomic
def discharge_answer(
    *, actor: User, discharge: DischargeReferral, accepted: bool, note: str = ""
) -> DischargeReferral:
    _coordinator(actor)
    dis = DischargeReferral.objects.select_for_update().get(pk=discharge.pk)
    if dis.answered_at is not None:
        raise Conflict(_("La réponse est déjà enregistrée."))
    dis.status = DischargeStatus.ACCEPTED if accepted else DischargeStatus.REFUSED
    dis.answered_at = clock.now()
    dis.answer_note = note.strip()
    dis.save()
    CoordinatorTask.objects.filter(key=f"discharge-{dis.pk}", done_at__isnull=True).update(
        done_at=dis.answered_at
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="discharge_referral",
        object_id=str(dis.external_id),
        patient_id=dis.patient_id,
        detail={"status": dis.status},
    )
    return dis


def discharge_overdue_scan(*, now: dt.datetime | None = None) -> int:
    now = now or clock.now()
    created = 0
    for dis in DischargeReferral.objects.filter(
        answered_at__isnull=True, answer_due_at__lte=now
    ).select_related("patient"):
        _t, made = CoordinatorTask.objects.get_or_create(
            key=f"discharge-{dis.pk}",
            defaults={
                "kind": TaskKind.DISCHARGE_FOLLOWUP,
                "title": _("Relancer %(t)s : pas de réponse pour %(p)s")
                % {"t": DischargeTarget(dis.target).label, "p": dis.patient.display_name},
                "referral_id": dis.referral_id,
                "patient": dis.patient,
                "due_at": dis.answer_due_at,
            },
        )
        created += int(made)
    return created


__all__ = [
    "DomainError",
    "RateLimited",
    "ReferralInput",
    "Upload",
]
