"""ETP programmes as versioned data: modules (French Markdown texts), quizzes and unlock rules.

A programme is a JSON document under ``parcours/education/data/programmes/`` named ``<key>.v<version>.json``;
each module's text is a French Markdown file under ``data/modules/`` named by the module's ``file`` field.
:func:`parse_programme` validates a parsed document and raises :class:`~parcours.education.common.DataError`
whose message starts with the path of the bad field (``modules[3].quiz.questions[1].correct[0]: ...``):

* ids are unique and well formed, labels bilingual, every ``source`` present;
* every module file exists, is UTF-8 and starts with a ``# `` title; the text is loaded into the module;
* every quiz question has 2+ choices, its correct answers name existing choices (exactly one for a
  ``single`` question), and its ``revisit`` topic is the title of a section (``##``/``###``) of the module text;
* unlock rules name known pathway states and known modules, and ``after`` has no cycle;
* the exit criteria (``understands_treatment``, ``knows_warning_signs``, ``knows_whom_to_alert``) name known
  modules.

The programme names the pathway it accompanies (``pathway.key``) and copies that pathway's state ids (with
short labels for the reasons shown to patients), so that this package needs no other ``parcours`` app; a test
checks the copy against the pathway definition.

A patient keeps the version they started: :func:`load_builtin_programmes` returns every version keyed by
``(key, version)``; the Django side stores ``(key, version)`` on the patient's enrolment.

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from parcours.education.common import (
    DataError,
    Label,
    integer,
    label,
    load_json,
    lst,
    notes,
    obj,
    string,
    unique,
)

__all__ = [
    "AUDIENCES",
    "COMPETENCIES",
    "DELIVERIES",
    "Audience",
    "Choice",
    "Competency",
    "Delivery",
    "ModuleDef",
    "PathwayStateRef",
    "Programme",
    "Question",
    "QuestionKind",
    "Quiz",
    "UnlockRule",
    "builtin_modules_dir",
    "get_programme",
    "latest_builtin_programmes",
    "load_builtin_programmes",
    "load_programme_file",
    "load_programme_text",
    "parse_programme",
    "section_titles",
]

FORMAT = "parcours-etp-programme"
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
FILE_RE = re.compile(r"^[a-z][a-z0-9_]*(?:\.v[0-9]+)?\.md$")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
PROGRAMMES_PACKAGE = "parcours.education.data.programmes"
MODULES_PACKAGE = "parcours.education.data.modules"

Audience: TypeAlias = Literal["patient", "caregiver"]
Delivery: TypeAlias = Literal["hdj", "home", "digital"]
QuestionKind: TypeAlias = Literal["single", "multiple"]
Competency: TypeAlias = Literal["understands_treatment", "knows_warning_signs", "knows_whom_to_alert"]

AUDIENCES: tuple[Audience, ...] = ("patient", "caregiver")
DELIVERIES: tuple[Delivery, ...] = ("hdj", "home", "digital")
COMPETENCIES: tuple[Competency, ...] = ("understands_treatment", "knows_warning_signs", "knows_whom_to_alert")


# --------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Choice:
    id: str
    text: Label


@dataclass(frozen=True)
class Question:
    """One quiz question. ``correct`` holds the ids of the correct choices (exactly one for ``single``);
    ``revisit`` is the module section to re-read when the answer is wrong."""

    id: str
    kind: QuestionKind
    text: Label
    choices: tuple[Choice, ...]
    correct: frozenset[str]
    explanation: Label
    revisit: Label

    def has_choice(self, choice_id: str) -> bool:
        return any(c.id == choice_id for c in self.choices)


@dataclass(frozen=True)
class Quiz:
    """``pass_mark_percent``: the share of questions to answer exactly right (the module's own mark, or the
    programme's)."""

    questions: tuple[Question, ...]
    pass_mark_percent: int

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"no question {question_id!r}")


@dataclass(frozen=True)
class UnlockRule:
    """Every given condition must hold (AND); an empty rule always holds.

    * ``states``: the patient's pathway state is one of these;
    * ``s1_week_gte``: the current week of sequence 1 (week 1 = days 0–6 after S1 started) is at least N —
      and stays so after S1;
    * ``min_days_in_state``: at least N whole days in the current state;
    * ``after``: these modules are completed.
    """

    states: frozenset[str] | None = None
    s1_week_gte: int | None = None
    min_days_in_state: int | None = None
    after: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return (
            self.states is None
            and self.s1_week_gte is None
            and self.min_days_in_state is None
            and not self.after
        )


@dataclass(frozen=True)
class ModuleDef:
    id: str
    order: int
    title: Label
    summary: Label
    file: str
    audience: tuple[Audience, ...]
    delivery: Delivery
    duration_minutes: int
    source: str
    unlock: UnlockRule
    quiz: Quiz
    text: str = field(repr=False, compare=False, default="")

    @property
    def sections(self) -> tuple[str, ...]:
        """The titles of the text's sections (``##`` and deeper headings), in order."""
        return section_titles(self.text)


@dataclass(frozen=True)
class PathwayStateRef:
    """A state of the accompanied pathway, with the short label used in the reasons shown to patients."""

    id: str
    label: Label


@dataclass(frozen=True)
class Programme:
    key: str
    version: int
    name: Label
    description: Label
    source: str
    pathway_key: str
    states: tuple[PathwayStateRef, ...]
    pass_mark_percent: int
    modules: tuple[ModuleDef, ...]
    exit_criteria: Mapping[Competency, tuple[str, ...]]
    _modules: Mapping[str, ModuleDef] = field(init=False, repr=False, compare=False)
    _states: Mapping[str, PathwayStateRef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "exit_criteria", MappingProxyType(dict(self.exit_criteria)))
        object.__setattr__(self, "_modules", MappingProxyType({m.id: m for m in self.modules}))
        object.__setattr__(self, "_states", MappingProxyType({s.id: s for s in self.states}))

    @property
    def ident(self) -> tuple[str, int]:
        return (self.key, self.version)

    def module(self, module_id: str) -> ModuleDef:
        """The module ``module_id``; ``KeyError`` if this programme has none."""
        try:
            return self._modules[module_id]
        except KeyError:
            raise KeyError(f"programme {self.key} v{self.version} has no module {module_id!r}") from None

    def has_module(self, module_id: str) -> bool:
        return module_id in self._modules

    def state(self, state_id: str) -> PathwayStateRef:
        try:
            return self._states[state_id]
        except KeyError:
            raise KeyError(
                f"programme {self.key} v{self.version} does not know pathway state {state_id!r}"
            ) from None

    def has_state(self, state_id: str) -> bool:
        return state_id in self._states


# --------------------------------------------------------------------------------------------- parser


def section_titles(text: str) -> tuple[str, ...]:
    """Titles of the Markdown headings of level 2 and deeper (``## Title``), outside fenced code blocks."""
    titles: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        match = None if fenced else HEADING_RE.match(line)
        if match and len(match.group(1)) >= 2:
            titles.append(match.group(2))
    return tuple(titles)


def _id(data: object, path: str) -> str:
    if not isinstance(data, str) or not ID_RE.match(data):
        raise DataError(f"{path}: invalid id {data!r} (lowercase letters, digits and '_', letter first)")
    return data


def _read_module_text(modules_dir: Traversable, name: object, path: str) -> tuple[str, str]:
    if not isinstance(name, str) or not FILE_RE.match(name):
        raise DataError(
            f"{path}: invalid file name {name!r} (expected '<module>.v<N>.md': lowercase, digits and '_')"
        )
    entry = modules_dir.joinpath(name)
    if not entry.is_file():
        raise DataError(f"{path}: module file {name!r} not found in {modules_dir}")
    try:
        text = entry.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: module file {name!r} is not UTF-8 ({exc})") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first.startswith("# "):
        raise DataError(f"{path}: module file {name!r} must start with a '# ' title line")
    return name, text


def _parse_question(data: object, path: str, module_text: str) -> Question:
    o = obj(data, path, ("id", "kind", "text", "choices", "correct", "explanation", "revisit"))
    ident = _id(o["id"], f"{path}.id")
    kind = o["kind"]
    if kind not in ("single", "multiple"):
        raise DataError(f"{path}.kind: expected 'single' or 'multiple', got {kind!r}")
    choices: list[Choice] = []
    seen: dict[str, str] = {}
    raw_choices = lst(o["choices"], f"{path}.choices", non_empty=True)
    if len(raw_choices) < 2:
        raise DataError(f"{path}.choices: at least 2 choices required, got {len(raw_choices)}")
    for i, raw in enumerate(raw_choices):
        where = f"{path}.choices[{i}]"
        co = obj(raw, where, ("id", "text"))
        cid = _id(co["id"], f"{where}.id")
        unique(seen, cid, f"{where}.id", "choice")
        choices.append(Choice(id=cid, text=label(co["text"], f"{where}.text")))
    correct: list[str] = []
    for i, cid in enumerate(lst(o["correct"], f"{path}.correct", non_empty=True)):
        where = f"{path}.correct[{i}]"
        if cid not in seen:
            raise DataError(f"{where}: unknown choice {cid!r} (expected one of {', '.join(seen)})")
        if cid in correct:
            raise DataError(f"{where}: duplicate correct choice {cid!r}")
        correct.append(cid)
    if kind == "single" and len(correct) != 1:
        raise DataError(
            f"{path}.correct: a single-choice question has exactly one correct choice, got {len(correct)}"
        )
    revisit = label(o["revisit"], f"{path}.revisit")
    sections = section_titles(module_text)
    if revisit.fr not in sections:
        raise DataError(
            f"{path}.revisit.fr: no section titled {revisit.fr!r} in the module text "
            f"(sections: {'; '.join(sections) or 'none'})"
        )
    return Question(
        id=ident,
        kind=kind,
        text=label(o["text"], f"{path}.text"),
        choices=tuple(choices),
        correct=frozenset(correct),
        explanation=label(o["explanation"], f"{path}.explanation"),
        revisit=revisit,
    )


def _parse_quiz(data: object, path: str, module_text: str, default_pass_mark: int) -> Quiz:
    o = obj(data, path, ("questions",), ("pass_mark_percent",))
    pass_mark = o.get("pass_mark_percent")
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(lst(o["questions"], f"{path}.questions", non_empty=True)):
        q = _parse_question(raw, f"{path}.questions[{i}]", module_text)
        unique(seen, q.id, f"{path}.questions[{i}].id", "question")
        questions.append(q)
    return Quiz(
        questions=tuple(questions),
        pass_mark_percent=default_pass_mark
        if pass_mark is None
        else integer(pass_mark, f"{path}.pass_mark_percent", minimum=1, maximum=100),
    )


def _parse_unlock(data: object, path: str, states: Mapping[str, PathwayStateRef]) -> UnlockRule:
    """The rule; the ``after`` ids are checked once every module is known (:func:`_check_after`)."""
    o = obj(data, path, (), ("states", "s1_week_gte", "min_days_in_state", "after"))
    rule_states: frozenset[str] | None = None
    if "states" in o:
        ids: list[str] = []
        for i, state in enumerate(lst(o["states"], f"{path}.states", non_empty=True)):
            where = f"{path}.states[{i}]"
            if state not in states:
                raise DataError(
                    f"{where}: unknown pathway state {state!r} (expected one of {', '.join(states)})"
                )
            if state in ids:
                raise DataError(f"{where}: duplicate state {state!r}")
            ids.append(state)
        rule_states = frozenset(ids)
    week = o.get("s1_week_gte")
    days = o.get("min_days_in_state")
    after: list[str] = []
    for i, module_id in enumerate(lst(o.get("after", []), f"{path}.after")):
        where = f"{path}.after[{i}]"
        _id(module_id, where)
        if module_id in after:
            raise DataError(f"{where}: duplicate module {module_id!r}")
        after.append(module_id)
    return UnlockRule(
        states=rule_states,
        s1_week_gte=None if week is None else integer(week, f"{path}.s1_week_gte", minimum=1, maximum=60),
        min_days_in_state=None if days is None else integer(days, f"{path}.min_days_in_state", minimum=0),
        after=tuple(after),
    )


def _parse_module(
    data: object,
    path: str,
    order: int,
    states: Mapping[str, PathwayStateRef],
    modules_dir: Traversable,
    default_pass_mark: int,
) -> ModuleDef:
    o = obj(
        data,
        path,
        (
            "id",
            "title",
            "summary",
            "file",
            "audience",
            "delivery",
            "duration_minutes",
            "source",
            "unlock",
            "quiz",
        ),
        ("notes",),
    )
    ident = _id(o["id"], f"{path}.id")
    file_name, text = _read_module_text(modules_dir, o["file"], f"{path}.file")
    audience: list[Audience] = []
    for i, who in enumerate(lst(o["audience"], f"{path}.audience", non_empty=True)):
        if who not in AUDIENCES:
            raise DataError(f"{path}.audience[{i}]: expected one of {', '.join(AUDIENCES)}, got {who!r}")
        if who in audience:
            raise DataError(f"{path}.audience[{i}]: duplicate audience {who!r}")
        audience.append(who)
    delivery = o["delivery"]
    if delivery not in DELIVERIES:
        raise DataError(f"{path}.delivery: expected one of {', '.join(DELIVERIES)}, got {delivery!r}")
    unlock = _parse_unlock(o["unlock"], f"{path}.unlock", states)
    notes(o.get("notes"), f"{path}.notes")
    return ModuleDef(
        id=ident,
        order=order,
        title=label(o["title"], f"{path}.title"),
        summary=label(o["summary"], f"{path}.summary"),
        file=file_name,
        audience=tuple(audience),
        delivery=delivery,
        duration_minutes=integer(o["duration_minutes"], f"{path}.duration_minutes", minimum=1, maximum=240),
        source=string(o["source"], f"{path}.source"),
        unlock=unlock,
        quiz=_parse_quiz(o["quiz"], f"{path}.quiz", text, default_pass_mark),
        text=text,
    )


def _check_after(modules: list[ModuleDef]) -> None:
    index = {m.id: i for i, m in enumerate(modules)}
    for i, m in enumerate(modules):
        for j, dep in enumerate(m.unlock.after):
            where = f"modules[{i}].unlock.after[{j}]"
            if dep not in index:
                raise DataError(f"{where}: unknown module {dep!r}")
            if dep == m.id:
                raise DataError(f"{where}: a module cannot require itself")
    # cycle detection (depth-first, colours)
    state: dict[str, int] = {}

    def visit(module_id: str, trail: list[str]) -> None:
        state[module_id] = 1
        for dep in modules[index[module_id]].unlock.after:
            if state.get(dep) == 1:
                cycle = [*trail[trail.index(dep) :], dep] if dep in trail else [module_id, dep]
                raise DataError(
                    f"modules[{index[module_id]}].unlock.after: cycle between modules {' -> '.join(cycle)}"
                )
            if dep not in state:
                visit(dep, [*trail, dep])
        state[module_id] = 2

    for m in modules:
        if m.id not in state:
            visit(m.id, [m.id])


def parse_programme(data: Mapping[str, Any], *, modules_dir: Traversable | None = None) -> Programme:
    """Validate a programme (parsed JSON); module files are read from ``modules_dir`` (default: the builtin
    ``data/modules`` folder). Raises :class:`DataError` naming the bad field."""
    folder = builtin_modules_dir() if modules_dir is None else modules_dir
    o = obj(
        data,
        "",
        (
            "format",
            "key",
            "version",
            "name",
            "description",
            "source",
            "pathway",
            "pass_mark_percent",
            "modules",
            "exit_criteria",
        ),
        ("notes",),
    )
    if o["format"] != FORMAT:
        raise DataError(f"format: expected {FORMAT!r}, got {o['format']!r}")
    key = _id(o["key"], "key")
    version = integer(o["version"], "version", minimum=1)
    pass_mark = integer(o["pass_mark_percent"], "pass_mark_percent", minimum=1, maximum=100)
    po = obj(o["pathway"], "pathway", ("key", "states"))
    pathway_key = _id(po["key"], "pathway.key")
    states: dict[str, PathwayStateRef] = {}
    state_paths: dict[str, str] = {}
    for i, raw in enumerate(lst(po["states"], "pathway.states", non_empty=True)):
        where = f"pathway.states[{i}]"
        so = obj(raw, where, ("id", "label"))
        sid = _id(so["id"], f"{where}.id")
        unique(state_paths, sid, f"{where}.id", "state")
        states[sid] = PathwayStateRef(id=sid, label=label(so["label"], f"{where}.label"))

    modules: list[ModuleDef] = []
    module_paths: dict[str, str] = {}
    file_paths: dict[str, str] = {}
    for i, raw in enumerate(lst(o["modules"], "modules", non_empty=True)):
        module = _parse_module(raw, f"modules[{i}]", i + 1, states, folder, pass_mark)
        unique(module_paths, module.id, f"modules[{i}].id", "module")
        unique(file_paths, module.file, f"modules[{i}].file", "module file")
        modules.append(module)
    _check_after(modules)

    eo = obj(o["exit_criteria"], "exit_criteria", COMPETENCIES)
    exit_criteria: dict[Competency, tuple[str, ...]] = {}
    for competency in COMPETENCIES:
        ids: list[str] = []
        for i, module_id in enumerate(lst(eo[competency], f"exit_criteria.{competency}", non_empty=True)):
            where = f"exit_criteria.{competency}[{i}]"
            if module_id not in module_paths:
                raise DataError(f"{where}: unknown module {module_id!r}")
            if module_id in ids:
                raise DataError(f"{where}: duplicate module {module_id!r}")
            ids.append(module_id)
        exit_criteria[competency] = tuple(ids)
    notes(o.get("notes"), "notes")
    return Programme(
        key=key,
        version=version,
        name=label(o["name"], "name"),
        description=label(o["description"], "description"),
        source=string(o["source"], "source"),
        pathway_key=pathway_key,
        states=tuple(states.values()),
        pass_mark_percent=pass_mark,
        modules=tuple(modules),
        exit_criteria=exit_criteria,
    )


# ------------------------------------------------------------------------------------------ loading


def builtin_modules_dir() -> Traversable:
    return resources.files(MODULES_PACKAGE)


def load_programme_text(
    text: str, origin: str = "<string>", *, modules_dir: Traversable | None = None
) -> Programme:
    """Parse JSON text into a programme; errors are prefixed with ``origin``."""
    data = load_json(text, origin)
    try:
        return parse_programme(data, modules_dir=modules_dir)
    except DataError as exc:
        raise DataError(f"{origin}: {exc}") from None


def load_programme_file(path: str | Path, *, modules_dir: Traversable | None = None) -> Programme:
    with open(path, encoding="utf-8") as fh:
        return load_programme_text(fh.read(), str(path), modules_dir=modules_dir)


_BUILTIN_CACHE: dict[tuple[str, int], Programme] | None = None


def load_builtin_programmes() -> dict[tuple[str, int], Programme]:
    """Every ``data/programmes/*.json`` keyed by ``(key, version)`` (parsed once per process; a fresh dict)."""
    global _BUILTIN_CACHE
    if _BUILTIN_CACHE is None:
        found: dict[tuple[str, int], Programme] = {}
        origins: dict[tuple[str, int], str] = {}
        folder = resources.files(PROGRAMMES_PACKAGE)
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".json") or not entry.is_file():
                continue
            programme = load_programme_text(entry.read_text(encoding="utf-8"), entry.name)
            expected = f"{programme.key}.v{programme.version}.json"
            if entry.name != expected:
                raise DataError(
                    f"{entry.name}: file name must be {expected!r} (key and version of its content)"
                )
            if programme.ident in found:  # pragma: no cover - impossible with the file-name rule above
                raise DataError(
                    f"{entry.name}: {programme.key} v{programme.version} already in {origins[programme.ident]}"
                )
            found[programme.ident] = programme
            origins[programme.ident] = entry.name
        _BUILTIN_CACHE = found
    return dict(_BUILTIN_CACHE)


def latest_builtin_programmes() -> dict[str, Programme]:
    """The highest version of each builtin programme, keyed by programme key (new patients start on these)."""
    latest: dict[str, Programme] = {}
    for (key, _version), programme in load_builtin_programmes().items():
        if key not in latest or latest[key].version < programme.version:
            latest[key] = programme
    return latest


def get_programme(key: str, version: int) -> Programme:
    """The builtin programme a patient is pinned to; ``KeyError`` naming it if it does not exist."""
    try:
        return load_builtin_programmes()[(key, version)]
    except KeyError:
        raise KeyError(f"no builtin ETP programme {key!r} version {version}") from None
