"""Writes of the telemonitoring app: triage, holds, alerts and their timers, responses, schedules, tasks.

Every write is atomic, audited and (for clinical events) on the patient's timeline. Alerts are durable: the
alert row is written in the same transaction as the triage that raised it, with ``notify_pending`` set and
``escalation_due_at`` computed; notifications go through the outbox after commit, and a periodic sweep
(:func:`alert_sweep`) redoes whatever is still pending or due, so no alert is silently dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils.translation import gettext as _

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.audit.services import audit_batch, audit_record
from parcours.clinical.models import Observation
from parcours.core import clock
from parcours.core.errors import Conflict, Forbidden, StaleEdit, TransitionRefused, ValidationFailed
from parcours.links.models import SecureLink
from parcours.links.services import IssuedLink, LinkRefused, link_consume, link_issue, link_open, token_hash
from parcours.monitoring.common import TriageInputError
from parcours.monitoring.triage import load_policy, parse_assessment, result_to_json, triage
from parcours.patients.models import Caregiver, Patient
from parcours.patients.timeline import timeline_batch, timeline_record
from parcours.telemonitoring import conf, questionnaires
from parcours.telemonitoring.enums import (
    AlertEventKind,
    AlertStatus,
    AssignmentReason,
    AssignmentStatus,
    HoldDecision,
    HoldStatus,
    Level,
    ResponseChannel,
    TaskKind,
    TaskStatus,
    TriageTrigger,
)
from parcours.telemonitoring.models import (
    Alert,
    AlertEvent,
    HoldReview,
    MonitoringPlan,
    QuestionnaireAssignment,
    QuestionnaireResponse,
    TreatmentHold,
    TriageAssessment,
    WorkTask,
)
from parcours.telemonitoring.triage_bridge import explanation, lab_payload, vital_payload

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
LINK_PURPOSE = "questionnaire"
ALERT_LEVELS = (Level.URGENT, Level.SAME_DAY)
_RANK = {Level.URGENT: 3, Level.SAME_DAY: 2, Level.ROUTINE: 1, Level.NONE: 0}


# ------------------------------------------------------------------------------------------- triage


def _observation_inputs(
    patient: Patient, *, now: dt.datetime
) -> tuple[list[dict[str, Any]], dict[str, Any], list[int], list[str]]:
    """Latest lab of each code (lab window) and latest vitals (vital window) from ``parcours.clinical``.

    One query for both kinds (as ``clinical.selectors.latest_by_code`` twice would give: newest first, the
    first row of each code wins, each kind within its own window)."""
    lab_since = now - dt.timedelta(days=int(conf.get("lab_window_days")))
    vital_since = now - dt.timedelta(hours=int(conf.get("vital_window_hours")))
    labs_by_code: dict[str, Observation] = {}
    vitals_by_code: dict[str, Observation] = {}
    rows = (
        Observation.objects.filter(
            patient=patient, kind__in=("lab", "vital"), observed_at__gte=min(lab_since, vital_since)
        )
        .only("id", "kind", "code", "value", "unit", "lower", "upper", "observed_at")
        .order_by("-observed_at", "-id")
    )
    for obs in rows:
        if obs.kind == "lab":
            if obs.observed_at >= lab_since:
                labs_by_code.setdefault(obs.code, obs)
        elif obs.observed_at >= vital_since:
            vitals_by_code.setdefault(obs.code, obs)
    labs, skipped = lab_payload(labs_by_code.values())
    vitals = vital_payload(vitals_by_code.values())
    used = [o.pk for o in (*labs_by_code.values(), *vitals_by_code.values())]
    return labs, vitals, used, skipped


def _latest_pro(patient: Patient, *, now: dt.datetime) -> QuestionnaireResponse | None:
    since = now - dt.timedelta(days=int(conf.get("pro_window_days")))
    return (
        QuestionnaireResponse.objects.filter(patient=patient, submitted_at__gte=since)
        .order_by("-submitted_at", "-id")
        .first()
    )


def _plan_regimen(patient: Patient) -> str:
    plan = MonitoringPlan.objects.filter(patient=patient).only("regimen").first()
    return plan.regimen if plan is not None else ""


def _hold_text(rows: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for row in rows:
        if row["kind"] == "red_flag":
            parts.append(_("signe d'alerte : %(label)s") % {"label": row["fr"]})
        elif row["kind"] == "hold":
            grade = row.get("grade")
            parts.append(f"{row['fr']} (grade {grade})" if grade is not None else str(row["fr"]))
    return "; ".join(parts)[:1000] or _("suspension demandée par le triage")


@transaction.atomic
def triage_record(
    *,
    actor: User | None,
    patient: Patient,
    trigger: str,
    response: QuestionnaireResponse | None = None,
    observation_ids: Sequence[int] = (),
) -> TriageAssessment:
    """Run the triage engine on the patient's latest data and store the result; open holds and alerts.

    The assessment combines the triggering data with the latest of each other kind within its recall
    window (PRO answers: 7 days, labs: 7 days, vitals: 48 h; configurable), so that a new lab never hides
    yesterday's grade-3 diarrhoea. Stored with the policy version and the exact engine input.
    """
    with audit_batch(), timeline_batch():
        return _triage(
            actor=actor, patient=patient, trigger=trigger, response=response, observation_ids=observation_ids
        )


@dataclass(frozen=True)
class _Locked:
    """What the triage reads with the patient's row lock: the plan's regimen, and whether an open hold or a
    not-closed alert exists (if not, the new one is created without reading those tables again: no other
    triage of this patient can run meanwhile, and only a triage opens holds and alerts)."""

    regimen: str
    open_hold: bool
    open_alert: bool


def _lock_patient_and_regimen(patient: Patient) -> _Locked:
    """Lock the patient's row (one triage at a time per patient) and read what the triage needs: one statement."""
    regimen = MonitoringPlan.objects.filter(patient=OuterRef("pk")).values("regimen")[:1]
    row = (
        Patient.objects.select_for_update(of=("self",))
        .filter(pk=patient.pk)
        .annotate(
            plan_regimen=Subquery(regimen),
            open_hold=Exists(TreatmentHold.objects.filter(patient=OuterRef("pk"), status=HoldStatus.OPEN)),
            open_alert=Exists(
                Alert.objects.filter(patient=OuterRef("pk")).exclude(status=AlertStatus.CLOSED)
            ),
        )
        .values_list("plan_regimen", "open_hold", "open_alert")
    )
    found = list(row)
    if not found:
        return _Locked(regimen="", open_hold=False, open_alert=False)
    regimen_code, open_hold, open_alert = found[0]
    return _Locked(regimen=regimen_code or "", open_hold=bool(open_hold), open_alert=bool(open_alert))


def _triage(
    *,
    actor: User | None,
    patient: Patient,
    trigger: str,
    response: QuestionnaireResponse | None = None,
    observation_ids: Sequence[int] = (),
) -> TriageAssessment:
    """:func:`triage_record` inside the caller's transaction (no savepoint: the caller rolls back as a whole)."""
    now = clock.now()
    locked = _lock_patient_and_regimen(patient)
    regimen = locked.regimen
    pro_source = response or _latest_pro(patient, now=now)
    labs, vitals, used_obs, skipped = _observation_inputs(patient, now=now)
    payload: dict[str, Any] = {}
    if regimen:
        payload["regimen"] = regimen
    if pro_source is not None:
        payload["pro"] = {k: v for k, v in pro_source.answers.items()}
    if labs:
        payload["labs"] = labs
    if vitals:
        payload["vitals"] = vitals
    policy = load_policy()
    try:
        result = triage(parse_assessment(payload, policy=policy), policy=policy)
    except TriageInputError as exc:  # data we stored is refused by the engine: say it, never guess
        raise ValidationFailed(
            _("Le triage a refusé les données : %(field)s : %(problem)s")
            % {"field": exc.field, "problem": exc.problem},
            field_errors={exc.field or "input": [str(exc.problem)]},
        ) from exc
    stored = result_to_json(result)
    words = explanation(result)
    stored["explanation"] = words
    stored["skipped_labs"] = skipped
    stored["pro_response"] = str(pro_source.external_id) if pro_source is not None else None
    assessment = TriageAssessment.objects.create(
        patient=patient,
        trigger=trigger,
        response=response,
        observation_ids=sorted(set(observation_ids) | set(used_obs)),
        assessed_at=now,
        policy=result.policy,
        input=payload,
        result=stored,
        max_grade=result.max_grade,
        level=result.level,
        hold_treatment=result.hold_treatment,
        discontinuation_review=result.discontinuation_review,
        red_flags=[f.code for f in result.red_flags],
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="triage",
        object_id=str(assessment.external_id),
        patient_id=patient.pk,
        detail={"policy": result.policy, "level": result.level, "trigger": trigger},
    )
    timeline_record(
        patient=patient,
        actor=actor,
        kind="triage.assessed",
        at=now,
        data={
            "label": {
                "fr": f"Triage de toxicité : niveau {Level(result.level).label}, grade max {result.max_grade}",
                "en": f"Toxicity triage: level {result.level}, max grade {result.max_grade}",
            },
            "assessment": str(assessment.external_id),
            "level": result.level,
            "policy": result.policy,
        },
    )
    if result.hold_treatment:
        _hold_open(patient=patient, assessment=assessment, words=words, now=now, look=locked.open_hold)
    if result.level in ALERT_LEVELS:
        _alert_raise(patient=patient, assessment=assessment, now=now, look=locked.open_alert)
    if result.incomplete and response is not None:
        task_ensure(
            patient=patient,
            kind=TaskKind.INCOMPLETE_QUESTIONNAIRE,
            key=f"incomplete:{response.external_id}",
            due_at=now,
            detail=", ".join(t.label.fr for t in result.incomplete)[:500],
        )
    return assessment


def _hold_open(
    *,
    patient: Patient,
    assessment: TriageAssessment,
    words: Sequence[Mapping[str, Any]],
    now: dt.datetime,
    look: bool = True,
) -> None:
    """Open a hold, or add the reasons to the open one (``look=False``: the caller knows there is none)."""
    reasons = [r["code"] for r in words if r["kind"] in ("hold", "red_flag")]
    text = _hold_text(words)
    hold = (
        TreatmentHold.objects.select_for_update().filter(patient=patient, status=HoldStatus.OPEN).first()
        if look
        else None
    )
    if hold is not None:  # one open hold per patient: it gathers the later reasons
        merged = list(dict.fromkeys([*hold.reasons, *reasons]))
        if merged != hold.reasons:
            hold.reasons = merged
            hold.reason_text = (hold.reason_text + "; " + text)[:1000]
            hold.version += 1
            hold.save(update_fields=["reasons", "reason_text", "version", "updated_at"])
        return
    hold = TreatmentHold.objects.create(
        patient=patient, assessment=assessment, opened_at=now, reasons=reasons, reason_text=text
    )
    timeline_record(
        patient=patient,
        actor=None,
        kind="triage.hold",
        at=now,
        data={
            "label": {
                "fr": f"Traitement suspendu jusqu'à l'avis d'un médecin : {text}",
                "en": "Treatment on hold until a doctor's review",
            }
        },
    )


# ------------------------------------------------------------------------------------------- alerts


def escalation_due(level: str, opened_at: dt.datetime) -> dt.datetime | None:
    """When an unacknowledged alert escalates: urgent after the delay; same_day at the end of the day."""
    if level == Level.URGENT:
        return opened_at + conf.urgent_escalation_delay()
    if level == Level.SAME_DAY:
        local = opened_at.astimezone(PARIS)
        cutoff = dt.datetime.combine(local.date(), conf.same_day_escalation_time(), tzinfo=PARIS)
        if cutoff <= local:  # raised after the cut-off: give the team an hour
            cutoff = local + dt.timedelta(hours=1)
        return cutoff
    return None


def _alert_raise(
    *, patient: Patient, assessment: TriageAssessment, now: dt.datetime, look: bool = True
) -> Alert:
    """Open an alert, or note the reassessment on a not-closed one of the same level or above
    (``look=False``: the caller knows there is none)."""
    level = assessment.level
    existing = (
        list(
            Alert.objects.select_for_update()
            .filter(patient=patient)
            .exclude(status=AlertStatus.CLOSED)
            .order_by("-opened_at")
        )
        if look
        else []
    )
    for alert in existing:
        if _RANK[Level(alert.level)] >= _RANK[Level(level)]:
            AlertEvent.objects.create(
                alert=alert,
                at=now,
                kind=AlertEventKind.REASSESSED,
                data={"assessment": str(assessment.external_id), "level": level},
            )
            return alert
    alert = Alert.objects.create(
        patient=patient,
        assessment=assessment,
        level=level,
        opened_at=now,
        notify_pending=True,
        escalation_due_at=escalation_due(level, now),
    )
    AlertEvent.objects.create(alert=alert, at=now, kind=AlertEventKind.OPENED, data={"level": level})
    audit_record(
        actor=None,
        action="create",
        object_type="alert",
        object_id=str(alert.external_id),
        patient_id=patient.pk,
        detail={"level": level},
    )
    timeline_record(
        patient=patient,
        actor=None,
        kind="alert.opened",
        at=now,
        data={
            "label": {"fr": f"Alerte {Level(level).label.lower()} ouverte", "en": f"Alert ({level}) opened"}
        },
    )
    alert_id = alert.pk
    transaction.on_commit(lambda: _queue_notify(alert_id))
    return alert


def _queue_notify(alert_id: int) -> None:
    from parcours.telemonitoring.tasks import alert_notify_task

    try:
        alert_notify_task(alert_id)
    except Exception:  # the sweep will do it: never lose an alert because the queue failed
        log.exception("alert %s: notification not queued, the sweep will retry", alert_id)


def _care_team(patient: Patient, roles: Iterable[str]) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            role__code__in=list(roles),
            memberships__patient=patient,
            memberships__until__isnull=True,
        )
        .select_related("role")
        .distinct()
        .order_by("pk")
    )


def on_call_doctors(patient: Patient) -> list[User]:
    """The HAD doctor(s) to escalate to: HAD physicians of the patient's care team, else of the patient's HAD."""
    team = _care_team(patient, ["had_physician"])
    if team or patient.had_id is None:
        return team
    return list(
        User.objects.filter(
            is_active=True, role__code="had_physician", organisation_id=patient.had_id
        ).order_by("pk")
    )


def alert_recipients(alert: Alert, step: int) -> list[User]:
    """Step 0: IDEC(s) (+ referent oncologist for urgent). Step 1 (escalation): the HAD on-call doctor(s)
    (+ referent oncologist for a same_day alert not handled by the end of the day)."""
    patient = alert.patient
    people: list[User] = []
    if step == 0:
        if alert.level == Level.URGENT:  # one query for both roles
            team = _care_team(patient, ["idec", "oncologist"])
            people = [u for u in team if u.role is not None and u.role.code == "idec"]
            people += [patient.referring_oncologist] if patient.referring_oncologist else []
            people += [
                u for u in team if u.role is not None and u.role.code == "oncologist" and u not in people
            ]
        else:
            people = _care_team(patient, ["idec"])
    else:
        people = on_call_doctors(patient)
        if alert.level == Level.SAME_DAY and patient.referring_oncologist:
            people.append(patient.referring_oncologist)
    seen: set[int] = set()
    unique = []
    for u in people:
        if u is not None and u.pk not in seen and u.is_active:
            seen.add(u.pk)
            unique.append(u)
    return unique


def _notify_people(alert: Alert, step: int, people: Sequence[User]) -> list[str]:
    from parcours.notifications.services import Outgoing, notification_enqueue_many

    patient = alert.patient
    level = Level(alert.level).label
    subject = (
        _("Parcours : alerte %(level)s pour un patient suivi") % {"level": str(level).lower()}
        if step == 0
        else _("Parcours : alerte %(level)s non prise en charge (escalade)") % {"level": str(level).lower()}
    )
    # No name or clinical detail in SMS/e-mail: the professional opens Parcours (need-to-know, secrecy).
    body = _(
        "Une alerte de télésurveillance (%(level)s) attend une prise en charge. "
        "Connectez-vous à Parcours, file de travail IDEC, alerte %(ref)s."
    ) % {"level": str(level).lower(), "ref": str(alert.external_id)[:8]}
    messages: list[Outgoing] = []
    labels: list[str] = []
    for user in people:
        targets = []
        if user.phone:
            targets.append(("sms", user.phone))
        if user.email:
            targets.append(("email", user.email))
        for channel, to in targets:
            messages.append(
                Outgoing(
                    channel=channel,
                    to=to,
                    subject=str(subject),
                    body=str(body),
                    idempotency_key=f"tm-alert:{alert.external_id}:{step}:{user.pk}:{channel}",
                    recipient=user,
                    patient_id=patient.pk,
                )
            )
            labels.append(f"{user.username}:{channel}")
    sent: list[str] = []
    # One batch: the outbox rows in one INSERT, one sending task for them all. A bad address must not block
    # the other recipients: it comes back as a ValidationFailed in its place.
    for message, label, outcome in zip(messages, labels, notification_enqueue_many(messages), strict=True):
        if isinstance(outcome, ValidationFailed):
            log.warning(
                "alert %s: bad %s address for user %s", alert.pk, message.channel, label.split(":")[0]
            )
        else:
            sent.append(label)
    return sent


def alert_notify(*, alert_id: int) -> Alert | None:
    """Send the first notifications of an alert if still pending (idempotent; called by task and sweep)."""
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient", "patient__referring_oncologist")
            .filter(pk=alert_id, notify_pending=True)
            .first()
        )
        if alert is None:
            return None
        now = clock.now()
        people = alert_recipients(alert, alert.escalation_step)
        sent = _notify_people(alert, alert.escalation_step, people)
        alert.notify_pending = False
        alert.notified_at = alert.notified_at or now
        alert.save(update_fields=["notify_pending", "notified_at", "updated_at"])
        AlertEvent.objects.create(
            alert=alert,
            at=now,
            kind=AlertEventKind.NOTIFIED if alert.escalation_step == 0 else AlertEventKind.ESCALATED,
            data={"to": [u.username for u in people], "messages": sent, "step": alert.escalation_step},
        )
        return alert


def alert_escalate_due(*, alert_id: int) -> Alert | None:
    """Escalate one alert whose timer is due and that nobody acknowledged (idempotent)."""
    with transaction.atomic():
        now = clock.now()
        alert = (
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient", "patient__referring_oncologist")
            .filter(pk=alert_id, status=AlertStatus.OPEN, escalation_due_at__lte=now)
            .first()
        )
        if alert is None:
            return None
        alert.escalation_step += 1
        alert.escalated_at = now
        alert.escalation_due_at = None  # one escalation step; then it stays at the top of every queue
        alert.notify_pending = True
        alert.version += 1
        alert.save()
        timeline_record(
            patient=alert.patient,
            actor=None,
            kind="alert.escalated",
            at=now,
            data={
                "label": {
                    "fr": "Alerte non prise en charge : escaladée au médecin d'astreinte de l'HAD",
                    "en": "Alert not acknowledged: escalated to the HAD on-call doctor",
                }
            },
        )
        audit_record(
            actor=None,
            action="update",
            object_type="alert",
            object_id=str(alert.external_id),
            patient_id=alert.patient_id,
            detail={"escalated": alert.escalation_step},
        )
    return alert_notify(alert_id=alert_id)


def alert_sweep(*, limit: int = 200) -> dict[str, int]:
    """Periodic: notify what is still pending (crash between grading and notification), escalate what is due."""
    now = clock.now()
    pending = list(
        Alert.objects.filter(notify_pending=True).order_by("opened_at").values_list("pk", flat=True)[:limit]
    )
    notified = sum(1 for pk in pending if alert_notify(alert_id=pk) is not None)
    due = list(
        Alert.objects.filter(status=AlertStatus.OPEN, escalation_due_at__lte=now)
        .order_by("escalation_due_at")
        .values_list("pk", flat=True)[:limit]
    )
    escalated = sum(1 for pk in due if alert_escalate_due(alert_id=pk) is not None)
    return {"notified": notified, "escalated": escalated}


def _require_handler(actor: User, alert: Alert) -> None:
    from parcours.patients.access import patients_visible_to

    if not patients_visible_to(user=actor).filter(pk=alert.patient_id).exists():
        from parcours.core.errors import NotFound

        raise NotFound(_("Alerte introuvable."))
    if not has_perm(actor, "alert.handle"):
        raise Forbidden(_("Votre rôle ne permet pas de prendre en charge les alertes (alert.handle)."))


def _locked_alert(alert: Alert, version: int | None) -> Alert:
    locked = Alert.objects.select_for_update().select_related("patient").get(pk=alert.pk)
    if version is not None and locked.version != version:
        raise StaleEdit(_("L'alerte a été modifiée entre-temps : rechargez la page."))
    return locked


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: Alert, version: int | None = None, note: str = "") -> Alert:
    """ "I take it": stops the escalation timer; the alert stays open (it still blocks the cure OK) until closed."""
    _require_handler(actor, alert)
    alert = _locked_alert(alert, version)
    if alert.status != AlertStatus.OPEN:
        raise TransitionRefused(_("Cette alerte est déjà prise en charge ou clôturée."))
    now = clock.now()
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by = actor
    alert.escalation_due_at = None
    alert.version += 1
    alert.save()
    AlertEvent.objects.create(
        alert=alert, at=now, kind=AlertEventKind.ACKNOWLEDGED, actor=actor, note=note[:1000]
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="alert",
        object_id=str(alert.external_id),
        patient_id=alert.patient_id,
        detail={"acknowledged": True},
    )
    timeline_record(
        patient=alert.patient,
        actor=actor,
        kind="alert.acknowledged",
        at=now,
        data={"label": {"fr": "Alerte prise en charge", "en": "Alert acknowledged"}},
        reason=note[:1000],
    )
    return alert


@transaction.atomic
def alert_action(*, actor: User, alert: Alert, note: str) -> AlertEvent:
    """Trace an action taken (call to the patient, advice, visit requested...)."""
    _require_handler(actor, alert)
    if not note.strip():
        raise ValidationFailed(
            _("Décrivez l'action."), field_errors={"note": [_("Ce champ est obligatoire.")]}
        )
    alert = _locked_alert(alert, None)
    if alert.status == AlertStatus.CLOSED:
        raise TransitionRefused(_("Cette alerte est clôturée."))
    now = clock.now()
    event = AlertEvent.objects.create(
        alert=alert, at=now, kind=AlertEventKind.ACTION, actor=actor, note=note.strip()[:1000]
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="alert",
        object_id=str(alert.external_id),
        patient_id=alert.patient_id,
        detail={"action": note.strip()[:200]},
    )
    timeline_record(
        patient=alert.patient,
        actor=actor,
        kind="alert.action",
        at=now,
        data={"label": {"fr": f"Action sur l'alerte : {note.strip()[:200]}", "en": "Alert action"}},
    )
    return event


@transaction.atomic
def alert_close(*, actor: User, alert: Alert, reason: str, version: int | None = None) -> Alert:
    _require_handler(actor, alert)
    if not reason.strip():
        raise ValidationFailed(
            _("Indiquez pourquoi l'alerte est clôturée."),
            field_errors={"reason": [_("Ce champ est obligatoire.")]},
        )
    alert = _locked_alert(alert, version)
    if alert.status == AlertStatus.CLOSED:
        raise TransitionRefused(_("Cette alerte est déjà clôturée."))
    now = clock.now()
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, actor
    alert.status = AlertStatus.CLOSED
    alert.closed_at, alert.closed_by, alert.close_reason = now, actor, reason.strip()[:1000]
    alert.escalation_due_at = None
    alert.notify_pending = False
    alert.version += 1
    alert.save()
    AlertEvent.objects.create(
        alert=alert, at=now, kind=AlertEventKind.CLOSED, actor=actor, note=alert.close_reason
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="alert",
        object_id=str(alert.external_id),
        patient_id=alert.patient_id,
        detail={"closed": True},
    )
    timeline_record(
        patient=alert.patient,
        actor=actor,
        kind="alert.closed",
        at=now,
        data={"label": {"fr": "Alerte clôturée", "en": "Alert closed"}},
        reason=alert.close_reason,
    )
    return alert


# --------------------------------------------------------------------------------------------- holds


@transaction.atomic
def hold_review(
    *, actor: User, hold: TreatmentHold, decision: str, note: str, version: int | None = None
) -> HoldReview:
    """A doctor reviews a treatment hold: ``lift`` (the next cure's OK may be given) or ``keep``."""
    from parcours.core.errors import NotFound
    from parcours.patients.access import patients_visible_to

    if not patients_visible_to(user=actor).filter(pk=hold.patient_id).exists():
        raise NotFound(_("Suspension introuvable."))
    if not has_perm(actor, "cure.ok"):
        raise Forbidden(_("Seul un médecin peut lever ou maintenir une suspension de traitement (cure.ok)."))
    errors: dict[str, list[str]] = {}
    if decision not in HoldDecision.values:
        errors["decision"] = [_("Choisissez : reprise autorisée ou suspension maintenue.")]
    if not note.strip():
        errors["note"] = [_("Ce champ est obligatoire.")]
    if errors:
        raise ValidationFailed(
            _("L'avis n'a pas été enregistré : corrigez les champs signalés."), field_errors=errors
        )
    locked = TreatmentHold.objects.select_for_update().select_related("patient").get(pk=hold.pk)
    if version is not None and locked.version != version:
        raise StaleEdit(_("La suspension a été modifiée entre-temps : rechargez la page."))
    if locked.status != HoldStatus.OPEN:
        raise TransitionRefused(_("Cette suspension est déjà levée."))
    now = clock.now()
    review = HoldReview.objects.create(
        hold=locked, at=now, reviewer=actor, decision=decision, note=note.strip()[:1000]
    )
    locked.version += 1
    if decision == HoldDecision.LIFT:
        locked.status = HoldStatus.LIFTED
        locked.lifted_at, locked.lifted_by = now, actor
    locked.save()
    audit_record(
        actor=actor,
        action="update",
        object_type="treatment_hold",
        object_id=str(locked.external_id),
        patient_id=locked.patient_id,
        detail={"decision": decision},
    )
    timeline_record(
        patient=locked.patient,
        actor=actor,
        kind="triage.hold_reviewed",
        at=now,
        reason=review.note,
        data={
            "label": {
                "fr": "Suspension levée par le médecin"
                if decision == HoldDecision.LIFT
                else "Suspension maintenue par le médecin",
                "en": "Hold lifted by the doctor"
                if decision == HoldDecision.LIFT
                else "Hold kept by the doctor",
            }
        },
    )
    return review


# --------------------------------------------------------------------------------------------- tasks


def task_ensure(
    *, patient: Patient, kind: str, key: str, due_at: dt.datetime, detail: str = "", assignment: Any = None
) -> WorkTask:
    """Create the IDEC task for this cause once (the key makes it idempotent)."""
    task, created = WorkTask.objects.get_or_create(
        key=key,
        defaults={
            "patient": patient,
            "kind": kind,
            "due_at": due_at,
            "detail": detail[:500],
            "assignment": assignment,
        },
    )
    if created:
        audit_record(
            actor=None,
            action="create",
            object_type="telemonitoring_task",
            object_id=str(task.external_id),
            patient_id=patient.pk,
            detail={"kind": kind},
        )
    return task


@transaction.atomic
def task_done(*, actor: User, task: WorkTask, note: str = "") -> WorkTask:
    from parcours.core.errors import NotFound
    from parcours.patients.access import patients_visible_to

    if not patients_visible_to(user=actor).filter(pk=task.patient_id).exists():
        raise NotFound(_("Tâche introuvable."))
    if not (has_perm(actor, "alert.handle") or has_perm(actor, "monitoring.proxy")):
        raise Forbidden(_("Votre rôle ne permet pas de traiter les tâches de télésurveillance."))
    locked = WorkTask.objects.select_for_update().select_related("patient").get(pk=task.pk)
    if locked.status != TaskStatus.OPEN:
        raise Conflict(_("Cette tâche est déjà traitée."))
    now = clock.now()
    locked.status, locked.done_at, locked.done_by, locked.note = (
        TaskStatus.DONE,
        now,
        actor,
        note.strip()[:1000],
    )
    locked.save()
    audit_record(
        actor=actor,
        action="update",
        object_type="telemonitoring_task",
        object_id=str(locked.external_id),
        patient_id=locked.patient_id,
        detail={"done": True},
    )
    timeline_record(
        patient=locked.patient,
        actor=actor,
        kind="telemonitoring.task_done",
        at=now,
        reason=locked.note,
        data={
            "label": {"fr": f"Tâche faite : {TaskKind(locked.kind).label}", "en": f"Task done: {locked.kind}"}
        },
    )
    return locked


__all__ = [
    "alert_acknowledge",
    "alert_action",
    "alert_close",
    "alert_escalate_due",
    "alert_notify",
    "alert_sweep",
    "hold_review",
    "task_done",
    "task_ensure",
    "triage_record",
]


# ---------------------------------------------------------------------------------- questionnaires


@dataclass(frozen=True)
class Instruction:
    """What the patient reads right after sending the answers, by level."""

    level: str
    title: str
    text: str
    phones: tuple[tuple[str, str], ...]  # (label, number)
    call_emergency: bool


def care_team_phones(patient: Patient) -> tuple[tuple[str, str], ...]:
    phones: list[tuple[str, str]] = []
    first_idec = (
        User.objects.filter(
            is_active=True,
            role__code="idec",
            memberships__patient=patient,
            memberships__until__isnull=True,
        )
        .order_by("pk")
        .values_list("phone", flat=True)[:1]
    )
    for phone in first_idec:
        if phone:
            phones.append((_("Infirmière de coordination (IDEC)"), phone))
    phones.append((_("Équipe soignante (standard)"), str(conf.get("care_team_phone"))))
    return tuple(phones)


def patient_instruction(level: str, patient: Patient) -> Instruction:
    phones = care_team_phones(patient)
    if level == Level.URGENT:
        return Instruction(
            level,
            _("Appelez le 15 maintenant"),
            _(
                "Vos réponses montrent un signe qui doit être vu sans attendre. Appelez le 15 (SAMU) maintenant, "
                "ou le 112 depuis un portable. Dites que vous êtes traité(e) par immunothérapie. "
                "Votre équipe soignante a aussi été prévenue."
            ),
            (("SAMU", "15"), (_("Urgences (Europe)"), "112"), *phones),
            True,
        )
    if level == Level.SAME_DAY:
        return Instruction(
            level,
            _("Votre équipe va vous appeler aujourd'hui"),
            _(
                "Vos réponses ont été transmises à votre équipe soignante, qui vous appellera aujourd'hui. "
                "Sans nouvelles d'ici ce soir, appelez-la. Si vous vous sentez plus mal, appelez le 15."
            ),
            phones,
            False,
        )
    if level == Level.ROUTINE:
        return Instruction(
            level,
            _("Merci, vos réponses sont bien arrivées"),
            _(
                "Votre équipe les regardera lors du prochain contact. En cas de doute ou si un symptôme "
                "s'aggrave, appelez-la."
            ),
            phones,
            False,
        )
    return Instruction(
        level,
        _("Merci, vos réponses sont bien arrivées"),
        _("Rien d'inquiétant dans vos réponses. Si un symptôme apparaît ou s'aggrave, appelez votre équipe."),
        phones,
        False,
    )


@dataclass(frozen=True)
class SubmitOutcome:
    response: QuestionnaireResponse
    assessment: TriageAssessment | None
    instruction: Instruction
    duplicate: bool


def _outcome(
    response: QuestionnaireResponse, *, duplicate: bool, assessment: TriageAssessment | None = None
) -> SubmitOutcome:
    if assessment is None:
        assessment = response.assessments.order_by("-assessed_at", "-id").first()
    level = assessment.level if assessment is not None else Level.NONE
    return SubmitOutcome(response, assessment, patient_instruction(level, response.patient), duplicate)


def _check_key(submission_key: str) -> str:
    key = (submission_key or "").strip()
    if not 8 <= len(key) <= 80:
        raise ValidationFailed(
            _("Envoi invalide : rechargez la page et renvoyez vos réponses."),
            field_errors={"submission_key": [_("Clé d'envoi manquante ou invalide.")]},
        )
    return key


def _clean(
    definition: questionnaires.Definition, answers: Mapping[str, Any], free_text: str
) -> dict[str, int | None]:
    try:
        cleaned = questionnaires.clean_answers(definition, answers)
    except questionnaires.AnswerError as exc:
        raise ValidationFailed(
            _("Certaines réponses ne sont pas valides : vérifiez les questions signalées."),
            field_errors={f"answers.{k}": [v] for k, v in exc.errors.items()},
        ) from exc
    if len(free_text) > 4000:
        raise ValidationFailed(
            _("Le texte libre est trop long (4000 caractères au plus)."),
            field_errors={"free_text": [_("4000 caractères au plus.")]},
        )
    return cleaned


def _store_and_triage(
    *,
    actor: User | None,
    patient: Patient,
    assignment: QuestionnaireAssignment | None,
    definition: questionnaires.Definition,
    answers: dict[str, int | None],
    free_text: str,
    key: str,
    channel: str,
    audience: str = "",
    link_id: str = "",
    assignment_locked: bool = False,
) -> tuple[QuestionnaireResponse, TriageAssessment]:
    """Inside the caller's transaction: the response, its assignment and task, audit, timeline, the triage."""
    now = clock.now()
    if assignment is not None:
        if not assignment_locked:
            assignment = QuestionnaireAssignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.status == AssignmentStatus.SUBMITTED:
            raise Conflict(_("Ce questionnaire a déjà été rempli."))
        if assignment.status == AssignmentStatus.CANCELLED:
            raise TransitionRefused(_("Ce questionnaire a été annulé par l'équipe soignante."))
    response = QuestionnaireResponse.objects.create(
        patient=patient,
        assignment=assignment,
        questionnaire=definition.code,
        questionnaire_version=definition.version,
        answers=answers,
        free_text=free_text.strip(),
        submitted_at=now,
        channel=channel,
        audience=audience,
        entered_by=actor,
        link_id=link_id,
        submission_key=key,
    )
    if assignment is not None:
        assignment.status = AssignmentStatus.SUBMITTED
        assignment.submitted_at = now
        assignment.save(update_fields=["status", "submitted_at", "updated_at"])
        WorkTask.objects.filter(
            assignment=assignment, kind=TaskKind.MISSED_QUESTIONNAIRE, status=TaskStatus.OPEN
        ).update(status=TaskStatus.CANCELLED, note=_("Questionnaire rempli entre-temps."), updated_at=now)
    audit_record(
        actor=actor,
        action="create",
        object_type="questionnaire_response",
        object_id=str(response.external_id),
        patient_id=patient.pk,
        detail={
            "channel": channel,
            "audience": audience,
            "questionnaire": definition.code,
            "proxy": channel == "proxy",
        },
    )
    who = {
        "link": "le patient" if audience != "caregiver" else "l'aidant",
        "proxy": "un soignant (saisie pour le patient)",
    }
    timeline_record(
        patient=patient,
        actor=actor,
        kind="questionnaire.submitted",
        at=now,
        data={
            "label": {
                "fr": f"Questionnaire de suivi rempli par {who.get(channel, 'API')}",
                "en": f"Follow-up questionnaire submitted ({channel})",
            },
            "response": str(response.external_id),
            "channel": channel,
        },
    )
    if free_text.strip():
        task_ensure(
            patient=patient,
            kind=TaskKind.ROUTINE_REVIEW,
            key=f"free_text:{response.external_id}",
            due_at=now,
            detail=_("Message libre du patient : %(text)s") % {"text": free_text.strip()[:400]},
        )
    assessment = _triage(actor=actor, patient=patient, trigger=TriageTrigger.QUESTIONNAIRE, response=response)
    return response, assessment


def _existing_response(key: str) -> QuestionnaireResponse | None:
    return QuestionnaireResponse.objects.select_related("patient").filter(submission_key=key).first()


def link_context(*, token: str, client_ip: str) -> tuple[SecureLink, QuestionnaireAssignment]:
    """Open a questionnaire link (``LinkRefused`` if it cannot be used) and find what it opens."""
    link = link_open(token=token, purpose=LINK_PURPOSE, client_ip=client_ip)
    assignment = QuestionnaireAssignment.objects.filter(
        external_id=link.target_id, patient=link.patient
    ).first()
    if assignment is None:
        raise LinkRefused("unknown")
    return link, assignment


def response_submit_by_link(
    *, token: str, client_ip: str, answers: Mapping[str, Any], free_text: str, submission_key: str
) -> SubmitOutcome:
    """The patient or caregiver sends the answers through the secure link.

    Idempotent: the same ``submission_key`` (generated by the page, kept with the answers in the browser)
    returns the first outcome, even though the link is now used. The link is consumed in the same
    transaction as the response, so two racing submissions count once.
    """
    key = _check_key(submission_key)
    previous = _existing_response(key)
    if previous is not None:
        link = SecureLink.objects.filter(token_hash=token_hash(token or "")).first()
        if link is None or str(link.external_id) != previous.link_id:
            raise LinkRefused("unknown")
        return _outcome(previous, duplicate=True)
    link = link_open(token=token, purpose=LINK_PURPOSE, client_ip=client_ip, record_open=False)
    patient = link.patient  # loaded with the link by link_open (the locked copy below does not carry it)
    try:
        # One transaction: anything refused below (unknown questionnaire, invalid answers, a racing
        # submission) rolls the link's consumption back, so nothing is recorded and the link still works.
        # Its audit and timeline rows are written together at the end (two INSERTs instead of eight).
        with transaction.atomic(), audit_batch(), timeline_batch():
            link = link_consume(link=link, opened=True)
            assignment = (
                QuestionnaireAssignment.objects.select_for_update()
                .filter(external_id=link.target_id, patient_id=patient.pk)
                .first()
            )  # read once, locked (it was read twice: to open the form's definition, then locked)
            if assignment is None:
                raise LinkRefused("unknown")
            definition = questionnaires.load(assignment.questionnaire, assignment.regimen)
            cleaned = _clean(definition, answers, free_text)
            response, assessment = _store_and_triage(
                actor=None,
                patient=patient,
                assignment=assignment,
                definition=definition,
                answers=cleaned,
                free_text=free_text,
                key=key,
                channel=ResponseChannel.LINK,
                audience=link.audience,
                link_id=str(link.external_id),
                assignment_locked=True,
            )
    except IntegrityError:  # the same key raced in another request: it won
        previous = _existing_response(key)
        if previous is None:
            raise
        return _outcome(previous, duplicate=True)
    return _outcome(response, duplicate=False, assessment=assessment)


def response_submit_proxy(
    *,
    actor: User,
    patient: Patient,
    answers: Mapping[str, Any],
    free_text: str,
    submission_key: str,
    assignment: QuestionnaireAssignment | None = None,
    questionnaire: str = questionnaires.DEFAULT,
) -> SubmitOutcome:
    """An IDEL/IDEC enters the answers on the patient's behalf (recorded as proxy entry, with who)."""
    from parcours.patients.access import patients_visible_to

    if not patients_visible_to(user=actor).filter(pk=patient.pk).exists():
        from parcours.core.errors import NotFound

        raise NotFound(_("Patient introuvable."))
    if not has_perm(actor, "monitoring.proxy"):
        raise Forbidden(
            _("Votre rôle ne permet pas de saisir un questionnaire pour le patient (monitoring.proxy).")
        )
    key = _check_key(submission_key)
    previous = _existing_response(key)
    if previous is not None:
        if previous.patient_id != patient.pk:
            raise Conflict(_("Cette clé d'envoi a déjà servi pour un autre patient."))
        return _outcome(previous, duplicate=True)
    if assignment is not None and assignment.patient_id != patient.pk:
        raise ValidationFailed(
            _("Questionnaire d'un autre patient."), field_errors={"assignment": [_("Inconnu.")]}
        )
    regimen = assignment.regimen if assignment is not None else _plan_regimen(patient)
    code = assignment.questionnaire if assignment is not None else questionnaire
    try:
        definition = questionnaires.load(code, regimen)
    except KeyError as exc:
        raise ValidationFailed(
            _("Questionnaire inconnu."), field_errors={"questionnaire": [_("Questionnaire inconnu.")]}
        ) from exc
    cleaned = _clean(definition, answers, free_text)
    try:
        with transaction.atomic(), audit_batch(), timeline_batch():
            response, assessment = _store_and_triage(
                actor=actor,
                patient=patient,
                assignment=assignment,
                definition=definition,
                answers=cleaned,
                free_text=free_text,
                key=key,
                channel=ResponseChannel.PROXY,
            )
    except IntegrityError:
        previous = _existing_response(key)
        if previous is None:
            raise
        return _outcome(previous, duplicate=True)
    return _outcome(response, duplicate=False, assessment=assessment)


# ------------------------------------------------------------------------------ assignments & links


@transaction.atomic
def questionnaire_assign(
    *,
    actor: User | None,
    patient: Patient,
    due_at: dt.datetime,
    reason: str = AssignmentReason.MANUAL,
    questionnaire: str | None = None,
    regimen: str | None = None,
    schedule_key: str = "",
) -> QuestionnaireAssignment:
    """Ask the patient for a questionnaire (idempotent per ``schedule_key``)."""
    plan = MonitoringPlan.objects.filter(patient=patient).first()
    code = questionnaire or (plan.questionnaire if plan else questionnaires.DEFAULT)
    if code not in questionnaires.available():
        raise ValidationFailed(
            _("Questionnaire inconnu."), field_errors={"questionnaire": [_("Questionnaire inconnu.")]}
        )
    if schedule_key:
        existing = QuestionnaireAssignment.objects.filter(patient=patient, schedule_key=schedule_key).first()
        if existing is not None:
            return existing
    assignment = QuestionnaireAssignment.objects.create(
        patient=patient,
        questionnaire=code,
        regimen=regimen if regimen is not None else (plan.regimen if plan else ""),
        reason=reason,
        due_at=due_at,
        schedule_key=schedule_key,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="questionnaire_assignment",
        object_id=str(assignment.external_id),
        patient_id=patient.pk,
        detail={"questionnaire": code, "reason": reason},
    )
    return assignment


def answer_url(token: str, base_url: str | None = None) -> str:
    from django.urls import reverse

    base = (base_url or str(conf.get("public_base_url")) or "http://localhost:8000").rstrip("/")
    return base + reverse("telemonitoring:answer", args=[token])


@transaction.atomic
def questionnaire_link_send(
    *,
    actor: User | None,
    assignment: QuestionnaireAssignment,
    channel: str = "sms",
    audience: str = "patient",
    caregiver: Caregiver | None = None,
    base_url: str | None = None,
) -> IssuedLink:
    """Issue a secure single-use link to the questionnaire and send it by SMS or e-mail through the outbox."""
    from parcours.notifications.services import notification_enqueue

    patient = assignment.patient
    if actor is not None and not has_perm(actor, "monitoring.link"):
        raise Forbidden(_("Votre rôle ne permet pas d'envoyer un lien de questionnaire (monitoring.link)."))
    if assignment.status not in (AssignmentStatus.PENDING, AssignmentStatus.MISSED):
        raise TransitionRefused(_("Ce questionnaire est déjà rempli ou annulé."))
    if channel == "sms":
        to = caregiver.phone if caregiver is not None else patient.phone
    elif channel == "email":
        to = patient.email if caregiver is None else ""
    else:
        raise ValidationFailed(_("Canal inconnu."), field_errors={"channel": [_("SMS ou courriel.")]})
    if not to:
        raise ValidationFailed(
            _("Pas de numéro ou d'adresse pour ce destinataire : complétez les coordonnées."),
            field_errors={"channel": [_("Coordonnées manquantes.")]},
        )
    issued = link_issue(
        actor=actor,
        patient=patient,
        purpose=LINK_PURPOSE,
        target_id=str(assignment.external_id),
        audience=audience,
        caregiver=caregiver,
        ttl=dt.timedelta(hours=int(conf.get("link_ttl_hours"))),
    )
    url = answer_url(issued.token, base_url)
    body = _(
        "Bonjour, votre équipe soignante vous demande de répondre au questionnaire de suivi (5 minutes) : "
        "%(url)s . Ce lien personnel est valable %(hours)s heures. Ne le transmettez pas."
    ) % {"url": url, "hours": conf.get("link_ttl_hours")}
    notification_enqueue(
        channel=channel,
        to=to,
        subject=_("Votre questionnaire de suivi"),
        body=body,
        idempotency_key=f"tm-link:{issued.link.external_id}",
        patient_id=patient.pk,
        actor=actor,
    )
    timeline_record(
        patient=patient,
        actor=actor,
        kind="questionnaire.link_sent",
        data={
            "label": {
                "fr": f"Lien du questionnaire envoyé ({channel})",
                "en": f"Questionnaire link sent ({channel})",
            }
        },
    )
    return issued


# --------------------------------------------------------------------------------- observation hook


def on_observations(patient_id: int, observation_ids: list[int]) -> None:
    """Registered with ``parcours.clinical.hooks``: a new lab or vital is triaged at once."""
    from parcours.clinical.services import observations_mark_triaged

    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        return
    with transaction.atomic():
        triage_record(
            actor=None, patient=patient, trigger=TriageTrigger.OBSERVATIONS, observation_ids=observation_ids
        )
        observations_mark_triaged(observation_ids=observation_ids)


def observations_sweep(*, limit: int = 500) -> int:
    """Catch up observations whose hook did not run (crash, failure): one triage per patient."""
    from parcours.clinical.selectors import untriaged

    by_patient: dict[int, list[int]] = {}
    for obs in untriaged(limit):
        by_patient.setdefault(obs.patient_id, []).append(obs.pk)
    for patient_id, ids in by_patient.items():
        try:
            on_observations(patient_id, ids)
        except Exception:
            log.exception("triage of observations %s of patient %s failed", ids, patient_id)
    return len(by_patient)
