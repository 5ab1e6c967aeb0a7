"""Questionnaire definitions as data (``data/*.json``): PRO-CTCAE terms, NCI branching, FHIR R4 export.

A definition lists PRO-CTCAE term numbers; the items of each term, their order and answer scales come from
the engine's item library (``parcours.monitoring.pro_ctcae``), so the questionnaire and the triage can never
disagree on a variable name or a scale. Branching (clinical-rules B §1.1): the first item of a term is always
asked; each later item only when the previous one is above 0 (frequency "never" skips severity and
interference; severity "none" skips interference). A skipped item is simply not answered: zero-imputation
grades the term 0, as ProAE does.

Pure Python (no Django), so views, services, the API and the FHIR export share it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from parcours.monitoring.common import Label
from parcours.monitoring.pro_ctcae import load_library

DATA = Path(__file__).parent / "data"
DEFAULT = "pro-ctcae-ici"

_QUESTIONS: Mapping[str, Label] = {
    "frq": Label("À quelle fréquence en avez-vous eu ?", "How often did you have it?"),
    "sev": Label("Au plus fort, quelle était l'intensité ?", "At its worst, how severe was it?"),
    "int": Label(
        "À quel point cela vous a-t-il gêné dans vos activités habituelles ?",
        "How much did it interfere with your usual or daily activities?",
    ),
    "presence": Label("En avez-vous eu ?", "Did you have any?"),
}
_OPTIONS: Mapping[str, tuple[Label, ...]] = {
    "frq": (
        Label("Jamais", "Never"),
        Label("Rarement", "Rarely"),
        Label("Parfois", "Occasionally"),
        Label("Souvent", "Frequently"),
        Label("Presque tout le temps", "Almost constantly"),
    ),
    "sev": (
        Label("Pas du tout", "None"),
        Label("Légère", "Mild"),
        Label("Moyenne", "Moderate"),
        Label("Forte", "Severe"),
        Label("Très forte", "Very severe"),
    ),
    "int": (
        Label("Pas du tout", "Not at all"),
        Label("Un peu", "A little bit"),
        Label("Moyennement", "Somewhat"),
        Label("Beaucoup", "Quite a bit"),
        Label("Énormément", "Very much"),
    ),
    "presence": (Label("Non", "No"), Label("Oui", "Yes")),
}


@dataclass(frozen=True)
class Question:
    var: str  # ProAE variable, also the FHIR linkId
    kind: str  # "frq" | "sev" | "int" | "presence"
    text: Label
    options: tuple[Label, ...]
    enable_when: str | None  # variable of the previous item that must be > 0


@dataclass(frozen=True)
class TermBlock:
    number: int
    title: Label  # the term (heading)
    phrase: Label  # "des douleurs au ventre"
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Definition:
    code: str
    version: str
    title: Label
    recall: Label
    free_text: Label
    source: str
    blocks: tuple[TermBlock, ...]

    @property
    def variables(self) -> dict[str, Question]:
        return {q.var: q for b in self.blocks for q in b.questions}


def _label(raw: Mapping[str, str]) -> Label:
    return Label(str(raw["fr"]), str(raw["en"]))


@cache
def _raw(code: str) -> dict[str, Any]:
    path = DATA / f"{code}.json"
    if not path.is_file() or "/" in code or "\\" in code:
        raise KeyError(code)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def available() -> list[str]:
    return sorted(p.stem for p in DATA.glob("*.json"))


def _terms_for(raw: Mapping[str, Any], regimen: str) -> list[int]:
    terms = [int(n) for n in raw["terms"]]
    rule = raw.get("regimens", {}).get(regimen.strip().lower()) if regimen else None
    if rule:
        terms = [n for n in terms if n not in set(rule.get("remove", []))]
        terms += [int(n) for n in rule.get("add", []) if int(n) not in terms]
    return terms


@cache
def load(code: str = DEFAULT, regimen: str = "") -> Definition:
    """The definition ``code``, adapted to the regimen (``regimens`` in the data: terms added or removed)."""
    raw = _raw(code)
    lib = load_library()
    phrases = raw.get("phrases", {})
    blocks: list[TermBlock] = []
    for number in _terms_for(raw, regimen):
        questions: list[Question] = []
        term = lib.terms.get(number)
        if term is not None:
            title = term.label
            previous: str | None = None
            for var in term.items:
                kind = lib.items[var].kind
                questions.append(Question(var, kind, _QUESTIONS[kind], _OPTIONS[kind], previous))
                previous = var
        else:  # presence-only term (rash, hives): reported, never graded
            title = lib.presence_terms[number]
            for var, item in lib.items.items():
                if item.term == number and item.kind == "presence":
                    questions.append(
                        Question(var, "presence", _QUESTIONS["presence"], _OPTIONS["presence"], None)
                    )
        phrase = _label(phrases[str(number)]) if str(number) in phrases else title
        blocks.append(TermBlock(number, title, phrase, tuple(questions)))
    return Definition(
        code=str(raw["code"]),
        version=str(raw["version"]),
        title=_label(raw["title"]),
        recall=_label(raw["recall"]),
        free_text=_label(raw["free_text"]),
        source=str(raw.get("source", "")),
        blocks=tuple(blocks),
    )


class AnswerError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def clean_answers(definition: Definition, raw: Mapping[str, Any]) -> dict[str, int | None]:
    """Validated answers: known variables only, whole numbers on the item's scale, branching applied.

    An item disabled by the branching is dropped whatever was sent (a stale value left in the browser after
    the patient changed "souvent" to "jamais" must not count). An enabled item left blank is kept as None:
    the engine reports the term as incomplete (never silently 0).
    """
    variables = definition.variables
    errors: dict[str, str] = {}
    values: dict[str, int | None] = {}
    for key, value in raw.items():
        question = variables.get(key)
        if question is None:
            errors[key] = "question inconnue pour ce questionnaire"
            continue
        if value is None or value == "":
            values[key] = None
            continue
        if isinstance(value, bool):
            errors[key] = "réponse invalide"
            continue
        try:
            number = int(str(value))
        except ValueError:
            errors[key] = "réponse invalide"
            continue
        if not 0 <= number < len(question.options):
            errors[key] = f"réponse hors échelle (0 à {len(question.options) - 1})"
            continue
        values[key] = number
    if errors:
        raise AnswerError(errors)
    out: dict[str, int | None] = {}
    for block in definition.blocks:
        for q in block.questions:
            if q.enable_when is not None and not (out.get(q.enable_when) or 0) > 0:
                continue  # disabled by the branching
            if q.enable_when is not None and q.enable_when not in out:
                continue
            if q.var in values:
                out[q.var] = values[q.var]
            elif q.enable_when is None:
                continue  # first item not answered: the term was not answered at all
            else:
                out[q.var] = None  # enabled but left blank -> incomplete
    return out


# ------------------------------------------------------------------------------------------------ FHIR

CANONICAL = "https://parcours.example.fr/fhir/Questionnaire"
PROAE_SYSTEM = "https://parcours.example.fr/fhir/CodeSystem/pro-ctcae-answer"


def _coding(kind: str, value: int, label: Label, lang: str) -> dict[str, Any]:
    return {"system": f"{PROAE_SYSTEM}-{kind}", "code": str(value), "display": getattr(label, lang)}


def to_fhir_questionnaire(definition: Definition, *, lang: str = "fr") -> dict[str, Any]:
    """A FHIR R4 ``Questionnaire`` (as a dict): one group per term, ``enableWhen`` for the branching."""
    items: list[dict[str, Any]] = []
    for block in definition.blocks:
        children: list[dict[str, Any]] = []
        for q in block.questions:
            child: dict[str, Any] = {
                "linkId": q.var,
                "text": f"{getattr(block.title, lang)} — {getattr(q.text, lang)}",
                "type": "choice",
                "required": False,
                "answerOption": [
                    {"valueCoding": _coding(q.kind, i, o, lang)} for i, o in enumerate(q.options)
                ],
            }
            if q.enable_when is not None:
                prev = definition.variables[q.enable_when]
                # "any of the non-zero answers" rather than "!= 0": unambiguous when the previous is unanswered
                child["enableWhen"] = [
                    {
                        "question": q.enable_when,
                        "operator": "=",
                        "answerCoding": _coding(prev.kind, i, o, lang),
                    }
                    for i, o in enumerate(prev.options)
                    if i > 0
                ]
                child["enableBehavior"] = "any"
            children.append(child)
        items.append(
            {
                "linkId": f"term-{block.number}",
                "text": getattr(block.title, lang),
                "type": "group",
                "item": children,
            }
        )
    items.append({"linkId": "free_text", "text": getattr(definition.free_text, lang), "type": "text"})
    return {
        "resourceType": "Questionnaire",
        "id": f"{definition.code}-v{definition.version}",
        "url": f"{CANONICAL}/{definition.code}",
        "version": definition.version,
        "name": definition.code.replace("-", "_").upper(),
        "title": getattr(definition.title, lang),
        "status": "active",
        "language": lang,
        "description": getattr(definition.recall, lang) + " " + definition.source,
        "item": items,
    }


def to_fhir_response(
    definition: Definition,
    *,
    answers: Mapping[str, int | None],
    free_text: str,
    authored: str,
    patient_reference: str,
    author_reference: str | None = None,
    response_id: str | None = None,
    lang: str = "fr",
) -> dict[str, Any]:
    """A FHIR R4 ``QuestionnaireResponse`` (as a dict) for stored answers; blank answers are left out."""
    groups: list[dict[str, Any]] = []
    for block in definition.blocks:
        children = []
        for q in block.questions:
            value = answers.get(q.var)
            if value is None:
                continue
            children.append(
                {
                    "linkId": q.var,
                    "text": f"{getattr(block.title, lang)} — {getattr(q.text, lang)}",
                    "answer": [{"valueCoding": _coding(q.kind, value, q.options[value], lang)}],
                }
            )
        if children:
            groups.append(
                {"linkId": f"term-{block.number}", "text": getattr(block.title, lang), "item": children}
            )
    if free_text.strip():
        groups.append({"linkId": "free_text", "answer": [{"valueString": free_text.strip()}]})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{CANONICAL}/{definition.code}|{definition.version}",
        "status": "completed",
        "subject": {"reference": patient_reference},
        "authored": authored,
        "item": groups,
    }
    if response_id:
        resource["id"] = response_id
    if author_reference:
        resource["author"] = {"reference": author_reference}
    return resource


def validate_fhir(resource: Mapping[str, Any]) -> Any:
    """Parse with ``fhir.resources`` R4B models (the package's default models are R5; see ADR 0008)."""
    from fhir.resources.R4B.questionnaire import Questionnaire
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    model: Any = {"Questionnaire": Questionnaire, "QuestionnaireResponse": QuestionnaireResponse}[
        resource["resourceType"]
    ]
    return (
        model.model_validate(dict(resource))
        if hasattr(model, "model_validate")
        else model.parse_obj(dict(resource))
    )
