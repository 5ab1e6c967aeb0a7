"""The home cures of a day as visits to plan: the cures app's source for the day plan (``logistics.sources``).

Registered in ``CuresConfig.ready``. For an HAD and a date, every cure **at home** of that HAD on that date that
is still to be given becomes a :class:`~parcours.logistics.sources.VisitProposal` (kind ``administration``,
``source_ref`` ``cure:<cure external id>``). The planner gathers them with "Rassembler les visites du jour".

Decisions (the sources are silent; change them here, with a reason):

* **Which cures**: place ``home``, not cancelled, postponed, administered, closed, nor with the OK refused (the
  administration will not happen that day as things stand).
* **Skills**: ``immuno`` for an immune checkpoint inhibitor (the drug's ``target`` in the regimen data is a
  checkpoint: PD-1, PD-L1, CTLA-4, LAG-3 — every drug of ``regimens.v1.json`` today), ``chimio`` otherwise.
* **Duration**: the cure's infusion time + :data:`OBSERVATION_MIN` of observation after the infusion.
  ``clinical-rules.md`` and ``domain.md`` give no post-infusion observation time for checkpoint inhibitors at
  home (C.2: the FITC guide's nurse checks are not verified), so 30 minutes, to be confirmed by the clinical lead.
* **Window**: the cure calendar puts every cure at 09:00 (``plan_cures`` default, ``cure_start_time``): that
  time is a default, not agreed with the patient, and gives the morning window :data:`MORNING_WINDOW`
  (start between 09:00 and 12:00). Any other planned start was set on purpose: the visit starts between that
  time and :data:`AGREED_SLACK_MIN` minutes after (never before: the OK and the lab window are planned for it).
* **Bag** (collected by the nurse at the cure's PUI): once prepared, ready at its release (or its preparation
  if not released yet) and stable until ``Bag.latest_start`` — the latest infusion start the pharmacy's
  stability computation gave. Not prepared yet: ready at :data:`PUI_RELEASE` (bags are prepared the same
  morning, domain §6) and stable for what ``treatments.stability.stability_deadline`` gives for a refrigerated
  bag prepared then under validated aseptic conditions (the same function as the preparation); when the data
  has no limit (nivolumab: the pharmacy sets a local limit at preparation) :data:`UNKNOWN_STABILITY_MIN`, a
  planning assumption replaced by the real limit when the day is gathered again after the preparation.
* A bag already picked up by the logistician (``in_delivery``/``delivered``) is not collected by the nurse;
  the visit's window then closes at the bag's latest start. A blocked bag (cold chain) is reported, not planned.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.accounts.models import Organisation
from parcours.cures.models import Cure, CureStatus, Place
from parcours.logistics.enums import VisitKind
from parcours.logistics.sources import VisitProposal
from parcours.treatments.regimens import Drug, load_builtin_regimens
from parcours.treatments.stability import StabilityDataMissing, stability_deadline

SOURCE_NAME = "cures"
OBSERVATION_MIN = 30  # observation after the infusion: not given by the sources (see the module docstring)
CALENDAR_DEFAULT_START = dt.time(9, 0)  # plan_cures' cure_start_time, used by the cures services
MORNING_WINDOW = (dt.time(9, 0), dt.time(12, 0))
AGREED_SLACK_MIN = 60
PUI_RELEASE = dt.time(9, 0)  # planned release of a bag not prepared yet
UNKNOWN_STABILITY_MIN = 240  # planning assumption when the data gives no stability (nivolumab)
CHECKPOINT_TARGETS = frozenset({"PD-1", "PD-L1", "CTLA-4", "LAG-3"})
NOT_TO_VISIT = (
    CureStatus.CANCELLED,
    CureStatus.POSTPONED,
    CureStatus.ADMINISTERED,
    CureStatus.CLOSED,
    CureStatus.OK_REFUSED,
)
CARRIED_BY_LOGISTICS = (CureStatus.IN_DELIVERY, CureStatus.DELIVERED)
_regimens = functools.cache(load_builtin_regimens)  # shipped, versioned data: read once per process


def source_ref(cure: Cure) -> str:
    return f"cure:{cure.external_id}"


def skills_for(drug: Drug | None) -> tuple[str, ...]:
    if drug is None or drug.target in CHECKPOINT_TARGETS:
        return ("immuno",)
    return ("chimio",)


def _minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _window(cure: Cure) -> tuple[dt.time, dt.time]:
    start = timezone.localtime(cure.planned_start)
    if start.time().replace(second=0, microsecond=0) == CALENDAR_DEFAULT_START:
        return MORNING_WINDOW
    end = start + dt.timedelta(minutes=AGREED_SLACK_MIN)
    if end.date() != start.date():
        return start.time().replace(second=0, microsecond=0), dt.time(23, 59)
    return start.time().replace(second=0, microsecond=0), end.time().replace(second=0, microsecond=0)


def _bag_unprepared(drug: Drug | None, cure: Cure, date: dt.date) -> tuple[dt.time, int]:
    ready = dt.datetime.combine(date, PUI_RELEASE, tzinfo=timezone.get_current_timezone())
    if drug is None:
        return PUI_RELEASE, UNKNOWN_STABILITY_MIN
    try:
        deadline = stability_deadline(
            drug,
            storage="refrigerated",
            prepared_at=ready,
            aseptic_validated=True,
            infusion_minutes=cure.infusion_minutes,
        )
    except StabilityDataMissing:
        return PUI_RELEASE, UNKNOWN_STABILITY_MIN
    return PUI_RELEASE, _minutes_between(ready, deadline.latest_start)


def home_cure_visits(had: Organisation, date: dt.date) -> list[VisitProposal]:
    """The home cures of ``had`` on ``date`` still to administer, as visits to plan."""
    catalogue = _regimens()
    day_start = dt.datetime.combine(date, dt.time(0, 0), tzinfo=timezone.get_current_timezone())
    cures = (
        Cure.objects.filter(had=had, date=date, place=Place.HOME)
        .exclude(status__in=NOT_TO_VISIT)
        .select_related("plan", "patient", "bag")
        .order_by("planned_start", "id")
    )
    out: list[VisitProposal] = []
    for cure in cures:
        drug = catalogue.drugs.get(cure.plan.drug)
        window_start, window_end = _window(cure)
        label = _("%(patient)s — cure n°%(number)s (%(drug)s)") % {
            "patient": cure.patient.display_name,
            "number": cure.number,
            "drug": cure.plan.drug,
        }
        bag = getattr(cure, "bag", None)
        problem = ""
        pharmacy_id: int | None = cure.pharmacy_id
        ready: dt.time | None
        stability: int | None
        if bag is not None and bag.blocked_at is not None:
            problem = _("Poche bloquée (%(reason)s) : à préparer de nouveau avant de planifier.") % {
                "reason": bag.blocked_reason or _("chaîne du froid")
            }
            ready, stability = None, None
        elif cure.status in CARRIED_BY_LOGISTICS:
            pharmacy_id, ready, stability = None, None, None  # the logistician brings the bag home
            if bag is not None:
                latest = timezone.localtime(bag.latest_start)
                if latest.date() == date:
                    window_end = min(window_end, latest.time().replace(second=0, microsecond=0))
                elif latest.date() < date:
                    problem = _("La poche n'est plus stable ce jour-là.")
        elif bag is not None:
            ready_at = max(timezone.localtime(bag.released_at or bag.prepared_at), day_start)
            ready = ready_at.time().replace(second=0, microsecond=0)
            ready_at = ready_at.replace(second=0, microsecond=0)
            stability = _minutes_between(ready_at, bag.latest_start)
            if stability <= 0:
                problem = _("La poche n'est plus stable ce jour-là.")
        else:
            ready, stability = _bag_unprepared(drug, cure, date)
        out.append(
            VisitProposal(
                source_ref=source_ref(cure),
                patient_id=cure.patient_id,
                kind=VisitKind.ADMINISTRATION,
                window_start=window_start,
                window_end=window_end,
                duration_min=cure.infusion_minutes + OBSERVATION_MIN,
                skills=skills_for(drug),
                label=label,
                bag_pharmacy_id=pharmacy_id if ready is not None else None,
                bag_ready=ready,
                bag_stability_min=stability if ready is not None else None,
                problem=problem,
            )
        )
    return out
