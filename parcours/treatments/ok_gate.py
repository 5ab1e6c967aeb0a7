"""The pre-infusion gate: "OK clinique et biologique" (clinical-rules A.3), who may give it, and overrides.

:func:`evaluate_ok` checks every condition of clinical-rules A.3 from plain inputs and returns them all, met
or not (a failed gate names every unmet condition):

* ``lab_fresh:<CODE>`` — each lab of the checklist sampled within its window before the planned start
  (72 h by default, A.3; the default checklist is A.3's, marked ``UNVERIFIED`` there: CBC with neutrophils
  and platelets, creatinine, ALT, AST, bilirubin, glucose, and TSH every 6 weeks);
* ``lab_grade:<CODE>`` — the latest result of a checklist lab graded by the CTCAE v5 rules of A.1 rule 2 is
  below grade 2 (A.1 rule 6: a finding of grade >= 2 holds the treatment; TSH never holds). This applies
  A.3's "latest triage has hold_treatment = false" to the pre-cure labs themselves, which the latest triage
  may not have seen yet;
* ``triage_hold`` — the patient's latest triage exists and has ``hold_treatment = false`` (A.3);
* ``open_alerts`` — no open alert of level ``urgent`` or ``same_day`` (A.3);
* ``vitals_today`` — vitals recorded on the day of the cure (A.3); checked for the day-of-cure OK only,
  since a whole-cycle OK is given before that day;
* ``clinical:<id>`` — any local clinical-status question (configuration, none by default).

A lab result without a value, a unit or the reference limits its grading needs is refused with a
:class:`~parcours.treatments.common.DataError` naming the lab.

:func:`decide_ok` turns a gate result into an :class:`OkRecord` (given) or an :class:`OkDenied` listing every
reason: the party must be allowed by the convention (domain §2.3: whole-cycle OK by the hospital, day-of-cure
OK by the HAD, configurable; a delegated OK per protocol when the convention allows delegation); an unmet gate
can only be overridden by a doctor with a written reason, kept in the record. :func:`refuse_ok` records a
refusal (the cure goes to ``ok_refused``).

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Literal, TypeAlias

from parcours.treatments.common import PARIS, DataError, Label, require_aware

__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_LAB_CHECKLIST",
    "ChecklistItem",
    "ClinicalCheck",
    "Condition",
    "Convention",
    "ConventionValue",
    "DenialReason",
    "GateResult",
    "LabResult",
    "OkDenied",
    "OkInputs",
    "OkKind",
    "OkRecord",
    "Override",
    "Party",
    "TriageSummary",
    "decide_ok",
    "evaluate_ok",
    "grade_lab",
    "refuse_ok",
]

OkKind: TypeAlias = Literal["cycle", "day_of_cure"]
Party: TypeAlias = Literal["hospital", "had"]
ConventionValue: TypeAlias = Literal["hospital", "had", "both"]
Number: TypeAlias = Decimal | int | float

CLOCK_SKEW = timedelta(minutes=2)
HOLD_GRADE = 2
BLOCKING_ALERT_LEVELS = ("urgent", "same_day")

_KIND_LABELS: Mapping[str, Label] = {
    "cycle": Label("OK pour le cycle", "whole-cycle OK"),
    "day_of_cure": Label("OK du jour de la cure", "day-of-cure OK"),
}
_PARTY_LABELS: Mapping[str, Label] = {
    "hospital": Label("établissement de santé", "hospital"),
    "had": Label("HAD", "HAD"),
}


# ------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class LabResult:
    """One lab result. ``lower``/``upper`` are the reference limits (LLN/ULN) in the same unit as the value."""

    code: str
    value: Number | None
    unit: str | None
    sampled_at: datetime
    lower: Number | None = None
    upper: Number | None = None


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    label: Label
    max_age_hours: int = 72


DEFAULT_LAB_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("NEUTROPHILS", Label("polynucléaires neutrophiles (NFS)", "neutrophils (CBC)")),
    ChecklistItem("PLATELETS", Label("plaquettes (NFS)", "platelets (CBC)")),
    ChecklistItem("CREATININE", Label("créatinine", "creatinine")),
    ChecklistItem("ALT", Label("ALAT", "ALT")),
    ChecklistItem("AST", Label("ASAT", "AST")),
    ChecklistItem("BILIRUBIN", Label("bilirubine", "bilirubin")),
    ChecklistItem("GLUCOSE", Label("glycémie", "glucose")),
    # "TSH every 6 weeks" (A.3, UNVERIFIED): a TSH sampled within 6 weeks before the cure.
    ChecklistItem("TSH", Label("TSH (toutes les 6 semaines)", "TSH (every 6 weeks)"), max_age_hours=42 * 24),
)


@dataclass(frozen=True)
class TriageSummary:
    """The patient's latest toxicity triage (clinical-rules A.1 output)."""

    hold_treatment: bool
    assessed_at: datetime
    max_grade: int | None = None


@dataclass(frozen=True)
class ClinicalCheck:
    """A local clinical-status question; ``met`` None means not answered (unmet)."""

    id: str
    label: Label
    met: bool | None


@dataclass(frozen=True)
class OkInputs:
    planned_start: datetime
    labs: Sequence[LabResult]
    latest_triage: TriageSummary | None
    open_alert_levels: Sequence[str]
    vitals_recorded_at: datetime | None
    clinical_checks: Sequence[ClinicalCheck] = ()
    checklist: Sequence[ChecklistItem] = DEFAULT_LAB_CHECKLIST
    grade_labs: bool = True
    tz: tzinfo = PARIS


# ------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Condition:
    id: str
    met: bool
    label: Label  # what the condition requires
    detail: Label | None = None  # why it is unmet (or a note)


@dataclass(frozen=True)
class GateResult:
    kind: OkKind
    planned_start: datetime
    evaluated_at: datetime
    conditions: tuple[Condition, ...]

    @property
    def met(self) -> bool:
        return all(c.met for c in self.conditions)

    @property
    def unmet(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if not c.met)


@dataclass(frozen=True)
class Convention:
    """Who may give each OK under the hospital–HAD agreement (domain §2.3; CHU Limoges default below)."""

    ok_cycle: ConventionValue = "hospital"
    ok_day_of_cure: ConventionValue = "had"
    delegation_allowed: bool = False  # the HAD may give the hospital's OK per a delegation protocol

    def allowed(self, kind: OkKind) -> ConventionValue:
        return self.ok_cycle if kind == "cycle" else self.ok_day_of_cure


@dataclass(frozen=True)
class Override:
    by: str
    reason: str
    overridden: tuple[Condition, ...]


@dataclass(frozen=True)
class OkRecord:
    """A decision on the OK. Valid (for preparation and administration) while ``is_valid_at``."""

    kind: OkKind
    decision: Literal["given", "refused"]
    party: Party
    delegated: bool
    given_by: str
    given_at: datetime
    cure_date: date
    valid_from: datetime
    valid_until: datetime  # exclusive
    conditions: tuple[Condition, ...]
    override: Override | None = None
    reason: str | None = None

    def is_valid_at(self, moment: datetime) -> bool:
        require_aware(moment, "moment")
        return self.decision == "given" and self.valid_from <= moment < self.valid_until


@dataclass(frozen=True)
class DenialReason:
    code: Literal[
        "party_not_allowed", "gate_unmet", "override_needs_doctor", "past_validity", "reason_required"
    ]
    message: Label


@dataclass(frozen=True)
class OkDenied:
    kind: OkKind
    reasons: tuple[DenialReason, ...]
    unmet: tuple[Condition, ...]


# ------------------------------------------------------------------------------------------ grading

_UNIT_FACTORS_10E9_L: Mapping[str, Decimal] = {
    "10^9/l": Decimal(1),
    "10*9/l": Decimal(1),
    "10e9/l": Decimal(1),
    "g/l": Decimal(1),  # giga per litre, as French labs write it for cell counts
    "giga/l": Decimal(1),
    "/mm3": Decimal("0.001"),
    "/µl": Decimal("0.001"),
    "/ul": Decimal("0.001"),
}
_UNIT_FACTORS_G_DL: Mapping[str, Decimal] = {"g/dl": Decimal(1), "g/l": Decimal("0.1")}
_ULN_BANDS: Mapping[str, tuple[Decimal, Decimal, Decimal]] = {
    # upper bounds (×ULN) of grades 1, 2 and 3 (A.1 rule 2); above the last: grade 4
    "ALT": (Decimal("3.0"), Decimal("5.0"), Decimal("20.0")),
    "AST": (Decimal("3.0"), Decimal("5.0"), Decimal("20.0")),
    "BILIRUBIN": (Decimal("1.5"), Decimal("3.0"), Decimal("10.0")),
    "CREATININE": (Decimal("1.5"), Decimal("3.0"), Decimal("6.0")),
}
_LLN_BANDS: Mapping[str, tuple[Decimal, ...]] = {
    # lower bounds of grades 1, 2, 3 in 10^9/L or g/dL (A.1 rule 2); below the last: next grade
    "NEUTROPHILS": (Decimal("1.5"), Decimal("1.0"), Decimal("0.5")),
    "PLATELETS": (Decimal(75), Decimal(50), Decimal(25)),
    "HEMOGLOBIN": (Decimal("10.0"), Decimal("8.0")),
}


def _dec(value: Number, path: str) -> Decimal:
    if isinstance(value, bool):
        raise DataError(f"{path}: expected a number, got {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise DataError(f"{path}: expected a number, got {value!r}") from None
    if not result.is_finite():
        raise DataError(f"{path}: expected a finite number, got {value!r}")
    return result


@dataclass(frozen=True)
class _Lab:
    code: str
    value: Decimal
    lower: Decimal | None
    upper: Decimal | None
    sampled_at: datetime


def _normalise(lab: LabResult, path: str) -> _Lab:
    code = (lab.code or "").strip().upper()
    if not code:
        raise DataError(f"{path}.code: missing")
    name = f"{path} ({code})"
    if lab.value is None:
        raise DataError(f"{name}: value missing")
    if lab.unit is None or not lab.unit.strip():
        raise DataError(f"{name}: unit missing")
    require_aware(lab.sampled_at, f"{name}.sampled_at")
    value = _dec(lab.value, f"{name}.value")
    lower = None if lab.lower is None else _dec(lab.lower, f"{name}.lower")
    upper = None if lab.upper is None else _dec(lab.upper, f"{name}.upper")
    if lower is None and upper is None:
        raise DataError(f"{name}: reference range missing (lower and/or upper limit)")
    if code in _ULN_BANDS and upper is None:
        raise DataError(f"{name}: upper reference limit (ULN) missing")
    if code in _LLN_BANDS and lower is None:
        raise DataError(f"{name}: lower reference limit (LLN) missing")
    if code == "TSH" and (lower is None or upper is None):
        raise DataError(f"{name}: both reference limits (LLN and ULN) are needed")
    if lower is not None and upper is not None and lower > upper:
        raise DataError(f"{name}: lower reference limit above the upper one")
    unit = lab.unit.strip().lower().replace(" ", "")
    factors = {"NEUTROPHILS": _UNIT_FACTORS_10E9_L, "PLATELETS": _UNIT_FACTORS_10E9_L}.get(code)
    if code == "HEMOGLOBIN":
        factors = _UNIT_FACTORS_G_DL
    if factors is not None:
        if unit not in factors:
            expected = "g/dL or g/L" if code == "HEMOGLOBIN" else "10^9/L, G/L or /mm3"
            raise DataError(f"{name}: unit {lab.unit!r} not supported (expected {expected})")
        f = factors[unit]
        value, lower = value * f, None if lower is None else lower * f
        upper = None if upper is None else upper * f
    return _Lab(code=code, value=value, lower=lower, upper=upper, sampled_at=lab.sampled_at)


def grade_lab(code: str, value: Decimal, *, lower: Decimal | None, upper: Decimal | None) -> int | None:
    """CTCAE v5 grade of a lab value by A.1 rule 2 (normal baseline); None for codes A.1 does not grade.

    Cell counts in 10^9/L and haemoglobin in g/dL. TSH outside its range is a grade-1 finding.
    """
    code = code.upper()
    if code in _ULN_BANDS:
        assert upper is not None
        if value <= upper:
            return 0
        ratio = value / upper
        for grade, bound in enumerate(_ULN_BANDS[code], start=1):
            if ratio <= bound:
                return grade
        return 4
    if code in _LLN_BANDS:
        assert lower is not None
        if value >= lower:
            return 0
        for grade, bound in enumerate(_LLN_BANDS[code], start=1):
            if value >= bound:
                return grade
        return len(_LLN_BANDS[code]) + 1
    if code == "TSH":
        assert lower is not None and upper is not None
        return 0 if lower <= value <= upper else 1
    return None


# ------------------------------------------------------------------------------------------- gate


def _local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def _fmt(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def evaluate_ok(inputs: OkInputs, *, kind: OkKind, now: datetime) -> GateResult:
    """Every A.3 condition for the OK of one cure, met or not. ``DataError`` names a malformed lab."""
    if kind not in ("cycle", "day_of_cure"):
        raise DataError(f"kind: expected 'cycle' or 'day_of_cure', got {kind!r}")
    start = require_aware(inputs.planned_start, "planned_start")
    require_aware(now, "now")
    tz = inputs.tz
    labs = [_normalise(lab, f"labs[{i}]") for i, lab in enumerate(inputs.labs)]
    for i, lab in enumerate(labs):
        if lab.sampled_at > now + CLOCK_SKEW:
            raise DataError(
                f"labs[{i}] ({lab.code}).sampled_at: in the future ({lab.sampled_at.isoformat()})"
            )
    conditions: list[Condition] = []

    for item in inputs.checklist:
        code = item.code.upper()
        window = timedelta(hours=item.max_age_hours)
        usable = [lab for lab in labs if lab.code == code and lab.sampled_at <= start]
        latest = max(usable, key=lambda lab: lab.sampled_at) if usable else None
        fresh = latest is not None and start - latest.sampled_at <= window
        age = (
            f"{item.max_age_hours} h"
            if item.max_age_hours % 24 or item.max_age_hours <= 72
            else f"{item.max_age_hours // 24} j"
        )
        age_en = age.replace(" j", " days")
        requirement = Label(
            fr=f"{item.label.fr} prélevé(e) dans les {age} avant la cure",
            en=f"{item.label.en} sampled within {age_en} before the cure",
        )
        detail: Label | None = None
        if latest is None:
            detail = Label(fr=f"{item.label.fr} : aucun résultat", en=f"{item.label.en}: no result")
        elif not fresh:
            detail = Label(
                fr=f"{item.label.fr} : dernier prélèvement le {_fmt(latest.sampled_at, tz)}, trop ancien",
                en=f"{item.label.en}: last sampled {_fmt(latest.sampled_at, tz)}, too old",
            )
        conditions.append(Condition(id=f"lab_fresh:{code}", met=fresh, label=requirement, detail=detail))
        if inputs.grade_labs and latest is not None and code != "TSH":
            grade = grade_lab(code, latest.value, lower=latest.lower, upper=latest.upper)
            if grade is not None:
                ok = grade < HOLD_GRADE
                conditions.append(
                    Condition(
                        id=f"lab_grade:{code}",
                        met=ok,
                        label=Label(
                            fr=f"{item.label.fr} de grade CTCAE < {HOLD_GRADE}",
                            en=f"{item.label.en} below CTCAE grade {HOLD_GRADE}",
                        ),
                        detail=None
                        if ok
                        else Label(
                            fr=f"{item.label.fr} : grade {grade} (suspension du traitement, règle A.1-6)",
                            en=f"{item.label.en}: grade {grade} (treatment on hold, rule A.1-6)",
                        ),
                    )
                )

    triage = inputs.latest_triage
    if triage is None:
        conditions.append(
            Condition(
                "triage_hold",
                False,
                Label("dernier triage sans suspension du traitement", "latest triage without treatment hold"),
                Label("aucun triage de toxicité enregistré", "no toxicity triage recorded"),
            )
        )
    else:
        require_aware(triage.assessed_at, "latest_triage.assessed_at")
        conditions.append(
            Condition(
                "triage_hold",
                not triage.hold_treatment,
                Label("dernier triage sans suspension du traitement", "latest triage without treatment hold"),
                None
                if not triage.hold_treatment
                else Label(
                    fr=f"le triage du {_fmt(triage.assessed_at, tz)} suspend le traitement",
                    en=f"the triage of {_fmt(triage.assessed_at, tz)} holds the treatment",
                ),
            )
        )

    blocking = [level for level in inputs.open_alert_levels if level in BLOCKING_ALERT_LEVELS]
    conditions.append(
        Condition(
            "open_alerts",
            not blocking,
            Label("aucune alerte ouverte urgente ou à voir le jour même", "no open urgent or same-day alert"),
            None
            if not blocking
            else Label(
                fr=f"{len(blocking)} alerte(s) ouverte(s) : {', '.join(blocking)}",
                en=f"{len(blocking)} open alert(s): {', '.join(blocking)}",
            ),
        )
    )

    if kind == "day_of_cure":
        vitals = inputs.vitals_recorded_at
        cure_day = _local_day(start, tz)
        if vitals is not None:
            require_aware(vitals, "vitals_recorded_at")
        vitals_ok = vitals is not None and _local_day(vitals, tz) == cure_day and vitals <= now + CLOCK_SKEW
        conditions.append(
            Condition(
                "vitals_today",
                vitals_ok,
                Label("constantes du jour enregistrées", "vitals of the day recorded"),
                None
                if vitals_ok
                else Label(
                    fr=f"pas de constantes enregistrées le {cure_day.strftime('%d/%m/%Y')}",
                    en=f"no vitals recorded on {cure_day.isoformat()}",
                ),
            )
        )

    for check in inputs.clinical_checks:
        conditions.append(
            Condition(
                f"clinical:{check.id}",
                check.met is True,
                check.label,
                None
                if check.met is True
                else Label("non renseigné", "not answered")
                if check.met is None
                else Label("non satisfait", "not met"),
            )
        )
    return GateResult(kind=kind, planned_start=start, evaluated_at=now, conditions=tuple(conditions))


# --------------------------------------------------------------------------------------- decision


def _end_of_day(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def _party_allowed(convention: Convention, kind: OkKind, party: Party, delegated: bool) -> bool:
    allowed = convention.allowed(kind)
    if allowed == "both" or allowed == party:
        return True
    return delegated and party == "had" and allowed == "hospital" and convention.delegation_allowed


def decide_ok(
    gate: GateResult,
    *,
    party: Party,
    convention: Convention,
    actor: str,
    actor_is_doctor: bool,
    now: datetime,
    delegated: bool = False,
    cycle_end: date | None = None,
    override_reason: str | None = None,
    tz: tzinfo = PARIS,
) -> OkRecord | OkDenied:
    """Record the OK ``gate.kind`` given by ``actor`` for ``party``, or say every reason it cannot be.

    Validity: a day-of-cure OK runs from now to the end of the cure day; a whole-cycle OK to the end of
    ``cycle_end`` (default: the cure day). An unmet gate needs ``override_reason`` from a doctor.
    """
    require_aware(now, "now")
    if not actor.strip():
        raise DataError("actor: required")
    if party not in ("hospital", "had"):
        raise DataError(f"party: expected 'hospital' or 'had', got {party!r}")
    kind = gate.kind
    cure_date = _local_day(gate.planned_start, tz)
    last_day = cure_date if kind == "day_of_cure" or cycle_end is None else cycle_end
    if last_day < cure_date:
        raise DataError("cycle_end: before the cure date")
    valid_until = _end_of_day(last_day, tz)
    reasons: list[DenialReason] = []
    if not _party_allowed(convention, kind, party, delegated):
        allowed = convention.allowed(kind)
        who = Label("l'un ou l'autre", "either") if allowed == "both" else _PARTY_LABELS[allowed]
        reasons.append(
            DenialReason(
                "party_not_allowed",
                Label(
                    fr=f"{_KIND_LABELS[kind].fr} : donné par {who.fr} selon la convention, pas par "
                    f"{_PARTY_LABELS[party].fr}" + (" (délégation non prévue)" if delegated else ""),
                    en=f"{_KIND_LABELS[kind].en}: given by the {who.en} under the convention, not by the "
                    f"{_PARTY_LABELS[party].en}"
                    + (" (no delegation in the convention)" if delegated else ""),
                ),
            )
        )
    if now >= valid_until:
        reasons.append(
            DenialReason(
                "past_validity",
                Label(
                    fr=f"la période couverte par cet OK est terminée ({_fmt(valid_until, tz)})",
                    en=f"the period this OK covers is over ({_fmt(valid_until, tz)})",
                ),
            )
        )
    unmet = gate.unmet
    override: Override | None = None
    if unmet:
        reason = (override_reason or "").strip()
        if not reason:
            reasons.append(
                DenialReason(
                    "gate_unmet",
                    Label(
                        fr="conditions non remplies : " + " ; ".join((c.detail or c.label).fr for c in unmet),
                        en="unmet conditions: " + "; ".join((c.detail or c.label).en for c in unmet),
                    ),
                )
            )
        elif not actor_is_doctor:
            reasons.append(
                DenialReason(
                    "override_needs_doctor",
                    Label(
                        "seul un médecin peut passer outre une condition non remplie",
                        "only a doctor may override an unmet condition",
                    ),
                )
            )
        else:
            override = Override(by=actor, reason=reason, overridden=unmet)
    if reasons:
        return OkDenied(kind=kind, reasons=tuple(reasons), unmet=unmet)
    return OkRecord(
        kind=kind,
        decision="given",
        party=party,
        delegated=delegated and convention.allowed(kind) == "hospital" and party == "had",
        given_by=actor,
        given_at=now,
        cure_date=cure_date,
        valid_from=now,
        valid_until=valid_until,
        conditions=gate.conditions,
        override=override,
    )


def refuse_ok(
    gate: GateResult, *, party: Party, actor: str, now: datetime, reason: str, tz: tzinfo = PARIS
) -> OkRecord:
    """Record a refusal of the OK (with its written reason); the cure goes to ``ok_refused``."""
    require_aware(now, "now")
    if not reason.strip():
        raise DataError("reason: a written reason is required to refuse the OK")
    if not actor.strip():
        raise DataError("actor: required")
    return OkRecord(
        kind=gate.kind,
        decision="refused",
        party=party,
        delegated=False,
        given_by=actor,
        given_at=now,
        cure_date=_local_day(gate.planned_start, tz),
        valid_from=now,
        valid_until=now,
        conditions=gate.conditions,
        reason=reason.strip(),
    )
