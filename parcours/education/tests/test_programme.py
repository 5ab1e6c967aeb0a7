"""ETP programme data (seed 000 défi 4, seed 001) and its validator."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from parcours.education.common import DataError
from parcours.education.programme import (
    get_programme,
    latest_builtin_programmes,
    load_builtin_programmes,
    load_programme_text,
    parse_programme,
    section_titles,
)
from parcours.pathways.engine import load_builtin_definitions

KEY = ("clb_immunotherapy_etp", 1)
ORGANS = {
    "skin": "La peau",
    "digestive": "Le ventre et l'intestin",
    "liver": "Le foie",
    "lungs": "Les poumons",
    "heart": "Le cœur",
    "endocrine": "Les hormones",
    "joints_muscles": "Les articulations et les muscles",
    "nerves": "Les nerfs",
    "eyes": "Les yeux",
    "kidneys": "Les reins",
    "blood": "La fièvre et le sang",
}
LEVELS = ("**Tout de suite**", "**Aujourd'hui**", "**À la prochaine visite**")
WORD_RE = re.compile(r"[0-9A-Za-zÀ-ÿœŒ]+(?:['’][0-9A-Za-zÀ-ÿœŒ]+)*")


def _raw() -> Any:
    text = (
        resources.files("parcours.education.data.programmes")
        .joinpath("clb_immunotherapy_etp.v1.json")
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


def _words(text: str) -> int:
    return len(WORD_RE.findall(text))


# --------------------------------------------------------------------------------------------- builtin data


def test_builtin_programme_loads_keyed_by_key_and_version() -> None:
    programmes = load_builtin_programmes()
    assert KEY in programmes
    programme = programmes[KEY]
    assert programme.ident == KEY
    assert latest_builtin_programmes()["clb_immunotherapy_etp"].version >= 1
    assert get_programme(*KEY) is programme
    with pytest.raises(KeyError, match="version 99"):
        get_programme("clb_immunotherapy_etp", 99)


def test_builtin_modules_cover_the_briefed_topics() -> None:
    programme = get_programme(*KEY)
    assert [m.id for m in programme.modules] == [
        "immunotherapy_basics",
        "whom_to_call",
        "warning_signs_1",
        "warning_signs_2",
        "home_care_organisation",
        "anti_allergy_kit",
        "caregivers",
    ]
    assert [m.order for m in programme.modules] == list(range(1, 8))


def test_every_module_file_exists_and_starts_with_its_french_title() -> None:
    folder = resources.files("parcours.education.data.modules")
    for module in get_programme(*KEY).modules:
        assert folder.joinpath(module.file).is_file(), module.file
        first = module.text.splitlines()[0]
        assert first == f"# {module.title.fr}", module.id
        assert module.sections, module.id


def test_every_module_text_is_short_and_ends_with_key_points() -> None:
    for module in get_programme(*KEY).modules:
        words = _words(module.text)
        assert 200 <= words <= 400, (module.id, words)
        assert module.sections[-1] == "À retenir", module.id


def test_every_quiz_has_three_to_five_questions_with_correct_answers_among_its_choices() -> None:
    for module in get_programme(*KEY).modules:
        questions = module.quiz.questions
        assert 3 <= len(questions) <= 5, module.id
        for q in questions:
            choice_ids = {c.id for c in q.choices}
            assert q.correct, (module.id, q.id)
            assert q.correct <= choice_ids, (module.id, q.id)
            assert q.correct != choice_ids, (module.id, q.id)  # at least one wrong choice
            if q.kind == "single":
                assert len(q.correct) == 1, (module.id, q.id)
            assert q.explanation.fr and q.explanation.en
            assert q.revisit.fr in module.sections, (module.id, q.id)


def test_every_module_cites_a_seed_document() -> None:
    for module in get_programme(*KEY).modules:
        assert re.search(r"[Ss]eed 00[01]", module.source), module.id


def test_warning_sign_modules_cover_every_organ_of_the_irae_spectrum_with_three_levels() -> None:
    programme = get_programme(*KEY)
    texts = {m.id: m.text for m in programme.modules if m.id.startswith("warning_signs")}
    sections = {title for text in texts.values() for title in section_titles(text)}
    for organ, title in ORGANS.items():
        assert title in sections, organ
    combined = "\n".join(texts.values())
    for level in LEVELS:
        assert level in combined
    # the urgent level names the care team, the HAD on-call line and the 15
    assert "permanence de l'HAD" in texts["warning_signs_1"] and "**15**" in texts["warning_signs_1"]


def test_home_sessions_unlock_from_week_10_of_s1() -> None:
    programme = get_programme(*KEY)
    home = [m for m in programme.modules if m.delivery == "home"]
    assert {m.id for m in home} == {"home_care_organisation", "anti_allergy_kit", "caregivers"}
    for module in home:
        assert module.unlock.s1_week_gte == 10, module.id


def test_programme_states_are_the_states_of_the_pathway_it_accompanies() -> None:
    programme = get_programme(*KEY)
    definitions = [d for (key, _v), d in load_builtin_definitions().items() if key == programme.pathway_key]
    assert definitions
    for definition in definitions:
        assert [s.id for s in programme.states] == [s.id for s in definition.states]


def test_exit_criteria_reference_modules_with_quizzes() -> None:
    programme = get_programme(*KEY)
    assert set(programme.exit_criteria) == {
        "understands_treatment",
        "knows_warning_signs",
        "knows_whom_to_alert",
    }
    for ids in programme.exit_criteria.values():
        for module_id in ids:
            assert programme.module(module_id).quiz.questions


def test_builtin_file_names_match_key_and_version() -> None:
    folder = resources.files("parcours.education.data.programmes")
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            assert entry.name == f"{data['key']}.v{data['version']}.json"


# --------------------------------------------------------------------------------------------- validator


@pytest.fixture
def modules_dir(tmp_path: Path) -> Path:
    (tmp_path / "intro.v1.md").write_text("# Intro\n\n## Le traitement\n\nTexte.\n", encoding="utf-8")
    (tmp_path / "signs.v1.md").write_text("# Signes\n\n## Les signes\n\nTexte.\n", encoding="utf-8")
    return tmp_path


def _label(text: str) -> dict[str, str]:
    return {"fr": text, "en": text}


def _question(qid: str, revisit: str) -> dict[str, Any]:
    return {
        "id": qid,
        "kind": "single",
        "text": _label("Question ?"),
        "choices": [{"id": "a", "text": _label("A")}, {"id": "b", "text": _label("B")}],
        "correct": ["a"],
        "explanation": _label("Parce que."),
        "revisit": _label(revisit),
    }


def _minimal() -> dict[str, Any]:
    return {
        "format": "parcours-etp-programme",
        "key": "demo",
        "version": 1,
        "name": _label("Démo"),
        "description": _label("Démo"),
        "source": "test",
        "pathway": {
            "key": "demo_pathway",
            "states": [{"id": "s1", "label": _label("S1")}, {"id": "s2", "label": _label("S2")}],
        },
        "pass_mark_percent": 75,
        "exit_criteria": {
            "understands_treatment": ["intro"],
            "knows_warning_signs": ["signs"],
            "knows_whom_to_alert": ["intro"],
        },
        "modules": [
            {
                "id": "intro",
                "title": _label("Intro"),
                "summary": _label("Intro"),
                "file": "intro.v1.md",
                "audience": ["patient"],
                "delivery": "hdj",
                "duration_minutes": 10,
                "source": "test",
                "unlock": {},
                "quiz": {"questions": [_question("q1", "Le traitement")]},
            },
            {
                "id": "signs",
                "title": _label("Signes"),
                "summary": _label("Signes"),
                "file": "signs.v1.md",
                "audience": ["patient", "caregiver"],
                "delivery": "home",
                "duration_minutes": 10,
                "source": "test",
                "unlock": {"states": ["s1", "s2"], "s1_week_gte": 10, "after": ["intro"]},
                "quiz": {"pass_mark_percent": 100, "questions": [_question("q1", "Les signes")]},
            },
        ],
    }


def test_minimal_programme_parses(modules_dir: Path) -> None:
    programme = parse_programme(_minimal(), modules_dir=modules_dir)
    assert programme.module("signs").quiz.pass_mark_percent == 100
    assert programme.module("intro").quiz.pass_mark_percent == 75
    assert programme.module("intro").unlock.is_empty
    assert programme.module("signs").unlock.after == ("intro",)
    with pytest.raises(KeyError):
        programme.module("nope")


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    node: Any = data
    parts = re.findall(r"[^.\[\]]+", path)
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if value is _DELETE:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("format", "other", r"^format: expected"),
        ("surprise", 1, r"^surprise: unknown field"),
        ("version", 0, r"^version: expected an integer >= 1"),
        ("pass_mark_percent", 101, r"^pass_mark_percent: expected an integer <= 100"),
        ("modules[0].file", "missing.v1.md", r"^modules\[0\]\.file: module file 'missing\.v1\.md' not found"),
        ("modules[0].file", "../x.md", r"^modules\[0\]\.file: invalid file name"),
        ("modules[1].id", "intro", r"^modules\[1\]\.id: duplicate module 'intro'"),
        ("modules[0].audience", ["nurse"], r"^modules\[0\]\.audience\[0\]: expected one of"),
        ("modules[0].delivery", "moon", r"^modules\[0\]\.delivery: expected one of"),
        ("modules[0].title", {"fr": "x"}, r"^modules\[0\]\.title\.en: missing"),
        ("modules[0].source", _DELETE, r"^modules\[0\]\.source: missing"),
        ("modules[0].quiz.questions", [], r"^modules\[0\]\.quiz\.questions: must not be empty"),
        (
            "modules[0].quiz.questions[0].correct",
            ["z"],
            r"^modules\[0\]\.quiz\.questions\[0\]\.correct\[0\]: unknown choice 'z'",
        ),
        (
            "modules[0].quiz.questions[0].correct",
            ["a", "b"],
            r"^modules\[0\]\.quiz\.questions\[0\]\.correct: a single-choice question has exactly one",
        ),
        (
            "modules[0].quiz.questions[0].correct",
            [],
            r"^modules\[0\]\.quiz\.questions\[0\]\.correct: must not be",
        ),
        (
            "modules[0].quiz.questions[0].choices",
            [{"id": "a", "text": {"fr": "A", "en": "A"}}],
            r"^modules\[0\]\.quiz\.questions\[0\]\.choices: at least 2 choices",
        ),
        ("modules[0].quiz.questions[0].kind", "open", r"^modules\[0\]\.quiz\.questions\[0\]\.kind: expected"),
        (
            "modules[0].quiz.questions[0].revisit",
            {"fr": "Ailleurs", "en": "Elsewhere"},
            r"^modules\[0\]\.quiz\.questions\[0\]\.revisit\.fr: no section titled 'Ailleurs'",
        ),
        (
            "modules[1].unlock.states",
            ["s9"],
            r"^modules\[1\]\.unlock\.states\[0\]: unknown pathway state 's9'",
        ),
        ("modules[1].unlock.after", ["ghost"], r"^modules\[1\]\.unlock\.after\[0\]: unknown module 'ghost'"),
        (
            "modules[1].unlock.after",
            ["signs"],
            r"^modules\[1\]\.unlock\.after\[0\]: a module cannot require itself",
        ),
        ("modules[1].unlock.s1_week_gte", 0, r"^modules\[1\]\.unlock\.s1_week_gte: expected an integer >= 1"),
        ("modules[1].unlock.when", "later", r"^modules\[1\]\.unlock\.when: unknown field"),
        (
            "exit_criteria.knows_whom_to_alert",
            ["ghost"],
            r"^exit_criteria\.knows_whom_to_alert\[0\]: unknown module",
        ),
        ("exit_criteria.knows_warning_signs", _DELETE, r"^exit_criteria\.knows_warning_signs: missing"),
        ("pathway.states[1].id", "s1", r"^pathway\.states\[1\]\.id: duplicate state 's1'"),
    ],
)
def test_invalid_programme_errors_name_the_field(
    modules_dir: Path, path: str, value: Any, expected: str
) -> None:
    data = copy.deepcopy(_minimal())
    _set(data, path, value)
    with pytest.raises(DataError, match=expected):
        parse_programme(data, modules_dir=modules_dir)


def test_unlock_cycle_is_refused(modules_dir: Path) -> None:
    data = _minimal()
    data["modules"][0]["unlock"] = {"after": ["signs"]}
    with pytest.raises(DataError, match=r"^modules\[\d\]\.unlock\.after: cycle between modules"):
        parse_programme(data, modules_dir=modules_dir)


def test_module_file_without_title_is_refused(modules_dir: Path) -> None:
    (modules_dir / "intro.v1.md").write_text("Pas de titre\n\n## Le traitement\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^modules\[0\]\.file: module file 'intro\.v1\.md' must start with"):
        parse_programme(_minimal(), modules_dir=modules_dir)


def test_json_text_errors_are_prefixed_with_the_origin(modules_dir: Path) -> None:
    with pytest.raises(DataError, match=r"^demo\.json: duplicate JSON key 'key'"):
        load_programme_text('{"key": 1, "key": 2}', "demo.json", modules_dir=modules_dir)
    with pytest.raises(DataError, match=r"^demo\.json: invalid JSON"):
        load_programme_text("{", "demo.json", modules_dir=modules_dir)
    bad = _minimal()
    bad["version"] = "1"
    with pytest.raises(DataError, match=r"^demo\.json: version: expected an integer"):
        load_programme_text(json.dumps(bad), "demo.json", modules_dir=modules_dir)


def test_builtin_raw_data_round_trips_through_the_parser() -> None:
    raw = _raw()
    assert parse_programme(raw) == get_programme(*KEY)


def test_section_titles_ignore_fenced_code_and_the_document_title() -> None:
    text = "# Titre\n\n## Un\n\n```\n## Pas un titre\n```\n\n### Deux ###\n"
    assert section_titles(text) == ("Un", "Deux")
