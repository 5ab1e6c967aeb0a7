"""Pages: the patient's questionnaire (secure link, no account), the staff's telemonitoring page of a patient,
proxy entry, and the IDEC work queue (alerts and tasks). Thin: every write is one service call."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.accounts.webkit import flash_error, request_user
from parcours.audit.services import audit_record
from parcours.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from parcours.links.services import LinkRefused
from parcours.links.views import client_ip, render_refused
from parcours.patients.access import access_patient_by_id, patients_visible_to
from parcours.patients.models import Patient
from parcours.telemonitoring import questionnaires, schedules, selectors, services
from parcours.telemonitoring.cards import alert_cards
from parcours.telemonitoring.enums import Level
from parcours.telemonitoring.models import (
    Alert,
    MonitoringPlan,
    QuestionnaireAssignment,
    TreatmentHold,
    WorkTask,
)


def _patient(request: HttpRequest, patient_id: Any, **kwargs: Any) -> Patient:
    try:
        return access_patient_by_id(user=request.user, patient_id=str(patient_id), **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc


def _answers_from_post(request: HttpRequest, definition: questionnaires.Definition) -> dict[str, Any]:
    return {var: request.POST.get(var, "") for var in definition.variables if var in request.POST}


def _errors(exc: ValidationFailed) -> dict[str, list[str]]:
    return {k.split(".", 1)[-1]: v for k, v in exc.field_errors.items()}


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    # same-origin: the token in the URL never leaves the site, and the form's POST keeps its Origin header
    # (with "no-referrer" browsers send "Origin: null" and the CSRF check refuses the answers)
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response["X-Robots-Tag"] = "noindex"
    return response


# ------------------------------------------------------------------------------- patient (secure link)


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's questionnaire. No account: the token is the only key; nothing is recorded if refused."""
    if request.method == "POST":
        return _submit_link(request, token)
    try:
        link, assignment = services.link_context(token=token, client_ip=client_ip(request))
    except LinkRefused as exc:
        return _no_store(render_refused(request, exc))
    definition = questionnaires.load(assignment.questionnaire, assignment.regimen)
    return _no_store(
        render(
            request,
            "telemonitoring/answer.html",
            {
                "definition": definition,
                "action": request.path,
                "storage_key": f"parcours-q-{link.external_id}",
                "submission_key": uuid.uuid4().hex,
                "caregiver": link.audience == "caregiver",
                "phones": services.care_team_phones(link.patient),
                "answers": {},
                "patient_page": True,
            },
        )
    )


def _submit_link(request: HttpRequest, token: str) -> HttpResponse:
    """One service call: the link, the answers and the triage are checked there (nothing recorded if refused).

    A resubmission of answers already received (lost connection) shows the same result again."""
    key = request.POST.get("submission_key", "")
    answers = {k: v for k, v in request.POST.items() if k.startswith("PROCTCAE_")}
    free_text = request.POST.get("free_text", "")
    try:
        outcome = services.response_submit_by_link(
            token=token,
            client_ip=client_ip(request),
            answers=answers,
            free_text=free_text,
            submission_key=key,
        )
    except LinkRefused as exc:
        return _no_store(render_refused(request, exc))
    except ValidationFailed as exc:
        try:
            _link, assignment = services.link_context(token=token, client_ip=client_ip(request))
        except LinkRefused as refused:
            return _no_store(render_refused(request, refused))
        return _no_store(
            render(
                request,
                "telemonitoring/answer.html",
                {
                    "definition": questionnaires.load(assignment.questionnaire, assignment.regimen),
                    "action": request.path,
                    "storage_key": "",
                    "submission_key": key,
                    "errors": _errors(exc),
                    "error_message": exc.message,
                    "answers": answers,
                    "free_text": free_text,
                    "phones": (),
                    "patient_page": True,
                },
                status=400,
            )
        )
    except DomainError as exc:  # already answered by proxy, cancelled...
        return _no_store(
            render(
                request,
                "telemonitoring/answer_done.html",
                {"message": exc.message, "instruction": None},
                status=409,
            )
        )
    return _no_store(
        render(
            request,
            "telemonitoring/answer_done.html",
            {"instruction": outcome.instruction, "duplicate": outcome.duplicate, "clear_storage": True},
        )
    )


# ------------------------------------------------------------------------------------ staff: patient


def _can(user: User) -> dict[str, bool]:
    return {
        "link": has_perm(user, "monitoring.link"),
        "proxy": has_perm(user, "monitoring.proxy"),
        "alert": has_perm(user, "alert.handle"),
        "review": has_perm(user, "cure.ok"),
    }


@login_required
def patient_page(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = _patient(request, patient_id, record_read=False)
    audit_record(
        actor=request_user(request),
        action="read",
        object_type="telemonitoring",
        object_id=str(patient.external_id),
        patient_id=patient.pk,
    )
    view = selectors.patient_monitoring(patient, cure_dates=schedules.cure_dates(patient))
    return render(
        request,
        "telemonitoring/patient.html",
        {
            "patient": patient,
            "view": view,
            "can": _can(request_user(request)),
            "gate": selectors.gate_status(patient),
            "questionnaires": questionnaires.available(),
            "instruction": services.patient_instruction(view.latest.level, patient) if view.latest else None,
        },
    )


def _back(patient: Patient, anchor: str = "") -> HttpResponse:
    url = reverse("telemonitoring:patient", args=[patient.external_id])
    return redirect(f"{url}#{anchor}" if anchor else url)


@login_required
@require_http_methods(["GET", "POST"])
def proxy_entry(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """An IDEL/IDEC fills in the questionnaire with (or for) the patient: recorded as proxy entry."""
    patient = _patient(request, patient_id, permission="monitoring.proxy")
    assignment = None
    assignment_id = request.GET.get("demande") or request.POST.get("assignment")
    if assignment_id:
        try:
            assignment = QuestionnaireAssignment.objects.filter(
                patient=patient, external_id=uuid.UUID(assignment_id)
            ).first()
        except ValueError:
            assignment = None
    plan = MonitoringPlan.objects.filter(patient=patient).first()
    code = (
        assignment.questionnaire if assignment else (plan.questionnaire if plan else questionnaires.DEFAULT)
    )
    regimen = assignment.regimen if assignment else (plan.regimen if plan else "")
    definition = questionnaires.load(code, regimen)
    context: dict[str, Any] = {
        "definition": definition,
        "patient": patient,
        "action": request.get_full_path(),
        "assignment": assignment,
        "storage_key": f"parcours-proxy-{patient.external_id}",
        "submission_key": uuid.uuid4().hex,
        "answers": {},
        "proxy": True,
    }
    if request.method == "POST":
        answers = _answers_from_post(request, definition)
        try:
            outcome = services.response_submit_proxy(
                actor=request_user(request),
                patient=patient,
                answers=answers,
                free_text=request.POST.get("free_text", ""),
                submission_key=request.POST.get("submission_key", ""),
                assignment=assignment,
                questionnaire=code,
            )
        except ValidationFailed as exc:
            context.update(
                errors=_errors(exc),
                error_message=exc.message,
                answers=answers,
                submission_key=request.POST.get("submission_key", ""),
                free_text=request.POST.get("free_text", ""),
            )
            return render(request, "telemonitoring/answer.html", context, status=400)
        except DomainError as exc:
            flash_error(request, exc)
            return _back(patient)
        level = outcome.assessment.level if outcome.assessment else "none"
        messages.success(
            request,
            _("Réponses enregistrées (saisie par un soignant). Niveau du triage : %(level)s.")
            % {"level": Level(level).label},
        )
        return _back(patient, "triage")
    return render(request, "telemonitoring/answer.html", context)


@login_required
@require_POST
def plan_set(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = _patient(request, patient_id, permission="monitoring.link")
    try:
        start = dt.date.fromisoformat(request.POST.get("treatment_start", ""))
    except ValueError:
        messages.error(request, _("Date de début du traitement invalide."))
        return _back(patient, "reglages")
    try:
        schedules.plan_set(
            actor=request_user(request),
            patient=patient,
            treatment_start=start,
            regimen=request.POST.get("regimen", ""),
            questionnaire=request.POST.get("questionnaire", questionnaires.DEFAULT),
            send_channel=request.POST.get("send_channel", "sms"),
            audience=request.POST.get("audience", "patient"),
            sequence=request.POST.get("sequence", ""),
            weekly_weeks=int(request.POST.get("weekly_weeks") or 13),
            pre_cure_days=int(request.POST.get("pre_cure_days") or 2),
            active=request.POST.get("active", "1") == "1",
        )
    except ValueError:
        messages.error(request, _("Nombre invalide."))
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Télésurveillance enregistrée."))
    return _back(patient, "reglages")


@login_required
@require_POST
def send_link(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Ask for a questionnaire now and send the secure link by SMS or e-mail."""
    from parcours.core import clock

    patient = _patient(request, patient_id, permission="monitoring.link")
    try:
        assignment = services.questionnaire_assign(
            actor=request_user(request),
            patient=patient,
            due_at=clock.now() + dt.timedelta(hours=24),
            questionnaire=request.POST.get("questionnaire") or None,
        )
        caregiver = None
        if request.POST.get("audience") == "caregiver":
            caregiver = patient.caregivers.order_by("-is_primary", "pk").first()
        services.questionnaire_link_send(
            actor=request_user(request),
            assignment=assignment,
            channel=request.POST.get("channel", "sms"),
            audience="caregiver" if caregiver else "patient",
            caregiver=caregiver,
            base_url=request.build_absolute_uri("/"),
        )
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Lien envoyé. Il est valable 72 heures et ne sert qu'une fois."))
    return _back(patient, "questionnaires")


def _object(model: Any, request: HttpRequest, object_id: uuid.UUID) -> Any:
    obj = model.objects.select_related("patient").filter(external_id=object_id).first()
    if obj is None or not patients_visible_to(user=request.user).filter(pk=obj.patient_id).exists():
        raise Http404(_("Introuvable."))
    return obj


def _after(request: HttpRequest, patient: Patient, anchor: str) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt == "queue":
        return redirect(reverse("telemonitoring:queue"))
    return _back(patient, anchor)


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: uuid.UUID) -> HttpResponse:
    alert: Alert = _object(Alert, request, alert_id)
    try:
        version = int(request.POST["version"]) if request.POST.get("version") else None
        services.alert_acknowledge(
            actor=request_user(request), alert=alert, version=version, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Alerte prise en charge : l'escalade est arrêtée."))
    return _after(request, alert.patient, "alertes")


@login_required
@require_POST
def alert_action(request: HttpRequest, alert_id: uuid.UUID) -> HttpResponse:
    alert: Alert = _object(Alert, request, alert_id)
    try:
        services.alert_action(actor=request_user(request), alert=alert, note=request.POST.get("note", ""))
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Action enregistrée."))
    return _after(request, alert.patient, "alertes")


@login_required
@require_POST
def alert_close(request: HttpRequest, alert_id: uuid.UUID) -> HttpResponse:
    alert: Alert = _object(Alert, request, alert_id)
    try:
        services.alert_close(actor=request_user(request), alert=alert, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Alerte clôturée."))
    return _after(request, alert.patient, "alertes")


@login_required
@require_POST
def hold_review(request: HttpRequest, hold_id: uuid.UUID) -> HttpResponse:
    hold: TreatmentHold = _object(TreatmentHold, request, hold_id)
    try:
        services.hold_review(
            actor=request_user(request),
            hold=hold,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Avis enregistré."))
    return _back(hold.patient, "suspension")


@login_required
@require_POST
def task_done(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    task: WorkTask = _object(WorkTask, request, task_id)
    try:
        services.task_done(actor=request_user(request), task=task, note=request.POST.get("note", ""))
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Tâche faite."))
    return _after(request, task.patient, "taches")


# ------------------------------------------------------------------------------------ IDEC queue


QUEUE_ALERTS = 100


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The IDEC work queue: alerts not closed (worst first) and open tasks, for the patients she follows."""
    user = request_user(request)
    if not (has_perm(user, "alert.handle") or has_perm(user, "monitoring.proxy")):
        raise PermissionDenied(_("Votre rôle ne donne pas accès à la file de télésurveillance."))
    patients = patients_visible_to(user=user)
    alerts = selectors.queue_alerts(patients, limit=QUEUE_ALERTS)
    total = selectors.queue_alert_count(patients) if len(alerts) == QUEUE_ALERTS else len(alerts)
    tasks = list(selectors.queue_tasks(patients)[:200])
    audit_record(
        actor=user,
        action="read",
        object_type="telemonitoring_queue",
        detail={"alerts": len(alerts), "tasks": len(tasks)},
    )
    can = _can(user)
    context = {
        "alerts": alerts,
        "cards": alert_cards(request, alerts, can=can),
        "alert_total": total,
        "tasks": tasks,
        "can": can,
    }
    if request.headers.get("HX-Request"):
        return render(request, "telemonitoring/_queue.html", context)
    return render(request, "telemonitoring/queue.html", context)


@login_required
def fhir_questionnaire(request: HttpRequest, code: str) -> HttpResponse:
    try:
        definition = questionnaires.load(code)
    except KeyError as exc:
        raise Http404(_("Questionnaire inconnu.")) from exc
    body = json.dumps(questionnaires.to_fhir_questionnaire(definition), ensure_ascii=False, indent=2)
    return HttpResponse(body, content_type="application/fhir+json; charset=utf-8")
