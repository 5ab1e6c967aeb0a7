"""Cure pages: the "today" board, prescription, the cure's page with each role's step, the nurse's
phone-sized administration page, and the day's syntheses with their progress."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.accounts.webkit import flash_error, request_user
from parcours.audit.services import audit_record
from parcours.clinical.selectors import observations_for
from parcours.clinical.services import ObservationInput
from parcours.core import clock
from parcours.core.errors import DomainError, NotFound, ValidationFailed
from parcours.cures import forms, selectors, services, synthesis
from parcours.cures.models import Cure, CurePlan, CureStatus, OkDecision, Synthesis, SynthesisRun
from parcours.patients.access import access_patient_by_id


def _date(raw: str | None) -> dt.date:
    if not raw:
        return clock.today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise Http404(_("Date invalide.")) from exc


def _cure(request: HttpRequest, cure_id: uuid.UUID, permission: str | None = None) -> Cure:
    try:
        return selectors.cure_for(user=request_user(request), cure_id=cure_id, permission=permission)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _local_now() -> str:
    return timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M")


@login_required
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not selectors.can_see_cures(user):
        raise Http404(_("Page introuvable."))
    day = _date(request.GET.get("date"))
    board = selectors.board(user=user, day=day)
    audit_record(actor=user, action="read", object_type="cure_board", object_id=day.isoformat())
    return render(
        request,
        "cures/today.html",
        {
            "board": board,
            "sections": _board_rows(board),
            "t": {"administer": _("Administrer"), "open": _("Ouvrir")},
            "prev_date": day - dt.timedelta(days=1),
            "next_date": day + dt.timedelta(days=1),
            "can_synthesis": has_perm(user, "cure.administer")
            or has_perm(user, "planning.manage")
            or has_perm(user, "cure.ok"),
        },
    )


def _board_rows(board: selectors.Board) -> list[dict[str, Any]]:
    """The board's rows as ready-made strings: the template then prints five values a row (up to 150 rows,
    the template engine's lookups and filters per cell were a third of the page's time)."""
    labels = {k: str(v) for k, v in CureStatus.choices}
    place = {"home": _("Domicile"), "hdj": _("Hôpital de jour")}
    oks = {"cycle": _("OK du cycle"), "day_of_cure": _("OK du jour")}
    base = reverse("cures:today").removesuffix("aujourdhui/")
    sections = []
    for section in board.sections:
        rows = []
        for item in section.items:
            c = item.cure
            dose = f" · {formats.localize(c.dose_mg.normalize())} mg" if c.dose_mg else ""
            rows.append(
                {
                    "name": c.patient.display_name,
                    "what": f"{c.plan.drug} · n° {c.number}{dose}",
                    "when": f"{c.date:%d/%m} · {place.get(c.place, place['hdj'])}",
                    "status": labels.get(c.status, c.status),
                    "detail": item.detail,
                    "missing": [oks[k] for k in item.missing_ok],
                    "url": f"{base}{c.external_id}/administration/"
                    if section.key == "administrations"
                    else f"{base}{c.external_id}/",
                }
            )
        sections.append(
            {
                "key": section.key,
                "title": section.title,
                "total": section.total,
                "more": section.more,
                "rows": rows,
            }
        )
    return sections


@login_required
@require_http_methods(["GET", "POST"])
def prescribe(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    try:
        patient = access_patient_by_id(user=user, patient_id=patient_id, permission="cure.prescribe")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        flash_error(request, exc)
        return redirect("web:patient", patient_id=patient_id)
    form = forms.PrescribeForm(request.POST or None, initial={"start": clock.today(), "first_number": 1})
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if "preview" in request.POST:
                preview = services.plan_preview(
                    patient=patient,
                    regimen_id=data["regimen_id"],
                    start=data["start"],
                    cycles=data["cycles"],
                    first_number=data["first_number"],
                    dose_mg=data["dose_mg"],
                    interval_days=data["interval_days"],
                    weight_kg=data["weight_kg"],
                )
            else:
                result = services.cure_plan_create(actor=user, patient=patient, **data)
                messages.success(
                    request, _("Protocole prescrit : %(n)s cure(s) planifiée(s).") % {"n": len(result.cures)}
                )
                return redirect("cures:plan", plan_id=result.plan.external_id)
        except DomainError as exc:
            flash_error(request, exc)
    return render(
        request,
        "cures/prescribe.html",
        {
            "patient": patient,
            "form": form,
            "preview": preview,
            "plans": CurePlan.objects.filter(patient=patient),
        },
    )


@login_required
@require_GET
def plan(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    row = (
        CurePlan.objects.filter(external_id=plan_id)
        .select_related("patient", "pharmacy", "prescribed_by")
        .first()
    )
    if row is None:
        raise Http404(_("Protocole introuvable."))
    try:
        access_patient_by_id(user=user, patient_id=row.patient.external_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "cures/plan.html",
        {
            "plan": row,
            "cures": selectors.plan_cures_of(row.pk),
            "lang": "en" if (request.LANGUAGE_CODE or "").startswith("en") else "fr",
        },
    )


@login_required
@require_GET
def patient_cures(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    try:
        patient = access_patient_by_id(user=user, patient_id=patient_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "cures/patient.html",
        {
            "patient": patient,
            "plans": CurePlan.objects.filter(patient=patient),
            "cures": Cure.objects.filter(patient=patient).select_related("plan").order_by("date", "number"),
            "can_prescribe": has_perm(user, "cure.prescribe"),
        },
    )


def _gate_view(cure: Cure, user: User) -> list[tuple[str, Any]]:
    out = []
    for kind in ("cycle", "day_of_cure"):
        try:
            result, _hold, _why = services.gate_for(cure, kind)
        except DomainError:
            continue
        out.append((kind, result))
    return out


@login_required
@require_GET
def cure_page(request: HttpRequest, cure_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    cure = _cure(request, cure_id)
    bag = getattr(cure, "bag", None) if hasattr(cure, "bag") else None
    now_local = _local_now()
    lang = "en" if (request.LANGUAGE_CODE or "").startswith("en") else "fr"
    return render(
        request,
        "cures/cure.html",
        {
            "cure": cure,
            "patient": cure.patient,
            "lang": lang,
            "events": cure.events.all(),
            "oks": OkDecision.objects.filter(cure=cure).select_related("given_by"),
            "bag": bag,
            "readings": bag.readings.all() if bag is not None else [],
            "delivery": getattr(cure, "delivery", None) if hasattr(cure, "delivery") else None,
            "administration": getattr(cure, "administration", None)
            if hasattr(cure, "administration")
            else None,
            "gates": _gate_view(cure, user)
            if cure.status
            in {CureStatus.PLANNED, CureStatus.LABS_DUE, CureStatus.READY_FOR_OK, CureStatus.OK_GIVEN}
            else [],
            "labs": observations_for(
                cure.patient, kind="lab", since=cure.planned_start - dt.timedelta(days=43)
            )[:20],
            "perm": {p.replace(".", "_"): has_perm(user, p) for p in selectors.CURE_PERMS},
            "labs_form": forms.LabsForm(initial={"sampled_at": now_local}, prefix="labs"),
            "vitals_form": forms.VitalsForm(initial={"observed_at": now_local}, prefix="vitals"),
            "ok_form": forms.OkForm(prefix="ok"),
            "refuse_form": forms.RefuseForm(prefix="refuse"),
            "prepare_form": forms.PrepareForm(initial={"prepared_at": now_local}, prefix="prep"),
            "reading_form": forms.ReadingForm(prefix="reading"),
            "handover_form": forms.HandoverForm(prefix="handover"),
            "postpone_form": forms.PostponeForm(prefix="postpone"),
            "cancel_form": forms.CancelForm(prefix="cancel"),
        },
    )


def _labs(user: User, cure: Cure, form: forms.LabsForm) -> object:
    at = form.cleaned_data["sampled_at"]
    items = [
        ObservationInput(
            kind="lab",
            code=code,
            value=form.cleaned_data[f"{code}_value"],
            unit=form.cleaned_data[f"{code}_unit"],
            observed_at=at,
            lower=form.cleaned_data[f"{code}_lower"],
            upper=form.cleaned_data[f"{code}_upper"],
        )
        for code, *_rest in forms.LAB_ROWS
        if form.cleaned_data.get(f"{code}_value") is not None
    ]
    if not items:
        raise ValidationFailed(_("Aucun résultat saisi."))
    return services.cure_labs_record(actor=user, cure=cure, items=items, expected_version=cure.version)


def _vitals(user: User, cure: Cure, form: forms.VitalsForm) -> object:
    values = {
        code: form.cleaned_data[code]
        for code, *_r in forms.VITAL_ROWS
        if form.cleaned_data.get(code) is not None
    }
    return services.cure_vitals_record(
        actor=user, cure=cure, values=values, observed_at=form.cleaned_data["observed_at"]
    )


ACTIONS: dict[str, tuple[str, type[Any], Callable[[User, Cure, Any], object], Any]] = {
    # action: (form prefix, form class, call, success message)
    "labs": ("labs", forms.LabsForm, _labs, gettext_lazy("Résultats enregistrés.")),
    "vitals": ("vitals", forms.VitalsForm, _vitals, gettext_lazy("Constantes enregistrées.")),
    "ok": (
        "ok",
        forms.OkForm,
        lambda u, c, f: services.cure_ok_give(actor=u, cure=c, expected_version=c.version, **f.cleaned_data),
        gettext_lazy("OK enregistré."),
    ),
    "refuse": (
        "refuse",
        forms.RefuseForm,
        lambda u, c, f: services.cure_ok_refuse(
            actor=u, cure=c, expected_version=c.version, **f.cleaned_data
        ),
        gettext_lazy("Refus d'OK enregistré."),
    ),
    "prepare": (
        "prep",
        forms.PrepareForm,
        lambda u, c, f: services.cure_preparation_record(
            actor=u, cure=c, expected_version=c.version, **f.cleaned_data
        ),
        gettext_lazy("Préparation enregistrée."),
    ),
    "release": (
        "release",
        forms.CancelForm,  # no field is read
        lambda u, c, f: services.bag_release(actor=u, cure=c, expected_version=c.version),
        gettext_lazy("Poche libérée."),
    ),
    "pickup": (
        "pickup",
        forms.CancelForm,
        lambda u, c, f: services.delivery_pickup(actor=u, cure=c, expected_version=c.version),
        gettext_lazy("Retrait enregistré."),
    ),
    "reading": (
        "reading",
        forms.ReadingForm,
        lambda u, c, f: services.cold_chain_record(actor=u, cure=c, **f.cleaned_data),
        gettext_lazy("Température enregistrée."),
    ),
    "handover": (
        "handover",
        forms.HandoverForm,
        lambda u, c, f: services.delivery_handover(
            actor=u, cure=c, expected_version=c.version, **f.cleaned_data
        ),
        gettext_lazy("Remise au domicile enregistrée."),
    ),
    "postpone": (
        "postpone",
        forms.PostponeForm,
        lambda u, c, f: services.cure_postpone(actor=u, cure=c, expected_version=c.version, **f.cleaned_data),
        "",
    ),
    "cancel": (
        "cancel",
        forms.CancelForm,
        lambda u, c, f: services.cure_cancel(actor=u, cure=c, expected_version=c.version, **f.cleaned_data),
        gettext_lazy("Cure annulée."),
    ),
}
NO_INPUT = {"release", "pickup"}


@login_required
@require_POST
def cure_action(request: HttpRequest, cure_id: uuid.UUID, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404(_("Action inconnue."))
    user = request_user(request)
    cure = _cure(request, cure_id, permission=None)
    try:
        posted_version = int(request.POST.get("version", cure.version))
    except ValueError:
        posted_version = -1
    cure.version = posted_version  # the version the page was read at: a stale page gets "modified meanwhile"
    prefix, form_class, call, done = ACTIONS[action]
    form = form_class(request.POST, prefix=prefix)
    if action not in NO_INPUT and not form.is_valid():
        messages.error(request, _("Saisie incomplète : %(e)s") % {"e": form.errors.as_text()})
    else:
        try:
            result = call(user, cure, form)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            if isinstance(result, services.PostponeResult):
                messages.success(request, result.message)
            else:
                messages.success(request, str(done))
    return redirect("cures:cure", cure_id=cure_id)


@login_required
@require_http_methods(["GET", "POST"])
def administer(request: HttpRequest, cure_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    cure = _cure(request, cure_id, permission="cure.administer" if request.method == "POST" else None)
    bag = getattr(cure, "bag", None) if hasattr(cure, "bag") else None
    form = forms.AdministerForm(
        request.POST or None,
        initial={"started_at": _local_now(), "ended_at": _local_now(), "reaction_grade": 0},
    )
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.cure_administer(
                    actor=user,
                    cure=cure,
                    patient=cure.patient,
                    identity_checked=data["identity_checked"],
                    started_at=data["started_at"],
                    ended_at=data["ended_at"],
                    lot=data["lot"],
                    dasri_disposed=data["dasri_disposed"],
                    vitals_before=form.vitals("before_"),
                    vitals_after=form.vitals("after_"),
                    tolerance=data["tolerance"],
                    reaction_grade=data["reaction_grade"],
                    immediate_actions=data["immediate_actions"],
                    material_to_return=data["material_to_return"],
                    expected_version=int(request.POST.get("version", cure.version)),
                )
            except DomainError as exc:
                flash_error(request, exc)
            else:
                messages.success(request, _("Administration enregistrée."))
                return redirect("cures:cure", cure_id=cure_id)
        else:
            messages.error(request, _("Saisie incomplète : %(e)s") % {"e": form.errors.as_text()})
    return render(
        request,
        "cures/administer.html",
        {
            "cure": cure,
            "patient": cure.patient,
            "bag": bag,
            "form": form,
            "before_fields": form.vital_fields("before_"),
            "after_fields": form.vital_fields("after_"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def syntheses(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not selectors.can_see_cures(user):
        raise Http404(_("Page introuvable."))
    day = _date(request.POST.get("date") or request.GET.get("date"))
    if request.method == "POST":
        try:
            synthesis.synthesis_run_request(actor=user, date=day)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Synthèses lancées."))
        return redirect(f"{reverse('cures:syntheses')}?date={day.isoformat()}")
    visible = selectors.cures_visible_to(user).values("patient_id")
    return render(
        request,
        "cures/syntheses.html",
        {
            "date": day,
            "runs": SynthesisRun.objects.filter(date=day)[:5],
            "items": Synthesis.objects.filter(date=day, patient_id__in=visible)
            .select_related("patient")
            .defer("pdf"),
        },
    )


@login_required
@require_GET
def synthesis_progress(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    run = SynthesisRun.objects.filter(external_id=run_id).first()
    if run is None or not selectors.can_see_cures(request_user(request)):
        raise Http404(_("Calcul introuvable."))
    response = render(request, "cures/_synthesis_progress.html", {"run": run})
    if run.status in {"done", "failed"}:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def synthesis_pdf(request: HttpRequest, synthesis_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    row = Synthesis.objects.filter(external_id=synthesis_id).select_related("patient").first()
    if row is None:
        raise Http404(_("Synthèse introuvable."))
    try:
        access_patient_by_id(user=user, patient_id=row.patient.external_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(bytes(row.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="synthese-{row.date.isoformat()}.pdf"'
    return response
