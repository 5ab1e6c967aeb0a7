"""Which ETP modules a patient may follow now, and why the others are still locked.

:func:`available_modules` evaluates each module's unlock rule (:class:`~parcours.education.programme.UnlockRule`)
against the patient's position in the pathway and the modules already completed:

* a **completed** module stays completed (it is never locked again, whatever the state);
* an **unlocked** module has every condition of its rule met;
* a **locked** module lists every unmet condition in words (French and English) and, when only time is
  missing (S1 week, days in state), the moment it will unlock (``available_from``).

Weeks of sequence 1 count from ``s1_started_at``: week 1 = days 0–6, week 10 = days 63–69. A patient who has
left S1 keeps counting (a week rule stays met in S2, S3 or back in day hospital).

Properties (tested): completing more modules never locks an unlocked module; moving time forward within the
same state never locks an unlocked module.

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeAlias

from parcours.education.common import InputError, Label, join_en, join_fr, require_aware
from parcours.education.programme import ModuleDef, Programme

__all__ = [
    "ModuleState",
    "ModuleStatus",
    "available_modules",
    "days_in_state",
    "s1_week",
]

ModuleState: TypeAlias = Literal["locked", "unlocked", "completed"]
ConditionKind: TypeAlias = Literal["state", "s1_week", "days_in_state", "after"]

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class UnmetCondition:
    kind: ConditionKind
    label: Label


@dataclass(frozen=True)
class ModuleStatus:
    """``reason`` is one sentence for the patient or the nurse; ``unmet`` lists every unmet condition of a locked
    module; ``available_from`` is set when only time conditions are unmet."""

    module: ModuleDef
    status: ModuleState
    reason: Label
    unmet: tuple[UnmetCondition, ...] = ()
    available_from: datetime | None = None

    @property
    def module_id(self) -> str:
        return self.module.id


def s1_week(s1_started_at: datetime | None, now: datetime) -> int | None:
    """The current week of sequence 1 (1-based; ``None`` if S1 has not started or starts in the future)."""
    if s1_started_at is None:
        return None
    elapsed = now - s1_started_at
    if elapsed < timedelta(0):
        return None
    return elapsed // timedelta(weeks=1) + 1


def days_in_state(state_entered_at: datetime, now: datetime) -> int:
    """Whole days since the state was entered (0 if the entry is in the future)."""
    return max(0, (now - state_entered_at) // _DAY)


def _quoted(titles: list[str]) -> str:
    return ", ".join(f"« {t} »" for t in titles)


def _evaluate(
    programme: Programme,
    module: ModuleDef,
    *,
    pathway_state: str,
    state_entered_at: datetime,
    s1_started_at: datetime | None,
    completed: AbstractSet[str],
    now: datetime,
) -> tuple[list[UnmetCondition], datetime | None]:
    rule = module.unlock
    unmet: list[UnmetCondition] = []
    waits: list[datetime] = []
    if rule.states is not None and pathway_state not in rule.states:
        allowed = [s for s in programme.states if s.id in rule.states]
        current = programme.state(pathway_state).label
        unmet.append(
            UnmetCondition(
                "state",
                Label(
                    fr=f"seulement pendant : {join_fr([s.label.fr for s in allowed])} "
                    f"(étape actuelle : {current.fr})",
                    en=f"only during: {join_en([s.label.en for s in allowed])} (current stage: {current.en})",
                ),
            )
        )
    if rule.s1_week_gte is not None:
        week = s1_week(s1_started_at, now)
        if week is None:
            unmet.append(
                UnmetCondition(
                    "s1_week",
                    Label(
                        fr=f"à partir de la semaine {rule.s1_week_gte} de la séquence 1 "
                        "(séquence 1 pas encore commencée)",
                        en=f"from week {rule.s1_week_gte} of sequence 1 (sequence 1 not started yet)",
                    ),
                )
            )
        elif week < rule.s1_week_gte:
            assert s1_started_at is not None
            waits.append(s1_started_at + timedelta(weeks=rule.s1_week_gte - 1))
            unmet.append(
                UnmetCondition(
                    "s1_week",
                    Label(
                        fr=f"à partir de la semaine {rule.s1_week_gte} de la séquence 1 "
                        f"(semaine {week} en cours)",
                        en=f"from week {rule.s1_week_gte} of sequence 1 (currently week {week})",
                    ),
                )
            )
    if rule.min_days_in_state is not None:
        days = days_in_state(state_entered_at, now)
        if days < rule.min_days_in_state:
            waits.append(state_entered_at + rule.min_days_in_state * _DAY)
            unmet.append(
                UnmetCondition(
                    "days_in_state",
                    Label(
                        fr=f"après {rule.min_days_in_state} jours dans l'étape actuelle "
                        f"({days} jour(s) écoulé(s))",
                        en=f"after {rule.min_days_in_state} days in the current stage ({days} elapsed)",
                    ),
                )
            )
    missing = [dep for dep in rule.after if dep not in completed]
    if missing:
        titles = [programme.module(dep).title for dep in missing]
        unmet.append(
            UnmetCondition(
                "after",
                Label(
                    fr=f"après le{'s modules' if len(titles) > 1 else ' module'} {_quoted([t.fr for t in titles])}",
                    en=f"after the module{'s' if len(titles) > 1 else ''} "
                    + ", ".join(f"'{t.en}'" for t in titles),
                ),
            )
        )
    # every unmet condition is a wait with a known end (``waits`` only holds those)
    only_time = bool(unmet) and len(waits) == len(unmet)
    return unmet, (max(waits) if only_time else None)


def available_modules(
    programme: Programme,
    *,
    pathway_state: str,
    state_entered_at: datetime,
    s1_started_at: datetime | None,
    completed: AbstractSet[str],
    now: datetime,
) -> list[ModuleStatus]:
    """The status of every module of ``programme``, in programme order.

    ``pathway_state`` must be one of the programme's pathway states; datetimes must be aware; ``completed``
    holds module ids of this programme. Invalid input raises :class:`InputError` naming the argument.
    """
    require_aware(state_entered_at, "state_entered_at")
    require_aware(now, "now")
    if s1_started_at is not None:
        require_aware(s1_started_at, "s1_started_at")
    if not programme.has_state(pathway_state):
        raise InputError(
            f"pathway_state: unknown state {pathway_state!r} for pathway {programme.pathway_key} "
            f"(expected one of {', '.join(s.id for s in programme.states)})"
        )
    for module_id in sorted(completed):
        if not programme.has_module(module_id):
            raise InputError(
                f"completed: unknown module {module_id!r} in programme {programme.key} v{programme.version}"
            )
    statuses: list[ModuleStatus] = []
    for module in programme.modules:
        if module.id in completed:
            statuses.append(
                ModuleStatus(
                    module=module, status="completed", reason=Label("Module terminé.", "Module completed.")
                )
            )
            continue
        unmet, available_from = _evaluate(
            programme,
            module,
            pathway_state=pathway_state,
            state_entered_at=state_entered_at,
            s1_started_at=s1_started_at,
            completed=completed,
            now=now,
        )
        if not unmet:
            statuses.append(
                ModuleStatus(
                    module=module, status="unlocked", reason=Label("Disponible maintenant.", "Available now.")
                )
            )
            continue
        reason = Label(
            fr="Pas encore disponible : " + " ; ".join(u.label.fr for u in unmet) + ".",
            en="Not available yet: " + "; ".join(u.label.en for u in unmet) + ".",
        )
        statuses.append(
            ModuleStatus(
                module=module,
                status="locked",
                reason=reason,
                unmet=tuple(unmet),
                available_from=available_from,
            )
        )
    return statuses
