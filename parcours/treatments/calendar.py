"""Cure calendar: lay out the cures of a regimen, and postpone a cure (shifting every following one).

:func:`plan_cures` takes a :class:`~parcours.treatments.regimens.Regimen`, a start date, a number of cycles
and/or a horizon, and the patient's place of care per date (day hospital ``"hdj"`` or ``"home"``, from the
pathway state: a callable, or a list of ``(date, place)`` meaning "from this date on"). Each cure gets its
number, date, planned start, place, dose, interval to the next cure, infusion time and its **lab window**:
the 72 hours before the planned start (clinical-rules A.3; domain §2.2 step 6).

A prescription that does not match the regimen (dose or interval) is not an error: it gives a
:class:`CalendarWarning` that the prescriber confirms with a written reason (:func:`confirm_warning`);
:func:`unconfirmed_warnings` says which are still open. So do a weight-based dose without a weight, a phase
change whose gap the sources do not give, and a first cure planned at home (domain §2.2 step 2: the first
cure is always in day hospital).

:func:`postpone` moves a cure by N days and every following cure with it, and returns what changed
(date and place of each moved cure) so the UI can say so.

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Literal, TypeAlias

from parcours.treatments.common import PARIS, DataError, Label, require_aware
from parcours.treatments.regimens import Dose, Regimen

__all__ = [
    "LAB_WINDOW_HOURS",
    "CalendarWarning",
    "CureCalendar",
    "CureChange",
    "LabWindow",
    "Place",
    "PlaceSource",
    "PlannedCure",
    "Postponement",
    "WarningCode",
    "WarningConfirmation",
    "confirm_warning",
    "lab_window",
    "place_function",
    "plan_cures",
    "postpone",
    "unconfirmed_warnings",
]

Place: TypeAlias = Literal["hdj", "home"]
PlaceSource: TypeAlias = Callable[[date], str] | Sequence[tuple[date, str]]
WarningCode: TypeAlias = Literal[
    "dose_mismatch", "interval_mismatch", "weight_required", "phase_gap_unverified", "first_cure_not_in_hdj"
]

LAB_WINDOW_HOURS = 72
PLACES: tuple[Place, ...] = ("hdj", "home")
_PLACE_LABELS: Mapping[str, Label] = {
    "hdj": Label("hôpital de jour", "day hospital"),
    "home": Label("domicile", "home"),
}
_MAX_CURES = 1000


@dataclass(frozen=True)
class LabWindow:
    """Labs for a cure must be sampled in ``[opens_at, closes_at]`` (the 72 h before the planned start)."""

    opens_at: datetime
    closes_at: datetime

    def contains(self, moment: datetime) -> bool:
        require_aware(moment, "moment")
        return self.opens_at <= moment <= self.closes_at


@dataclass(frozen=True)
class PlannedCure:
    number: int  # 1-based over the whole regimen
    phase_index: int
    date: date
    planned_start: datetime
    place: Place
    regimen_dose: Dose
    dose_mg: Decimal | None  # prescribed (or computed) dose in mg; None if weight-based and weight unknown
    interval_days: int  # days from this cure to the next one
    infusion_minutes: int
    lab_window: LabWindow
    shifted_by_days: int = 0  # total postponement applied to this cure


@dataclass(frozen=True)
class CalendarWarning:
    """A deviation the prescriber must confirm with a written reason (never an exception)."""

    code: WarningCode
    cure_number: int
    message: Label
    expected: str | None = None
    prescribed: str | None = None
    requires_confirmation: bool = True

    @property
    def key(self) -> str:
        return f"{self.code}:{self.cure_number}"


@dataclass(frozen=True)
class WarningConfirmation:
    key: str
    actor: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class CureCalendar:
    regimen: Regimen
    start: date
    cures: tuple[PlannedCure, ...]
    warnings: tuple[CalendarWarning, ...]
    cure_start_time: time
    tz: tzinfo
    lab_window_hours: int
    place_of: Callable[[date], Place] = field(compare=False, repr=False)

    def cure(self, number: int) -> PlannedCure:
        for cure in self.cures:
            if cure.number == number:
                return cure
        raise KeyError(f"calendar has no cure number {number}")

    def next_cure_after(self, number: int) -> PlannedCure | None:
        later = [c for c in self.cures if c.number > number]
        return later[0] if later else None


@dataclass(frozen=True)
class CureChange:
    number: int
    old_date: date
    new_date: date
    old_place: Place
    new_place: Place

    @property
    def place_changed(self) -> bool:
        return self.old_place != self.new_place


@dataclass(frozen=True)
class Postponement:
    calendar: CureCalendar
    cure_number: int
    days: int
    reason: str
    changes: tuple[CureChange, ...]
    message: Label


# --------------------------------------------------------------------------------------- helpers


def _check_place(value: object, path: str) -> Place:
    if value == "hdj":
        return "hdj"
    if value == "home":
        return "home"
    raise DataError(f"{path}: expected 'hdj' or 'home', got {value!r}")


def place_function(source: PlaceSource) -> Callable[[date], Place]:
    """A checked ``date -> place`` function from a callable or a list of ``(from_date, place)`` steps."""
    if callable(source):
        func = source

        def checked(day: date) -> Place:
            return _check_place(func(day), f"place_of({day.isoformat()})")

        return checked
    steps: list[tuple[date, Place]] = []
    for i, item in enumerate(source):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise DataError(f"place_of[{i}]: expected a (date, place) pair, got {item!r}")
        day, place = item
        if not isinstance(day, date) or isinstance(day, datetime):
            raise DataError(f"place_of[{i}].date: expected a date, got {day!r}")
        steps.append((day, _check_place(place, f"place_of[{i}].place")))
    if not steps:
        raise DataError("place_of: must not be empty")
    steps.sort(key=lambda step: step[0])

    def lookup(day: date) -> Place:
        current: Place | None = None
        for start, place in steps:
            if start > day:
                break
            current = place
        if current is None:
            raise DataError(
                f"place_of[0].date: no place of care known on {day.isoformat()} "
                f"(first entry is {steps[0][0].isoformat()})"
            )
        return current

    return lookup


def lab_window(planned_start: datetime, hours: int = LAB_WINDOW_HOURS) -> LabWindow:
    """The ``hours`` (72 by default) before ``planned_start``, computed in real (UTC) time across DST."""
    require_aware(planned_start, "planned_start")
    opens = (planned_start.astimezone(UTC) - timedelta(hours=hours)).astimezone(planned_start.tzinfo)
    return LabWindow(opens_at=opens, closes_at=planned_start)


def _planned_start(day: date, at: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def confirm_warning(
    warning: CalendarWarning, *, actor: str, reason: str, at: datetime
) -> WarningConfirmation:
    """Record that ``actor`` confirms ``warning``; the written reason is required."""
    if not actor.strip():
        raise DataError("actor: required to confirm a warning")
    if not reason.strip():
        raise DataError(f"reason: a written reason is required to confirm {warning.key}")
    return WarningConfirmation(
        key=warning.key, actor=actor, reason=reason.strip(), at=require_aware(at, "at")
    )


def unconfirmed_warnings(
    warnings: Sequence[CalendarWarning], confirmations: Sequence[WarningConfirmation]
) -> tuple[CalendarWarning, ...]:
    done = {c.key for c in confirmations}
    return tuple(w for w in warnings if w.requires_confirmation and w.key not in done)


def _fmt_mg(value: Decimal) -> str:
    return f"{value.normalize():f} mg"


# ------------------------------------------------------------------------------------------ planning


def plan_cures(
    regimen: Regimen,
    *,
    start: date,
    place_of: PlaceSource,
    cycles: int | None = None,
    horizon: date | None = None,
    first_cure_number: int = 1,
    weight_kg: Decimal | None = None,
    doses: Mapping[int, Decimal] | None = None,
    intervals: Mapping[int, int] | None = None,
    cure_start_time: time = time(9, 0),
    tz: tzinfo = PARIS,
    lab_window_hours: int = LAB_WINDOW_HOURS,
    dose_tolerance_percent: Decimal = Decimal(0),
) -> CureCalendar:
    """Lay out the cures of ``regimen`` from ``start``.

    ``cycles`` cures are planned, or every cure up to ``horizon`` (inclusive), or the regimen's remaining
    cures when it has a fixed number; with both, whichever comes first. ``first_cure_number`` continues a
    regimen (e.g. 5 to plan from the fifth cure). ``doses`` (mg) and ``intervals`` (days to the next cure)
    are the prescription's values by cure number when they differ from the regimen: each difference gives a
    warning to confirm. ``DataError`` (naming the argument) on impossible input.
    """
    doses = dict(doses or {})
    intervals = dict(intervals or {})
    if isinstance(start, datetime) or not isinstance(start, date):
        raise DataError(f"start: expected a date, got {start!r}")
    if cycles is not None and (isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 1):
        raise DataError(f"cycles: expected an integer >= 1, got {cycles!r}")
    if horizon is not None and horizon < start:
        raise DataError(f"horizon: {horizon.isoformat()} is before the start {start.isoformat()}")
    if isinstance(first_cure_number, bool) or not isinstance(first_cure_number, int) or first_cure_number < 1:
        raise DataError(f"first_cure_number: expected an integer >= 1, got {first_cure_number!r}")
    if weight_kg is not None and (
        not isinstance(weight_kg, Decimal) or not weight_kg.is_finite() or weight_kg <= 0
    ):
        raise DataError(f"weight_kg: expected a positive Decimal, got {weight_kg!r}")
    if lab_window_hours < 1:
        raise DataError(f"lab_window_hours: expected >= 1, got {lab_window_hours}")
    for number, dose in doses.items():
        if not isinstance(dose, Decimal) or not dose.is_finite() or dose <= 0:
            raise DataError(f"doses[{number}]: expected a positive Decimal (mg), got {dose!r}")
    for number, days in intervals.items():
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise DataError(f"intervals[{number}]: expected an integer number of days >= 1, got {days!r}")
    total = regimen.total_cycles
    remaining = None if total is None else total - first_cure_number + 1
    if remaining is not None and remaining < 1:
        raise DataError(f"first_cure_number: regimen {regimen.id} has only {total} cures")
    if cycles is not None and remaining is not None and cycles > remaining:
        raise DataError(
            f"cycles: regimen {regimen.id} has {remaining} cures left from cure {first_cure_number}, not {cycles}"
        )
    count = cycles if cycles is not None else remaining
    if count is None and horizon is None:
        raise DataError(f"cycles: regimen {regimen.id} runs until stopped; give cycles or a horizon")
    place_at = place_function(place_of)

    cures: list[PlannedCure] = []
    warnings: list[CalendarWarning] = []
    day = start
    number = first_cure_number
    while (count is None or len(cures) < count) and (horizon is None or day <= horizon):
        if len(cures) >= _MAX_CURES:
            raise DataError(f"horizon: more than {_MAX_CURES} cures; shorten the horizon")
        phase_index, phase = regimen.phase_of(number)
        expected_mg = phase.dose.for_weight(weight_kg)
        prescribed = doses.get(number)
        if expected_mg is None:
            warnings.append(
                CalendarWarning(
                    code="weight_required",
                    cure_number=number,
                    message=Label(
                        fr=f"Cure {number} : dose de {phase.dose} ; le poids du patient est nécessaire "
                        "pour calculer ou vérifier la dose.",
                        en=f"Cure {number}: dose of {phase.dose}; the patient's weight is needed to compute "
                        "or check the dose.",
                    ),
                    expected=str(phase.dose),
                    prescribed=None if prescribed is None else _fmt_mg(prescribed),
                )
            )
        elif (
            prescribed is not None
            and abs(prescribed - expected_mg) > expected_mg * dose_tolerance_percent / 100
        ):
            warnings.append(
                CalendarWarning(
                    code="dose_mismatch",
                    cure_number=number,
                    message=Label(
                        fr=f"Cure {number} : dose prescrite {_fmt_mg(prescribed)}, le protocole "
                        f"{regimen.label.fr} prévoit {_fmt_mg(expected_mg)}.",
                        en=f"Cure {number}: prescribed dose {_fmt_mg(prescribed)}, regimen "
                        f"{regimen.label.en} gives {_fmt_mg(expected_mg)}.",
                    ),
                    expected=_fmt_mg(expected_mg),
                    prescribed=_fmt_mg(prescribed),
                )
            )
        # interval to the next cure
        next_number = number + 1
        expected_gap: int | None = phase.interval_days
        starts_new_phase = (total is None or next_number <= total) and regimen.phase_of(next_number)[
            0
        ] != phase_index
        if starts_new_phase:
            next_phase = regimen.phase_of(next_number)[1]
            expected_gap = next_phase.first_cure_after_days
        gap = intervals.get(number)
        if gap is None:
            gap = phase.interval_days if expected_gap is None else expected_gap
            if expected_gap is None:
                warnings.append(
                    CalendarWarning(
                        code="phase_gap_unverified",
                        cure_number=next_number,
                        message=Label(
                            fr=f"Cure {next_number} : première cure d'une nouvelle phase ; l'écart depuis la "
                            f"cure précédente n'est pas donné par les sources ({gap} jours retenus), à confirmer.",
                            en=f"Cure {next_number}: first cure of a new phase; the sources do not give the gap "
                            f"from the previous cure ({gap} days used), to be confirmed.",
                        ),
                        expected=None,
                        prescribed=f"{gap} d",
                    )
                )
        elif expected_gap is not None and gap != expected_gap:
            warnings.append(
                CalendarWarning(
                    code="interval_mismatch",
                    cure_number=number,
                    message=Label(
                        fr=f"Cure {number} : intervalle prescrit {gap} jours jusqu'à la cure suivante, le "
                        f"protocole prévoit {expected_gap} jours.",
                        en=f"Cure {number}: prescribed interval {gap} days to the next cure, the regimen "
                        f"gives {expected_gap} days.",
                    ),
                    expected=f"{expected_gap} d",
                    prescribed=f"{gap} d",
                )
            )
        planned_start = _planned_start(day, cure_start_time, tz)
        cures.append(
            PlannedCure(
                number=number,
                phase_index=phase_index,
                date=day,
                planned_start=planned_start,
                place=place_at(day),
                regimen_dose=phase.dose,
                dose_mg=prescribed if prescribed is not None else expected_mg,
                interval_days=gap,
                infusion_minutes=regimen.drug.infusion_minutes_for(number),
                lab_window=lab_window(planned_start, lab_window_hours),
            )
        )
        day = day + timedelta(days=gap)
        number = next_number
    # a phase-gap warning for a cure that was not planned (past the horizon or the count) is dropped
    planned_numbers = {c.number for c in cures}
    warnings = [w for w in warnings if w.cure_number in planned_numbers]
    calendar = CureCalendar(
        regimen=regimen,
        start=start,
        cures=tuple(cures),
        warnings=(),
        cure_start_time=cure_start_time,
        tz=tz,
        lab_window_hours=lab_window_hours,
        place_of=place_at,
    )
    return replace(calendar, warnings=tuple(warnings) + _place_warnings(calendar.cures))


def _place_warnings(cures: Sequence[PlannedCure]) -> tuple[CalendarWarning, ...]:
    first = next((c for c in cures if c.number == 1), None)
    if first is None or first.place == "hdj":
        return ()
    return (
        CalendarWarning(
            code="first_cure_not_in_hdj",
            cure_number=1,
            message=Label(
                fr=f"La première cure est prévue à : {_PLACE_LABELS[first.place].fr} ; elle se fait "
                "toujours en hôpital de jour.",
                en=f"The first cure is planned at: {_PLACE_LABELS[first.place].en}; it is always given in "
                "day hospital.",
            ),
            expected="hdj",
            prescribed=first.place,
        ),
    )


def postpone(calendar: CureCalendar, cure_number: int, days: int, *, reason: str) -> Postponement:
    """Postpone cure ``cure_number`` by ``days`` (>= 1) and shift every following cure by as much.

    Places and lab windows are recomputed; ``changes`` lists each moved cure (old and new date and place).
    The written reason is required.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise DataError(f"days: expected an integer >= 1, got {days!r}")
    if not reason.strip():
        raise DataError("reason: a written reason is required to postpone a cure")
    calendar.cure(cure_number)
    delta = timedelta(days=days)
    cures: list[PlannedCure] = []
    changes: list[CureChange] = []
    for cure in calendar.cures:
        if cure.number < cure_number:
            cures.append(cure)
            continue
        new_date = cure.date + delta
        planned_start = _planned_start(new_date, calendar.cure_start_time, calendar.tz)
        moved = replace(
            cure,
            date=new_date,
            planned_start=planned_start,
            place=calendar.place_of(new_date),
            lab_window=lab_window(planned_start, calendar.lab_window_hours),
            shifted_by_days=cure.shifted_by_days + days,
        )
        cures.append(moved)
        changes.append(
            CureChange(
                number=cure.number,
                old_date=cure.date,
                new_date=new_date,
                old_place=cure.place,
                new_place=moved.place,
            )
        )
    kept = tuple(w for w in calendar.warnings if w.code != "first_cure_not_in_hdj")
    new_calendar = replace(calendar, cures=tuple(cures), warnings=kept + _place_warnings(cures))
    following = len(changes) - 1
    moved_places = [c for c in changes if c.place_changed]
    fr = f"La cure {cure_number} est reportée de {days} jour(s)"
    en = f"Cure {cure_number} is postponed by {days} day(s)"
    if following:
        fr += f" ; les {following} cure(s) suivante(s) sont décalées d'autant"
        en += f"; the {following} following cure(s) move by as much"
    if moved_places:
        numbers = ", ".join(str(c.number) for c in moved_places)
        fr += f" ; lieu modifié pour la/les cure(s) {numbers}"
        en += f"; place of care changed for cure(s) {numbers}"
    return Postponement(
        calendar=new_calendar,
        cure_number=cure_number,
        days=days,
        reason=reason.strip(),
        changes=tuple(changes),
        message=Label(fr=fr + ".", en=en + "."),
    )
