"""Pages of the learning app: the patient's education page (team), the phone pages reached through a secure
link (patient or caregiver), the programme builder, the training registry and the indicators."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.accounts.webkit import attempt, flash_error, form_errors_text, request_user
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import DomainError
from parcours.education.training import load_builtin_catalogue
from parcours.learning import forms, selectors, services
from parcours.learning.content import pick, programme_of
from parcours.learning.markdown import render_markdown
from parcours.learning.models import (
    Act,
    Assignment,
    Enrolment,
    HomeAssessment,
    ProgrammeStatus,
    ProgrammeVersion,
    QuizAttempt,
    TrainingSession,
)
from parcours.links.services import LinkRefused, link_open
from parcours.links.views import client_ip, render_refused
from parcours.patients.access import access_patient_by_id
from parcours.patients.models import Patient


def _need(request: HttpRequest, *perms: str) -> User:
    user = request_user(request)
    if not any(has_perm(user, p) for p in perms):
        raise Http404(_("Page introuvable."))
    return user


def _patient(request: HttpRequest, patient_id: str, permission: str | None = None) -> Patient:
    try:
        return access_patient_by_id(user=request_user(request), patient_id=patient_id, permission=permission)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _back(patient: Patient, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('learning:patient', args=[patient.external_id])}#{anchor}")


def _date(raw: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else clock.today()
    except ValueError:
        return clock.today()


# ------------------------------------------------------------------------------------- patient (team)


def _patient_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    enrolment = selectors.enrolment_of(patient=patient)
    progress = selectors.progress_of(enrolment=enrolment) if enrolment is not None else None
    modules = (
        [
            (r.status.module_id, pick(r.status.module.title))
            for r in progress.rows
            if r.status.status != "locked"
        ]
        if progress
        else []
    )
    readiness = selectors.readiness_now(patient=patient)
    nearby_form = forms.NearbyForm(request.GET or None)
    nearby = None
    if (
        request.GET.get("act")
        and nearby_form.is_valid()
        and patient.latitude is not None
        and patient.longitude is not None
    ):
        nearby = selectors.nearby_professionals(
            latitude=patient.latitude,
            longitude=patient.longitude,
            act=nearby_form.cleaned_data["act"],
            on=nearby_form.cleaned_data["on"] or clock.today(),
            radius_km=float(nearby_form.cleaned_data["radius_km"]),
        )
    return {
        "patient": patient,
        "enrolment": enrolment,
        "progress": progress,
        "readiness": readiness,
        "last_readiness": selectors.last_readiness(patient=patient),
        "home": HomeAssessment.objects.filter(patient=patient).select_related("assessed_by").first(),
        "assignments": Assignment.objects.filter(patient=patient).select_related("professional")[:20],
        "link_form": forms.LinkForm(patient=patient),
        "session_form": forms.SessionForm(modules=modules, initial={"date": clock.today()}),
        "home_form": forms.HomeForm(),
        "nearby_form": nearby_form,
        "nearby": nearby,
        "acts": Act.choices,
        "today": clock.today(),
        "can_session": has_perm(request_user(request), "education.session"),
        "can_readiness": has_perm(request_user(request), "readiness.assess"),
        "can_assign": has_perm(request_user(request), "careteam.manage"),
    }


@login_required
@require_GET
def patient_education(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id)
    return render(request, "learning/patient.html", _patient_context(request, patient))


@login_required
@require_POST
def enrol(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="education.session")
    attempt(
        request,
        lambda: services.enrol(actor=request_user(request), patient=patient),
        done=_("Programme d'éducation thérapeutique commencé."),
    )
    return _back(patient, "modules")


@login_required
@require_POST
def link_issue(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="education.session")
    form = forms.LinkForm(request.POST, patient=patient)
    if not form.is_valid():
        messages.error(request, _("Le lien n'a pas été créé : %(e)s") % {"e": form_errors_text(form)})
        return _back(patient, "lien")
    try:
        issued = services.education_link_issue(
            actor=request_user(request),
            patient=patient,
            audience=form.cleaned_data["audience"],
            caregiver_id=form.cleaned_data.get("caregiver") or "",
            days=form.cleaned_data["days"],
        )
    except DomainError as exc:
        flash_error(request, exc)
        return _back(patient, "lien")
    url = request.build_absolute_uri(reverse("learning:etp_home", args=[issued.token]))
    if form.cleaned_data.get("send_sms"):
        phone = issued.link.caregiver.phone if issued.link.caregiver else patient.phone
        try:
            services.education_link_send_sms(actor=request_user(request), issued=issued, url=url, phone=phone)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Le lien part par SMS au %(p)s.") % {"p": phone})
    context = _patient_context(request, patient)
    context["issued_url"] = url
    context["issued_link"] = issued.link
    return render(request, "learning/patient.html", context)


@login_required
@require_POST
def module_done(request: HttpRequest, patient_id: str, module_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="education.session")
    enrolment = selectors.enrolment_of(patient=patient)
    if enrolment is None:
        raise Http404(_("Programme non commencé."))
    attempt(
        request,
        lambda: services.module_complete(
            actor=request_user(request),
            enrolment=enrolment,
            module_id=module_id,
            mode=request.POST.get("mode", "hdj"),
        ),
        done=_("Module noté comme suivi."),
    )
    return _back(patient, "modules")


@login_required
@require_POST
def session_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="education.session")
    enrolment = selectors.enrolment_of(patient=patient)
    modules = (
        [
            (r.status.module_id, pick(r.status.module.title))
            for r in selectors.progress_of(enrolment=enrolment).rows
        ]
        if enrolment
        else []
    )
    form = forms.SessionForm(request.POST, modules=modules)
    if not form.is_valid():
        messages.error(
            request, _("La séance n'a pas été enregistrée : %(e)s") % {"e": form_errors_text(form)}
        )
        return _back(patient, "seance")
    attempt(
        request,
        lambda: services.session_record(
            actor=request_user(request),
            patient=patient,
            date=form.cleaned_data["date"],
            attendees=form.attendees(),
            module_ids=form.cleaned_data["modules"],
            observations=form.cleaned_data["observations"],
            place=form.cleaned_data["place"],
        ),
        done=_("Séance d'éducation enregistrée."),
    )
    return _back(patient, "seance")


@login_required
@require_POST
def home_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="readiness.assess")
    form = forms.HomeForm(request.POST)
    form.is_valid()
    attempt(
        request,
        lambda: services.home_assessment_record(
            actor=request_user(request), patient=patient, **form.cleaned_data
        ),
        done=_("Évaluation du domicile enregistrée."),
    )
    return _back(patient, "preparation")


@login_required
@require_POST
def readiness_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="readiness.assess")
    attempt(
        request,
        lambda: services.readiness_assess(actor=request_user(request), patient=patient),
        done=_("Évaluation de la préparation au domicile enregistrée."),
    )
    return _back(patient, "preparation")


@login_required
@require_POST
def assignment_add(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = _patient(request, patient_id, permission="careteam.manage")
    form = forms.AssignmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Affectation non enregistrée : %(e)s") % {"e": form_errors_text(form)})
        return _back(patient, "affectation")
    professional = User.objects.filter(external_id=form.cleaned_data["professional"], is_active=True).first()
    if professional is None:
        messages.error(request, _("Professionnel(le) introuvable."))
        return _back(patient, "affectation")
    attempt(
        request,
        lambda: services.assignment_create(
            actor=request_user(request),
            patient=patient,
            professional=professional,
            act=form.cleaned_data["act"],
            starts_on=form.cleaned_data["starts_on"],
        ),
        done=_("%(name)s est affecté(e) à ce patient.") % {"name": str(professional)},
    )
    return _back(patient, "affectation")


# ------------------------------------------------------------------------------ phone (secure link)


def _open(request: HttpRequest, token: str) -> tuple[Any, Enrolment]:
    link = link_open(token=token, purpose=services.PURPOSE, client_ip=client_ip(request))
    try:
        uid = uuid.UUID(link.target_id)
    except ValueError:
        raise LinkRefused("unknown") from None
    enrolment = (
        Enrolment.objects.select_related("programme", "patient")
        .filter(external_id=uid, patient=link.patient)
        .first()
    )
    if enrolment is None:
        raise LinkRefused("unknown")
    return link, enrolment


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    # same-origin: the token never leaves for another site, and form posts keep their Origin (CSRF check)
    response["Referrer-Policy"] = "same-origin"
    return response


def _phone_context(link: Any, enrolment: Enrolment, token: str) -> dict[str, Any]:
    return {
        "token": token,
        "audience": link.audience,
        "first_name": enrolment.patient.given_names.split(" ")[0] if enrolment.patient.given_names else "",
        "programme": programme_of(enrolment.programme),
        "expires_at": link.expires_at,
    }


@require_GET
def etp_home(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link, enrolment = _open(request, token)
    except LinkRefused as exc:
        return render_refused(request, exc)
    progress = selectors.progress_of(enrolment=enrolment)
    context = _phone_context(link, enrolment, token) | {"progress": progress}
    return _no_store(render(request, "learning/phone_home.html", context))


@require_GET
def etp_module(request: HttpRequest, token: str, module_id: str) -> HttpResponse:
    try:
        link, enrolment = _open(request, token)
    except LinkRefused as exc:
        return render_refused(request, exc)
    status = next(
        (s for s in selectors.module_statuses(enrolment=enrolment) if s.module_id == module_id), None
    )
    if status is None:
        raise Http404(_("Module introuvable."))
    audit_record(
        actor=None,
        action="read",
        object_type="etp_module",
        object_id=module_id,
        patient_id=enrolment.patient_id,
        detail={"audience": link.audience},
    )
    context = _phone_context(link, enrolment, token) | {
        "status": status,
        "module": status.module,
        "html": render_markdown(status.module.text) if status.status != "locked" else "",
    }
    return _no_store(render(request, "learning/phone_module.html", context))


@require_http_methods(["GET", "POST"])
def etp_quiz(request: HttpRequest, token: str, module_id: str) -> HttpResponse:
    try:
        link, enrolment = _open(request, token)
    except LinkRefused as exc:
        return render_refused(request, exc)
    status = next(
        (s for s in selectors.module_statuses(enrolment=enrolment) if s.module_id == module_id), None
    )
    if status is None:
        raise Http404(_("Module introuvable."))
    context = _phone_context(link, enrolment, token) | {"status": status, "module": status.module}
    if request.method == "POST":
        answers = {q.id: request.POST.getlist(q.id) for q in status.module.quiz.questions}
        try:
            attempt = services.quiz_submit(
                actor=None,
                enrolment=enrolment,
                module_id=module_id,
                answers=answers,
                via=services.LinkContext(link=link, audience=link.audience),
            )
        except LinkRefused as exc:
            return render_refused(request, exc)
        except DomainError as exc:
            context["error"] = exc.message
            return _no_store(render(request, "learning/phone_quiz.html", context, status=422))
        return redirect(reverse("learning:etp_result", args=[token, attempt.external_id]))
    return _no_store(render(request, "learning/phone_quiz.html", context))


@require_GET
def etp_result(request: HttpRequest, token: str, attempt_id: uuid.UUID) -> HttpResponse:
    try:
        link, enrolment = _open(request, token)
    except LinkRefused as exc:
        return render_refused(request, exc)
    attempt = QuizAttempt.objects.filter(enrolment=enrolment, external_id=attempt_id).first()
    if attempt is None:
        raise Http404(_("Résultat introuvable."))
    module = programme_of(enrolment.programme).module(attempt.module_id)
    next_status = next(
        (s for s in selectors.module_statuses(enrolment=enrolment) if s.status == "unlocked"), None
    )
    context = _phone_context(link, enrolment, token) | {
        "attempt": attempt,
        "module": module,
        "understood": [pick(u) for u in attempt.understood],
        "revisit": [pick(r) for r in attempt.to_revisit],
        "next_status": next_status,
    }
    return _no_store(render(request, "learning/phone_result.html", context))


# ------------------------------------------------------------------------------- programme builder


@login_required
@require_GET
def programmes(request: HttpRequest) -> HttpResponse:
    _need(request, "education.manage")
    services.programme_current(key=selectors.DEFAULT_PROGRAMME)
    versions = ProgrammeVersion.objects.select_related("published_by").order_by("key", "-version")
    rows = [(v, programme_of(v), v.enrolments.count()) for v in versions]
    return render(request, "learning/programmes.html", {"rows": rows})


def _version(version_id: uuid.UUID) -> ProgrammeVersion:
    pv = ProgrammeVersion.objects.filter(external_id=version_id).first()
    if pv is None:
        raise Http404(_("Version introuvable."))
    return pv


@login_required
@require_GET
def programme_detail(request: HttpRequest, version_id: uuid.UUID) -> HttpResponse:
    _need(request, "education.manage")
    pv = _version(version_id)
    programme = programme_of(pv)
    base = programme_of(pv.based_on) if pv.based_on else programme
    included = {m.id for m in programme.modules}
    candidates = list(programme.modules) + [m for m in base.modules if m.id not in included]
    return render(
        request,
        "learning/programme_detail.html",
        {
            "pv": pv,
            "programme": programme,
            "candidates": candidates,
            "included": included,
            "draft": pv.status == ProgrammeStatus.DRAFT,
        },
    )


@login_required
@require_POST
def programme_draft(request: HttpRequest) -> HttpResponse:
    user = _need(request, "education.manage")
    draft = attempt(
        request,
        lambda: services.programme_draft_create(
            actor=user,
            key=request.POST.get("key", selectors.DEFAULT_PROGRAMME),
            change_note=request.POST.get("note", ""),
        ),
        done=_("Nouvelle version en brouillon : modifiez-la puis publiez-la."),
    )
    if isinstance(draft, ProgrammeVersion):
        return redirect("learning:programme", version_id=draft.external_id)
    return redirect("learning:programmes")


@login_required
@require_POST
def programme_modules(request: HttpRequest, version_id: uuid.UUID) -> HttpResponse:
    user = _need(request, "education.manage")
    pv = _version(version_id)
    attempt(
        request,
        lambda: services.programme_modules_set(
            actor=user,
            draft=pv,
            module_ids=request.POST.getlist("modules"),
            expected_lock=int(request.POST.get("lock") or 0) or None,
        ),
        done=_("Modules du brouillon enregistrés."),
    )
    return redirect("learning:programme", version_id=pv.external_id)


@login_required
@require_http_methods(["GET", "POST"])
def programme_module_edit(request: HttpRequest, version_id: uuid.UUID, module_id: str) -> HttpResponse:
    user = _need(request, "education.manage")
    pv = _version(version_id)
    programme = programme_of(pv)
    if not programme.has_module(module_id):
        raise Http404(_("Module introuvable."))
    module = programme.module(module_id)
    form = forms.ModuleTextForm(request.POST or None, initial={"text": module.text, "lock": pv.lock_version})
    if request.method == "POST" and form.is_valid():
        try:
            services.programme_module_text_set(
                actor=user,
                draft=pv,
                module_id=module_id,
                text=form.cleaned_data["text"],
                expected_lock=form.cleaned_data["lock"],
            )
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Texte du module enregistré dans le brouillon."))
            return redirect("learning:programme", version_id=pv.external_id)
    return render(
        request,
        "learning/module_edit.html",
        {
            "pv": pv,
            "module": module,
            "form": form,
            "draft": pv.status == ProgrammeStatus.DRAFT,
            "preview": render_markdown(module.text),
        },
    )


@login_required
@require_POST
def programme_publish(request: HttpRequest, version_id: uuid.UUID) -> HttpResponse:
    user = _need(request, "education.manage")
    pv = _version(version_id)
    attempt(
        request,
        lambda: services.programme_publish(actor=user, draft=pv),
        done=_("Version publiée : les nouveaux patients la suivront ; les autres gardent la leur."),
    )
    return redirect("learning:programme", version_id=pv.external_id)


@login_required
@require_GET
def module_pdf(request: HttpRequest, version_id: uuid.UUID, module_id: str) -> HttpResponse:
    from parcours.learning.pdf import module_sheet

    pv = _version(version_id)
    if not any(
        has_perm(request_user(request), p) for p in ("education.manage", "education.session", "patient.view")
    ):
        raise Http404(_("Page introuvable."))
    programme = programme_of(pv)
    if not programme.has_module(module_id):
        raise Http404(_("Module introuvable."))
    contacts = None
    if request.GET.get("patient"):
        patient = _patient(request, request.GET["patient"])
        contacts = selectors.contacts_for(patient=patient)
    pdf = module_sheet(programme=programme, module_id=module_id, contacts=contacts)
    return _pdf(pdf, f"etp-{module_id}-v{pv.version}.pdf")


def _pdf(pdf: bytes, name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def etp_module_pdf(request: HttpRequest, token: str, module_id: str) -> HttpResponse:
    """The printable sheet of an open module, with the patient's own care-team numbers."""
    from parcours.learning.pdf import module_sheet

    try:
        _link, enrolment = _open(request, token)
    except LinkRefused as exc:
        return render_refused(request, exc)
    status = next(
        (s for s in selectors.module_statuses(enrolment=enrolment) if s.module_id == module_id), None
    )
    if status is None or status.status == "locked":
        raise Http404(_("Module introuvable."))
    pdf = module_sheet(
        programme=programme_of(enrolment.programme),
        module_id=module_id,
        contacts=selectors.contacts_for(patient=enrolment.patient),
    )
    return _pdf(pdf, f"etp-{module_id}.pdf")


# ------------------------------------------------------------------------------- training registry


@login_required
@require_GET
def training(request: HttpRequest) -> HttpResponse:
    _need(request, "training.manage")
    query = request.GET.get("q", "")
    return render(
        request,
        "learning/training.html",
        {
            "rows": selectors.training_overview(query=query),
            "q": query,
            "catalogue": load_builtin_catalogue(),
            "courses": dict(forms.course_choices()),
            "sessions": TrainingSession.objects.all()[:30],
            "record_form": forms.RecordForm(),
            "session_form": forms.TrainingSessionForm(),
            "profile_form": forms.ProfileForm(),
            "professionals": User.objects.filter(
                role__code__in=["idel", "had_nurse", "idec", "liaison_nurse"], is_active=True
            ).order_by("last_name", "first_name")[:500],
            "today": clock.today(),
        },
    )


def _professional(raw: Any) -> User | None:
    return User.objects.filter(external_id=raw, is_active=True).first()


@login_required
@require_POST
def training_record(request: HttpRequest) -> HttpResponse:
    user = _need(request, "training.manage")
    form = forms.RecordForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("La formation n'a pas été enregistrée : %(e)s") % {"e": form_errors_text(form)}
        )
        return redirect(reverse("learning:training") + "#ajouter")
    professional = _professional(form.cleaned_data["professional"])
    if professional is None:
        messages.error(request, _("Professionnel(le) introuvable."))
        return redirect(reverse("learning:training") + "#ajouter")
    try:
        outcome = services.training_record_add(
            actor=user,
            professional=professional,
            course_id=form.cleaned_data["course_id"],
            completed_on=form.cleaned_data["completed_on"],
            certificate_number=form.cleaned_data["certificate_number"],
            certificate_expires_on=form.cleaned_data["certificate_expires_on"],
        )
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Formation enregistrée pour %(n)s.") % {"n": str(professional)})
        for warning in outcome.warnings:
            messages.warning(request, warning)
    return redirect(reverse("learning:training") + "#ajouter")


@login_required
@require_POST
def training_session(request: HttpRequest) -> HttpResponse:
    user = _need(request, "training.manage")
    form = forms.TrainingSessionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("La session n'a pas été enregistrée : %(e)s") % {"e": form_errors_text(form)}
        )
        return redirect(reverse("learning:training") + "#sessions")
    names = [n.strip() for n in form.cleaned_data["attendees"].split(",") if n.strip()]
    people = list(User.objects.filter(username__in=names, is_active=True))
    unknown = sorted(set(names) - {p.username for p in people})
    if unknown:
        messages.error(
            request, _("Participants inconnus : %(u)s. Rien n'a été enregistré.") % {"u": ", ".join(unknown)}
        )
        return redirect(reverse("learning:training") + "#sessions")

    def act() -> object:
        from django.db import transaction

        with transaction.atomic():
            session = services.training_session_create(
                actor=user,
                course_id=form.cleaned_data["course_id"],
                date=form.cleaned_data["date"],
                title=form.cleaned_data["title"],
                organiser=form.cleaned_data["organiser"],
            )
            return services.attendance_record(actor=user, session=session, professionals=people)

    attempt(request, act, done=_("Session enregistrée avec %(n)d participant(s).") % {"n": len(people)})
    return redirect(reverse("learning:training") + "#sessions")


@login_required
@require_POST
def training_profile(request: HttpRequest) -> HttpResponse:
    user = _need(request, "training.manage")
    form = forms.ProfileForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Lieu d'exercice non enregistré : %(e)s") % {"e": form_errors_text(form)})
        return redirect(reverse("learning:training") + "#lieu")
    professional = _professional(form.cleaned_data["professional"])
    if professional is None:
        messages.error(request, _("Professionnel(le) introuvable."))
        return redirect(reverse("learning:training") + "#lieu")
    data = dict(form.cleaned_data)
    data.pop("professional")
    attempt(
        request,
        lambda: services.profile_set(actor=user, professional=professional, **data),
        done=_("Lieu d'exercice enregistré."),
    )
    return redirect(reverse("learning:training") + "#lieu")


@login_required
@require_GET
def indicators(request: HttpRequest) -> HttpResponse:
    _need(request, "training.manage", "indicators.view")
    data = selectors.indicators()
    return render(request, "learning/indicators.html", {"ind": data})
