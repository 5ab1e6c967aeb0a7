"""HTML views: parse input, call a gate, call one service or selector, render. No rules here."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from parcours.accounts.permissions import has_perm
from parcours.accounts.responsibilities import rows as responsibility_rows
from parcours.accounts.selectors import convention_between
from parcours.accounts.webkit import flash_error, request_user
from parcours.audit.models import AuditEvent
from parcours.audit.selectors import audit_events
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import DomainError, Forbidden, NotFound, TransitionRefused, ValidationFailed
from parcours.pathways import registry
from parcours.pathways import selectors as pathway_selectors
from parcours.pathways import services as pathway_services
from parcours.patients import selectors as patient_selectors
from parcours.patients import services as patient_services
from parcours.patients.access import access_patient_by_id, access_patient_for_export
from parcours.patients.enums import HadRequestStatus
from parcours.patients.models import Patient
from parcours.patients.timeline import timeline_text
from parcours.web import forms


def _patient(request: HttpRequest, patient_id: str, **kwargs: Any) -> Patient:
    try:
        return access_patient_by_id(user=request.user, patient_id=patient_id, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc


def _apply_errors(form: Any, exc: ValidationFailed) -> None:
    for field, errs in exc.field_errors.items():
        for err in errs:
            form.add_error(field if field in form.fields else None, err)
    if not exc.field_errors:
        form.add_error(None, exc.message)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(actor=form.get_user(), action="login", object_type="session")
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        audit_record(
            actor=None,
            action="login_failed",
            object_type="session",
            detail={"username": str(form.data.get("username", ""))[:150]},
        )
        return super().form_invalid(form)


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure makes us unhealthy
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponseBase:
    user = request_user(request)
    if has_perm(user, "audit.view"):
        return redirect("web:audit")
    if has_perm(user, "org.manage"):
        return redirect("admin:index")
    return redirect("web:patients")


@login_required
@require_GET
def patient_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    query = request.GET.get("q", "")
    page, patients = patient_selectors.my_patients_page(
        user=user, query=query, page_number=request.GET.get("page")
    )
    states = pathway_selectors.clb_states(patient_ids=[p.pk for p in patients])
    rows = [(p, states.get(p.pk)) for p in patients]
    audit_record(actor=user, action="list", object_type="patient", detail={"q": query, "page": page.number})
    return render(
        request,
        "web/patient_list.html",
        {
            "page": page,
            "rows": rows,
            "query": query,
            "can_create": has_perm(user, "patient.create"),
            "state_labels": pathway_selectors.state_labels(registry.CLB_KEY),
        },
    )


@login_required
def patient_create(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not has_perm(user, "patient.create"):
        raise Http404(_("Page introuvable."))
    form = forms.PatientCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cd = dict(form.cleaned_data)
        extra = {k: cd.pop(k) for k in ("hospital", "referring_oncologist", "gp")}
        try:
            patient = patient_services.patient_create(
                actor=user, data=patient_services.PatientInput(**cd), had=None, **extra
            )
        except ValidationFailed as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Dossier créé."))
            return redirect("web:patient", patient_id=patient.external_id)
    return render(request, "web/patient_form.html", {"form": form, "creating": True})


@login_required
def patient_edit(request: HttpRequest, patient_id: str) -> HttpResponse:
    user = request_user(request)
    patient = _patient(request, patient_id, for_write=request.method == "POST")
    initial = {name: getattr(patient, name) for name in patient_services.EDITABLE_FIELDS}
    form = forms.PatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            expected = int(request.POST.get("version", "0"))
            patient_services.patient_update(
                actor=user, patient=patient, expected_version=expected, changes=dict(form.cleaned_data)
            )
        except ValidationFailed as exc:
            _apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Modifications enregistrées."))
            return redirect("web:patient", patient_id=patient.external_id)
    return render(request, "web/patient_form.html", {"form": form, "patient": patient, "creating": False})


@login_required
@require_GET
def patient_detail(request: HttpRequest, patient_id: str) -> HttpResponse:
    user = request_user(request)
    patient = _patient(request, patient_id)
    now = clock.now()
    patient = patient_selectors.patient_with_contacts(patient_id=patient.pk)
    timeline = patient_selectors.timeline_page(patient=patient, limit=30)
    convention = convention_between(hospital_id=patient.hospital_id, had_id=patient.had_id)
    requests = patient_selectors.had_requests(patient=patient)
    facts = pathway_selectors.base_facts(patient)
    context = {
        "patient": patient,
        "care_team": patient_selectors.active_care_team(patient=patient),
        "consents": patient_selectors.consents_in_force(patient=patient),
        "eligibility": patient_selectors.latest_eligibility(patient=patient),
        "had_requests": requests,
        "pending_request": next((r for r in requests if r.status == HadRequestStatus.REQUESTED), None),
        "pathways": pathway_selectors.pathway_views(patient=patient, now=now, base=facts),
        "startable": pathway_selectors.startable_definitions(patient=patient),
        "checklist": pathway_selectors.admission_checklist(patient=patient, base=facts),
        "timeline": [(e, timeline_text(e)) for e in timeline],
        "timeline_more": len(timeline) == 30,
        "convention": convention,
        "responsibilities": responsibility_rows(convention.responsibilities) if convention else None,
        "consent_form": forms.ConsentForm(),
        "eligibility_form": forms.EligibilityForm(),
        "had_request_form": forms.HadRequestForm(initial={"had": patient.had_id}),
        "caregiver_form": forms.CaregiverForm(),
        "can": {
            code.replace(".", "_"): has_perm(user, code)
            for code in (
                "patient.edit",
                "pathway.transition",
                "pathway.checklist",
                "had.request",
                "had.validate",
                "consent.record",
                "eligibility.assess",
                "careteam.manage",
            )
        },
        "now": now,
    }
    return render(request, "web/patient_detail.html", context)


@login_required
@require_GET
def patient_timeline(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id)
    before = request.GET.get("before")
    events = patient_selectors.timeline_page(
        patient=patient, before_id=int(before) if before and before.isdigit() else None, limit=50
    )
    return render(
        request,
        "web/_timeline_items.html",
        {
            "timeline": [(e, timeline_text(e)) for e in events],
            "patient": patient,
            "timeline_more": len(events) == 50,
        },
    )


def _back(patient: Patient, anchor: str = "") -> HttpResponse:
    response = redirect("web:patient", patient_id=patient.external_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _submit(
    request: HttpRequest,
    patient: Patient,
    form: Any,
    action: Callable[[dict[str, Any]], object],
    *,
    anchor: str,
    failed: str,
    done: str = "",
) -> HttpResponse:
    """The shared shape of the patient page's small forms: check the input, call one service, come back."""
    if not form.is_valid():
        messages.error(request, failed % {"e": form.errors.as_text()})
        return _back(patient, anchor)
    try:
        action(form.cleaned_data)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        if done:
            messages.success(request, done)
    return _back(patient, anchor)


@login_required
@require_POST
def pathway_transition(request: HttpRequest, patient_id: str, key: str, transition_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="pathway.transition")
    form = forms.TransitionForm(request.POST)
    form.is_valid()
    try:
        pathway_services.pathway_transition(
            actor=request_user(request),
            patient=patient,
            definition_key=key,
            transition_id=transition_id,
            reason=form.cleaned_data.get("reason") or "",
            expected_version=form.cleaned_data.get("version"),
        )
    except TransitionRefused as exc:
        messages.error(request, exc.message)
        request.session["refused"] = {"transition": transition_id, "unmet": [u.label for u in exc.unmet]}
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Parcours mis à jour."))
    return _back(patient, "parcours")


@login_required
@require_POST
def pathway_start(request: HttpRequest, patient_id: str, key: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="pathway.transition")
    try:
        pathway_services.pathway_start(actor=request_user(request), patient=patient, definition_key=key)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Parcours démarré."))
    return _back(patient, "parcours")


@login_required
@require_POST
def checklist_toggle(request: HttpRequest, patient_id: str, step_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="pathway.checklist")
    try:
        pathway_services.checklist_set(
            actor=request_user(request),
            patient=patient,
            definition_key=registry.ADMISSION_KEY,
            step_id=step_id,
            done=request.POST.get("done") == "1",
        )
    except DomainError as exc:
        flash_error(request, exc)
    return _back(patient, "admission")


@login_required
@require_POST
def consent_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="consent.record")
    return _submit(
        request,
        patient,
        forms.ConsentForm(request.POST),
        lambda data: patient_services.consent_record(actor=request_user(request), patient=patient, **data),
        anchor="consentements",
        failed=_("Consentement non enregistré : %(e)s"),
        done=_("Consentement enregistré."),
    )


@login_required
def eligibility_assess(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(
        request, patient_id, permission="eligibility.assess" if request.method == "POST" else None
    )
    form = forms.EligibilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient_services.eligibility_assess(
                actor=request_user(request), patient=patient, **form.cleaned_data
            )
        except ValidationFailed as exc:
            _apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Évaluation enregistrée."))
            return _back(patient, "eligibilite")
    return render(request, "web/eligibility_form.html", {"form": form, "patient": patient})


@login_required
@require_POST
def had_request(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="had.request")
    return _submit(
        request,
        patient,
        forms.HadRequestForm(request.POST),
        lambda data: patient_services.had_request_create(
            actor=request_user(request), patient=patient, **data
        ),
        anchor="had",
        failed=_("Demande non envoyée : %(e)s"),
        done=_("Demande d'HAD envoyée."),
    )


@login_required
@require_POST
def had_decide(request: HttpRequest, patient_id: str, request_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="had.validate")
    return _submit(
        request,
        patient,
        forms.HadDecisionForm(request.POST),
        lambda data: patient_services.had_request_decide(
            actor=request_user(request),
            patient=patient,
            request_id=request_id,
            validate=data["decision"] == "validate",
            note=data["note"],
        ),
        anchor="had",
        failed=_("Décision non enregistrée : %(e)s"),
        done=_("Décision enregistrée."),
    )


@login_required
@require_POST
def caregiver_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, for_write=True)
    return _submit(
        request,
        patient,
        forms.CaregiverForm(request.POST),
        lambda data: patient_services.caregiver_add(actor=request_user(request), patient=patient, **data),
        anchor="aidants",
        failed=_("Aidant non ajouté : %(e)s"),
    )


@login_required
@require_POST
def careteam_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="careteam.manage")
    return _submit(
        request,
        patient,
        forms.CareTeamAddForm(request.POST),
        lambda data: patient_services.careteam_member_add(
            actor=request_user(request), patient=patient, **data
        ),
        anchor="equipe",
        failed=_("Membre non ajouté : %(e)s"),
    )


@login_required
@require_GET
def careteam_form(request: HttpRequest, patient_id: str) -> HttpResponse:
    """The add-member form, loaded on demand (its list of professionals is long)."""
    patient = _patient(request, patient_id, permission="careteam.manage")
    template = "web/_careteam_form.html" if getattr(request, "htmx", False) else "web/careteam_form_page.html"
    return render(request, template, {"patient": patient, "careteam_form": forms.CareTeamAddForm()})


@login_required
@require_POST
def careteam_remove(request: HttpRequest, patient_id: str, membership_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="careteam.manage")
    try:
        patient_services.careteam_member_remove(
            actor=request_user(request), patient=patient, membership_id=membership_id
        )
    except DomainError as exc:
        flash_error(request, exc)
    return _back(patient, "equipe")


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not has_perm(user, "audit.view"):
        raise Http404(_("Page introuvable."))
    patient = None
    query = request.GET.get("q", "").strip()
    found: list[Patient] = []
    if query:
        found = list(
            Patient.objects.filter(birth_name__icontains=query).order_by("birth_name")[:20]
            if not query.isalnum() or not query[0].isdigit()
            else Patient.objects.filter(ins__startswith=query.upper())[:20]
        )
    pid = request.GET.get("patient")
    if pid:
        try:
            patient = access_patient_for_export(user=user, patient_id=pid)
        except NotFound as exc:
            raise Http404(exc.message) from exc
    qs = audit_events(patient_id=patient.pk if patient else None, action=request.GET.get("action", ""))
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    # Evaluate the page now: the read recorded below would otherwise push the oldest event off the page.
    page.object_list = list(page.object_list)
    audit_record(
        actor=user,
        action="read",
        object_type="audit_log",
        patient_id=patient.pk if patient else None,
        detail={"page": page.number},
    )
    return render(
        request,
        "web/audit_log.html",
        {
            "page": page,
            "patient": patient,
            "query": query,
            "found": found,
            "actions": AuditEvent._meta.get_field("action").choices,
        },
    )


@login_required
@require_GET
def patient_export(request: HttpRequest, patient_id: str) -> HttpResponse:
    user = request_user(request)
    try:
        patient = access_patient_for_export(user=user, patient_id=patient_id)
    except (NotFound, Forbidden) as exc:
        raise Http404(exc.message) from exc
    payload = patient_selectors.patient_export(patient=patient)
    audit_record(
        actor=user,
        action="export",
        object_type="patient",
        object_id=str(patient.external_id),
        patient_id=patient.pk,
    )
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="parcours-export-{patient.external_id}.json"'
    return response
