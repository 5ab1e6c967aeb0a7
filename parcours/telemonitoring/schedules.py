"""Questionnaire schedules, reminders, missed questionnaires, and the D+10 follow-up call (sequence S2).

Default (clinical-rules B §1.1, NCI FAQ): weekly during the first ``weekly_weeks`` weeks of treatment (13, about
3 months), then ``pre_cure_days`` days before each cure. Cure dates come from a hook: the cures app is above
telemonitoring in the layers, so it registers a provider with :func:`register_cure_dates_provider` (or passes
``cure_dates`` explicitly). Everything is idempotent (schedule keys, task keys), so the periodic sweep may run
late, twice, or after a worker restart without duplicating anything.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import Forbidden, ValidationFailed
from parcours.patients.models import Patient
from parcours.patients.timeline import timeline_record
from parcours.telemonitoring import conf, questionnaires, services
from parcours.telemonitoring.enums import AssignmentReason, AssignmentStatus, TaskKind
from parcours.telemonitoring.models import MonitoringPlan, QuestionnaireAssignment, WorkTask

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
OPENS_AT = dt.time(8, 0)  # questionnaires are sent in the morning of their day
DUE_AT = dt.time(20, 0)  # and expected by the evening

CureDatesProvider = Callable[[Patient], Iterable[dt.date]]
_providers: list[CureDatesProvider] = []


def register_cure_dates_provider(provider: CureDatesProvider) -> None:
    """The cures app registers ``provider(patient) -> planned/administered cure dates`` (harmless twice)."""
    if provider not in _providers:
        _providers.append(provider)


def cure_dates(patient: Patient) -> list[dt.date]:
    dates: set[dt.date] = set()
    for provider in _providers:
        try:
            dates.update(provider(patient))
        except Exception:
            log.exception("cure dates provider %r failed for patient %s", provider, patient.pk)
    return sorted(dates)


def planned_dates(plan: MonitoringPlan, cures: Iterable[dt.date]) -> list[tuple[dt.date, str, str]]:
    """(day, reason, schedule key) of every questionnaire of the plan: weekly, then before each cure."""
    out: list[tuple[dt.date, str, str]] = []
    weekly_end = plan.treatment_start + dt.timedelta(weeks=plan.weekly_weeks)
    for week in range(1, plan.weekly_weeks + 1):
        day = plan.treatment_start + dt.timedelta(weeks=week)
        out.append((day, AssignmentReason.WEEKLY, f"weekly:{day.isoformat()}"))
    for cure in sorted(set(cures)):
        if cure <= weekly_end:
            continue  # still in the weekly period
        day = cure - dt.timedelta(days=plan.pre_cure_days)
        out.append((day, AssignmentReason.PRE_CURE, f"pre_cure:{cure.isoformat()}"))
    return sorted(out)


@transaction.atomic
def plan_set(
    *,
    actor: User,
    patient: Patient,
    treatment_start: dt.date,
    regimen: str = "",
    questionnaire: str = questionnaires.DEFAULT,
    send_channel: str = "sms",
    audience: str = "patient",
    sequence: str = "",
    weekly_weeks: int = 13,
    pre_cure_days: int = 2,
    active: bool = True,
) -> MonitoringPlan:
    """Start or change the telemonitoring of a patient."""
    if not has_perm(actor, "monitoring.link"):
        raise Forbidden(_("Votre rôle ne permet pas de régler la télésurveillance (monitoring.link)."))
    errors: dict[str, list[str]] = {}
    if questionnaire not in questionnaires.available():
        errors["questionnaire"] = [_("Questionnaire inconnu.")]
    if send_channel not in ("sms", "email", "proxy"):
        errors["send_channel"] = [_("SMS, courriel ou saisie par un soignant.")]
    if audience not in ("patient", "caregiver"):
        errors["audience"] = [_("Patient ou aidant.")]
    if not 0 <= weekly_weeks <= 52:
        errors["weekly_weeks"] = [_("Entre 0 et 52 semaines.")]
    if not 0 <= pre_cure_days <= 7:
        errors["pre_cure_days"] = [_("Entre 0 et 7 jours.")]
    if errors:
        raise ValidationFailed(_("Réglages invalides : corrigez les champs signalés."), field_errors=errors)
    plan, created = MonitoringPlan.objects.update_or_create(
        patient=patient,
        defaults={
            "treatment_start": treatment_start,
            "regimen": regimen.strip(),
            "questionnaire": questionnaire,
            "send_channel": send_channel,
            "audience": audience,
            "sequence": sequence,
            "weekly_weeks": weekly_weeks,
            "pre_cure_days": pre_cure_days,
            "active": active,
            "created_by": actor,
        },
    )
    audit_record(
        actor=actor,
        action="create" if created else "update",
        object_type="monitoring_plan",
        object_id=str(plan.external_id),
        patient_id=patient.pk,
        detail={"questionnaire": questionnaire, "channel": send_channel, "active": active},
    )
    timeline_record(
        patient=patient,
        actor=actor,
        kind="telemonitoring.plan",
        data={
            "label": {
                "fr": "Télésurveillance démarrée" if created else "Télésurveillance modifiée",
                "en": "Telemonitoring started" if created else "Telemonitoring changed",
            }
        },
    )
    return plan


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=PARIS)


def _dispatch(plan: MonitoringPlan, assignment: QuestionnaireAssignment, *, reminder: bool) -> None:
    if plan.send_channel == "proxy":
        services.task_ensure(
            patient=plan.patient,
            kind=TaskKind.PROXY_ENTRY,
            key=f"proxy:{assignment.external_id}",
            due_at=assignment.due_at,
            assignment=assignment,
            detail=_("Questionnaire à remplir avec le patient (saisie par un soignant)."),
        )
        return
    caregiver = None
    if plan.audience == "caregiver":
        caregiver = plan.patient.caregivers.order_by("-is_primary", "pk").first()
    try:
        services.questionnaire_link_send(
            actor=None,
            assignment=assignment,
            channel=plan.send_channel,
            audience=plan.audience if caregiver is not None else "patient",
            caregiver=caregiver,
        )
    except ValidationFailed:
        # no phone/e-mail: a person must call instead; never drop it silently
        services.task_ensure(
            patient=plan.patient,
            kind=TaskKind.PROXY_ENTRY,
            key=f"proxy:{assignment.external_id}",
            due_at=assignment.due_at,
            assignment=assignment,
            detail=_("Lien non envoyé (coordonnées manquantes) : recueillir les réponses par téléphone."),
        )


def schedule_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Create today's questionnaires (and send them), remind, and turn late ones into IDEC tasks."""
    now = now or clock.now()
    today = now.astimezone(PARIS).date()
    counts = {"created": 0, "reminded": 0, "missed": 0}
    for plan in MonitoringPlan.objects.filter(active=True).select_related("patient"):
        for day, reason, key in planned_dates(plan, cure_dates(plan.patient)):
            # only today's (and yesterday's, if the sweep was down) - never backfill a whole history
            if not (today - dt.timedelta(days=1) <= day <= today) or now < _at(day, OPENS_AT):
                continue
            with transaction.atomic():
                if QuestionnaireAssignment.objects.filter(patient=plan.patient, schedule_key=key).exists():
                    continue
                assignment = services.questionnaire_assign(
                    actor=None,
                    patient=plan.patient,
                    due_at=_at(day, DUE_AT),
                    reason=reason,
                    schedule_key=key,
                )
                _dispatch(plan, assignment, reminder=False)
                counts["created"] += 1
    remind_after = dt.timedelta(hours=int(conf.get("reminder_after_hours")))
    task_after = dt.timedelta(hours=int(conf.get("task_after_hours")))
    pending = QuestionnaireAssignment.objects.filter(status=AssignmentStatus.PENDING).select_related(
        "patient"
    )
    for assignment in pending.filter(due_at__lte=now - remind_after, reminded_at__isnull=True):
        current = MonitoringPlan.objects.filter(patient=assignment.patient).first()
        with transaction.atomic():
            assignment.reminded_at = now
            assignment.save(update_fields=["reminded_at", "updated_at"])
            if current is not None and current.active:
                _dispatch(current, assignment, reminder=True)
            counts["reminded"] += 1
    for assignment in pending.filter(due_at__lte=now - task_after):
        with transaction.atomic():
            assignment.status = AssignmentStatus.MISSED
            assignment.missed_at = now
            assignment.save(update_fields=["status", "missed_at", "updated_at"])
            services.task_ensure(
                patient=assignment.patient,
                kind=TaskKind.MISSED_QUESTIONNAIRE,
                key=f"missed:{assignment.external_id}",
                due_at=now,
                assignment=assignment,
                detail=_("Questionnaire du %(day)s non rempli malgré le rappel.")
                % {"day": assignment.due_at.astimezone(PARIS).strftime("%d/%m/%Y")},
            )
            counts["missed"] += 1
    return counts


def followup_call_schedule(*, patient: Patient, administered_at: dt.datetime) -> WorkTask:
    """Sequence S2 (domain.md §2.1): an IDEC follow-up call at D+10 after each home administration.

    Called by the cures app after recording a home administration; idempotent per patient and day.
    """
    day = administered_at.astimezone(PARIS).date() + dt.timedelta(days=int(conf.get("followup_call_days")))
    return services.task_ensure(
        patient=patient,
        kind=TaskKind.FOLLOWUP_CALL,
        key=f"followup:{patient.pk}:{administered_at.astimezone(PARIS).date().isoformat()}",
        due_at=_at(day, dt.time(9, 0)),
        detail=_("Appel de suivi J+10 après la cure à domicile du %(day)s.")
        % {"day": administered_at.astimezone(PARIS).strftime("%d/%m/%Y")},
    )
