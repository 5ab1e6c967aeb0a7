"""The instrument data files: the values of clinical-rules.md (Part A.2, Part B §5), sources, validation."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from parcours.screening.scoring import (
    InstrumentDataError,
    instrument_ids,
    load_instrument_text,
    load_instruments,
    parse_instrument,
)


def raw(instrument: str) -> dict[str, Any]:
    text = resources.files("parcours.screening.data").joinpath(f"{instrument}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_the_four_instruments_of_clinical_rules_a2_ship_as_package_data() -> None:
    assert instrument_ids() == ("distress", "g8", "pallia10", "surprise")


def test_every_instrument_has_sources_a_version_bilingual_name_and_a_team() -> None:
    for inst in load_instruments().values():
        assert inst.sources and all(isinstance(s, str) and s for s in inst.sources)
        assert any("clinical-rules" in s for s in inst.sources)
        assert inst.version == 1
        assert inst.name.fr and inst.name.en
        assert inst.route_to.id in {"supportive_care", "geriatric_oncology", "palliative_care"}


def test_g8_items_and_points_are_exactly_those_of_bellera_2012() -> None:
    g8 = load_instruments()["g8"]
    assert {it.id: it.allowed for it in g8.items} == {
        "A": (0, 1, 2),
        "B": (0, 1, 2, 3),
        "C": (0, 1, 2),
        "D": (0, 1, 2),
        "E": (0, 1, 2, 3),
        "F": (0, 1),
        "G": (0, 0.5, 1, 2),
        "H": (0, 1, 2),
    }
    assert g8.max_score == 17
    assert g8.threshold is not None
    assert (g8.threshold.direction, g8.threshold.value, g8.threshold.configurable) == ("lte", 14, False)


def test_g8_bmi_bands_are_bellera_by_default_with_the_french_18_5_variant() -> None:
    e = load_instruments()["g8"].item("E")
    assert e.default_bmi_bands == "bellera2012"
    assert [(b.lower, b.points) for b in e.bmi_bands["bellera2012"]] == [(None, 0), (19, 1), (21, 2), (23, 3)]
    assert [(b.lower, b.points) for b in e.bmi_bands["inca_fr"]] == [(None, 0), (18.5, 1), (21, 2), (23, 3)]


def test_distress_is_0_to_10_positive_from_4_configurable_with_the_five_problem_areas() -> None:
    dt = load_instruments()["distress"]
    assert dt.items[0].allowed == tuple(range(11))
    assert dt.threshold is not None
    assert (dt.threshold.direction, dt.threshold.value, dt.threshold.configurable) == ("gte", 4, True)
    assert [p.id for p in dt.problem_areas] == ["physical", "practical", "family", "emotional", "spiritual"]


def test_pallia10_has_10_questions_question_1_prerequisite_and_threshold_3() -> None:
    p10 = load_instruments()["pallia10"]
    assert [it.id for it in p10.items] == [f"q{n}" for n in range(1, 11)]
    assert [it.prerequisite for it in p10.items] == [True] + [False] * 9
    assert p10.items[0].label.fr.startswith("Le patient est atteint d'une maladie qui ne guérira pas")
    assert p10.threshold is not None and (p10.threshold.direction, p10.threshold.value) == ("gte", 3)


def test_surprise_question_wording_follows_the_seed_and_has_the_double_question() -> None:
    sq = load_instruments()["surprise"]
    assert sq.items[0].label.fr == "Seriez-vous surpris si ce patient décédait dans les 12 mois ?"
    assert sq.follow_up is not None and sq.follow_up.id == "surprised_if_alive_after_12_months"
    assert sq.threshold is None


def test_unverified_points_are_flagged_in_the_data_notes() -> None:
    assert any("UNVERIFIED" in n for n in load_instruments()["pallia10"].notes)
    assert "UNVERIFIED" in raw("g8")["items"][4]["bmi_bands"]["variants"]["inca_fr"]["source"]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.pop("sources"), ".sources: required"),
        (lambda d: d.update(kind="weird"), ".kind: unknown kind"),
        (lambda d: d["items"][1]["options"][0].update(points="0"), ".items[1].options[0].points"),
        (
            lambda d: d["items"][1]["options"].append({"points": 0, "label": {"fr": "x", "en": "x"}}),
            ".items[1].options",
        ),
        (lambda d: d.update(max_score=18), ".max_score"),
        (lambda d: d["items"][0]["label"].pop("en"), ".items[0].label"),
        (lambda d: d["threshold"].update(direction="gt"), ".threshold.direction"),
        (lambda d: d["items"][4]["bmi_bands"].update(default="who"), ".items[4].bmi_bands.default"),
        (
            lambda d: d["items"][4]["bmi_bands"]["variants"]["inca_fr"]["bands"][1].update(points=7),
            ".items[4].bmi_bands.variants.inca_fr.bands[1].points",
        ),
        (
            lambda d: d["items"][4]["bmi_bands"]["variants"]["inca_fr"]["bands"][2].update({"from": 18}),
            ".items[4].bmi_bands.variants.inca_fr.bands",
        ),
        (lambda d: d["interpretation"].pop("negative"), ".interpretation.negative"),
    ],
)
def test_an_invalid_instrument_document_is_refused_naming_the_field(mutate: Any, path: str) -> None:
    data = raw("g8")
    mutate(data)
    with pytest.raises(InstrumentDataError) as info:
        parse_instrument(data)
    assert str(info.value).startswith(path)


def test_pallia10_document_needs_question_1_as_the_only_prerequisite() -> None:
    data = raw("pallia10")
    data["questions"][0]["prerequisite"] = False
    with pytest.raises(InstrumentDataError, match=r"^.questions: only question 1"):
        parse_instrument(data)


def test_invalid_json_text_is_refused_with_its_origin() -> None:
    with pytest.raises(InstrumentDataError, match=r"^custom.json: invalid JSON"):
        load_instrument_text("{", "custom.json")
    with pytest.raises(InstrumentDataError, match=r"^custom.json: .kind"):
        load_instrument_text(json.dumps({**raw("g8"), "kind": 3}), "custom.json")
