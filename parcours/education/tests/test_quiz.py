"""Quiz scoring: pass mark, per-question feedback, topics to revisit, refusals naming the question."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.education.common import InputError
from parcours.education.programme import ModuleDef, Question, get_programme
from parcours.education.quiz import score_quiz

PROGRAMME = get_programme("clb_immunotherapy_etp", 1)
BASICS = PROGRAMME.module("immunotherapy_basics")  # 4 questions, pass mark 75 %
SIGNS = PROGRAMME.module("warning_signs_1")  # 5 questions, pass mark 80 %


def _right(question: Question) -> str | list[str]:
    ids = sorted(question.correct)
    return ids[0] if question.kind == "single" else ids


def _wrong(question: Question) -> str:
    return next(c.id for c in question.choices if c.id not in question.correct)


def _answers(
    module: ModuleDef, wrong: frozenset[str] | set[str] = frozenset(), skip: frozenset[str] = frozenset()
) -> dict[str, object]:
    return {
        q.id: (_wrong(q) if q.id in wrong else _right(q)) for q in module.quiz.questions if q.id not in skip
    }


@pytest.mark.parametrize("module", PROGRAMME.modules, ids=lambda m: m.id)
def test_all_correct_answers_pass_every_module(module: ModuleDef) -> None:
    result = score_quiz(module, _answers(module))
    assert result.score == result.total == len(module.quiz.questions)
    assert result.passed and result.percent == 100
    assert result.to_revisit == ()
    assert result.feedback.fr.startswith("Bravo")
    assert all(q.correct and q.feedback.fr.startswith("Bonne réponse.") for q in result.questions)


def test_pass_mark_boundaries() -> None:
    ids = [q.id for q in BASICS.quiz.questions]
    assert score_quiz(BASICS, _answers(BASICS, wrong={ids[0]})).passed  # 3/4 = 75 % ≥ 75 %
    failed = score_quiz(BASICS, _answers(BASICS, wrong={ids[0], ids[1]}))  # 2/4
    assert not failed.passed and failed.percent == 50 and failed.pass_mark_percent == 75
    signs = [q.id for q in SIGNS.quiz.questions]
    assert score_quiz(SIGNS, _answers(SIGNS, wrong={signs[0]})).passed  # 4/5 = 80 %
    assert not score_quiz(SIGNS, _answers(SIGNS, wrong={signs[0], signs[1]})).passed  # 3/5


def test_wrong_answer_feedback_gives_the_expected_answer_and_the_topic() -> None:
    result = score_quiz(SIGNS, _answers(SIGNS, wrong={"diarrhoea_5"}))
    q = next(r for r in result.questions if r.question_id == "diarrhoea_5")
    assert not q.correct and q.answered
    assert q.feedback.fr.startswith("Pas tout à fait. Réponse attendue : Aujourd'hui")
    assert q.feedback.fr.endswith("À revoir : « Le ventre et l'intestin ».")
    assert q.feedback.en.endswith("To revisit: 'The abdomen and bowel'.")
    assert [t.fr for t in result.to_revisit] == ["Le ventre et l'intestin"]
    assert "Vous pouvez relire : « Le ventre et l'intestin »" in result.feedback.fr


def test_partial_multiple_choice_is_incorrect() -> None:
    answers = _answers(SIGNS)
    answers["call_now_signs"] = ["jaundice", "chest_pain"]
    result = score_quiz(SIGNS, answers)
    assert result.score == 4
    answers["call_now_signs"] = ["jaundice", "chest_pain", "blisters", "dry_skin"]
    assert score_quiz(SIGNS, answers).score == 4


def test_unanswered_questions_count_as_incorrect() -> None:
    result = score_quiz(BASICS, {"how_it_works": "own_defences", "organs": []})
    assert result.score == 1 and not result.passed
    skipped = [r for r in result.questions if not r.answered]
    assert {r.question_id for r in skipped} == {"when_side_effects", "organs", "small_sign"}
    assert all(r.feedback.fr.startswith("Pas de réponse.") for r in skipped)
    # topics are deduplicated, in question order
    assert [t.fr for t in result.to_revisit] == ["Pourquoi surveiller son corps", "À retenir"]
    assert result.feedback.fr == (
        "1 bonne(s) réponse(s) sur 4 (25 %) ; il faut 75 % pour valider le module. "
        "À revoir : « Pourquoi surveiller son corps », « À retenir ». Vous pourrez refaire le quiz ensuite."
    )
    assert result.feedback.en.startswith("1 correct answer(s) out of 4 (25%); 75% is needed")


def test_single_choice_accepts_a_one_item_list() -> None:
    answers = _answers(BASICS)
    answers["how_it_works"] = ["own_defences"]
    assert score_quiz(BASICS, answers).score == 4


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"nope": "a"}, r"^answers\.nope: unknown question in module 'immunotherapy_basics'"),
        ({"how_it_works": "zzz"}, r"^answers\.how_it_works: unknown choice 'zzz'"),
        (
            {"how_it_works": ["own_defences", "replaces"]},
            r"^answers\.how_it_works: single-choice question, got 2 answers",
        ),
        ({"organs": ["skin", "skin"]}, r"^answers\.organs: choice 'skin' given twice"),
        ({"organs": ["skin", 3]}, r"^answers\.organs\[1\]: expected a choice id"),
        ({"organs": {"skin": True}}, r"^answers\.organs: expected a choice id or a list"),
    ],
)
def test_invalid_answers_name_the_question(answers: dict[str, object], expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        score_quiz(BASICS, answers)


def test_answers_must_be_a_mapping() -> None:
    with pytest.raises(InputError, match=r"^answers: expected an object"):
        score_quiz(BASICS, ["own_defences"])  # type: ignore[arg-type]


@st.composite
def attempts(draw: st.DrawFn) -> tuple[ModuleDef, dict[str, object]]:
    module = draw(st.sampled_from(PROGRAMME.modules))
    answers: dict[str, object] = {}
    for q in module.quiz.questions:
        ids = [c.id for c in q.choices]
        if q.kind == "single":
            choice = draw(st.one_of(st.none(), st.sampled_from(ids)))
            if choice is not None:
                answers[q.id] = choice
        else:
            answers[q.id] = draw(st.lists(st.sampled_from(ids), unique=True))
    return module, answers


@settings(max_examples=200, deadline=None)
@given(attempts())
def test_score_counts_exact_matches_and_pass_follows_the_mark(
    attempt: tuple[ModuleDef, dict[str, object]],
) -> None:
    module, answers = attempt
    result = score_quiz(module, answers)
    expected = 0
    for q in module.quiz.questions:
        given_ = answers.get(q.id)
        chosen = {given_} if isinstance(given_, str) else set(given_) if isinstance(given_, list) else set()
        expected += chosen == set(q.correct)
    assert result.score == expected
    assert 0 <= result.percent <= 100
    assert result.passed == (result.score * 100 >= module.quiz.pass_mark_percent * result.total)
    wrong_topics = {r.question.revisit for r in result.questions if not r.correct}
    assert set(result.to_revisit) == wrong_topics
    # fixing one wrong answer never lowers the score
    for r in result.questions:
        if not r.correct:
            fixed = dict(answers)
            fixed[r.question_id] = _right(r.question)
            assert score_quiz(module, fixed).score == result.score + 1
            break
