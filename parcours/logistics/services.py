"""Writes for day planning: request/execute/stop a planning run, pin, cancel, nurse unavailable, re-plan."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Organisation, User
from parcours.accounts.permissions import has_perm
from parcours.audit.services import audit_batch, audit_record
from parcours.core import clock
from parcours.core.errors import Conflict, Forbidden, ValidationFailed
from parcours.logistics import solving
from parcours.logistics.adapter import build_instance
from parcours.logistics.enums import SKILLS, RunKind, RunStatus, VisitKind, VisitStatus
from parcours.logistics.models import HomeVisit, NurseShift, PlanRun
from parcours.logistics.sources import VisitProposal, visit_sources
from parcours.patients.models import Patient
from parcours.patients.timeline import timeline_batch, timeline_record

log = logging.getLogger(__name__)
MAX_TIME_LIMIT_S = 600


def _require_planner(actor: User, had: Organisation) -> None:
    if not has_perm(actor, "planning.manage"):
        raise Forbidden(_("Votre rôle ne permet pas de planifier les tournées."))
    if had.kind != OrganisationKind.HAD:
        raise ValidationFailed(
            _("Choisissez une structure d'HAD."), field_errors={"had": [_("Structure d'HAD attendue.")]}
        )


def day_inputs(
    *, had: Organisation, date: dt.date
) -> tuple[list[NurseShift], list[HomeVisit], list[Organisation]]:
    shifts = list(
        NurseShift.objects.filter(had=had, date=date)
        .select_related("nurse")
        .order_by("start_time", "nurse__last_name")
    )
    visits = list(
        HomeVisit.objects.filter(had=had, date=date, status=VisitStatus.PLANNED)
        .select_related("patient", "pinned_nurse", "bag_pharmacy")
        .order_by("window_start", "id")
    )
    pharmacies = list(Organisation.objects.filter(kind=OrganisationKind.PHARMACY).order_by("name"))
    return shifts, visits, pharmacies


@transaction.atomic
def plan_run_request(
    *, actor: User, had: Organisation, date: dt.date, time_limit_s: int, seed: int = 0
) -> PlanRun:
    """Snapshot the day as an optimiser instance and queue the run (the worker solves it)."""
    _require_planner(actor, had)
    if not 1 <= time_limit_s <= MAX_TIME_LIMIT_S:
        raise ValidationFailed(
            _("La durée de calcul va de 1 à %(max)s secondes.") % {"max": MAX_TIME_LIMIT_S},
            field_errors={"time_limit_s": [_("Entre 1 et %(max)s secondes.") % {"max": MAX_TIME_LIMIT_S}]},
        )
    if PlanRun.objects.filter(had=had, date=date, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise Conflict(_("Un calcul est déjà en cours pour cette journée : attendez-le ou arrêtez-le."))
    shifts, visits, pharmacies = day_inputs(had=had, date=date)
    if not visits:
        raise ValidationFailed(_("Aucune visite à planifier ce jour-là."))
    if not shifts:
        raise ValidationFailed(_("Aucun(e) infirmier(ère) disponible ce jour-là."))
    located = [v for v in visits if v.patient.latitude is not None and v.patient.longitude is not None]
    instance = build_instance(date=date, shifts=shifts, visits=located, pharmacies=pharmacies)
    run = PlanRun.objects.create(
        had=had,
        date=date,
        requested_by=actor,
        time_limit_s=time_limit_s,
        seed=seed,
        instance=instance,
        unlocated=[str(v.external_id) for v in visits if v not in located],
    )
    audit_record(actor=actor, action="create", object_type="plan_run", object_id=str(run.external_id))
    from parcours.logistics.tasks import plan_run_task

    transaction.on_commit(lambda: plan_run_task(run.pk))
    return run


def plan_run_execute(*, run_id: int) -> PlanRun:
    """Solve a queued run (called by the worker). Progress and the best travel are written as it goes."""
    run = PlanRun.objects.get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        return run
    PlanRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=clock.now())
    last_check = [0.0]

    def should_stop() -> bool:
        now = time.monotonic()
        if now - last_check[0] < 0.5:
            return False
        last_check[0] = now
        return PlanRun.objects.filter(pk=run_id, stop_requested=True).exists()

    try:
        plan = solving.solve_instance(
            run.instance,
            time_limit_s=run.time_limit_s,
            seed=run.seed,
            should_stop=should_stop,
        )
    except Exception as exc:  # the run must end in a visible state whatever happened
        PlanRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=clock.now(), error=str(exc)[:2000]
        )
        raise
    stopped = PlanRun.objects.filter(pk=run_id, stop_requested=True).exists()
    PlanRun.objects.filter(pk=run.pk).update(
        status=RunStatus.STOPPED if stopped else RunStatus.DONE,
        finished_at=clock.now(),
        plan=plan,
        best_travel_min=plan["total_travel_min"],
    )
    run.refresh_from_db()
    return run


def _window_errors(start: dt.time, end: dt.time, field: str) -> dict[str, list[str]]:
    if start >= end:
        return {field: [_("Le début doit précéder la fin.")]}
    return {}


@transaction.atomic
def visit_create(
    *,
    actor: User,
    had: Organisation,
    patient: Patient,
    date: dt.date,
    kind: str,
    window_start: dt.time,
    window_end: dt.time,
    duration_min: int,
    skills: list[str],
    bag_pharmacy: Organisation | None = None,
    bag_ready: dt.time | None = None,
    bag_stability_min: int | None = None,
) -> HomeVisit:
    """A home visit to plan, in the window agreed with the patient."""
    _require_planner(actor, had)
    errors = _window_errors(window_start, window_end, "window_end")
    if patient.had_id != had.pk:
        errors.setdefault("patient", []).append(
            _("Ce patient n'est pas suivi par %(had)s.") % {"had": had.name}
        )
    if kind not in VisitKind.values:
        errors.setdefault("kind", []).append(_("Type de visite inconnu."))
    if not 5 <= duration_min <= 480:
        errors.setdefault("duration_min", []).append(_("Durée entre 5 et 480 minutes."))
    unknown = set(skills) - SKILLS.keys()
    if unknown:
        errors.setdefault("skills", []).append(
            _("Qualification inconnue : %(s)s.") % {"s": ", ".join(sorted(unknown))}
        )
    if date < timezone.localdate(clock.now()):
        errors.setdefault("date", []).append(_("La date est passée."))
    bag_given = [bag_pharmacy is not None, bag_ready is not None, bag_stability_min is not None]
    if any(bag_given) and not all(bag_given):
        errors.setdefault("bag_pharmacy", []).append(
            _("Une poche demande sa pharmacie, son heure de mise à disposition et sa stabilité.")
        )
    if bag_pharmacy is not None and bag_pharmacy.kind != OrganisationKind.PHARMACY:
        errors.setdefault("bag_pharmacy", []).append(_("Choisissez une pharmacie (PUI)."))
    if bag_stability_min is not None and bag_stability_min <= 0:
        errors.setdefault("bag_stability_min", []).append(_("La stabilité doit être positive."))
    if bag_ready is not None and bag_stability_min is not None:
        expiry = bag_ready.hour * 60 + bag_ready.minute + bag_stability_min
        if expiry < window_start.hour * 60 + window_start.minute:
            errors.setdefault("bag_stability_min", []).append(
                _("La poche ne sera plus stable à l'ouverture du créneau.")
            )
    if patient.latitude is None or patient.longitude is None:
        errors.setdefault("patient", []).append(
            _("L'adresse du patient n'a pas de coordonnées : impossible de planifier.")
        )
    if errors:
        raise ValidationFailed(_("La visite n'a pas été ajoutée."), field_errors=errors)
    visit = HomeVisit.objects.create(
        patient=patient,
        had=had,
        date=date,
        kind=kind,
        window_start=window_start,
        window_end=window_end,
        duration_min=duration_min,
        skills=sorted(set(skills)),
        bag_pharmacy=bag_pharmacy,
        bag_ready=bag_ready,
        bag_stability_min=bag_stability_min,
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="home_visit",
        object_id=str(visit.external_id),
        patient_id=patient.pk,
    )
    return visit


@transaction.atomic
def shift_create(
    *,
    actor: User,
    had: Organisation,
    nurse: User,
    date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    skills: list[str],
    max_visits: int | None = None,
    start_point: tuple[float, float] | None = None,
) -> NurseShift:
    """Put a nurse on the day's planning (she starts and ends at home unless told otherwise)."""
    _require_planner(actor, had)
    errors = _window_errors(start_time, end_time, "end_time")
    if nurse.role is None or nurse.role.code not in {"had_nurse", "idel", "idec"}:
        errors.setdefault("nurse", []).append(_("Seul(e) un(e) infirmier(ère) peut faire une tournée."))
    unknown = set(skills) - SKILLS.keys()
    if unknown:
        errors.setdefault("skills", []).append(
            _("Qualification inconnue : %(s)s.") % {"s": ", ".join(sorted(unknown))}
        )
    if max_visits is not None and not 1 <= max_visits <= 30:
        errors.setdefault("max_visits", []).append(_("Entre 1 et 30 visites."))
    if NurseShift.objects.filter(nurse=nurse, date=date).exists():
        errors.setdefault("nurse", []).append(_("Cet(te) infirmier(ère) est déjà au planning ce jour-là."))
    point = start_point
    if point is None and nurse.organisation is not None and nurse.organisation.latitude is not None:
        point = (nurse.organisation.latitude, nurse.organisation.longitude or 0.0)
    if point is None:
        errors.setdefault("start_point", []).append(_("Indiquez le point de départ (coordonnées)."))
    if errors:
        raise ValidationFailed(_("L'infirmier(ère) n'a pas été ajouté(e) au planning."), field_errors=errors)
    assert point is not None
    shift = NurseShift.objects.create(
        had=had,
        nurse=nurse,
        date=date,
        start_time=start_time,
        end_time=end_time,
        start_latitude=point[0],
        start_longitude=point[1],
        end_latitude=point[0],
        end_longitude=point[1],
        skills=sorted(set(skills)),
        max_visits=max_visits,
    )
    audit_record(actor=actor, action="create", object_type="nurse_shift", object_id=str(shift.external_id))
    return shift


@transaction.atomic
def plan_run_stop(*, actor: User, run: PlanRun) -> None:
    _require_planner(actor, run.had)
    if run.status not in {RunStatus.QUEUED, RunStatus.RUNNING}:
        raise Conflict(_("Ce calcul est déjà terminé."))
    PlanRun.objects.filter(pk=run.pk).update(stop_requested=True)
    audit_record(
        actor=actor,
        action="update",
        object_type="plan_run",
        object_id=str(run.external_id),
        detail={"stop": True},
    )


def latest_plan(*, had: Organisation, date: dt.date) -> PlanRun | None:
    return (
        PlanRun.objects.filter(
            had=had, date=date, status__in=[RunStatus.DONE, RunStatus.STOPPED], plan__isnull=False
        )
        .order_by("-created_at", "-id")
        .first()
    )


def _visit_for_write(actor: User, visit: HomeVisit) -> None:
    _require_planner(actor, visit.had)
    if actor.organisation_id != visit.had_id:
        raise Forbidden(_("Seule l'équipe de %(had)s planifie ses visites.") % {"had": visit.had.name})


@transaction.atomic
def visit_pin(*, actor: User, visit: HomeVisit, nurse: User | None, start: dt.time | None) -> HomeVisit:
    """Pin a visit to a nurse and/or a start time (None clears); the next optimisation keeps it."""
    _visit_for_write(actor, visit)
    errors: dict[str, list[str]] = {}
    if (
        nurse is not None
        and not NurseShift.objects.filter(had=visit.had, date=visit.date, nurse=nurse).exists()
    ):
        errors["nurse"] = [_("Cet(te) infirmier(ère) ne travaille pas ce jour-là pour cette HAD.")]
    if start is not None and not visit.window_start <= start <= visit.window_end:
        errors["start"] = [
            _("L'heure doit rester dans le créneau convenu avec le patient (%(a)s–%(b)s).")
            % {"a": visit.window_start.strftime("%H:%M"), "b": visit.window_end.strftime("%H:%M")}
        ]
    if errors:
        raise ValidationFailed(_("L'épinglage n'a pas été enregistré."), field_errors=errors)
    visit.pinned_nurse = nurse
    visit.pinned_start = start
    visit.save(update_fields=["pinned_nurse", "pinned_start", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        object_type="home_visit",
        object_id=str(visit.external_id),
        patient_id=visit.patient_id,
        detail={
            "pin_nurse": str(nurse.external_id) if nurse else None,
            "pin_start": start.isoformat() if start else None,
        },
    )
    return visit


@transaction.atomic
def visit_cancel(*, actor: User, visit: HomeVisit, reason: str) -> HomeVisit:
    _visit_for_write(actor, visit)
    if not reason.strip():
        raise ValidationFailed(
            _("Le motif d'annulation est obligatoire."), field_errors={"reason": [_("Motif obligatoire.")]}
        )
    if visit.status != VisitStatus.PLANNED:
        raise Conflict(_("Cette visite n'est plus à faire (%(s)s).") % {"s": visit.get_status_display()})
    visit.status = VisitStatus.CANCELLED
    visit.note = reason.strip()[:300]
    visit.save(update_fields=["status", "note", "updated_at"])
    timeline_record(
        patient=visit.patient,
        actor=actor,
        kind="visit.cancelled",
        data={
            "label": {
                "fr": f"Visite à domicile du {visit.date:%d/%m/%Y} annulée",
                "en": f"Home visit on {visit.date:%d/%m/%Y} cancelled",
            }
        },
        reason=reason.strip(),
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="home_visit",
        object_id=str(visit.external_id),
        patient_id=visit.patient_id,
        detail={"status": "cancelled"},
    )
    return visit


@transaction.atomic
def shift_unavailable(*, actor: User, shift: NurseShift, from_time: dt.time, reason: str) -> NurseShift:
    """A nurse stops for the day (sick…): re-planning keeps what she already did and moves the rest."""
    _require_planner(actor, shift.had)
    if not reason.strip():
        raise ValidationFailed(
            _("Le motif est obligatoire."), field_errors={"reason": [_("Motif obligatoire.")]}
        )
    shift.unavailable_from = from_time
    shift.save(update_fields=["unavailable_from", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        object_type="nurse_shift",
        object_id=str(shift.external_id),
        detail={"unavailable_from": from_time.isoformat(), "reason": reason.strip()},
    )
    return shift


@transaction.atomic
def replan_day(*, actor: User, had: Organisation, date: dt.date, now: dt.time | None = None) -> PlanRun:
    """Re-plan from the latest plan: visits already started stay, cancelled visits and unavailable nurses
    are taken out, and the rest moves as little as possible."""
    _require_planner(actor, had)
    previous = latest_plan(had=had, date=date)
    if previous is None or previous.plan is None:
        raise Conflict(_("Aucun plan à re-planifier pour cette journée : lancez d'abord un calcul."))
    at = now or timezone.localtime(clock.now()).time()
    visit_ids = {v["id"] for v in previous.instance.get("visits", [])}
    cancelled = {
        str(x)
        for x in HomeVisit.objects.filter(had=had, date=date, status=VisitStatus.CANCELLED).values_list(
            "external_id", flat=True
        )
        if str(x) in visit_ids
    }
    sick = {
        str(x)
        for x in NurseShift.objects.filter(
            had=had, date=date, unavailable_from__isnull=False, unavailable_from__lte=at
        ).values_list("nurse__external_id", flat=True)
    }
    result: dict[str, Any] = solving.replan_instance(
        previous.instance, previous.plan, now_min=at.hour * 60 + at.minute, cancel=cancelled, sick=sick
    )
    run = PlanRun.objects.create(
        had=had,
        date=date,
        kind=RunKind.REPLAN,
        requested_by=actor,
        status=RunStatus.DONE,
        time_limit_s=0,
        started_at=clock.now(),
        finished_at=clock.now(),
        instance=previous.instance,
        plan=result["plan"],
        best_travel_min=result["plan"]["total_travel_min"],
        previous=previous,
        moved=result["moved"],
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="plan_run",
        object_id=str(run.external_id),
        detail={
            "replan": True,
            "cancelled": sorted(cancelled),
            "sick": sorted(sick),
            "moved": result["moved"],
        },
    )
    return run


# ------------------------------------------------------------------------------------ gathering


@dataclass(frozen=True)
class GatherSkip:
    source_ref: str
    label: str
    reason: str


@dataclass
class GatherReport:
    """What one gathering did: visits created, already there, bag facts refreshed, and what was left out."""

    created: list[HomeVisit] = field(default_factory=list)
    already: list[str] = field(
        default_factory=list
    )  # source refs found on the day (planned, done, cancelled)
    cancelled: list[str] = field(default_factory=list)  # among ``already``: cancelled by the planner, left so
    refreshed: list[str] = field(default_factory=list)  # planned, unpinned: bag ready time/stability updated
    skipped: list[GatherSkip] = field(default_factory=list)
    stale: list[HomeVisit] = field(default_factory=list)  # gathered earlier, no longer proposed (cure moved…)
    failed_sources: list[str] = field(default_factory=list)


def gather_proposals(*, had: Organisation, date: dt.date) -> tuple[list[VisitProposal], list[str]]:
    """Every registered source's proposals for the HAD and date, and the names of the sources that failed.

    A failing source is logged and named, never fatal: the others still count.
    """
    proposals: list[VisitProposal] = []
    failed: list[str] = []
    seen: set[str] = set()
    for name, source in visit_sources().items():
        try:
            found = list(source(had, date))
        except Exception:
            log.exception("visit source %r failed for HAD %s on %s", name, had.pk, date)
            failed.append(name)
            continue
        for p in found:
            if p.source_ref and p.source_ref not in seen:
                seen.add(p.source_ref)
                proposals.append(p)
    return proposals, failed


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _proposal_problem(
    p: VisitProposal, patient: Patient | None, had: Organisation, pharmacies: dict[int, Organisation]
) -> str:
    """Why a proposal cannot become a visit (the same rules as ``visit_create``), or ""."""
    if p.problem:
        return p.problem
    if len(p.source_ref) > 80:
        return _("Référence de source trop longue.")
    if patient is None or patient.had_id != had.pk:
        return _("Ce patient n'est pas suivi par %(had)s.") % {"had": had.name}
    if patient.latitude is None or patient.longitude is None:
        return _("L'adresse du patient n'a pas de coordonnées : impossible de planifier.")
    if p.kind not in VisitKind.values:
        return _("Type de visite inconnu.")
    unknown = set(p.skills) - SKILLS.keys()
    if unknown:
        return _("Qualification inconnue : %(s)s.") % {"s": ", ".join(sorted(unknown))}
    if not 5 <= p.duration_min <= 480:
        return _("Durée entre 5 et 480 minutes.")
    if p.window_start > p.window_end:
        return _("Le créneau est vide (la fin précède le début).")
    bag = [p.bag_pharmacy_id is not None, p.bag_ready is not None, p.bag_stability_min is not None]
    if any(bag) and not all(bag):
        return _("Une poche demande sa pharmacie, son heure de mise à disposition et sa stabilité.")
    if p.bag_pharmacy_id is not None and p.bag_ready is not None and p.bag_stability_min is not None:
        pharmacy = pharmacies.get(p.bag_pharmacy_id)
        if pharmacy is None:
            return _("Choisissez une pharmacie (PUI).")
        if pharmacy.latitude is None or pharmacy.longitude is None:
            return _("La pharmacie %(pui)s n'a pas de coordonnées : impossible de planifier le retrait.") % {
                "pui": pharmacy.name
            }
        if p.bag_stability_min <= 0 or _minutes(p.bag_ready) + p.bag_stability_min < _minutes(p.window_start):
            return _("La poche ne sera plus stable à l'ouverture du créneau.")
    return ""


@transaction.atomic
def visits_gather(*, actor: User, had: Organisation, date: dt.date) -> GatherReport:
    """Create the day's missing visits from every registered source (``logistics.sources``). Idempotent.

    A visit is found again by its ``source_ref``: never duplicated; a visit the planner cancelled, pinned or
    that is done is left as it is; a planned, unpinned gathered visit only gets its bag facts (ready time,
    stability) refreshed — they change when the pharmacy prepares the bag, and the planner cannot edit them.
    Windows, durations and skills of a visit already there are never changed.
    """
    _require_planner(actor, had)
    if date < timezone.localdate(clock.now()):
        raise ValidationFailed(_("La date est passée."), field_errors={"date": [_("La date est passée.")]})
    # One gathering at a time per HAD (PostgreSQL); the unique constraint stops the rest.
    Organisation.objects.select_for_update().filter(pk=had.pk).first()
    proposals, failed = gather_proposals(had=had, date=date)
    report = GatherReport(failed_sources=failed)
    existing = {
        v.source_ref: v
        for v in HomeVisit.objects.filter(had=had, date=date).exclude(source_ref="").select_related("patient")
    }
    patients = Patient.objects.in_bulk({p.patient_id for p in proposals})
    pharmacies = Organisation.objects.filter(kind=OrganisationKind.PHARMACY).in_bulk(
        {p.bag_pharmacy_id for p in proposals if p.bag_pharmacy_id is not None}
    )
    to_create: list[HomeVisit] = []
    for p in proposals:
        visit = existing.get(p.source_ref)
        if visit is not None:
            report.already.append(p.source_ref)
            if visit.status == VisitStatus.CANCELLED:
                report.cancelled.append(p.source_ref)
            elif _refresh_bag(visit, p, pharmacies):
                report.refreshed.append(p.source_ref)
            continue
        patient = patients.get(p.patient_id)
        problem = _proposal_problem(p, patient, had, pharmacies)
        if problem:
            report.skipped.append(GatherSkip(source_ref=p.source_ref, label=p.label, reason=problem))
            continue
        to_create.append(
            HomeVisit(
                patient=patient,
                had=had,
                date=date,
                kind=p.kind,
                window_start=p.window_start,
                window_end=p.window_end,
                duration_min=p.duration_min,
                skills=sorted(set(p.skills)),
                bag_pharmacy=pharmacies.get(p.bag_pharmacy_id) if p.bag_pharmacy_id is not None else None,
                bag_ready=p.bag_ready,
                bag_stability_min=p.bag_stability_min,
                note=p.label[:300],
                source_ref=p.source_ref,
            )
        )
    if not failed:
        proposed = {p.source_ref for p in proposals}
        report.stale = [
            v for ref, v in existing.items() if ref not in proposed and v.status == VisitStatus.PLANNED
        ]
    try:
        with transaction.atomic():
            created = HomeVisit.objects.bulk_create(to_create)
    except IntegrityError as exc:  # another gathering of the same day committed first
        raise Conflict(
            _("Les visites de cette journée sont déjà en cours de rassemblement : réessayez.")
        ) from exc
    if created and created[0].pk is None:  # backends that do not return ids from a bulk insert
        refs = [v.source_ref for v in to_create]
        created = list(
            HomeVisit.objects.filter(had=had, date=date, source_ref__in=refs).select_related("patient")
        )
    report.created = created
    with audit_batch(), timeline_batch():
        for visit in created:
            audit_record(
                actor=actor,
                action="create",
                object_type="home_visit",
                object_id=str(visit.external_id),
                patient_id=visit.patient_id,
                detail={"source_ref": visit.source_ref},
            )
            timeline_record(
                patient=visit.patient,
                actor=actor,
                kind="visit.planned",
                data={
                    "label": {
                        "fr": f"Visite à domicile du {date:%d/%m/%Y} ajoutée au planning ({_kind_label(visit.kind, 'fr')})",
                        "en": f"Home visit on {date:%d/%m/%Y} added to the day plan ({_kind_label(visit.kind, 'en')})",
                    },
                    "source_ref": visit.source_ref,
                },
            )
        audit_record(
            actor=actor,
            action="update",
            object_type="day_plan",
            object_id=f"{had.external_id}:{date.isoformat()}",
            detail={
                "gather": True,
                "created": len(created),
                "already": len(report.already),
                "refreshed": report.refreshed,
                "skipped": [{"ref": s.source_ref, "reason": s.reason} for s in report.skipped],
                "failed_sources": failed,
            },
        )
    return report


def _kind_label(kind: str, language: str) -> str:
    with translation.override(language):
        return str(VisitKind(kind).label)


def _refresh_bag(visit: HomeVisit, p: VisitProposal, pharmacies: dict[int, Organisation]) -> bool:
    """Bring a planned, unpinned gathered visit's bag facts up to date (the pharmacy prepared the bag)."""
    if (
        visit.status != VisitStatus.PLANNED
        or visit.pinned_nurse_id is not None
        or visit.pinned_start is not None
    ):
        return False
    if p.bag_pharmacy_id is None or p.bag_ready is None or p.bag_stability_min is None or p.problem:
        return False
    if (visit.bag_pharmacy_id, visit.bag_ready, visit.bag_stability_min) == (
        p.bag_pharmacy_id,
        p.bag_ready,
        p.bag_stability_min,
    ):
        return False
    if p.bag_pharmacy_id not in pharmacies or p.bag_stability_min <= 0:
        return False
    if _minutes(p.bag_ready) + p.bag_stability_min < _minutes(visit.window_start):
        return False  # would make the visit impossible: leave it for the planner to see in the plan
    visit.bag_pharmacy_id = p.bag_pharmacy_id
    visit.bag_ready = p.bag_ready
    visit.bag_stability_min = p.bag_stability_min
    visit.save(update_fields=["bag_pharmacy", "bag_ready", "bag_stability_min", "updated_at"])
    return True


def gather_pending(*, had: Organisation, date: dt.date) -> int:
    """How many proposals of the sources are not on the day yet (for the planning page); 0 if a source fails."""
    try:
        proposals, _failed = gather_proposals(had=had, date=date)
    except Exception:  # the page must show whatever a source does
        log.exception("counting the visits to gather failed for HAD %s on %s", had.pk, date)
        return 0
    refs = set(
        HomeVisit.objects.filter(
            had=had, date=date, source_ref__in=[p.source_ref for p in proposals]
        ).values_list("source_ref", flat=True)
    )
    return sum(1 for p in proposals if p.source_ref not in refs and not p.problem)
