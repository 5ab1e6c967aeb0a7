"""Properties of the triage engine (hypothesis): monotonicity and batch order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.monitoring.labs import grade_lab, load_grading
from parcours.monitoring.triage import LEVELS, load_policy, parse_assessment, triage, triage_document

POLICY = load_policy()
GRADED_VARS = sorted(v for v, item in POLICY.library.items.items() if item.graded)
TERMS = POLICY.library.terms
GRADING = load_grading()
LEVEL_RANK = {level: len(LEVELS) - i for i, level in enumerate(LEVELS)}  # none=1 … urgent=4


def full_terms() -> st.SearchStrategy[dict[str, int]]:
    """Complete answers (0–4) for a random subset of terms, so a single raise never ungrades a term."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, int]:
        numbers = draw(st.lists(st.sampled_from(sorted(TERMS)), min_size=1, max_size=8, unique=True))
        answers: dict[str, int] = {}
        for n in numbers:
            for var in TERMS[n].items:
                answers[var] = draw(st.integers(0, 4))
        return answers

    return build()


labs = st.lists(
    st.one_of(
        st.builds(
            lambda code, ratio: {"code": code, "value": Decimal(40) * ratio, "uln": 40},
            st.sampled_from(["ALT", "AST", "BILIRUBIN", "CREATININE"]),
            st.decimals(0, 30, places=2),
        ),
        st.builds(
            lambda v: {"code": "NEUTROPHILS", "value": v, "lln": Decimal("1.8")}, st.decimals(0, 5, places=2)
        ),
        st.builds(lambda v: {"code": "PLATELETS", "value": v, "lln": 150}, st.decimals(0, 400, places=0)),
    ),
    max_size=4,
)
vitals = st.fixed_dictionaries(
    {},
    optional={
        "temperature_c": st.decimals(Decimal("35.5"), Decimal("41.5"), places=1),
        "spo2_percent": st.integers(80, 100),
    },
)
regimens = st.sampled_from([None, "pembrolizumab", "atezolizumab", "cemiplimab", "other"])


def assessments() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"pro": full_terms(), "labs": labs, "vitals": vitals, "regimen": regimens})


@settings(max_examples=300, deadline=None)
@given(doc=assessments(), data=st.data())
def test_raising_any_single_pro_answer_never_lowers_the_level_nor_lifts_a_hold(
    doc: dict[str, Any], data: st.DataObject
) -> None:
    var = data.draw(st.sampled_from(sorted(doc["pro"])))
    if doc["pro"][var] == 4:
        return
    higher = {**doc, "pro": {**doc["pro"], var: data.draw(st.integers(doc["pro"][var] + 1, 4))}}
    before, after = triage(parse_assessment(doc)), triage(parse_assessment(higher))
    assert LEVEL_RANK[after.level] >= LEVEL_RANK[before.level]
    assert after.max_grade >= before.max_grade
    assert {f.code for f in before.red_flags} <= {f.code for f in after.red_flags}
    assert after.hold_treatment or not before.hold_treatment
    assert after.discontinuation_review or not before.discontinuation_review


@settings(max_examples=200, deadline=None)
@given(docs=st.lists(assessments(), max_size=12), seed=st.randoms(use_true_random=False))
def test_batch_output_is_in_input_order_and_equals_one_by_one(docs: list[dict[str, Any]], seed: Any) -> None:
    batch = triage_document(docs)
    assert batch == [triage_document(d) for d in docs]
    shuffled = list(range(len(docs)))
    seed.shuffle(shuffled)
    again = triage_document([docs[i] for i in shuffled])
    assert isinstance(again, list) and isinstance(batch, list)
    assert again == [batch[i] for i in shuffled]


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(sorted(GRADING.labs)),
    a=st.decimals(0, 1000, places=2),
    b=st.decimals(0, 1000, places=2),
)
def test_a_worse_lab_value_never_gets_a_lower_grade(code: str, a: Decimal, b: Decimal) -> None:
    lab = GRADING.labs[code]
    if code == "TSH":
        refs = {"lln": Decimal("0.4"), "uln": Decimal(4)}
    else:
        refs = {ref: Decimal(150) if ref == "lln" else Decimal(40) for ref in lab.requires}
    low, high = sorted((a, b))
    upwards = all(r.op in ("gt", "ge") for r in lab.rules)
    downwards = all(r.op in ("lt", "le") for r in lab.rules)
    if upwards:
        assert grade_lab(lab, high, **refs) >= grade_lab(lab, low, **refs)
    elif downwards:
        assert grade_lab(lab, low, **refs) >= grade_lab(lab, high, **refs)
    else:  # TSH: outside the range on either side
        assert grade_lab(lab, low, **refs) in (0, 1)


@settings(max_examples=200, deadline=None)
@given(doc=assessments())
def test_the_level_is_urgent_exactly_when_grade_3_or_a_red_flag(doc: dict[str, Any]) -> None:
    result = triage(parse_assessment(doc))
    assert (result.level == "urgent") == (result.max_grade >= 3 or bool(result.red_flags))
    assert result.hold_treatment or not result.red_flags
    assert result.policy == "parcours-triage-1"
