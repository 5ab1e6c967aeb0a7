"""Pages of the fast-track pathway: the public referral form (no login), the coordinator's queue and
referral page, availability and slots, RCP, indicators (with CSV/XLSX export), the booklet and PPS PDFs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parcours.accounts.models import User
from parcours.accounts.permissions import has_perm
from parcours.accounts.webkit import flash_error, request_user
from parcours.audit.services import audit_record
from parcours.core import clock
from parcours.core.errors import DomainError, ValidationFailed
from parcours.fasttrack import completeness, forms, pdf, selectors, services
from parcours.fasttrack.enums import EventKind, ResourceKind, Source
from parcours.fasttrack.models import (
    Booking,
    CoordinatorTask,
    DayTemplate,
    DischargeReferral,
    PathologyRequest,
    RcpCase,
    Referral,
    ReferralDocument,
    Resource,
    ScreeningRecord,
)
from parcours.fasttrack.pathways import PATHWAYS
from parcours.screening import scoring

STARTED_SALT = "parcours.fasttrack.form-started"
ACK_SALT = "parcours.fasttrack.ack"


def _need(request: HttpRequest, perm: str) -> User:
    user = request_user(request)
    if not has_perm(user, perm):
        raise Http404(_("Page introuvable."))
    return user


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "0.0.0.0")  # noqa: S104 (a label, not a bind address)


# ---------------------------------------------------------------- public referral form ----


@require_GET
def orientation(request: HttpRequest) -> HttpResponse:
    return render(request, "fasttrack/orientation.html", {"pathways": PATHWAYS.values()})


def _pathway(key: str) -> Any:
    spec = PATHWAYS.get(key)
    if spec is None:
        raise Http404(_("Filière inconnue."))
    return spec


def _label(spec: Any) -> str:
    return str(spec.label_en if (get_language() or "fr").startswith("en") else spec.label_fr)


def _input_from(form: forms.ReferralForm, pathway: str) -> services.ReferralInput:
    d = form.cleaned_data
    return services.ReferralInput(
        pathway=pathway,
        referrer_kind=d.get("referrer_kind") or "gp",
        referrer_name=d.get("referrer_name") or "",
        referrer_rpps=d.get("referrer_rpps") or "",
        referrer_email=d.get("referrer_email") or "",
        referrer_phone=d.get("referrer_phone") or "",
        patient_birth_name=d.get("patient_birth_name") or "",
        patient_given_names=d.get("patient_given_names") or "",
        patient_birth_date=d.get("patient_birth_date"),
        patient_sex=d.get("patient_sex") or "",
        patient_ins=d.get("patient_ins") or "",
        patient_phone=d.get("patient_phone") or "",
        patient_postcode=d.get("patient_postcode") or "",
        first_symptoms_date=d.get("first_symptoms_date"),
        suspicion=d.get("suspicion") or "",
        exams_done=list(d.get("exams_done") or []),
        exams_note=d.get("exams_note") or "",
        urgency=d.get("urgency") or "rapid",
    )


def _missing_for(pathway: str, form: forms.ReferralForm, n_docs: int) -> list[completeness.Missing]:
    data: dict[str, object] = {k: v for k, v in (form.cleaned_data or {}).items()}
    return completeness.missing_items(pathway, data, documents=n_docs)


def _stamp() -> str:
    return signing.dumps({"t": clock.now().timestamp()}, salt=STARTED_SALT)


def _fill_time_ok(raw: str) -> bool:
    """The signed time the form was shown: not forged, not too fast (a robot), not too old."""
    try:
        shown = float(signing.loads(raw, salt=STARTED_SALT)["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return False
    elapsed = clock.now().timestamp() - shown
    return services.MIN_FILL_SECONDS <= elapsed <= services.MAX_FILL_SECONDS


@require_http_methods(["GET", "POST"])
def referral_form(request: HttpRequest, pathway: str) -> HttpResponse:
    spec = _pathway(pathway)
    if request.method == "GET":
        form = forms.ReferralForm(pathway=pathway, initial={"started": _stamp()})
        return render(
            request,
            "fasttrack/referral_form.html",
            {
                "form": form,
                "pathway": spec,
                "pathway_label": _label(spec),
                "missing": completeness.missing_items(pathway, {}),
            },
        )
    form = forms.ReferralForm(request.POST, pathway=pathway)
    valid = form.is_valid()
    files = request.FILES.getlist("documents")
    if form.data.get("website"):
        # A robot filled the hidden field: answer as if it worked, keep nothing.
        audit_record(actor=None, action="denied", object_type="referral", detail={"reason": "honeypot"})
        return render(
            request,
            "fasttrack/referral_sent.html",
            {"pathway": spec, "pathway_label": _label(spec), "referral": None},
        )
    problem = ""
    if not _fill_time_ok(str(form.data.get("started", ""))):
        problem = _(
            "Le formulaire a expiré ou a été envoyé trop vite : vérifiez vos réponses et envoyez-le à nouveau."
        )
    if valid and not problem:
        try:
            # A coordinator typing a request received by phone: her name is on it, no rate limit.
            staff = isinstance(request.user, User) and has_perm(request.user, "fasttrack.coordinate")
            if not staff:
                services.throttle_hit(ip=_client_ip(request))
            uploads = [services.Upload(f.name or "", f.read(services.uploads.MAX_BYTES + 1)) for f in files]
            referral = services.referral_submit(
                actor=request.user if staff and isinstance(request.user, User) else None,
                data=_input_from(form, pathway),
                documents=uploads,
                source=Source.PHONE if staff else Source.WEB,
                client_ip=_client_ip(request),
            )
        except services.RateLimited as exc:
            return render(
                request,
                "fasttrack/referral_form.html",
                {
                    "form": form,
                    "pathway": spec,
                    "pathway_label": _label(spec),
                    "problem": exc.message,
                    "missing": [],
                },
                status=429,
            )
        except ValidationFailed as exc:
            for name, errs in exc.field_errors.items():
                for e in errs:
                    form.add_error(name if name in form.fields else None, e)
            problem = exc.message
        else:
            token = signing.dumps(str(referral.external_id), salt=ACK_SALT)
            return redirect(reverse("fasttrack:referral_sent", args=[pathway]) + f"?r={token}")
    fresh = request.POST.copy()
    fresh["started"] = _stamp()
    form.data = fresh
    missing = (
        _missing_for(pathway, form, len(files)) if form.is_bound and hasattr(form, "cleaned_data") else []
    )
    return render(
        request,
        "fasttrack/referral_form.html",
        {
            "form": form,
            "pathway": spec,
            "pathway_label": _label(spec),
            "problem": problem or _("Corrigez les champs signalés."),
            "missing": missing,
        },
        status=422,
    )


@require_POST
def referral_check(request: HttpRequest, pathway: str) -> HttpResponse:
    """htmx: what is still missing, as the referrer types (nothing is saved)."""
    _pathway(pathway)
    form = forms.ReferralForm(request.POST, pathway=pathway)
    form.is_valid()
    n_docs = (
        int(request.POST.get("n_documents") or 0) if (request.POST.get("n_documents") or "0").isdigit() else 0
    )
    missing = _missing_for(pathway, form, n_docs)
    data = dict(form.cleaned_data)
    percent = completeness.completeness_percent(pathway, data, documents=n_docs)
    return render(request, "fasttrack/_completeness.html", {"missing": missing, "percent": percent})


@require_GET
def referral_sent(request: HttpRequest, pathway: str) -> HttpResponse:
    spec = _pathway(pathway)
    referral = None
    try:
        rid = signing.loads(request.GET.get("r", ""), salt=ACK_SALT, max_age=24 * 3600)
        referral = Referral.objects.filter(external_id=rid).first()
    except signing.BadSignature:
        referral = None
    return render(
        request,
        "fasttrack/referral_sent.html",
        {"pathway": spec, "pathway_label": _label(spec), "referral": referral},
    )


# ---------------------------------------------------------------- coordinator ----


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user = _need(request, "fasttrack.coordinate")
    pathway = request.GET.get("filiere", "")
    rows = selectors.queue(user=user, pathway=pathway if pathway in PATHWAYS else "")
    now = clock.now()
    return render(
        request,
        "fasttrack/queue.html",
        {
            "rows": [(r, (now - r.received_at).total_seconds() / 3600) for r in rows],
            "tasks": selectors.open_tasks(),
            "handled": selectors.recent_handled(),
            "pathways": PATHWAYS,
            "pathway": pathway,
        },
    )


def _referral(request: HttpRequest, referral_id: uuid.UUID) -> Referral:
    user = request_user(request)
    if not any(has_perm(user, p) for p in ("fasttrack.coordinate", "slots.manage", "rcp.manage")):
        raise Http404(_("Page introuvable."))
    try:
        return selectors.referral_for(user=user, referral_id=referral_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _screening_forms() -> list[dict[str, Any]]:
    out = []
    for inst in scoring.load_instruments().values():
        items = []
        for it in inst.items:
            opts = [(_num(o.points), o.label.fr) for o in it.options]
            items.append({"id": it.id, "label": it.label.fr, "options": opts, "boolean": it.is_boolean})
        out.append({"id": inst.id, "name": inst.name.fr, "kind": inst.kind, "items": items})
    return out


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@login_required
@require_GET
def referral_detail(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    referral = _referral(request, referral_id)
    user = request_user(request)
    day_form = forms.DiagnosticDayForm(initial={"first_day": clock.today() + dt.timedelta(days=1)})
    templates = DayTemplate.objects.filter(pathway__in=["", referral.pathway]).order_by("name")
    day_form.fields["template"].choices = [(str(t.external_id), t.name) for t in templates]  # type: ignore[attr-defined]
    data = {f: getattr(referral, f) for f in services.ReferralInput.__dataclass_fields__}
    return render(
        request,
        "fasttrack/referral_detail.html",
        {
            "r": referral,
            "pathway": PATHWAYS[referral.pathway],
            "missing": completeness.missing_items(
                referral.pathway, data, documents=referral.documents.count()
            ),
            "documents": referral.documents.only("external_id", "filename", "content_type", "size"),
            "bookings": selectors.live_bookings(referral),
            "patho": list(selectors.pathology_requests(referral=referral)),
            "rcp": list(RcpCase.objects.filter(referral=referral)),
            "screenings": list(ScreeningRecord.objects.filter(referral=referral).order_by("-assessed_at")),
            "discharges": list(DischargeReferral.objects.filter(referral=referral).order_by("-sent_at")),
            "gp_messages": list(referral.gp_messages.order_by("-created_at")),
            "tasks": list(CoordinatorTask.objects.filter(referral=referral, done_at__isnull=True)),
            "can": {
                p.replace(".", "_"): has_perm(user, p)
                for p in ("fasttrack.coordinate", "slots.manage", "rcp.manage", "screening.assess")
            },
            "info_form": forms.InfoRequestForm(),
            "redirect_form": forms.RedirectForm(),
            "day_form": day_form,
            "patho_form": forms.PathologyRequestForm(),
            "report_form": forms.PathologyReportForm(),
            "rcp_form": forms.RcpRegisterForm(initial={"meeting_date": clock.today() + dt.timedelta(days=7)}),
            "discharge_form": forms.DischargeForm(),
            "gp_form": forms.GpEventForm(),
            "screening_forms": _screening_forms(),
        },
    )


def _screening_answers(kind: str, inst_id: str, post: Any) -> object:
    inst = scoring.load_instruments()[inst_id]

    def value(it: scoring.Item) -> object:
        raw = post.get(f"{inst_id}_{it.id}", "")
        if raw == "":
            return None
        if it.is_boolean:
            return raw == "true"
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if number.is_integer() else number

    if kind == "count_true_with_prerequisite":
        return {"answers": [bool(value(it)) for it in inst.items]}
    return {it.id: v for it in inst.items if (v := value(it)) is not None}


@login_required
@require_POST
def referral_act(request: HttpRequest, referral_id: uuid.UUID, action: str) -> HttpResponse:
    """One form post on the referral page → one service call, then back to the page."""
    referral = _referral(request, referral_id)
    user = request_user(request)
    post = request.POST
    anchor = action

    def form_or_fail(form: Any) -> dict[str, Any]:
        if not form.is_valid():
            raise ValidationFailed(
                _("Saisie invalide."),
                field_errors={k: [str(e) for e in v] for k, v in form.errors.items()},
            )
        return dict(form.cleaned_data)

    def pathology(pk: str) -> PathologyRequest:
        req = PathologyRequest.objects.filter(referral=referral, external_id=_uuid(pk)).first()
        if req is None:
            raise Http404
        return req

    actions: dict[str, tuple[Callable[[], object], str]] = {
        "assign": (
            lambda: services.referral_assign(actor=user, referral=referral, assignee=user),
            _("Demande prise en charge."),
        ),
        "info": (
            lambda: services.referral_request_info(
                actor=user, referral=referral, **form_or_fail(forms.InfoRequestForm(post))
            ),
            _("Demande d'informations envoyée à l'adresseur."),
        ),
        "accept": (
            lambda: services.referral_accept(
                actor=user, referral=referral, expected_version=int(post.get("version") or referral.version)
            ),
            _("Demande acceptée : dossier patient créé ou rattaché, médecin adresseur informé."),
        ),
        "redirect": (
            lambda: services.referral_redirect(
                actor=user, referral=referral, **form_or_fail(forms.RedirectForm(post))
            ),
            _("Demande réorientée."),
        ),
        "day": (
            lambda: _book_day(user, referral, post),
            _("Journée diagnostique réservée ; le médecin adresseur est prévenu."),
        ),
        "patho": (
            lambda: services.pathology_request_create(
                actor=user, referral=referral, **form_or_fail(forms.PathologyRequestForm(post))
            ),
            _("Demande d'anatomopathologie créée."),
        ),
        "patho_sent": (
            lambda: services.pathology_sample_sent(actor=user, request=pathology(post.get("request", ""))),
            _("Envoi du prélèvement enregistré."),
        ),
        "patho_report": (
            lambda: services.pathology_report(
                actor=user,
                request=pathology(post.get("request", "")),
                **form_or_fail(forms.PathologyReportForm(post)),
            ),
            _("Résultat rattaché."),
        ),
        "rcp": (
            lambda: services.rcp_case_create(
                actor=user, referral=referral, **form_or_fail(forms.RcpRegisterForm(post))
            ),
            _("Dossier inscrit en RCP."),
        ),
        "screening": (lambda: _screen(user, referral, post), _("Dépistage enregistré.")),
        "discharge": (
            lambda: services.discharge_refer(
                actor=user, referral=referral, **form_or_fail(forms.DischargeForm(post))
            ),
            _("Demande de coordination de sortie envoyée."),
        ),
        "discharge_answer": (
            lambda: services.discharge_answer(
                actor=user,
                discharge=_discharge(referral, post.get("discharge", "")),
                accepted=post.get("accepted") == "1",
                note=post.get("note", ""),
            ),
            _("Réponse enregistrée."),
        ),
        "gp": (
            lambda: services.gp_event_notify(
                actor=user, referral=referral, **form_or_fail(forms.GpEventForm(post))
            ),
            _("Message envoyé au médecin adresseur."),
        ),
        "treatment": (
            lambda: services.treatment_start_record(
                actor=user, referral=referral, on=_when(post.get("on", ""))
            ),
            _("Date du premier traitement enregistrée."),
        ),
        "er": (
            lambda: services.er_readmission_record(
                actor=user, referral=referral, at=_when(post.get("on", ""))
            ),
            _("Réadmission par les urgences enregistrée."),
        ),
        "cancel_booking": (
            lambda: _cancel(user, referral, post.get("booking", "")),
            _("Réservation annulée."),
        ),
    }
    if action not in actions:
        raise Http404
    call, done = actions[action]
    try:
        call()
    except ValueError:
        messages.error(request, _("Valeur invalide."))
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, done)
    return redirect(reverse("fasttrack:referral", args=[referral.external_id]) + f"#{anchor}")


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise Http404 from exc


def _when(raw: str) -> dt.datetime:
    day = dt.date.fromisoformat(raw)
    return dt.datetime.combine(day, dt.time(9), tzinfo=timezone.get_current_timezone())


def _discharge(referral: Referral, pk: str) -> DischargeReferral:
    dis = DischargeReferral.objects.filter(referral=referral, external_id=_uuid(pk)).first()
    if dis is None:
        raise Http404
    return dis


def _cancel(user: User, referral: Referral, pk: str) -> object:
    booking = Booking.objects.filter(referral=referral, external_id=_uuid(pk)).first()
    if booking is None:
        raise Http404
    return services.booking_cancel(actor=user, booking=booking)


def _book_day(user: User, referral: Referral, post: Any) -> object:
    template = DayTemplate.objects.filter(external_id=_uuid(post.get("template", ""))).first()
    if template is None:
        raise ValidationFailed(
            _("Choisissez un modèle de journée."), field_errors={"template": [_("Obligatoire.")]}
        )
    first_day = dt.date.fromisoformat(post.get("first_day", ""))
    return services.diagnostic_day_book(actor=user, referral=referral, template=template, first_day=first_day)


def _screen(user: User, referral: Referral, post: Any) -> object:
    inst_id = post.get("instrument", "")
    instruments = scoring.load_instruments()
    if inst_id not in instruments or referral.patient is None:
        raise ValidationFailed(_("Questionnaire inconnu."), field_errors={"instrument": [_("Inconnu.")]})
    answers = _screening_answers(instruments[inst_id].kind, inst_id, post)
    return services.screening_record(
        actor=user, patient=referral.patient, instrument=inst_id, answers=answers, referral=referral
    )


@login_required
@require_POST
def task_done(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    user = _need(request, "fasttrack.coordinate")
    task = CoordinatorTask.objects.filter(external_id=task_id).first()
    if task is None:
        raise Http404
    services.task_done(actor=user, task=task)
    messages.success(request, _("Tâche terminée."))
    return redirect(reverse("fasttrack:queue") + "#taches")


@login_required
@require_GET
def document(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    user = _need(request, "fasttrack.coordinate")
    doc = ReferralDocument.objects.filter(external_id=document_id).select_related("referral").first()
    if doc is None:
        raise Http404
    audit_record(
        actor=user,
        action="read",
        object_type="referral_document",
        object_id=str(doc.external_id),
        patient_id=doc.referral.patient_id,
    )
    response = HttpResponse(bytes(doc.content), content_type=doc.content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="document-{doc.external_id}.{doc.content_type.split("/")[-1]}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def referral_pdf(request: HttpRequest, referral_id: uuid.UUID, kind: str) -> HttpResponse:
    referral = _referral(request, referral_id)
    if referral.patient is None:
        raise Http404(_("Acceptez d'abord la demande."))
    content = pdf.booklet_pdf(referral) if kind == "livret" else pdf.pps_pdf(referral)
    audit_record(
        actor=request_user(request),
        action="export",
        object_type=f"fasttrack_{kind}",
        object_id=str(referral.external_id),
        patient_id=referral.patient_id,
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{kind}-{referral.external_id}.pdf"'
    return response


# ---------------------------------------------------------------- resources and slots ----


def _first_day(raw: str | None) -> dt.date:
    if not raw:
        return clock.today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise Http404(_("Date invalide.")) from exc


@login_required
@require_GET
def availability(request: HttpRequest) -> HttpResponse:
    _need(request, "slots.manage")
    first = _first_day(request.GET.get("du"))
    weeks = request.GET.get("semaines", "2")
    n_weeks = int(weeks) if weeks.isdigit() and 1 <= int(weeks) <= 8 else 2
    kind = request.GET.get("type", "")
    view = selectors.availability(
        first_day=first,
        weeks=n_weeks,
        kind=kind if kind in ResourceKind.values else "",
        pathway=request.GET.get("filiere", "") if request.GET.get("filiere", "") in PATHWAYS else "",
    )
    resources = [(str(r.external_id), r.name) for r in Resource.objects.filter(active=True)]
    return render(
        request,
        "fasttrack/availability.html",
        {
            "view": view,
            "weeks": n_weeks,
            "kinds": ResourceKind.choices,
            "kind": kind,
            "pathways": PATHWAYS,
            "prev": first - dt.timedelta(days=7 * n_weeks),
            "next": first + dt.timedelta(days=7 * n_weeks),
            "resource_form": forms.ResourceForm(prefix="res"),
            "slots_form": forms.SlotsForm(prefix="slots", resources=resources, initial={"first_day": first}),
            "resources": Resource.objects.filter(active=True),
        },
    )


@login_required
@require_POST
def resource_add(request: HttpRequest) -> HttpResponse:
    user = _need(request, "slots.manage")
    form = forms.ResourceForm(request.POST, prefix="res")
    if form.is_valid():
        try:
            services.resource_create(actor=user, **form.cleaned_data)
        except DomainError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Ressource ajoutée."))
    else:
        messages.error(request, _("Ressource non ajoutée : %(e)s") % {"e": form.errors.as_text()})
    return redirect(reverse("fasttrack:availability") + "#ressources")


def _parse_time(raw: str) -> dt.time:
    """``"9:30"``, ``"09:30"`` or ``"14h"`` → a time (``ValueError`` otherwise)."""
    text = raw.strip().lower().replace("h", ":")
    hours, _sep, minutes = text.partition(":")
    return dt.time(int(hours), int(minutes or 0))


@login_required
@require_POST
def slots_add(request: HttpRequest) -> HttpResponse:
    user = _need(request, "slots.manage")
    resources = [(str(r.external_id), r.name) for r in Resource.objects.filter(active=True)]
    form = forms.SlotsForm(request.POST, prefix="slots", resources=resources)
    if not form.is_valid():
        messages.error(request, _("Créneaux non créés : %(e)s") % {"e": form.errors.as_text()})
        return redirect(reverse("fasttrack:availability") + "#creneaux")
    d = form.cleaned_data
    try:
        times = [_parse_time(t) for t in d["times"].split(",") if t.strip()]
        resource = Resource.objects.get(external_id=d["resource"])
        n = services.slots_create(
            actor=user,
            resource=resource,
            first_day=d["first_day"],
            days=d["days"],
            times=times,
            minutes=d["minutes"],
            pathway=d["pathway"] or "",
            emergency=d["emergency"],
        )
    except ValueError:
        messages.error(request, _("Heure invalide : écrivez HH:MM, séparées par des virgules."))
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("%(n)s créneaux créés.") % {"n": n})
    return redirect(reverse("fasttrack:availability") + f"?du={d['first_day'].isoformat()}")


@login_required
@require_POST
def resource_release_hours(request: HttpRequest, resource_id: uuid.UUID) -> HttpResponse:
    user = _need(request, "slots.manage")
    resource = Resource.objects.filter(external_id=resource_id).first()
    if resource is None:
        raise Http404
    try:
        services.resource_set_release_hours(
            actor=user, resource=resource, release_hours=int(request.POST.get("release_hours", ""))
        )
    except ValueError:
        messages.error(request, _("Nombre d'heures invalide."))
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Délai de libération enregistré."))
    return redirect(reverse("fasttrack:availability") + "#ressources")


# ---------------------------------------------------------------- RCP ----


@login_required
@require_GET
def rcp_list(request: HttpRequest) -> HttpResponse:
    _need(request, "rcp.manage")
    return render(
        request,
        "fasttrack/rcp.html",
        {
            "rows": selectors.rcp_cases(),
            "decide_form": forms.RcpDecideForm(),
            "transmit_form": forms.RcpTransmitForm(),
        },
    )


@login_required
@require_POST
def rcp_act(request: HttpRequest, case_id: uuid.UUID, action: str) -> HttpResponse:
    user = _need(request, "rcp.manage")
    case = RcpCase.objects.filter(external_id=case_id).first()
    if case is None:
        raise Http404
    try:
        if action == "decide":
            form = forms.RcpDecideForm(request.POST)
            if not form.is_valid():
                raise ValidationFailed(
                    _("Décision invalide."),
                    field_errors={k: [str(e) for e in v] for k, v in form.errors.items()},
                )
            services.rcp_decide(actor=user, case=case, **form.cleaned_data)
            messages.success(request, _("Décision enregistrée."))
        elif action == "transmit":
            emails = [e for e in request.POST.get("service_emails", "").split(",") if e.strip()]
            services.rcp_transmit(actor=user, case=case, service_emails=emails)
            messages.success(request, _("Décision transmise aux services et au médecin adresseur."))
        else:
            raise Http404
    except DomainError as exc:
        flash_error(request, exc)
    return redirect(reverse("fasttrack:rcp") + f"#rcp-{case.external_id}")


# ---------------------------------------------------------------- indicators ----


def _indicator_rows(request: HttpRequest) -> list[selectors.IndicatorRow]:
    pathway = request.GET.get("filiere", "")
    since = request.GET.get("depuis", "")
    try:
        since_day = dt.date.fromisoformat(since) if since else None
    except ValueError:
        since_day = None
    return selectors.indicators(pathway=pathway if pathway in PATHWAYS else "", since=since_day)


def _chart(rows: list[selectors.IndicatorRow], key: str) -> dict[str, Any]:
    """A server-rendered SVG bar chart of the median (bar) and p90 (tick) per month, all pathways merged."""
    points = [
        (f"{r.pathway} {r.month}", r.delays[key][1], r.delays[key][2]) for r in rows if r.delays[key][0]
    ]
    top = max([p90 or med or 0 for _l, med, p90 in points] + [1])
    width = max(1, len(points))
    bars = []
    for i, (label, med, p90) in enumerate(points):
        x = 40 + i * (560 / width)
        w = max(4, 560 / width - 6)
        h = 160 * (med or 0) / top
        t = 160 * (p90 or 0) / top
        bars.append(
            {
                "x": round(x, 1),
                "w": round(w, 1),
                "x2": round(x + w, 1),
                "y": round(180 - h, 1),
                "h": round(h, 1),
                "ty": round(180 - t, 1),
                "label": label,
                "med": med,
                "p90": p90,
            }
        )
    return {"bars": bars, "top": round(top, 1)}


@login_required
@require_GET
def indicators(request: HttpRequest) -> HttpResponse:
    _need(request, "indicators.view")
    rows = _indicator_rows(request)
    return render(
        request,
        "fasttrack/indicators.html",
        {
            "rows": rows,
            "delays": selectors.DELAYS,
            "charts": [(key, fr, _chart(rows, key)) for key, _a, _b, fr, _en in selectors.DELAYS],
            "pathways": PATHWAYS,
            "pathway": request.GET.get("filiere", ""),
            "query": request.GET.urlencode(),
        },
    )


def _table(rows: list[selectors.IndicatorRow]) -> list[list[object]]:
    head: list[object] = ["filiere", "mois", "demandes"]
    for key, *_r in selectors.DELAYS:
        head += [f"{key}_n", f"{key}_mediane_j", f"{key}_p90_j"]
    head += ["part_soins_support", "part_readmission_urgences"]
    out: list[list[object]] = [head]
    for r in rows:
        line: list[object] = [r.pathway, r.month, r.referrals]
        for key, *_r in selectors.DELAYS:
            n, med, p90 = r.delays[key]
            line += [n, med, p90]
        line += [r.supportive_share, r.er_share]
        out.append(line)
    return out


@login_required
@require_GET
def indicators_export(request: HttpRequest, fmt: str) -> HttpResponse:
    user = _need(request, "indicators.view")
    table = _table(_indicator_rows(request))
    audit_record(actor=user, action="export", object_type="fasttrack_indicators", detail={"format": fmt})
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=";")
        writer.writerows([["" if v is None else v for v in line] for line in table])
        response = HttpResponse(buf.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="indicateurs-parcours-rapide.csv"'
        return response
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "Indicateurs"
        for line in table:
            ws.append(line)
        out = io.BytesIO()
        wb.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="indicateurs-parcours-rapide.xlsx"'
        return response
    raise Http404


__all__ = ["EventKind"]
