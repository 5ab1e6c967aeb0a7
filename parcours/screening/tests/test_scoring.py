"""The pure screening-score engine: every instrument, its boundaries, allowed values and refusals (no DB)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.screening.scoring import (
    POLICY,
    ScoreInputError,
    ScoreResult,
    ScoreSettingError,
    load_instruments,
    score,
)

G8_POINTS: dict[str, tuple[float, ...]] = {
    "A": (0, 1, 2),
    "B": (0, 1, 2, 3),
    "C": (0, 1, 2),
    "D": (0, 1, 2),
    "E": (0, 1, 2, 3),
    "F": (0, 1),
    "G": (0, 0.5, 1, 2),
    "H": (0, 1, 2),
}
G8_BEST = {key: max(values) for key, values in G8_POINTS.items()}  # 17


def g8(**changes: Any) -> dict[str, Any]:
    return {**G8_BEST, **changes}


def pallia(*answers: bool) -> dict[str, Any]:
    return {"answers": list(answers) + [False] * (10 - len(answers))}


def input_error(instrument: str, answers: Any, **kwargs: Any) -> ScoreInputError:
    with pytest.raises(ScoreInputError) as info:
        score(instrument, answers, **kwargs)
    return info.value


# ------------------------------------------------------------------------------------------- distress


@pytest.mark.parametrize("value", range(11))
def test_distress_accepts_every_integer_from_0_to_10_and_scores_it_as_is(value: int) -> None:
    result = score("distress", {"score": value})
    assert result.score == value
    assert result.max_score == 10


@pytest.mark.parametrize(("value", "positive"), [(0, False), (3, False), (4, True), (10, True)])
def test_distress_is_positive_from_4_the_nccn_threshold(value: int, positive: bool) -> None:
    result = score("distress", {"score": value})
    assert result.positive is positive
    assert result.threshold == 4


def test_positive_distress_routes_to_supportive_care_with_french_and_english_text() -> None:
    result = score("distress", {"score": 4})
    assert result.route_to is not None and result.route_to.id == "supportive_care"
    assert "soins de support" in result.interpretation.fr
    assert "supportive care" in result.interpretation.en
    assert "4/10" in result.interpretation.fr


def test_negative_distress_routes_nowhere() -> None:
    result = score("distress", {"score": 3})
    assert result.route_to is None
    assert result.interpretation.fr.startswith("Pas de détresse")


def test_distress_threshold_is_configurable_down_to_3() -> None:
    assert score("distress", {"score": 3}, threshold=3).positive is True
    assert score("distress", {"score": 2}, threshold=3).positive is False
    assert score("distress", {"score": 3}, threshold=3).settings["threshold"] == 3


@pytest.mark.parametrize("bad", [0, 11, 3.5, float("nan")])
def test_distress_threshold_override_must_be_a_whole_number_from_1_to_10(bad: float) -> None:
    with pytest.raises(ScoreSettingError, match=r"^threshold: "):
        score("distress", {"score": 3}, threshold=bad)


@pytest.mark.parametrize("bad", [-1, 11, 4.5, "4", True, None, [4]])
def test_distress_refuses_a_score_outside_0_to_10_naming_the_item(bad: Any) -> None:
    error = input_error("distress", {"score": bad})
    assert error.item == "score"
    assert str(error).startswith("score: ")


def test_distress_accepts_an_integral_float_such_as_4_0() -> None:
    assert score("distress", {"score": 4.0}).positive is True


def test_distress_requires_the_score() -> None:
    assert input_error("distress", {}).item == "score"


def test_distress_records_problem_areas_without_changing_score_or_routing() -> None:
    result = score("distress", {"score": 2, "problem_areas": ["practical", "emotional"]})
    assert result.positive is False and result.route_to is None
    assert result.items[-1].id == "problem_areas"
    assert result.items[-1].answer == ["practical", "emotional"]


@pytest.mark.parametrize(
    ("areas", "item"),
    [
        (["money"], "problem_areas[0]"),
        (["family", "family"], "problem_areas[1]"),
        ("family", "problem_areas"),
    ],
)
def test_distress_refuses_an_unknown_or_repeated_problem_area_naming_it(areas: Any, item: str) -> None:
    assert input_error("distress", {"score": 2, "problem_areas": areas}).item == item


def test_distress_refuses_an_unknown_key_naming_it() -> None:
    error = input_error("distress", {"score": 2, "scor": 3})
    assert error.item == "scor"
    assert "unknown item" in str(error)


# ------------------------------------------------------------------------------------------------ g8


def test_g8_best_answers_total_17_and_are_not_positive() -> None:
    result = score("g8", g8())
    assert result.score == 17
    assert result.max_score == 17
    assert result.positive is False
    assert result.route_to is None


def test_g8_worst_answers_total_0_and_are_positive() -> None:
    result = score("g8", {key: 0 for key in G8_POINTS})
    assert result.score == 0
    assert result.positive is True


@pytest.mark.parametrize(
    ("answers", "total", "positive"),
    [
        (g8(F=0, G=1), 15, False),  # 17 - 1 - 1
        (g8(F=0, G=0.5, H=2), 14.5, False),  # 17 - 1 - 1.5
        (g8(G=0), 15, False),
        (g8(G=0, F=0), 14, True),  # the cut-off itself
        (g8(G=0.5, F=0, H=1), 13.5, True),
    ],
)
def test_g8_is_positive_at_14_or_below_and_not_at_14_5_or_15(
    answers: dict[str, Any], total: float, positive: bool
) -> None:
    result = score("g8", answers)
    assert result.score == total
    assert result.positive is positive


def test_positive_g8_routes_to_geriatric_oncology_with_the_score_in_french_format() -> None:
    result = score("g8", g8(G=0.5, F=0, H=1))
    assert result.route_to is not None and result.route_to.id == "geriatric_oncology"
    assert "13,5/17" in result.interpretation.fr
    assert "13.5/17" in result.interpretation.en
    assert "gériatrique" in result.interpretation.fr


@pytest.mark.parametrize(("item", "value"), [(k, v) for k, values in G8_POINTS.items() for v in values])
def test_g8_accepts_each_published_point_value_of_each_item(item: str, value: float) -> None:
    result = score("g8", g8(**{item: value}))
    assert result.score == 17 - G8_BEST[item] + value
    assert next(i for i in result.items if i.id == item).points == value


@pytest.mark.parametrize(
    ("item", "value"),
    [("A", 3), ("B", 4), ("C", -1), ("D", 1.5), ("E", 4), ("F", 2), ("G", 1.5), ("G", 3), ("H", 0.5)],
)
def test_g8_refuses_a_value_outside_the_items_points_naming_the_item(item: str, value: float) -> None:
    error = input_error("g8", g8(**{item: value}))
    assert error.item == item
    assert str(error).startswith(f"{item}: ")
    assert "allowed" in str(error)


@pytest.mark.parametrize("item", list(G8_POINTS))
def test_g8_requires_every_item(item: str) -> None:
    answers = g8()
    del answers[item]
    assert input_error("g8", answers).item == item


@pytest.mark.parametrize("bad", [None, "2", True, [2]])
def test_g8_refuses_a_non_number_naming_the_item(bad: Any) -> None:
    assert input_error("g8", g8(A=bad)).item == "A"


def test_g8_refuses_an_unknown_item() -> None:
    assert input_error("g8", g8(I=1)).item == "I"


@pytest.mark.parametrize(
    ("bmi", "points"),
    [(10, 0), (18.99, 0), (19, 1), (20.4, 1), (20.99, 1), (21, 2), (22.99, 2), (23, 3), (35, 3)],
)
def test_g8_bmi_is_banded_as_bellera_2012_by_default(bmi: float, points: int) -> None:
    result = score("g8", g8(E={"bmi": bmi}))
    item = next(i for i in result.items if i.id == "E")
    assert item.points == points
    assert item.answer == {"bmi": bmi}
    assert result.settings["bmi_bands"] == "bellera2012"


@pytest.mark.parametrize(("bmi", "points"), [(18.49, 0), (18.5, 1), (18.9, 1), (21, 2), (23, 3)])
def test_g8_bmi_french_inca_variant_moves_the_lowest_band_to_18_5(bmi: float, points: int) -> None:
    result = score("g8", g8(E={"bmi": bmi}), bmi_bands="inca_fr")
    assert next(i for i in result.items if i.id == "E").points == points
    assert result.settings["bmi_bands"] == "inca_fr"


@pytest.mark.parametrize(
    ("value", "item"),
    [
        ({"bmi": 0}, "E.bmi"),
        ({"bmi": -3}, "E.bmi"),
        ({"bmi": "22"}, "E.bmi"),
        ({"bmi": True}, "E.bmi"),
        ({"bmi": float("inf")}, "E.bmi"),
        ({}, "E.bmi"),
        ({"bmi": 22, "weight": 60}, "E.weight"),
    ],
)
def test_g8_refuses_an_invalid_bmi_naming_the_field(value: Any, item: str) -> None:
    assert input_error("g8", g8(E=value)).item == item


def test_g8_threshold_is_not_configurable() -> None:
    with pytest.raises(ScoreSettingError, match="not configurable"):
        score("g8", g8(), threshold=15)


def test_unknown_bmi_band_variant_and_bmi_bands_on_another_instrument_are_refused() -> None:
    with pytest.raises(ScoreSettingError, match=r"^bmi_bands: unknown variant"):
        score("g8", g8(), bmi_bands="who")
    with pytest.raises(ScoreSettingError, match=r"^bmi_bands: "):
        score("distress", {"score": 3}, bmi_bands="inca_fr")


# ------------------------------------------------------------------------------------------ pallia10


@pytest.mark.parametrize(
    ("answers", "total", "positive"),
    [
        (pallia(True), 1, False),
        (pallia(True, True), 2, False),
        (pallia(True, True, True), 3, True),  # the threshold
        (pallia(True, False, False, False, False, False, False, False, True, True), 3, True),
        (pallia(*[True] * 10), 10, True),
    ],
)
def test_pallia10_counts_yes_answers_including_question_1_and_is_positive_from_3(
    answers: dict[str, Any], total: int, positive: bool
) -> None:
    result = score("pallia10", answers)
    assert result.applicable is True
    assert result.score == total
    assert result.positive is positive


def test_positive_pallia10_routes_to_the_palliative_care_team() -> None:
    result = score("pallia10", pallia(True, True, True))
    assert result.route_to is not None and result.route_to.id == "palliative_care"
    assert "soins palliatifs" in result.interpretation.fr


def test_pallia10_is_not_applicable_when_question_1_is_no_whatever_the_others() -> None:
    result = score("pallia10", pallia(False, *[True] * 9))
    assert result.applicable is False
    assert result.positive is False
    assert result.score is None
    assert result.route_to is None
    assert "non applicable" in result.interpretation.fr


def test_pallia10_threshold_is_configurable_for_the_swiss_variant_of_5() -> None:
    assert score("pallia10", pallia(True, True, True, True), threshold=5).positive is False
    assert score("pallia10", pallia(True, True, True, True, True), threshold=5).positive is True


@pytest.mark.parametrize(
    ("answers", "item"),
    [
        ({}, "answers"),
        ({"answers": None}, "answers"),
        ({"answers": "yes"}, "answers"),
        ({"answers": [True] * 9}, "answers"),
        ({"answers": [True] * 11}, "answers"),
        (
            {"answers": [True, True, True, 1, False, False, False, False, False, False]},
            "answers[3] (question 4)",
        ),
        ({"answers": [True] * 9 + [None]}, "answers[9] (question 10)"),
        ({"answers": [True] * 10, "extra": 1}, "extra"),
    ],
)
def test_pallia10_refuses_anything_but_10_booleans_naming_the_question(answers: Any, item: str) -> None:
    assert input_error("pallia10", answers).item == item


# ------------------------------------------------------------------------------------------ surprise


def test_surprise_question_answered_no_is_positive_and_routes_to_palliative_care() -> None:
    result = score("surprise", {"surprised_if_dies_within_12_months": False})
    assert result.positive is True
    assert result.score is None
    assert result.route_to is not None and result.route_to.id == "palliative_care"


def test_surprise_question_answered_yes_is_negative() -> None:
    result = score("surprise", {"surprised_if_dies_within_12_months": True})
    assert result.positive is False
    assert result.route_to is None


@pytest.mark.parametrize("second", [True, False])
def test_double_surprise_question_is_recorded_but_does_not_change_the_result(second: bool) -> None:
    result = score(
        "surprise",
        {"surprised_if_dies_within_12_months": False, "surprised_if_alive_after_12_months": second},
    )
    assert result.positive is True
    assert result.items[1].answer is second


def test_double_surprise_question_is_refused_when_the_first_answer_is_yes() -> None:
    error = input_error(
        "surprise", {"surprised_if_dies_within_12_months": True, "surprised_if_alive_after_12_months": True}
    )
    assert error.item == "surprised_if_alive_after_12_months"


def test_double_surprise_question_null_means_not_asked() -> None:
    result = score(
        "surprise", {"surprised_if_dies_within_12_months": True, "surprised_if_alive_after_12_months": None}
    )
    assert len(result.items) == 1


@pytest.mark.parametrize("bad", [None, 0, "no", "false"])
def test_surprise_question_needs_a_boolean(bad: Any) -> None:
    assert input_error("surprise", {"surprised_if_dies_within_12_months": bad}).item == (
        "surprised_if_dies_within_12_months"
    )


def test_surprise_question_has_no_threshold_to_override() -> None:
    with pytest.raises(ScoreSettingError):
        score("surprise", {"surprised_if_dies_within_12_months": True}, threshold=1)


# ------------------------------------------------------------------------------------------- generic


@pytest.mark.parametrize("instrument", ["distress", "g8", "pallia10", "surprise"])
@pytest.mark.parametrize("answers", [None, [], "x", 3])
def test_answers_that_are_not_an_object_are_refused(instrument: str, answers: Any) -> None:
    assert input_error(instrument, answers).item == "(answers)"


def test_unknown_instrument_is_a_key_error_listing_the_known_ones() -> None:
    with pytest.raises(KeyError, match="distress, g8, pallia10, surprise"):
        score("hads", {})


def test_result_dict_has_the_clinical_rules_keys_first_and_is_json_serialisable() -> None:
    out = score("g8", g8(G=0.5, F=0, H=1)).as_dict()
    assert list(out)[:4] == ["instrument", "score", "positive", "recommendation"]
    assert out["instrument"] == "g8" and out["score"] == 13.5 and out["positive"] is True
    assert out["policy"] == POLICY and out["version"] == 1
    assert out["route_to"] == "geriatric_oncology"
    json.dumps(out)


def test_integral_scores_serialise_as_integers() -> None:
    assert json.dumps(score("distress", {"score": 5}).as_dict()["score"]) == "5"


def test_every_result_names_the_instrument_version() -> None:
    for inst in load_instruments().values():
        assert inst.version >= 1


# ---------------------------------------------------------------------------------------- properties

g8_answers = st.fixed_dictionaries({key: st.sampled_from(values) for key, values in G8_POINTS.items()})
bmis = st.floats(min_value=1, max_value=80, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(g8_answers, st.one_of(st.none(), bmis), st.sampled_from(["bellera2012", "inca_fr"]))
def test_property_g8_total_is_between_0_and_17_and_positive_iff_at_most_14(
    answers: dict[str, float], bmi: float | None, variant: str
) -> None:
    given_answers: dict[str, object] = dict(answers)
    if bmi is not None:
        given_answers["E"] = {"bmi": bmi}
    result = score("g8", given_answers, bmi_bands=variant)
    assert result.score is not None
    assert 0 <= result.score <= 17
    assert result.score * 2 == int(result.score * 2)  # multiples of 0.5
    assert result.positive is (result.score <= 14)
    assert (result.route_to is not None) is result.positive


@settings(max_examples=200, deadline=None)
@given(g8_answers, st.sampled_from(list(G8_POINTS)), st.data())
def test_property_raising_a_g8_items_points_never_turns_normal_into_abnormal(
    answers: dict[str, float], item: str, data: st.DataObject
) -> None:
    higher = data.draw(st.sampled_from([v for v in G8_POINTS[item] if v >= answers[item]]))
    before = score("g8", answers)
    after = score("g8", {**answers, item: higher})
    assert before.score is not None and after.score is not None
    assert after.score >= before.score
    if not before.positive:
        assert not after.positive


@settings(max_examples=200, deadline=None)
@given(bmis, bmis)
def test_property_a_higher_bmi_never_gives_fewer_points_and_the_inca_bands_never_fewer_than_bellera(
    a: float, b: float
) -> None:
    low, high = sorted((a, b))

    def points(bmi: float, variant: str) -> float | None:
        return next(i.points for i in score("g8", g8(E={"bmi": bmi}), bmi_bands=variant).items if i.id == "E")

    for variant in ("bellera2012", "inca_fr"):
        assert points(low, variant) <= points(high, variant)  # type: ignore[operator]
    assert points(low, "inca_fr") >= points(low, "bellera2012")  # type: ignore[operator]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10), st.integers(1, 10))
def test_property_distress_is_positive_iff_score_reaches_the_threshold(value: int, threshold: int) -> None:
    assert score("distress", {"score": value}, threshold=threshold).positive is (value >= threshold)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), min_size=9, max_size=9), st.integers(0, 8))
def test_property_pallia10_score_is_the_count_of_yes_and_one_more_yes_never_turns_it_negative(
    rest: list[bool], flip: int
) -> None:
    answers = [True, *rest]
    result = score("pallia10", {"answers": answers})
    assert result.score == sum(answers)
    more = [*answers]
    more[flip + 1] = True
    if result.positive:
        assert score("pallia10", {"answers": more}).positive


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 30) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=11) | st.dictionaries(st.text(max_size=3), inner, max_size=9),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["distress", "g8", "pallia10", "surprise"]), json_values)
def test_property_any_json_input_either_scores_or_raises_a_score_input_error(
    instrument: str, value: Any
) -> None:
    try:
        result = score(instrument, value)
    except ScoreInputError as exc:
        assert str(exc).startswith(f"{exc.item}: ")
    else:
        assert isinstance(result, ScoreResult)
        json.dumps(result.as_dict())


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(list(G8_POINTS)), st.integers(-2, 5) | st.floats(-1, 4), max_size=8))
def test_property_g8_near_miss_answers_score_or_are_refused_naming_a_g8_item(
    answers: dict[str, float],
) -> None:
    try:
        result = score("g8", answers)
    except ScoreInputError as exc:
        assert exc.item in G8_POINTS
    else:
        assert set(answers) == set(G8_POINTS)
        assert result.score == sum(answers.values())
