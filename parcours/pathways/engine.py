"""Pure pathway engine: pathway definitions are versioned data, this module interprets them.

A pathway definition (a JSON document under ``parcours/pathways/definitions/``) declares states, transitions,
guards (conditions written in a small declarative expression language) and an optional checklist. The engine
parses and validates it once (:func:`parse_definition`), compiling each guard expression into a closure, and
then answers questions about a patient's position in the pathway from a flat mapping of *facts* that the
caller computes (from the database, in Parcours):

* :func:`check_transitions` — what can come next from this state, and which conditions are unmet;
* :func:`attempt` — may this transition happen now (collecting every unmet guard);
* :func:`due_timers` — which reviews are due or overdue in the current state;
* :func:`checklist_progress` — which checklist steps are done.

Guard expression language (JSON)::

    {"fact": "had.validated"}                           truthy
    {"fact": "x", "eq": v} / "ne" / "in": [v, ...]      equality (booleans never equal numbers)
    {"fact": "x", "gte": n} / "gt" / "lte" / "lt"       ordering (number with number, string with string)
    {"fact": "labs.last_at", "within_hours": 72}        0 <= now - value <= 72 h (datetime or ISO string)
    {"fact": "x", "present": true}                      value present and not None (false: absent or None)
    {"all": [...]}  {"any": [...]}  {"not": {...}}

A missing fact (absent or ``None``) never raises: every test on it is unmet (``{"not": ...}`` of such a test
is met). A value of the wrong type is unmet too. Naive datetimes are taken as UTC.

Stdlib only; no Django, no other ``parcours`` module (import-linter contract "pure").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

__all__ = [
    "Allowed",
    "ChecklistStep",
    "DefinitionError",
    "Expr",
    "Facts",
    "GuardDef",
    "Label",
    "PathwayDefinition",
    "ReasonChoice",
    "Refused",
    "StateDef",
    "TimerDef",
    "TransitionCheck",
    "TransitionDef",
    "UnmetGuard",
    "attempt",
    "check_transitions",
    "checklist_progress",
    "compile_expr",
    "due_timers",
    "evaluate_guard",
    "latest_builtin_definitions",
    "load_builtin_definitions",
    "load_definition_file",
    "load_definition_text",
    "parse_definition",
    "required_facts",
    "state_facts",
]

Facts: TypeAlias = Mapping[str, object]
StateKind: TypeAlias = Literal["initial", "active", "final"]
ReasonCode: TypeAlias = Literal[
    "unknown_transition", "not_from_this_state", "guards_unmet", "reason_required", "final_state"
]
_Test: TypeAlias = Callable[[Facts, datetime], bool]

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
FACT_RE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$")
DEFINITIONS_PACKAGE = "parcours.pathways.definitions"
DAYS_IN_STATE_FACT = "state.days_in_state"


class DefinitionError(ValueError):
    """A pathway definition is invalid; the message starts with the path of the bad field."""


# --------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Label:
    """User-facing text, French first."""

    fr: str
    en: str


@dataclass(frozen=True)
class Expr:
    """A compiled guard expression. ``source`` is the canonical JSON; ``facts`` the fact names it reads."""

    source: str
    facts: frozenset[str]
    test: _Test = field(compare=False, repr=False)

    def __call__(self, facts: Facts, now: datetime) -> bool:
        return self.test(facts, now)


@dataclass(frozen=True)
class GuardDef:
    id: str
    label: Label
    expr: Expr


@dataclass(frozen=True)
class TimerDef:
    """A review due ``after_days`` after entering the state (e.g. end-of-sequence review)."""

    id: str
    label: Label
    after_days: int


@dataclass(frozen=True)
class StateDef:
    id: str
    label: Label
    kind: StateKind
    expected_duration_days: int | None
    description: Label | None
    timers: tuple[TimerDef, ...]

    @property
    def is_final(self) -> bool:
        return self.kind == "final"


@dataclass(frozen=True)
class ReasonChoice:
    """A suggested reason for a transition that requires one (the UI offers them; free text is allowed)."""

    id: str
    label: Label


@dataclass(frozen=True)
class TransitionDef:
    """``sources`` is always concrete: ``"*"`` in the JSON is expanded at parse time to every non-final
    state except the target, and ``from_any`` records that it was written so."""

    id: str
    label: Label
    sources: frozenset[str]
    target: str
    guards: tuple[str, ...]
    requires_reason: bool
    from_any: bool = False
    reason_choices: tuple[ReasonChoice, ...] = ()


@dataclass(frozen=True)
class ChecklistStep:
    """Done iff ``facts["checklist.<id>"]`` is truthy."""

    id: str
    order: int
    label: Label

    @property
    def fact(self) -> str:
        return f"checklist.{self.id}"


@dataclass(frozen=True)
class PathwayDefinition:
    key: str
    version: int
    name: Label
    source: str
    states: tuple[StateDef, ...]
    transitions: tuple[TransitionDef, ...]
    guards: Mapping[str, GuardDef]
    checklist: tuple[ChecklistStep, ...]
    description: Label | None = None
    _states: Mapping[str, StateDef] = field(init=False, repr=False, compare=False)
    _transitions: Mapping[str, TransitionDef] = field(init=False, repr=False, compare=False)
    _outgoing: Mapping[str, tuple[TransitionDef, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        states = {s.id: s for s in self.states}
        outgoing = {s.id: tuple(t for t in self.transitions if s.id in t.sources) for s in self.states}
        object.__setattr__(self, "guards", MappingProxyType(dict(self.guards)))
        object.__setattr__(self, "_states", MappingProxyType(states))
        object.__setattr__(self, "_transitions", MappingProxyType({t.id: t for t in self.transitions}))
        object.__setattr__(self, "_outgoing", MappingProxyType(outgoing))

    def state(self, state_id: str) -> StateDef:
        """The state ``state_id``; ``KeyError`` if this definition has no such state."""
        try:
            return self._states[state_id]
        except KeyError:
            raise KeyError(f"pathway {self.key} v{self.version} has no state {state_id!r}") from None

    def has_state(self, state_id: str) -> bool:
        return state_id in self._states

    def transition(self, transition_id: str) -> TransitionDef:
        try:
            return self._transitions[transition_id]
        except KeyError:
            raise KeyError(
                f"pathway {self.key} v{self.version} has no transition {transition_id!r}"
            ) from None

    @property
    def initial_state(self) -> StateDef:
        return next(s for s in self.states if s.kind == "initial")

    def outgoing(self, state_id: str) -> tuple[TransitionDef, ...]:
        """Transitions leaving ``state_id``, in definition order (empty for a final state)."""
        self.state(state_id)
        return self._outgoing[state_id]


@dataclass(frozen=True)
class UnmetGuard:
    id: str
    label: Label


@dataclass(frozen=True)
class TransitionCheck:
    """``allowed`` means every guard is met; a reason may still be needed (``transition.requires_reason``)."""

    transition: TransitionDef
    allowed: bool
    unmet: tuple[UnmetGuard, ...]


@dataclass(frozen=True)
class Allowed:
    transition: TransitionDef
    source: str
    target: str
    reason: str | None = None


@dataclass(frozen=True)
class Refused:
    transition_id: str
    reason_code: ReasonCode
    unmet: tuple[UnmetGuard, ...]
    message: Label


# ------------------------------------------------------------------------------- expression compiler

_NUMBER_TYPES = (int, float, Decimal, Fraction)
_COMPARISONS = ("eq", "ne", "gte", "gt", "lte", "lt", "in", "within_hours", "present")


def _is_number(value: object) -> bool:
    return isinstance(value, _NUMBER_TYPES) and not isinstance(value, bool)


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    try:
        return bool(a == b)
    except Exception:
        return False


def _truthy(value: object) -> bool:
    try:
        return bool(value)
    except Exception:
        return False


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _aware(now: datetime) -> datetime:
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | bool | int | float) and not (isinstance(value, float) and value != value)


def _compile_fact(node: Mapping[str, Any], path: str, used: set[str]) -> _Test:
    name = node["fact"]
    if not isinstance(name, str) or not FACT_RE.match(name):
        raise DefinitionError(
            f"{path}.fact: invalid fact name {name!r} (lowercase words joined by dots, e.g. 'had.validated')"
        )
    used.add(name)
    ops = [k for k in node if k != "fact"]
    unknown = [k for k in ops if k not in _COMPARISONS]
    if unknown:
        raise DefinitionError(
            f"{path}: unknown operator {unknown[0]!r} (expected one of {', '.join(_COMPARISONS)})"
        )
    if len(ops) > 1:
        raise DefinitionError(
            f"{path}: one operator per fact test, got {', '.join(ops)} (combine with 'all')"
        )
    if not ops:

        def truthy(facts: Facts, now: datetime) -> bool:
            return _truthy(facts.get(name))

        return truthy

    op = ops[0]
    arg = node[op]
    where = f"{path}.{op}"
    if op in ("eq", "ne"):
        if arg is None:
            raise DefinitionError(f"{where}: null is not comparable; use {{'present': false}}")
        if not _is_scalar(arg):
            raise DefinitionError(f"{where}: expected a string, number or boolean, got {arg!r}")
        literal: object = arg
        if op == "eq":

            def eq(facts: Facts, now: datetime) -> bool:
                value = facts.get(name)
                return value is not None and _same(value, literal)

            return eq

        def ne(facts: Facts, now: datetime) -> bool:
            value = facts.get(name)
            return value is not None and not _same(value, literal)

        return ne

    if op in ("gte", "gt", "lte", "lt"):
        if isinstance(arg, bool) or not (isinstance(arg, str) or _is_number(arg)) or not _is_scalar(arg):
            raise DefinitionError(f"{where}: expected a number or a string, got {arg!r}")
        bound: Any = arg
        numeric = not isinstance(arg, str)
        accepts: Callable[[object], bool] = _is_number if numeric else (lambda v: isinstance(v, str))
        compare: Callable[[Any, Any], bool] = {
            "gte": lambda a, b: a >= b,
            "gt": lambda a, b: a > b,
            "lte": lambda a, b: a <= b,
            "lt": lambda a, b: a < b,
        }[op]

        def ordered(facts: Facts, now: datetime) -> bool:
            value = facts.get(name)
            if value is None or not accepts(value):
                return False
            try:
                return bool(compare(value, bound))
            except (ArithmeticError, TypeError):
                return False

        return ordered

    if op == "in":
        if not isinstance(arg, list) or not arg:
            raise DefinitionError(f"{where}: expected a non-empty list, got {arg!r}")
        for i, item in enumerate(arg):
            if item is None or not _is_scalar(item):
                raise DefinitionError(f"{where}[{i}]: expected a string, number or boolean, got {item!r}")
        choices = tuple(arg)

        def member(facts: Facts, now: datetime) -> bool:
            value = facts.get(name)
            if value is None:
                return False
            return any(_same(value, choice) for choice in choices)

        return member

    if op == "within_hours":
        if not _is_number(arg) or not _is_scalar(arg) or arg <= 0:
            raise DefinitionError(f"{where}: expected a positive number of hours, got {arg!r}")
        window = timedelta(hours=float(arg))
        zero = timedelta(0)

        def within(facts: Facts, now: datetime) -> bool:
            moment = _as_datetime(facts.get(name))
            if moment is None:
                return False
            age = _aware(now) - moment
            return zero <= age <= window

        return within

    # present
    if not isinstance(arg, bool):
        raise DefinitionError(f"{where}: expected true or false, got {arg!r}")
    if arg:

        def present(facts: Facts, now: datetime) -> bool:
            return facts.get(name) is not None

        return present

    def absent(facts: Facts, now: datetime) -> bool:
        return facts.get(name) is None

    return absent


def _compile_node(node: object, path: str, used: set[str]) -> _Test:
    if not isinstance(node, Mapping):
        raise DefinitionError(f"{path}: expected an expression object, got {node!r}")
    if "fact" in node:
        return _compile_fact(node, path, used)
    keys = list(node)
    if len(keys) != 1 or keys[0] not in ("all", "any", "not"):
        raise DefinitionError(
            f"{path}: unknown operator {', '.join(map(repr, keys)) or '{}'} "
            "(expected 'fact', 'all', 'any' or 'not')"
        )
    op = keys[0]
    arg = node[op]
    if op == "not":
        inner = _compile_node(arg, f"{path}.not", used)

        def negation(facts: Facts, now: datetime) -> bool:
            return not inner(facts, now)

        return negation
    if not isinstance(arg, list) or not arg:
        raise DefinitionError(f"{path}.{op}: expected a non-empty list of expressions")
    parts = tuple(_compile_node(child, f"{path}.{op}[{i}]", used) for i, child in enumerate(arg))
    if op == "all":

        def conjunction(facts: Facts, now: datetime) -> bool:
            for part in parts:  # noqa: SIM110 - a plain loop is faster than all() on this hot path
                if not part(facts, now):
                    return False
            return True

        return conjunction

    def disjunction(facts: Facts, now: datetime) -> bool:
        for part in parts:  # noqa: SIM110 - a plain loop is faster than any() on this hot path
            if part(facts, now):
                return True
        return False

    return disjunction


def compile_expr(node: object, path: str = "expr") -> Expr:
    """Compile a guard expression (parsed JSON); ``DefinitionError`` names the bad field under ``path``."""
    used: set[str] = set()
    test = _compile_node(node, path, used)
    try:
        source = json.dumps(node, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise DefinitionError(f"{path}: not JSON-serialisable ({exc})") from None
    return Expr(source=source, facts=frozenset(used), test=test)


# ------------------------------------------------------------------------------------------ parser


def _obj(data: object, path: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise DefinitionError(f"{path}: expected an object, got {type(data).__name__}")
    required = tuple(required)
    allowed = set(required) | set(optional)
    for key in data:
        if key not in allowed:
            raise DefinitionError(
                f"{_join(path, str(key))}: unknown field (expected {', '.join(sorted(allowed))})"
            )
    for key in required:
        if key not in data:
            raise DefinitionError(f"{_join(path, key)}: missing")
    return data


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _list(data: object, path: str, *, non_empty: bool = False) -> Sequence[Any]:
    if not isinstance(data, list | tuple):
        raise DefinitionError(f"{path}: expected a list, got {type(data).__name__}")
    if non_empty and not data:
        raise DefinitionError(f"{path}: must not be empty")
    return data


def _str(data: object, path: str) -> str:
    if not isinstance(data, str) or not data.strip():
        raise DefinitionError(f"{path}: expected a non-empty string, got {data!r}")
    return data


def _id(data: object, path: str) -> str:
    if not isinstance(data, str) or not ID_RE.match(data):
        raise DefinitionError(
            f"{path}: invalid id {data!r} (lowercase letters, digits and '_', letter first)"
        )
    return data


def _int(data: object, path: str, *, minimum: int) -> int:
    if isinstance(data, bool) or not isinstance(data, int) or data < minimum:
        raise DefinitionError(f"{path}: expected an integer >= {minimum}, got {data!r}")
    return data


def _label(data: object, path: str) -> Label:
    obj = _obj(data, path, ("fr", "en"))
    return Label(fr=_str(obj["fr"], f"{path}.fr"), en=_str(obj["en"], f"{path}.en"))


def _unique(seen: dict[str, str], ident: str, path: str, what: str) -> None:
    if ident in seen:
        raise DefinitionError(f"{path}: duplicate {what} id {ident!r} (first at {seen[ident]})")
    seen[ident] = path


def _parse_timer(data: object, path: str, seen: dict[str, str]) -> TimerDef:
    obj = _obj(data, path, ("id", "label", "after_days"))
    ident = _id(obj["id"], f"{path}.id")
    _unique(seen, ident, f"{path}.id", "timer")
    return TimerDef(
        id=ident,
        label=_label(obj["label"], f"{path}.label"),
        after_days=_int(obj["after_days"], f"{path}.after_days", minimum=0),
    )


def _parse_state(data: object, path: str, timer_ids: dict[str, str]) -> StateDef:
    obj = _obj(data, path, ("id", "label", "kind"), ("expected_duration_days", "description", "timers"))
    kind = obj["kind"]
    if kind not in ("initial", "active", "final"):
        raise DefinitionError(f"{path}.kind: expected 'initial', 'active' or 'final', got {kind!r}")
    duration = obj.get("expected_duration_days")
    description = obj.get("description")
    timers = tuple(
        _parse_timer(t, f"{path}.timers[{i}]", timer_ids)
        for i, t in enumerate(_list(obj.get("timers", []), f"{path}.timers"))
    )
    if kind == "final" and timers:
        raise DefinitionError(f"{path}.timers: a final state has no timers")
    return StateDef(
        id=_id(obj["id"], f"{path}.id"),
        label=_label(obj["label"], f"{path}.label"),
        kind=kind,
        expected_duration_days=None
        if duration is None
        else _int(duration, f"{path}.expected_duration_days", minimum=1),
        description=None if description is None else _label(description, f"{path}.description"),
        timers=timers,
    )


def _parse_guard(data: object, path: str) -> GuardDef:
    obj = _obj(data, path, ("id", "label", "expr"))
    return GuardDef(
        id=_id(obj["id"], f"{path}.id"),
        label=_label(obj["label"], f"{path}.label"),
        expr=compile_expr(obj["expr"], f"{path}.expr"),
    )


def _parse_transition(
    data: object, path: str, states: Mapping[str, StateDef], guards: Mapping[str, GuardDef]
) -> TransitionDef:
    obj = _obj(
        data, path, ("id", "label", "sources", "target"), ("guards", "requires_reason", "reason_choices")
    )
    ident = _id(obj["id"], f"{path}.id")
    target = obj["target"]
    if target not in states:
        raise DefinitionError(f"{path}.target: unknown state {target!r}")
    raw_sources = obj["sources"]
    from_any = raw_sources == "*"
    if from_any:
        sources = frozenset(s for s, st in states.items() if not st.is_final and s != target)
    else:
        seen: set[str] = set()
        for i, source in enumerate(_list(raw_sources, f"{path}.sources", non_empty=True)):
            where = f"{path}.sources[{i}]"
            if source not in states:
                raise DefinitionError(f"{where}: unknown state {source!r}")
            if states[source].is_final:
                raise DefinitionError(f"{where}: {source!r} is a final state; nothing leaves it")
            if source == target:
                raise DefinitionError(f"{where}: {source!r} is also the target")
            if source in seen:
                raise DefinitionError(f"{where}: duplicate source {source!r}")
            seen.add(source)
        sources = frozenset(seen)
    guard_ids: list[str] = []
    for i, guard in enumerate(_list(obj.get("guards", []), f"{path}.guards")):
        if guard not in guards:
            raise DefinitionError(f"{path}.guards[{i}]: unknown guard {guard!r}")
        if guard in guard_ids:
            raise DefinitionError(f"{path}.guards[{i}]: duplicate guard {guard!r}")
        guard_ids.append(guard)
    requires_reason = obj.get("requires_reason", False)
    if not isinstance(requires_reason, bool):
        raise DefinitionError(f"{path}.requires_reason: expected true or false, got {requires_reason!r}")
    choices: list[ReasonChoice] = []
    choice_ids: dict[str, str] = {}
    for i, choice in enumerate(_list(obj.get("reason_choices", []), f"{path}.reason_choices")):
        where = f"{path}.reason_choices[{i}]"
        cobj = _obj(choice, where, ("id", "label"))
        cid = _id(cobj["id"], f"{where}.id")
        _unique(choice_ids, cid, f"{where}.id", "reason choice")
        choices.append(ReasonChoice(id=cid, label=_label(cobj["label"], f"{where}.label")))
    if choices and not requires_reason:
        raise DefinitionError(f"{path}.reason_choices: only for a transition with requires_reason true")
    return TransitionDef(
        id=ident,
        label=_label(obj["label"], f"{path}.label"),
        sources=sources,
        target=target,
        guards=tuple(guard_ids),
        requires_reason=requires_reason,
        from_any=from_any,
        reason_choices=tuple(choices),
    )


def _check_graph(states: Sequence[StateDef], transitions: Sequence[TransitionDef]) -> None:
    initial = [s.id for s in states if s.kind == "initial"]
    if len(initial) != 1:
        raise DefinitionError(f"states: exactly one initial state required, found {len(initial)}")
    if not any(s.is_final for s in states):
        raise DefinitionError("states: at least one final state required")
    successors: dict[str, set[str]] = {s.id: set() for s in states}
    predecessors: dict[str, set[str]] = {s.id: set() for s in states}
    for t in transitions:
        for source in t.sources:
            successors[source].add(t.target)
            predecessors[t.target].add(source)
    reachable = _closure(initial, successors)
    can_finish = _closure([s.id for s in states if s.is_final], predecessors)
    for i, s in enumerate(states):
        if s.id not in reachable:
            raise DefinitionError(f"states[{i}]: state {s.id!r} is unreachable from {initial[0]!r}")
        if s.id not in can_finish:
            raise DefinitionError(f"states[{i}]: no path from state {s.id!r} to a final state")


def _closure(start: Iterable[str], edges: Mapping[str, set[str]]) -> set[str]:
    seen = set(start)
    stack = list(seen)
    while stack:
        for nxt in edges[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def parse_definition(data: Mapping[str, Any]) -> PathwayDefinition:
    """Validate and compile a pathway definition (parsed JSON). Raises :class:`DefinitionError`."""
    obj = _obj(
        data,
        "",
        ("key", "version", "name", "source", "states", "transitions"),
        ("description", "guards", "checklist", "notes"),
    )
    key = _id(obj["key"], "key")
    version = _int(obj["version"], "version", minimum=1)
    name = _label(obj["name"], "name")
    source = _str(obj["source"], "source")
    description = None if obj.get("description") is None else _label(obj["description"], "description")

    timer_ids: dict[str, str] = {}
    state_ids: dict[str, str] = {}
    states: list[StateDef] = []
    for i, raw in enumerate(_list(obj["states"], "states", non_empty=True)):
        state = _parse_state(raw, f"states[{i}]", timer_ids)
        _unique(state_ids, state.id, f"states[{i}].id", "state")
        states.append(state)

    guards: dict[str, GuardDef] = {}
    guard_ids: dict[str, str] = {}
    for i, raw in enumerate(_list(obj.get("guards", []), "guards")):
        guard = _parse_guard(raw, f"guards[{i}]")
        _unique(guard_ids, guard.id, f"guards[{i}].id", "guard")
        guards[guard.id] = guard

    by_id = {s.id: s for s in states}
    transitions: list[TransitionDef] = []
    transition_ids: dict[str, str] = {}
    for i, raw in enumerate(_list(obj["transitions"], "transitions")):
        transition = _parse_transition(raw, f"transitions[{i}]", by_id, guards)
        _unique(transition_ids, transition.id, f"transitions[{i}].id", "transition")
        transitions.append(transition)

    used = {g for t in transitions for g in t.guards}
    for i, guard_id in enumerate(guards):
        if guard_id not in used:
            raise DefinitionError(f"guards[{i}]: guard {guard_id!r} is used by no transition")

    checklist: list[ChecklistStep] = []
    step_ids: dict[str, str] = {}
    for i, raw in enumerate(_list(obj.get("checklist", []), "checklist")):
        path = f"checklist[{i}]"
        sobj = _obj(raw, path, ("id", "label"))
        step_id = _id(sobj["id"], f"{path}.id")
        _unique(step_ids, step_id, f"{path}.id", "checklist step")
        checklist.append(ChecklistStep(id=step_id, order=i + 1, label=_label(sobj["label"], f"{path}.label")))

    notes = obj.get("notes")
    if notes is not None and not isinstance(notes, str | list):
        raise DefinitionError("notes: expected a string or a list of strings")

    _check_graph(states, transitions)
    return PathwayDefinition(
        key=key,
        version=version,
        name=name,
        source=source,
        states=tuple(states),
        transitions=tuple(transitions),
        guards=guards,
        checklist=tuple(checklist),
        description=description,
    )


# ------------------------------------------------------------------------------------------ loading


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DefinitionError(f"duplicate JSON key {key!r}")
        result[key] = value
    return result


def load_definition_text(text: str, origin: str = "<string>") -> PathwayDefinition:
    """Parse JSON text into a definition; errors are prefixed with ``origin``."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        return parse_definition(data)
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"{origin}: invalid JSON: {exc}") from None
    except DefinitionError as exc:
        raise DefinitionError(f"{origin}: {exc}") from None


def load_definition_file(path: str) -> PathwayDefinition:
    with open(path, encoding="utf-8") as fh:
        return load_definition_text(fh.read(), path)


_BUILTIN_CACHE: dict[tuple[str, int], PathwayDefinition] | None = None


def load_builtin_definitions() -> dict[tuple[str, int], PathwayDefinition]:
    """Every ``definitions/*.json`` keyed by ``(key, version)`` (parsed once per process; a fresh dict)."""
    global _BUILTIN_CACHE
    if _BUILTIN_CACHE is None:
        found: dict[tuple[str, int], PathwayDefinition] = {}
        origins: dict[tuple[str, int], str] = {}
        folder = resources.files(DEFINITIONS_PACKAGE)
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".json") or not entry.is_file():
                continue
            defn = load_definition_text(entry.read_text(encoding="utf-8"), entry.name)
            ident = (defn.key, defn.version)
            if ident in found:
                raise DefinitionError(
                    f"{entry.name}: {defn.key} v{defn.version} already defined in {origins[ident]}"
                )
            found[ident] = defn
            origins[ident] = entry.name
        _BUILTIN_CACHE = found
    return dict(_BUILTIN_CACHE)


def latest_builtin_definitions() -> dict[str, PathwayDefinition]:
    """The highest version of each builtin pathway, keyed by pathway key (new patients start on these)."""
    latest: dict[str, PathwayDefinition] = {}
    for (key, version), defn in load_builtin_definitions().items():
        if key not in latest or latest[key].version < version:
            latest[key] = defn
    return latest


# ---------------------------------------------------------------------------------------- evaluation


def state_facts(entered_at: datetime, now: datetime) -> dict[str, object]:
    """Facts about time spent in the current state, for the caller to merge into its facts:
    ``state.days_in_state`` = whole days elapsed since ``entered_at``."""
    return {DAYS_IN_STATE_FACT: (_aware(now) - _aware(entered_at)) // timedelta(days=1)}


def required_facts(defn: PathwayDefinition) -> frozenset[str]:
    """Every fact name the definition reads (guards and checklist): what the caller must compute."""
    names: set[str] = {step.fact for step in defn.checklist}
    for guard in defn.guards.values():
        names |= guard.expr.facts
    return frozenset(names)


def evaluate_guard(defn: PathwayDefinition, guard_id: str, facts: Facts, now: datetime) -> bool:
    """Whether guard ``guard_id`` holds; ``KeyError`` for an unknown guard. Never raises on facts."""
    return defn.guards[guard_id].expr.test(facts, now)


def _unmet(
    defn: PathwayDefinition, transition: TransitionDef, facts: Facts, now: datetime
) -> tuple[UnmetGuard, ...]:
    guards = defn.guards
    unmet: list[UnmetGuard] = []
    for guard_id in transition.guards:
        guard = guards[guard_id]
        if not guard.expr.test(facts, now):
            unmet.append(UnmetGuard(id=guard.id, label=guard.label))
    return tuple(unmet)


def check_transitions(
    defn: PathwayDefinition, state_id: str, facts: Facts, now: datetime
) -> tuple[TransitionCheck, ...]:
    """Every transition leaving ``state_id`` with its unmet guards (all of them evaluated)."""
    checks = []
    for transition in defn.outgoing(state_id):
        unmet = _unmet(defn, transition, facts, now)
        checks.append(TransitionCheck(transition=transition, allowed=not unmet, unmet=unmet))
    return tuple(checks)


def _refused(
    transition_id: str, code: ReasonCode, fr: str, en: str, unmet: tuple[UnmetGuard, ...] = ()
) -> Refused:
    return Refused(transition_id=transition_id, reason_code=code, unmet=unmet, message=Label(fr=fr, en=en))


def attempt(
    defn: PathwayDefinition,
    state_id: str,
    transition_id: str,
    facts: Facts,
    now: datetime,
    reason: str | None = None,
) -> Allowed | Refused:
    """May ``transition_id`` happen now from ``state_id``?

    Checked in this order: unknown transition, final state, not from this state, guards (every unmet guard
    is listed), then the reason (a non-blank ``reason`` when ``requires_reason``). ``KeyError`` if
    ``state_id`` is not a state of ``defn`` (a data error, not a user error).
    """
    state = defn.state(state_id)
    if transition_id not in defn._transitions:
        return _refused(
            transition_id,
            "unknown_transition",
            f"Transition inconnue « {transition_id} » dans le parcours « {defn.name.fr} ».",
            f"Unknown transition '{transition_id}' in pathway '{defn.name.en}'.",
        )
    transition = defn._transitions[transition_id]
    if state.is_final:
        return _refused(
            transition_id,
            "final_state",
            f"Le parcours est terminé (« {state.label.fr} ») : aucune transition n'est possible.",
            f"The pathway has ended ('{state.label.en}'): no transition is possible.",
        )
    if state_id not in transition.sources:
        return _refused(
            transition_id,
            "not_from_this_state",
            f"« {transition.label.fr} » n'est pas possible depuis l'état « {state.label.fr} ».",
            f"'{transition.label.en}' is not possible from state '{state.label.en}'.",
        )
    unmet = _unmet(defn, transition, facts, now)
    if unmet:
        return _refused(
            transition_id,
            "guards_unmet",
            f"« {transition.label.fr} » : conditions non remplies — {' ; '.join(u.label.fr for u in unmet)}.",
            f"'{transition.label.en}': unmet conditions — {'; '.join(u.label.en for u in unmet)}.",
            unmet,
        )
    if transition.requires_reason and (reason is None or not reason.strip()):
        return _refused(
            transition_id,
            "reason_required",
            f"Un motif est requis pour « {transition.label.fr} ».",
            f"A reason is required for '{transition.label.en}'.",
        )
    return Allowed(
        transition=transition,
        source=state_id,
        target=transition.target,
        reason=reason.strip() if reason is not None and reason.strip() else None,
    )


def due_timers(
    defn: PathwayDefinition, state_id: str, entered_at: datetime, now: datetime
) -> tuple[tuple[TimerDef, datetime, bool], ...]:
    """``(timer, due_at, is_overdue)`` for each timer of the state, earliest first.

    ``due_at = entered_at + after_days``; overdue iff ``now >= due_at``."""
    state = defn.state(state_id)
    current = _aware(now)
    rows = []
    for timer in state.timers:
        due_at = entered_at + timedelta(days=timer.after_days)
        rows.append((timer, due_at, current >= _aware(due_at)))
    rows.sort(key=lambda row: _aware(row[1]))
    return tuple(rows)


def checklist_progress(defn: PathwayDefinition, facts: Facts) -> tuple[tuple[ChecklistStep, bool], ...]:
    """Each checklist step, in order, with whether ``facts["checklist.<id>"]`` is truthy."""
    return tuple((step, _truthy(facts.get(step.fact))) for step in defn.checklist)
