"""Planning pages (HAD planner), the nurse's round on her phone, and her iCalendar feed."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from parcours.accounts.models import Organisation, User
from parcours.accounts.permissions import has_perm
from parcours.accounts.webkit import attempt, flash_error, form_errors_text, request_user
from parcours.core import clock
from parcours.core.errors import DomainError, ValidationFailed
from parcours.logistics import forms, selectors, services
from parcours.logistics.calendar import round_to_ical
from parcours.logistics.enums import RunStatus
from parcours.logistics.models import HomeVisit, NurseShift, PlanRun

ICAL_SALT = "parcours.logistics.ical"


def _date(raw: str | None) -> dt.date:
    if not raw:
        return timezone.localdate(clock.now())
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise Http404(_("Date invalide.")) from exc


def _planner(request: HttpRequest) -> tuple[User, Organisation]:
    user = request_user(request)
    had = selectors.planner_had(user)
    if had is None or not has_perm(user, "planning.manage"):
        raise Http404(_("Page introuvable."))
    return user, had


def _back(date: dt.date, anchor: str = "") -> HttpResponse:
    return redirect(f"{reverse('logistics:day')}?date={date.isoformat()}{'#' + anchor if anchor else ''}")


@login_required
@require_GET
def day(request: HttpRequest) -> HttpResponse:
    _me, had = _planner(request)
    date = _date(request.GET.get("date"))
    view = selectors.day_view(had=had, date=date)
    shown = view.latest
    run_id = request.GET.get("run")
    if run_id:
        shown = next((r for r in view.runs if str(r.external_id) == run_id and r.plan is not None), shown)
    return render(
        request,
        "logistics/day.html",
        {
            "day": view,
            "plan": selectors.plan_view(run=shown) if shown is not None else None,
            "prev_date": date - dt.timedelta(days=1),
            "next_date": date + dt.timedelta(days=1),
            "with_bag": sum(1 for v in view.visits if v.bag_pharmacy_id),
            "visit_form": forms.VisitForm(had=had, prefix="visit"),
            "to_gather": services.gather_pending(had=had, date=date),
            "shift_form": forms.ShiftForm(had=had, prefix="shift"),
        },
    )


@login_required
@require_POST
def visit_add(request: HttpRequest) -> HttpResponse:
    user, had = _planner(request)
    date = _date(request.POST.get("date"))
    form = forms.VisitForm(request.POST, had=had, prefix="visit")
    if not form.is_valid():
        messages.error(request, _("La visite n'a pas été ajoutée : %(e)s") % {"e": form_errors_text(form)})
        return _back(date, "ajouter")
    attempt(
        request,
        lambda: services.visit_create(actor=user, had=had, date=date, **form.cleaned_data),
        done=_("Visite ajoutée : relancez le calcul pour la placer."),
    )
    return _back(date, "visites")


@login_required
@require_POST
def visits_gather(request: HttpRequest) -> HttpResponse:
    """Bring the day's visits from their sources (home cures…) into the plan; say what was done and why not."""
    user, had = _planner(request)
    date = _date(request.POST.get("date"))
    try:
        report = services.visits_gather(actor=user, had=had, date=date)
    except DomainError as exc:
        flash_error(request, exc)
        return _back(date, "calcul")
    for level, text in gather_messages(report):
        messages.add_message(request, level, text)
    return _back(date, "visites")


def gather_messages(report: services.GatherReport) -> list[tuple[int, str]]:
    """The gathering's outcome in a few sentences (success first, then what needs the planner's eye)."""
    created, already = len(report.created), len(report.already)
    parts = []
    if created:
        parts.append(ngettext("%(n)s visite ajoutée", "%(n)s visites ajoutées", created) % {"n": created})
    if already:
        parts.append(ngettext("%(n)s déjà au planning", "%(n)s déjà au planning", already) % {"n": already})
    if not parts:
        parts.append(_("aucune visite ajoutée") if report.skipped else _("rien à rassembler ce jour-là"))
    if report.cancelled:
        parts.append(
            ngettext(
                "dont %(n)s annulée, laissée annulée",
                "dont %(n)s annulées, laissées annulées",
                len(report.cancelled),
            )
            % {"n": len(report.cancelled)}
        )
    if report.refreshed:
        parts.append(
            ngettext(
                "%(n)s poche mise à jour (préparée par la PUI)",
                "%(n)s poches mises à jour (préparées par la PUI)",
                len(report.refreshed),
            )
            % {"n": len(report.refreshed)}
        )
    out: list[tuple[int, str]] = [
        (messages.SUCCESS, _("Visites du jour rassemblées : %(s)s.") % {"s": ", ".join(parts)})
    ]
    if created:
        out.append((messages.INFO, _("Relancez le calcul pour placer les nouvelles visites.")))
    if report.skipped:
        reasons = " ; ".join(f"{s.label} : {s.reason}" for s in report.skipped)
        out.append(
            (
                messages.WARNING,
                ngettext(
                    "%(n)s visite non ajoutée — %(reasons)s",
                    "%(n)s visites non ajoutées — %(reasons)s",
                    len(report.skipped),
                )
                % {"n": len(report.skipped), "reasons": reasons},
            )
        )
    if report.stale:
        names = ", ".join(v.note or v.patient.display_name for v in report.stale)
        out.append(
            (
                messages.WARNING,
                ngettext(
                    "%(n)s visite rassemblée plus tôt n'est plus proposée (cure reportée ou annulée ?) : %(names)s. "
                    "Annulez-la si elle n'a plus lieu.",
                    "%(n)s visites rassemblées plus tôt ne sont plus proposées (cures reportées ou annulées ?) : "
                    "%(names)s. Annulez-les si elles n'ont plus lieu.",
                    len(report.stale),
                )
                % {"n": len(report.stale), "names": names},
            )
        )
    if report.failed_sources:
        out.append(
            (
                messages.ERROR,
                _("Une source de visites n'a pas répondu (%(s)s) : réessayez plus tard.")
                % {"s": ", ".join(report.failed_sources)},
            )
        )
    return out


@login_required
@require_POST
def shift_add(request: HttpRequest) -> HttpResponse:
    user, had = _planner(request)
    date = _date(request.POST.get("date"))
    form = forms.ShiftForm(request.POST, had=had, prefix="shift")
    if not form.is_valid():
        messages.error(
            request, _("L'infirmier(ère) n'a pas été ajouté(e) : %(e)s") % {"e": form_errors_text(form)}
        )
        return _back(date, "ajouter")
    data = dict(form.cleaned_data)
    lat, lon = data.pop("latitude"), data.pop("longitude")
    attempt(
        request,
        lambda: services.shift_create(
            actor=user,
            had=had,
            date=date,
            start_point=(lat, lon) if lat is not None and lon is not None else None,
            **data,
        ),
        done=_("Infirmier(ère) ajouté(e) au planning du jour."),
    )
    return _back(date, "infirmiers")


@login_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    user, had = _planner(request)
    date = _date(request.POST.get("date"))
    attempt(
        request,
        lambda: services.plan_run_request(
            actor=user, had=had, date=date, time_limit_s=int(request.POST.get("time_limit_s", "30"))
        ),
        done=_("Calcul lancé."),
        bad_value=_("Durée de calcul invalide."),
    )
    return _back(date, "calcul")


@login_required
@require_GET
def run_progress(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    _me, had = _planner(request)
    run = PlanRun.objects.filter(had=had, external_id=run_id).first()
    if run is None:
        raise Http404(_("Calcul introuvable."))
    elapsed = (clock.now() - run.started_at).total_seconds() if run.started_at else 0.0
    percent = (
        100
        if run.status not in {RunStatus.QUEUED, RunStatus.RUNNING}
        else min(99, int(100 * elapsed / max(run.time_limit_s, 1)))
    )
    response = render(
        request, "logistics/_progress.html", {"run": run, "percent": percent, "elapsed": int(elapsed)}
    )
    if run.status not in {RunStatus.QUEUED, RunStatus.RUNNING}:
        response["HX-Refresh"] = "true"  # the page reloads and shows the new plan
    return response


@login_required
@require_POST
def run_stop(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    user, had = _planner(request)
    run = PlanRun.objects.filter(had=had, external_id=run_id).first()
    if run is None:
        raise Http404(_("Calcul introuvable."))
    attempt(
        request,
        lambda: services.plan_run_stop(actor=user, run=run),
        done=_("Arrêt demandé : le meilleur plan trouvé est conservé."),
    )
    return _back(run.date, "calcul")


def _visit(had: Organisation, visit_id: uuid.UUID) -> HomeVisit:
    visit = HomeVisit.objects.filter(had=had, external_id=visit_id).select_related("patient", "had").first()
    if visit is None:
        raise Http404(_("Visite introuvable."))
    return visit


@login_required
@require_POST
def visit_pin(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    user, had = _planner(request)
    visit = _visit(had, visit_id)
    nurse_id = request.POST.get("nurse", "").strip()
    raw_start = request.POST.get("start", "").strip()

    def pin() -> None:
        nurse = User.objects.filter(external_id=uuid.UUID(nurse_id)).first() if nurse_id else None
        if nurse_id and nurse is None:
            raise ValidationFailed(_("Infirmier(ère) inconnu(e)."))
        start = dt.time.fromisoformat(raw_start) if raw_start else None
        services.visit_pin(actor=user, visit=visit, nurse=nurse, start=start)

    attempt(
        request,
        pin,
        done=_("Visite épinglée : relancez le calcul pour en tenir compte."),
        bad_value=_("Heure (HH:MM) ou infirmier(ère) invalide."),
    )
    return _back(visit.date, "visites")


@login_required
@require_POST
def visit_cancel(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    user, had = _planner(request)
    visit = _visit(had, visit_id)
    attempt(
        request,
        lambda: services.visit_cancel(actor=user, visit=visit, reason=request.POST.get("reason", "")),
        done=_("Visite annulée : re-planifiez la journée pour libérer le créneau."),
    )
    return _back(visit.date, "visites")


@login_required
@require_POST
def shift_unavailable(request: HttpRequest, shift_id: uuid.UUID) -> HttpResponse:
    user, had = _planner(request)
    shift = NurseShift.objects.filter(had=had, external_id=shift_id).first()
    if shift is None:
        raise Http404(_("Infirmier(ère) introuvable."))
    attempt(
        request,
        lambda: services.shift_unavailable(
            actor=user,
            shift=shift,
            from_time=dt.time.fromisoformat(request.POST.get("from_time", "").strip()),
            reason=request.POST.get("reason", ""),
        ),
        done=_("Indisponibilité enregistrée : re-planifiez la journée."),
        bad_value=_("Heure invalide (HH:MM)."),
    )
    return _back(shift.date, "infirmiers")


@login_required
@require_POST
def replan(request: HttpRequest) -> HttpResponse:
    user, had = _planner(request)
    date = _date(request.POST.get("date"))
    raw_now = request.POST.get("now", "").strip()
    try:
        now = dt.time.fromisoformat(raw_now) if raw_now else None
        run = services.replan_day(actor=user, had=had, date=date, now=now)
    except ValueError:
        messages.error(request, _("Heure invalide (HH:MM)."))
    except DomainError as exc:
        flash_error(request, exc)
    else:
        moved = len(run.moved)
        messages.success(
            request,
            ngettext(
                "Journée re-planifiée : %(n)s visite change d'infirmier(ère).",
                "Journée re-planifiée : %(n)s visites changent d'infirmier(ère).",
                moved,
            )
            % {"n": moved},
        )
    return _back(date, "plan")


@login_required
@require_GET
def my_round(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not has_perm(user, "planning.own_round"):
        raise Http404(_("Page introuvable."))
    date = _date(request.GET.get("date"))
    run, route = selectors.nurse_round(nurse=user, date=date)
    token = signing.dumps(str(user.external_id), salt=ICAL_SALT)
    return render(
        request,
        "logistics/my_round.html",
        {
            "run": run,
            "route": route,
            "date": date,
            "ical_url": request.build_absolute_uri(reverse("logistics:ical", args=[token])),
        },
    )


@require_GET
def ical(request: HttpRequest, token: str) -> HttpResponse:
    """The nurse's rounds as an iCalendar feed (a secret signed URL, for calendar apps that cannot log in)."""
    try:
        key = signing.loads(token, salt=ICAL_SALT)
    except signing.BadSignature as exc:
        raise Http404(_("Lien d'agenda invalide.")) from exc
    nurse = User.objects.filter(external_id=key, is_active=True).first()
    if nurse is None:
        raise Http404(_("Lien d'agenda invalide."))
    today = timezone.localdate(clock.now())
    rounds = []
    for offset in range(-1, 8):
        date = today + dt.timedelta(days=offset)
        _run, route = selectors.nurse_round(nurse=nurse, date=date)
        if route is not None:
            rounds.append((date, route))
    response = HttpResponse(
        round_to_ical(nurse=nurse, rounds=rounds), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="tournee.ics"'
    return response
