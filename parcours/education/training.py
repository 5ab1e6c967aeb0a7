"""Professional training registry rules: the course catalogue, qualifications and who may be assigned an act.

The catalogue (``data/courses.json``) lists the courses (hours, DPC eligibility, validity in months, the
qualifications each **grants** or **renews**), the qualifications (``etp``, ``immuno``) and the acts that need
them (``immunotherapy_administration`` needs ``immuno``; ``etp_session`` needs ``etp``).

:func:`qualifications` replays one professional's training records in date order:

* a course that *grants* a qualification establishes it until ``completed_on + validity_months`` (the day
  before, inclusive: a 12-month course done on 15 March 2025 is valid until 14 March 2026), or for good when
  the course has no validity; a later grant never shortens an earlier one;
* a course that *renews* a qualification extends it to ``completed_on + validity_months`` only if the
  qualification was valid on that day — a lapsed qualification needs a granting course again (the renewal
  is then listed in ``ignored`` with its reason);
* the result, for every qualification of the catalogue, is ``valid`` (with ``valid_until``, ``None`` = no
  expiry), ``expired`` (with the day it ended) or ``missing``, each with reasons in words.

Records dated after today (Europe/Paris) are refused with :class:`~parcours.education.common.InputError` naming
the record, as are unknown courses and duplicate record ids.

:func:`can_assign` answers :class:`Allowed` or :class:`Refused` (every reason, with the courses that would
grant or renew the missing qualification). :func:`training_hours` sums a calendar year's hours (total and
DPC-eligible).

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from parcours.education.common import (
    PARIS,
    DataError,
    InputError,
    Label,
    boolean,
    integer,
    label,
    load_json,
    lst,
    notes,
    obj,
    require_aware,
    string,
    unique,
)

__all__ = [
    "Act",
    "Allowed",
    "Catalogue",
    "Course",
    "CourseFormat",
    "Qualification",
    "Refused",
    "TrainingHours",
    "TrainingRecord",
    "Validity",
    "ValidityStatus",
    "add_months",
    "can_assign",
    "load_builtin_catalogue",
    "parse_catalogue",
    "qualifications",
    "training_hours",
]

FORMAT = "parcours-training-catalogue"
BUILTIN_FILE = "courses.json"
_DATA_PACKAGE = "parcours.education.data"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")

CourseFormat: TypeAlias = Literal["e_learning", "in_person", "virtual_class", "blended"]
ValidityStatus: TypeAlias = Literal["valid", "expired", "missing"]
_FORMATS: tuple[CourseFormat, ...] = ("e_learning", "in_person", "virtual_class", "blended")


# --------------------------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Qualification:
    id: str
    label: Label


@dataclass(frozen=True)
class Course:
    id: str
    title: Label
    provider: str
    format: CourseFormat
    hours: Decimal
    dpc_eligible: bool
    validity_months: int | None
    grants: tuple[str, ...]
    renews: tuple[str, ...]
    source: str
    recommended_every_months: int | None = None


@dataclass(frozen=True)
class Act:
    id: str
    label: Label
    requires: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    version: int
    source: str
    qualifications: tuple[Qualification, ...]
    courses: tuple[Course, ...]
    acts: tuple[Act, ...]
    _courses: Mapping[str, Course] = field(init=False, repr=False, compare=False)
    _qualifications: Mapping[str, Qualification] = field(init=False, repr=False, compare=False)
    _acts: Mapping[str, Act] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_courses", MappingProxyType({c.id: c for c in self.courses}))
        object.__setattr__(self, "_qualifications", MappingProxyType({q.id: q for q in self.qualifications}))
        object.__setattr__(self, "_acts", MappingProxyType({a.id: a for a in self.acts}))

    def course(self, course_id: str) -> Course:
        try:
            return self._courses[course_id]
        except KeyError:
            raise KeyError(f"no course {course_id!r} in the training catalogue") from None

    def has_course(self, course_id: str) -> bool:
        return course_id in self._courses

    def qualification(self, qualification_id: str) -> Qualification:
        try:
            return self._qualifications[qualification_id]
        except KeyError:
            raise KeyError(f"no qualification {qualification_id!r} in the training catalogue") from None

    def act(self, act_id: str) -> Act:
        try:
            return self._acts[act_id]
        except KeyError:
            raise KeyError(
                f"no act {act_id!r} in the training catalogue (expected one of {', '.join(self._acts)})"
            ) from None

    def granting(self, qualification_id: str) -> tuple[Course, ...]:
        return tuple(c for c in self.courses if qualification_id in c.grants)

    def renewing(self, qualification_id: str) -> tuple[Course, ...]:
        return tuple(c for c in self.courses if qualification_id in c.renews)


def _id(data: object, path: str) -> str:
    if not isinstance(data, str) or not _ID_RE.match(data):
        raise DataError(f"{path}: invalid id {data!r} (lowercase letters, digits and '_', letter first)")
    return data


def _hours(data: object, path: str) -> Decimal:
    if isinstance(data, bool) or not isinstance(data, str | int):
        raise DataError(f'{path}: expected a number of hours written as a string (e.g. "3.5"), got {data!r}')
    try:
        value = Decimal(str(data))
    except InvalidOperation:
        raise DataError(f"{path}: not a number: {data!r}") from None
    if not value.is_finite() or value <= 0:
        raise DataError(f"{path}: expected a positive number of hours, got {data!r}")
    return value


def _refs(data: object, path: str, known: Mapping[str, object], what: str) -> tuple[str, ...]:
    ids: list[str] = []
    for i, ref in enumerate(lst(data, path)):
        if ref not in known:
            raise DataError(f"{path}[{i}]: unknown {what} {ref!r} (expected one of {', '.join(known)})")
        if ref in ids:
            raise DataError(f"{path}[{i}]: duplicate {what} {ref!r}")
        ids.append(ref)
    return tuple(ids)


def _parse_course(data: object, path: str, quals: Mapping[str, Qualification]) -> Course:
    o = obj(
        data,
        path,
        (
            "id",
            "title",
            "provider",
            "format",
            "hours",
            "dpc_eligible",
            "validity_months",
            "grants",
            "renews",
            "source",
        ),
        ("recommended_every_months", "notes"),
    )
    fmt = o["format"]
    if fmt not in _FORMATS:
        raise DataError(f"{path}.format: expected one of {', '.join(_FORMATS)}, got {fmt!r}")
    validity = o["validity_months"]
    grants = _refs(o["grants"], f"{path}.grants", quals, "qualification")
    renews = _refs(o["renews"], f"{path}.renews", quals, "qualification")
    both = set(grants) & set(renews)
    if both:
        raise DataError(f"{path}.renews: {', '.join(sorted(both))} already granted by this course")
    if renews and validity is None:
        raise DataError(f"{path}.validity_months: a course that renews a qualification needs a validity")
    every = o.get("recommended_every_months")
    notes(o.get("notes"), f"{path}.notes")
    return Course(
        id=_id(o["id"], f"{path}.id"),
        title=label(o["title"], f"{path}.title"),
        provider=string(o["provider"], f"{path}.provider"),
        format=fmt,
        hours=_hours(o["hours"], f"{path}.hours"),
        dpc_eligible=boolean(o["dpc_eligible"], f"{path}.dpc_eligible"),
        validity_months=None
        if validity is None
        else integer(validity, f"{path}.validity_months", minimum=1, maximum=240),
        grants=grants,
        renews=renews,
        source=string(o["source"], f"{path}.source"),
        recommended_every_months=None
        if every is None
        else integer(every, f"{path}.recommended_every_months", minimum=1, maximum=120),
    )


def parse_catalogue(data: Mapping[str, Any]) -> Catalogue:
    """Validate the training catalogue (parsed JSON); :class:`DataError` names the bad field."""
    o = obj(data, "", ("format", "version", "source", "qualifications", "courses", "acts"), ("notes",))
    if o["format"] != FORMAT:
        raise DataError(f"format: expected {FORMAT!r}, got {o['format']!r}")
    notes(o.get("notes"), "notes")
    quals: dict[str, Qualification] = {}
    seen: dict[str, str] = {}
    for i, raw in enumerate(lst(o["qualifications"], "qualifications", non_empty=True)):
        where = f"qualifications[{i}]"
        qo = obj(raw, where, ("id", "label"))
        qid = _id(qo["id"], f"{where}.id")
        unique(seen, qid, f"{where}.id", "qualification")
        quals[qid] = Qualification(id=qid, label=label(qo["label"], f"{where}.label"))
    courses: list[Course] = []
    course_ids: dict[str, str] = {}
    for i, raw in enumerate(lst(o["courses"], "courses", non_empty=True)):
        course = _parse_course(raw, f"courses[{i}]", quals)
        unique(course_ids, course.id, f"courses[{i}].id", "course")
        courses.append(course)
    for i, qid in enumerate(quals):
        if not any(qid in c.grants for c in courses):
            raise DataError(f"qualifications[{i}]: no course grants {qid!r}")
    acts: list[Act] = []
    act_ids: dict[str, str] = {}
    for i, raw in enumerate(lst(o["acts"], "acts", non_empty=True)):
        where = f"acts[{i}]"
        ao = obj(raw, where, ("id", "label", "requires"))
        aid = _id(ao["id"], f"{where}.id")
        unique(act_ids, aid, f"{where}.id", "act")
        requires = _refs(ao["requires"], f"{where}.requires", quals, "qualification")
        if not requires:
            raise DataError(f"{where}.requires: must not be empty")
        acts.append(Act(id=aid, label=label(ao["label"], f"{where}.label"), requires=requires))
    return Catalogue(
        version=integer(o["version"], "version", minimum=1),
        source=string(o["source"], "source"),
        qualifications=tuple(quals.values()),
        courses=tuple(courses),
        acts=tuple(acts),
    )


_CATALOGUE_CACHE: Catalogue | None = None


def load_builtin_catalogue() -> Catalogue:
    """The shipped ``data/courses.json`` (parsed once per process)."""
    global _CATALOGUE_CACHE
    if _CATALOGUE_CACHE is None:
        text = resources.files(_DATA_PACKAGE).joinpath(BUILTIN_FILE).read_text(encoding="utf-8")
        try:
            _CATALOGUE_CACHE = parse_catalogue(load_json(text, BUILTIN_FILE))
        except DataError as exc:
            raise DataError(f"{BUILTIN_FILE}: {exc}") from None
    return _CATALOGUE_CACHE


# --------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class TrainingRecord:
    """One attended course (an attestation or certificate): ``id`` is the caller's reference (e.g. the
    certificate number or the database id), ``completed_on`` the date on the certificate."""

    id: str
    course_id: str
    completed_on: date


@dataclass(frozen=True)
class Validity:
    qualification: Qualification
    status: ValidityStatus
    valid_until: date | None
    obtained_on: date | None
    reason: Label
    records: tuple[str, ...] = ()
    ignored: tuple[tuple[str, Label], ...] = ()

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"

    def days_left(self, today: date) -> int | None:
        """Days until the last valid day (0 on that day); ``None`` when not valid or without expiry."""
        if self.status != "valid" or self.valid_until is None:
            return None
        return (self.valid_until - today).days


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the end of the month (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _today(now: datetime) -> date:
    return require_aware(now, "now").astimezone(PARIS).date()


def _check_records(
    records: Iterable[TrainingRecord], catalogue: Catalogue, today: date
) -> list[TrainingRecord]:
    checked: list[TrainingRecord] = []
    seen: dict[str, int] = {}
    for i, record in enumerate(records):
        where = f"records[{i}]"
        if not isinstance(record, TrainingRecord):
            raise InputError(f"{where}: expected a TrainingRecord, got {type(record).__name__}")
        where = f"records[{i}] ({record.id})"
        if record.id in seen:
            raise InputError(f"{where}.id: duplicate record id (first at records[{seen[record.id]}])")
        seen[record.id] = i
        if not catalogue.has_course(record.course_id):
            raise InputError(f"{where}.course_id: unknown course {record.course_id!r}")
        day = record.completed_on
        if isinstance(day, datetime) or not isinstance(day, date):
            raise InputError(f"{where}.completed_on: expected a date, got {type(day).__name__}")
        if day > today:
            raise InputError(
                f"{where}.completed_on: {day.isoformat()} is in the future (today is {today.isoformat()})"
            )
        checked.append(record)
    return checked


def _course_list_fr(courses: Iterable[Course]) -> str:
    return ", ".join(f"« {c.title.fr} »" for c in courses)


def _course_list_en(courses: Iterable[Course]) -> str:
    return ", ".join(f"'{c.title.en}'" for c in courses)


def _not_renewed(qual: Qualification, course: Course, record: TrainingRecord, ended: date | None) -> Label:
    head_fr = f"« {course.title.fr} » du {_fr(record.completed_on)} non pris en compte : "
    head_en = f"'{course.title.en}' of {record.completed_on.isoformat()} not counted: "
    if ended is None:
        return Label(
            fr=f"{head_fr}aucune qualification « {qual.label.fr} » à renouveler à cette date.",
            en=f"{head_en}no '{qual.label.en}' qualification to renew on that date.",
        )
    return Label(
        fr=f"{head_fr}la qualification « {qual.label.fr} » avait expiré (valide jusqu'au {_fr(ended)}).",
        en=f"{head_en}the '{qual.label.en}' qualification had expired (valid until {ended.isoformat()}).",
    )


def _replay(
    qual: Qualification, records: list[TrainingRecord], catalogue: Catalogue, today: date
) -> Validity:
    events = sorted(
        (
            r
            for r in records
            if qual.id in catalogue.course(r.course_id).grants + catalogue.course(r.course_id).renews
        ),
        key=lambda r: (r.completed_on, r.id),
    )
    obtained_on: date | None = None
    valid_until: date | None = None  # meaningful only when obtained_on is set; None = no expiry
    last: TrainingRecord | None = None
    used: list[str] = []
    ignored: list[tuple[str, Label]] = []
    for record in events:
        course = catalogue.course(record.course_id)
        end = (
            None
            if course.validity_months is None
            else add_months(record.completed_on, course.validity_months) - timedelta(days=1)
        )
        held = obtained_on is not None and (valid_until is None or record.completed_on <= valid_until)
        if qual.id in course.grants:
            if obtained_on is None or not held:
                obtained_on = record.completed_on
                valid_until = end
            elif valid_until is not None:
                valid_until = None if end is None else max(valid_until, end)
        elif held:
            assert end is not None  # a renewing course has a validity (checked by the parser)
            if valid_until is not None:
                valid_until = max(valid_until, end)
        else:
            ignored.append(
                (record.id, _not_renewed(qual, course, record, None if obtained_on is None else valid_until))
            )
            continue
        used.append(record.id)
        last = record
    granting = catalogue.granting(qual.id)
    if obtained_on is None or last is None:
        return Validity(
            qualification=qual,
            status="missing",
            valid_until=None,
            obtained_on=None,
            reason=Label(
                fr=f"Qualification « {qual.label.fr} » absente : aucune formation enregistrée qui la donne "
                f"({_course_list_fr(granting)}).",
                en=f"'{qual.label.en}' qualification missing: no recorded course grants it "
                f"({_course_list_en(granting)}).",
            ),
            ignored=tuple(ignored),
        )
    last_course = catalogue.course(last.course_id)
    evidence_fr = f"« {last_course.title.fr} » du {_fr(last.completed_on)}"
    evidence_en = f"'{last_course.title.en}' of {last.completed_on.isoformat()}"
    if valid_until is None:
        status: ValidityStatus = "valid"
        reason = Label(
            fr=f"Qualification « {qual.label.fr} » valide sans limite de durée ({evidence_fr}).",
            en=f"'{qual.label.en}' qualification valid with no expiry ({evidence_en}).",
        )
    elif today <= valid_until:
        status = "valid"
        reason = Label(
            fr=f"Qualification « {qual.label.fr} » valide jusqu'au {_fr(valid_until)} ({evidence_fr}).",
            en=f"'{qual.label.en}' qualification valid until {valid_until.isoformat()} ({evidence_en}).",
        )
    else:
        status = "expired"
        renewing = catalogue.renewing(qual.id)
        reason = Label(
            fr=f"Qualification « {qual.label.fr} » expirée depuis le {_fr(valid_until + timedelta(days=1))} "
            f"(dernier justificatif : {evidence_fr}). Pour la retrouver : {_course_list_fr(granting)}"
            + (f" (les actualisations {_course_list_fr(renewing)} ne suffisent plus)." if renewing else "."),
            en=f"'{qual.label.en}' qualification expired on {(valid_until + timedelta(days=1)).isoformat()} "
            f"(latest evidence: {evidence_en}). To regain it: {_course_list_en(granting)}"
            + (f" (the refreshers {_course_list_en(renewing)} are no longer enough)." if renewing else "."),
        )
    return Validity(
        qualification=qual,
        status=status,
        valid_until=valid_until,
        obtained_on=obtained_on,
        reason=reason,
        records=tuple(used),
        ignored=tuple(ignored),
    )


def qualifications(
    records: Iterable[TrainingRecord], now: datetime, *, catalogue: Catalogue | None = None
) -> dict[str, Validity]:
    """Every qualification of the catalogue → its validity today (Europe/Paris date of ``now``)."""
    catalogue = load_builtin_catalogue() if catalogue is None else catalogue
    today = _today(now)
    checked = _check_records(records, catalogue, today)
    return {q.id: _replay(q, checked, catalogue, today) for q in catalogue.qualifications}


# --------------------------------------------------------------------------------------------- assignment


@dataclass(frozen=True)
class Allowed:
    act: str
    label: Label
    valid_until: date | None


@dataclass(frozen=True)
class Refused:
    act: str
    label: Label
    missing: tuple[str, ...]
    reasons: tuple[Label, ...]


def can_assign(
    quals: Mapping[str, Validity], act: str, *, catalogue: Catalogue | None = None
) -> Allowed | Refused:
    """May a professional with these qualifications be assigned ``act``? ``KeyError`` for an unknown act.

    ``Allowed.valid_until`` is the earliest expiry among the required qualifications (``None``: none expires).
    ``Refused`` lists every missing or expired qualification with the courses that would fix it.
    """
    catalogue = load_builtin_catalogue() if catalogue is None else catalogue
    spec = catalogue.act(act)
    missing: list[str] = []
    reasons: list[Label] = []
    ends: list[date] = []
    for qid in spec.requires:
        validity = quals.get(qid)
        if validity is not None and validity.is_valid:
            if validity.valid_until is not None:
                ends.append(validity.valid_until)
            continue
        missing.append(qid)
        if validity is None:
            qual = catalogue.qualification(qid)
            granting = catalogue.granting(qid)
            reasons.append(
                Label(
                    fr=f"Qualification « {qual.label.fr} » absente ({_course_list_fr(granting)}).",
                    en=f"'{qual.label.en}' qualification missing ({_course_list_en(granting)}).",
                )
            )
        else:
            reasons.append(validity.reason)
    if missing:
        return Refused(act=act, label=spec.label, missing=tuple(missing), reasons=tuple(reasons))
    return Allowed(act=act, label=spec.label, valid_until=min(ends) if ends else None)


# --------------------------------------------------------------------------------------------- hours


@dataclass(frozen=True)
class TrainingHours:
    year: int
    total: Decimal
    dpc_eligible: Decimal
    courses: int


def training_hours(
    records: Iterable[TrainingRecord], now: datetime, *, year: int, catalogue: Catalogue | None = None
) -> TrainingHours:
    """Hours of training completed in calendar ``year`` (total and DPC-eligible), e.g. for an annual
    training-time allowance (seed 000, défi 2). Records are checked as in :func:`qualifications`."""
    catalogue = load_builtin_catalogue() if catalogue is None else catalogue
    checked = _check_records(records, catalogue, _today(now))
    total = Decimal(0)
    dpc = Decimal(0)
    count = 0
    for record in checked:
        if record.completed_on.year != year:
            continue
        course = catalogue.course(record.course_id)
        total += course.hours
        count += 1
        if course.dpc_eligible:
            dpc += course.hours
    return TrainingHours(year=year, total=total, dpc_eligible=dpc, courses=count)
