"""Quiz scoring: one attempt at a module's quiz → score, pass/fail, per-question feedback, topics to revisit.

Rules:

* ``answers`` maps question ids to the selected choice id (a string) or ids (a list; a one-item list is
  accepted for a single-choice question);
* a question is answered **correctly** when the set of selected choices equals the set of correct choices
  exactly (no partial credit for a multiple-choice question);
* a question left out (or given an empty list) is **unanswered**, which counts as incorrect;
* the attempt **passes** when ``correct × 100 ≥ pass_mark_percent × questions`` (the module's quiz mark, which
  defaults to the programme's);
* invalid answers — not an object, an unknown question, an unknown choice, a choice given twice, several
  choices for a single-choice question, a value that is neither a string nor a list of strings — raise
  :class:`~parcours.education.common.InputError` whose message starts with ``answers.<question id>``.

The topics to revisit are the ``revisit`` sections of the questions not answered correctly, without
duplicates, in question order.

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from parcours.education.common import InputError, Label
from parcours.education.programme import ModuleDef, Question

__all__ = ["QuestionResult", "QuizResult", "parse_answers", "score_quiz"]


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    selected: frozenset[str]
    answered: bool
    correct: bool
    feedback: Label

    @property
    def question_id(self) -> str:
        return self.question.id


@dataclass(frozen=True)
class QuizResult:
    module_id: str
    score: int
    total: int
    percent: int
    pass_mark_percent: int
    passed: bool
    questions: tuple[QuestionResult, ...]
    to_revisit: tuple[Label, ...]
    feedback: Label


def _selection(question: Question, value: object) -> frozenset[str]:
    where = f"answers.{question.id}"
    if isinstance(value, str):
        items: Sequence[object] = [value]
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise InputError(f"{where}: expected a choice id or a list of choice ids, got {type(value).__name__}")
    chosen: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InputError(f"{where}[{i}]: expected a choice id (string), got {item!r}")
        if not question.has_choice(item):
            raise InputError(
                f"{where}: unknown choice {item!r} (expected one of {', '.join(c.id for c in question.choices)})"
            )
        if item in chosen:
            raise InputError(f"{where}: choice {item!r} given twice")
        chosen.append(item)
    if question.kind == "single" and len(chosen) > 1:
        raise InputError(f"{where}: single-choice question, got {len(chosen)} answers ({', '.join(chosen)})")
    return frozenset(chosen)


def parse_answers(module: ModuleDef, answers: object) -> dict[str, frozenset[str]]:
    """Validate ``answers`` for ``module``'s quiz: question id → selected choice ids (unanswered left out)."""
    if not isinstance(answers, Mapping):
        raise InputError(
            f"answers: expected an object mapping question ids to choices, got {type(answers).__name__}"
        )
    by_id = {q.id: q for q in module.quiz.questions}
    result: dict[str, frozenset[str]] = {}
    for key, value in answers.items():
        if not isinstance(key, str) or key not in by_id:
            raise InputError(
                f"answers.{key}: unknown question in module {module.id!r} (expected one of {', '.join(by_id)})"
            )
        selected = _selection(by_id[key], value)
        if selected:
            result[key] = selected
    return result


def _choices_text(question: Question, ids: frozenset[str], lang: str) -> str:
    texts = [getattr(c.text, lang) for c in question.choices if c.id in ids]
    return " ; ".join(texts) if lang == "fr" else "; ".join(texts)


def _topics_fr(topics: Sequence[Label]) -> str:
    return ", ".join(f"« {t.fr} »" for t in topics)


def _topics_en(topics: Sequence[Label]) -> str:
    return ", ".join(f"'{t.en}'" for t in topics)


def _question_feedback(question: Question, answered: bool, correct: bool) -> Label:
    if correct:
        return Label(fr=f"Bonne réponse. {question.explanation.fr}", en=f"Correct. {question.explanation.en}")
    expected = Label(
        fr=_choices_text(question, question.correct, "fr"), en=_choices_text(question, question.correct, "en")
    )
    opening = (
        Label("Pas de réponse.", "Not answered.") if not answered else Label("Pas tout à fait.", "Not quite.")
    )
    return Label(
        fr=f"{opening.fr} Réponse attendue : {expected.fr}. {question.explanation.fr} "
        f"À revoir : « {question.revisit.fr} ».",
        en=f"{opening.en} Expected answer: {expected.en}. {question.explanation.en} "
        f"To revisit: '{question.revisit.en}'.",
    )


def score_quiz(module: ModuleDef, answers: Mapping[str, object]) -> QuizResult:
    """Score one attempt at ``module``'s quiz (see the module docstring for the rules)."""
    selected_by_question = parse_answers(module, answers)
    results: list[QuestionResult] = []
    revisit: list[Label] = []
    for question in module.quiz.questions:
        selected = selected_by_question.get(question.id, frozenset())
        answered = bool(selected)
        correct = answered and selected == question.correct
        if not correct and question.revisit not in revisit:
            revisit.append(question.revisit)
        results.append(
            QuestionResult(
                question=question,
                selected=selected,
                answered=answered,
                correct=correct,
                feedback=_question_feedback(question, answered, correct),
            )
        )
    total = len(results)
    score = sum(1 for r in results if r.correct)
    mark = module.quiz.pass_mark_percent
    passed = score * 100 >= mark * total
    percent = score * 100 // total
    if passed:
        feedback = Label(
            fr=f"Bravo : {score} bonne(s) réponse(s) sur {total} ({percent} %). Module validé.",
            en=f"Well done: {score} correct answer(s) out of {total} ({percent}%). Module passed.",
        )
        if revisit:
            feedback = Label(
                fr=f"{feedback.fr} Vous pouvez relire : {_topics_fr(revisit)}.",
                en=f"{feedback.en} You may re-read: {_topics_en(revisit)}.",
            )
    else:
        feedback = Label(
            fr=f"{score} bonne(s) réponse(s) sur {total} ({percent} %) ; il faut {mark} % pour valider le module. "
            f"À revoir : {_topics_fr(revisit)}. Vous pourrez refaire le quiz ensuite.",
            en=f"{score} correct answer(s) out of {total} ({percent}%); {mark}% is needed to pass the module. "
            f"To revisit: {_topics_en(revisit)}. You can then take the quiz again.",
        )
    return QuizResult(
        module_id=module.id,
        score=score,
        total=total,
        percent=percent,
        pass_mark_percent=mark,
        passed=passed,
        questions=tuple(results),
        to_revisit=tuple(revisit),
        feedback=feedback,
    )
