"""``parcours triage FILE|-``: toxicity triage of one assessment or a JSON array of them (clinical-rules A.1).

    parcours triage assessment.json
    parcours triage - < assessments.json
    python -m parcours.monitoring.cli triage FILE|-

Input: one assessment object, or an array of them. Output on stdout: one result object per input in the same
order — an object for an object, an array for an array (policy ``parcours-triage-1``, see
:mod:`parcours.monitoring.triage`). Exit status: 0 success; 2 invalid input — not JSON, an unknown variable,
lab code or field, an answer out of its scale, a missing ULN/LLN… — refused as a whole, with a message naming
the field on stderr and nothing on stdout. Pure: no Django, no database.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast

from parcours.monitoring.common import Label
from parcours.monitoring.labs import OPERATORS, LabDef, VitalDef, grade_vital
from parcours.monitoring.pro_ctcae import Term, composite_grade
from parcours.monitoring.triage import (
    LEVELS,
    Level,
    TriageInputError,
    TriagePolicy,
    load_policy,
    loads_strict,
    triage_document,
)

__all__ = ["dumps_indented", "main", "reference_text", "register", "run_triage", "triage_text"]

PROG = "parcours triage"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "triage",
        help="toxicity triage of PRO-CTCAE answers, labs and vitals (JSON in, JSON out; policy parcours-triage-1)",
        description=(
            "Toxicity triage (policy parcours-triage-1): reads one assessment object or an array of them, prints "
            "one result per assessment in the same order. Exit status 2 on invalid input, with a message naming "
            "the field on stderr."
        ),
    )
    parser.add_argument("file", metavar="FILE|-", help="assessment JSON file ('-' for stdin)")
    parser.add_argument("--compact", action="store_true", help="print the JSON on one line")
    parser.set_defaults(func=run_triage)


def run_triage(ns: argparse.Namespace) -> int:
    try:
        if ns.file == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(ns.file, "rb") as fh:
                raw = fh.read()
    except OSError as exc:
        return _error(f"cannot read {ns.file}: {exc.strerror or exc}")
    try:
        text = triage_text(raw, compact=getattr(ns, "compact", False))
    except TriageInputError as exc:
        return _error(str(exc))
    sys.stdout.write(text + "\n")
    return 0


_encode_str = json.encoder.encode_basestring  # the C implementation when available


def dumps_indented(value: object) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``, byte for byte, several times faster.

    With ``indent``, the standard library falls back to its pure-Python encoder, which was the largest cost of
    a big batch on the CLI. This handles what the triage output contains (dict, list, str, int, bool, None,
    float) and defers anything else to ``json.dumps``."""
    parts: list[str] = []
    _indent(value, parts, "\n")
    return "".join(parts)


def _indent(value: object, out: list[str], nl: str) -> None:
    kind = type(value)
    if isinstance(value, str):
        out.append(_encode_str(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = nl + "  "
        first = True
        for key, item in value.items():  # type: ignore[attr-defined]
            out.append("{" + inner if first else "," + inner)
            first = False
            out.append(_encode_str(key if type(key) is str else str(key)))  # the triage output has str keys
            out.append(": ")
            _indent(item, out, inner)
        out.append(nl + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = nl + "  "
        first = True
        for item in value:  # type: ignore[attr-defined]
            out.append("[" + inner if first else "," + inner)
            first = False
            _indent(item, out, inner)
        out.append(nl + "]")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif kind is int:
        out.append(repr(value))
    else:
        out.append(json.dumps(value, ensure_ascii=False))


# ------------------------------------------------------------------------------ the batch text path


def reference_text(raw: str | bytes, *, compact: bool = False, policy: TriagePolicy | None = None) -> str:
    """The reference text path: ``loads_strict`` → ``triage_document`` → ``json.dumps(ensure_ascii=False)``
    (``compact``) or :func:`dumps_indented`. :func:`triage_text` gives the same bytes, faster."""
    output = triage_document(loads_strict(raw), policy=policy)
    return json.dumps(output, ensure_ascii=False) if compact else dumps_indented(output)


def triage_text(raw: str | bytes, *, compact: bool = False, policy: TriagePolicy | None = None) -> str:
    """What ``parcours triage`` prints, without the final newline: JSON text in (one assessment or an array),
    JSON text out — byte for byte :func:`reference_text`, which also decides every error.

    A fused batch path: the text is parsed by the C decoder alone (no hook per object; numbers with a fraction
    as exact ``Decimal``), each item is validated, graded (policy rules 1–7, the same tables and memoised lab
    bounds as :func:`~parcours.monitoring.triage.triage`) and written straight to JSON text from cached
    fragments, without the intermediate dataclasses and output dicts. Anything it does not handle — any invalid
    or unusual input (``2.0`` as an answer, a float, NaN…), a key that may be repeated — hands the whole text
    to :func:`reference_text`, so the output and the :class:`TriageInputError` (first invalid field, exit 2 on
    the CLI) are exactly the reference's.

    Repeated keys: the C decoder keeps the last value silently; the fast path proves there are none by counting
    the ``:`` of the text — one per key of every object, when no string contains one — against the keys of
    the objects it validated (it sees every object of a valid document)."""
    policy = policy or load_policy()
    try:
        text = _fast_text(raw, compact, policy)
    except Exception:  # anything unexpected: the reference path decides, and raises if it must
        text = None
    return reference_text(raw, compact=compact, policy=policy) if text is None else text


class _Fallback(Exception):
    """The fast path does not handle this input: :func:`reference_text` takes over."""


_ASSESSMENT_KEYS = frozenset(("regimen", "pro", "labs", "vitals"))
_LAB_KEYS = frozenset(("code", "value", "uln", "lln"))
_INT_DECIMALS: dict[int, Decimal] = {}
_Finding = tuple[str, str, int, Label]  # source, code, grade, label


def _fast_text(raw: str | bytes, compact: bool, policy: TriagePolicy) -> str | None:
    data = json.loads(raw, parse_float=Decimal)
    plan = _plan(policy)
    if type(data) is list:
        writer = plan.compact if compact else plan.in_array
        parts: list[str] = []
        keys = 0
        for item in data:
            text, count = _fast_item(item, plan, writer)
            parts.append(text)
            keys += count
        if compact:
            out = "[" + ", ".join(parts) + "]"
        else:
            out = "[\n  " + ",\n  ".join(parts) + "\n]" if parts else "[]"
    elif type(data) is dict:
        out, keys = _fast_item(data, plan, plan.compact if compact else plan.alone)
    else:
        return None
    colons = raw.count(":") if isinstance(raw, str) else raw.count(b":")
    return out if colons == keys else None


def _exact(raw: object) -> Decimal:
    """An int (memoised) or a finite Decimal from the decoder, exactly as the reference parser takes it."""
    kind = type(raw)
    if kind is int:
        whole = cast(int, raw)
        number = _INT_DECIMALS.get(whole)
        if number is None:
            number = Decimal(whole)
            if len(_INT_DECIMALS) >= 8192:
                _INT_DECIMALS.clear()
            _INT_DECIMALS[whole] = number
        return number
    if kind is Decimal:
        exact = cast(Decimal, raw)
        if exact.is_finite():
            return exact
    raise _Fallback


def _fast_item(data: object, plan: _Plan, writer: _Writer) -> tuple[str, int]:
    """One assessment → (its output JSON text, the number of keys of its objects); :class:`_Fallback` for
    anything the reference path must handle."""
    if type(data) is not dict or not data.keys() <= _ASSESSMENT_KEYS:
        raise _Fallback
    keys = len(data)
    regimen = data.get("regimen")
    if regimen is not None and (type(regimen) is not str or ":" in regimen):
        raise _Fallback
    findings: list[_Finding] = []
    incomplete: list[tuple[Term, tuple[str, ...], int]] = []
    reported: list[tuple[str, int]] = []
    term_grades: dict[int, int] = {}

    # 1. PRO answers: validated and graded in one pass (the reference's rule 1, on the decoded dict)
    pro = data.get("pro")
    if pro is None:
        pro = {}
    elif type(pro) is not dict:
        raise _Fallback
    elif pro:
        keys += len(pro)
        var_info = plan.var_info
        touched: set[int] = set()
        for var, value in pro.items():
            spec = var_info.get(var)
            if spec is None:
                raise _Fallback
            max_value, first, number = spec
            if value is None:
                if number is not None:
                    touched.add(number)
                continue
            if type(value) is not int or not 0 <= value <= max_value:
                raise _Fallback
            if value == 0 and first:
                continue
            if number is not None:
                touched.add(number)
            else:
                reported.append((var, value))
        terms = plan.terms
        pro_get = pro.get
        for number in sorted(touched):
            term = terms[number]
            items = term.items
            first_value = pro_get(items[0])
            if first_value == 0:
                continue
            values = (first_value,) if len(items) == 1 else tuple(map(pro_get, items))
            grade = None if None in values else term.table[cast(tuple[int, ...], values)]
            if grade is not None:
                term_grades[number] = grade
                if grade >= 1:
                    findings.append(("pro", term.code, grade, term.label))
                continue
            composite = composite_grade(term, pro)
            if composite.answered and composite.grade_at_least is not None:
                incomplete.append((term, composite.missing, composite.grade_at_least))

    # 2. labs, in input order
    raw_labs = data.get("labs")
    labs: list[tuple[str, Decimal, Decimal | None, Decimal | None]] = []
    if raw_labs is not None:
        if type(raw_labs) is not list:
            raise _Fallback
        lab_defs = plan.labs
        for raw in raw_labs:
            if type(raw) is not dict or not raw.keys() <= _LAB_KEYS:
                raise _Fallback
            keys += len(raw)
            code = raw.get("code")
            definition = lab_defs.get(code) if type(code) is str else None
            if definition is None:
                raise _Fallback
            value = _exact(raw.get("value"))
            uln = raw.get("uln")
            if uln is not None:
                uln = _exact(uln)
            lln = raw.get("lln")
            if lln is not None:
                lln = _exact(lln)
            if (
                value < 0
                or (uln is None and "uln" in definition.requires)
                or (lln is None and "lln" in definition.requires)
                or (uln is not None and (uln <= 0 or (lln is not None and lln >= uln)))
                or (lln is not None and lln <= 0)
            ):
                raise _Fallback
            labs.append((definition.code, value, uln, lln))
            grade = definition.grade(value, uln, lln)
            if grade >= 1:
                findings.append(("lab", definition.code, grade, definition.label))

    # 3. vitals, in table order
    raw_vitals = data.get("vitals")
    vitals: dict[str, Decimal] = {}
    if raw_vitals is not None:
        if type(raw_vitals) is not dict:
            raise _Fallback
        keys += len(raw_vitals)
        vital_defs = plan.vitals
        for name, raw in raw_vitals.items():
            vital = vital_defs.get(name)
            if vital is None:
                raise _Fallback
            if raw is None:
                continue
            number_value = _exact(raw)
            low, high = vital.plausible
            if not low <= number_value <= high:
                raise _Fallback
            vitals[name] = number_value
        if vitals:
            for name, vital in plan.vital_order:
                if name in vitals:
                    grade = grade_vital(vital, vitals[name])
                    if grade >= 1:
                        findings.append(("vital", name, grade, vital.label))

    # 4. red flags
    flags: list[str] = []
    for flag_code, conditions in plan.flags:
        for kind, key, test, bound in conditions:
            if kind == "vital":
                reading = vitals.get(key)
                if reading is None or not test(reading, bound):
                    break
            elif kind == "lab":
                for lab in labs:
                    if lab[0] == key and test(lab[1], bound):
                        break
                else:
                    break
            else:
                term_number = int(key)
                term_grade = term_grades.get(term_number)
                if term_grade is None:
                    term_grade = composite_grade(plan.terms[term_number], pro).grade
                if term_grade is None or not test(Decimal(term_grade), bound):
                    break
        else:
            flags.append(flag_code)

    # 5. max grade and level
    max_grade = 0
    for finding in findings:
        if finding[2] > max_grade:
            max_grade = finding[2]
    level = plan.no_finding_level
    for min_grade, candidate in plan.levels:
        if max_grade >= min_grade:
            level = candidate
            break
    if flags and LEVELS.index(plan.red_flag_level) < LEVELS.index(level):
        level = plan.red_flag_level

    # 6. hold; 7. discontinuation review (codes only: the output carries no reason labels)
    hold: list[str] = []
    exempt = plan.hold_exempt_up_to
    for _source, code, grade, _label in findings:
        if grade < plan.hold_min_grade:
            continue
        if code in exempt:
            up_to = exempt[code]
            if up_to is None or grade <= up_to:
                continue
        hold.append(code)
    if plan.hold_on_red_flag:
        hold.extend(flags)
    review: list[str] = []
    if labs:
        policy = plan.policy
        for limit, (multiple, _origin) in zip(policy.lab_limits, policy.multiples(regimen), strict=True):
            for lab_code, value, uln, _lln in labs:
                if lab_code in limit.codes and uln is not None and value > multiple * uln:
                    review.append(lab_code)
    for _source, code, grade, _label in findings:
        if grade >= plan.discontinuation_min_grade:
            review.append(code)

    text = writer.write(
        max_grade,
        level,
        bool(hold),
        bool(review),
        flags,
        findings,
        incomplete,
        reported,
        list(dict.fromkeys(hold)) if len(hold) > 1 else hold,
        list(dict.fromkeys(review)) if len(review) > 1 else review,
    )
    return text, keys


class _Writer:
    """The output object of one assessment as JSON text, from fragments made once by the reference encoders
    (``json.dumps(ensure_ascii=False)`` when ``nl`` is None, else :func:`dumps_indented` at that depth)."""

    def __init__(self, policy_id: str, reported_labels: dict[str, str], nl: str | None) -> None:
        self.policy_id = policy_id
        self.reported_labels = reported_labels
        self.nl = nl
        self.heads: dict[tuple[int, str, bool, bool], str] = {}
        self.findings: dict[tuple[str, str, int], str] = {}
        self.reported: dict[tuple[str, int], str] = {}
        if nl is None:
            return
        inner = nl + "  "
        inner2 = inner + "  "
        self.inner = inner
        self.item_nl = inner2
        self.open1, self.sep1, self.close1 = "[" + inner2, "," + inner2, inner + "]"
        self.open2, self.sep2, self.close2 = "[" + inner2 + "  ", "," + inner2 + "  ", inner2 + "]"
        self.tail_keys = (
            "," + inner + '"findings": ',
            "," + inner + '"incomplete": ',
            "," + inner + '"reported": ',
            "," + inner + '"reasons": {' + inner2 + '"hold_treatment": ',
            "," + inner2 + '"discontinuation_review": ',
            inner + "}" + nl + "}",
        )

    def fragment(self, value: dict[str, Any]) -> str:
        if self.nl is None:
            return json.dumps(value, ensure_ascii=False)
        parts: list[str] = []
        _indent(value, parts, self.item_nl)
        return "".join(parts)

    def head(self, key: tuple[int, str, bool, bool]) -> str:
        max_grade, level, hold, review = key
        items = (
            ("policy", self.policy_id),
            ("max_grade", max_grade),
            ("level", level),
            ("hold_treatment", hold),
            ("discontinuation_review", review),
        )
        if self.nl is None:
            text = (
                "{"
                + "".join(f"{_encode_str(k)}: {json.dumps(v, ensure_ascii=False)}, " for k, v in items)
                + '"red_flags": ['
            )
        else:
            text = "{" + "".join(
                f"{self.inner}{_encode_str(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in items
            )
            text += self.inner + '"red_flags": '
        self.heads[key] = text
        return text

    def write(
        self,
        max_grade: int,
        level: str,
        hold: bool,
        review: bool,
        flags: list[str],
        findings: list[_Finding],
        incomplete: list[tuple[Term, tuple[str, ...], int]],
        reported: list[tuple[str, int]],
        hold_codes: list[str],
        review_codes: list[str],
    ) -> str:
        key = (max_grade, level, hold, review)
        head = self.heads.get(key) or self.head(key)
        cache = self.findings
        finding_parts = []
        for source, code, grade, label in findings:
            part = cache.get((source, code, grade))
            if part is None:
                part = self.fragment({"source": source, "code": code, "label": label.en, "grade": grade})
                cache[(source, code, grade)] = part
            finding_parts.append(part)
        incomplete_parts = [
            self.fragment(
                {
                    "source": "pro",
                    "code": term.code,
                    "label": term.label.en,
                    "missing": list(missing),
                    "grade_at_least": at_least,
                }
            )
            for term, missing, at_least in incomplete
        ]
        reported_parts = []
        for var, value in reported:
            part = self.reported.get((var, value))
            if part is None:
                text = self.reported_labels[var]
                part = self.fragment({"source": "pro", "code": var, "label": text, "value": value})
                self.reported[(var, value)] = part
            reported_parts.append(part)
        if self.nl is None:
            return (
                f'{head}{", ".join(map(_encode_str, flags))}], "findings": [{", ".join(finding_parts)}], '
                f'"incomplete": [{", ".join(incomplete_parts)}], "reported": [{", ".join(reported_parts)}], '
                f'"reasons": {{"hold_treatment": [{", ".join(map(_encode_str, hold_codes))}], '
                f'"discontinuation_review": [{", ".join(map(_encode_str, review_codes))}]}}}}'
            )
        k_findings, k_incomplete, k_reported, k_hold, k_review, end = self.tail_keys
        return "".join(
            (
                head,
                self.list1(list(map(_encode_str, flags))),
                k_findings,
                self.list1(finding_parts),
                k_incomplete,
                self.list1(incomplete_parts),
                k_reported,
                self.list1(reported_parts),
                k_hold,
                self.list2(list(map(_encode_str, hold_codes))),
                k_review,
                self.list2(list(map(_encode_str, review_codes))),
                end,
            )
        )

    def list1(self, parts: list[str]) -> str:
        return self.open1 + self.sep1.join(parts) + self.close1 if parts else "[]"

    def list2(self, parts: list[str]) -> str:
        return self.open2 + self.sep2.join(parts) + self.close2 if parts else "[]"


_Condition = tuple[str, str, Callable[[Any, Any], bool], Decimal]


class _Plan:
    """The policy flattened for the fast path (built once per policy)."""

    def __init__(self, policy: TriagePolicy) -> None:
        library, grading = policy.library, policy.grading
        self.policy = policy
        self.var_info: dict[str, tuple[int, bool, int | None]] = {
            var: (item.max_value, var in library.first_items, library.term_of_var.get(var))
            for var, item in library.items.items()
        }
        self.terms: dict[int, Term] = dict(library.terms)
        self.labs: dict[str, LabDef] = dict(grading.labs)
        self.vitals: dict[str, VitalDef] = dict(grading.vitals)
        self.vital_order: tuple[tuple[str, VitalDef], ...] = tuple(grading.vitals.items())
        self.flags: tuple[tuple[str, tuple[_Condition, ...]], ...] = tuple(
            (flag.code, tuple((c.kind, c.key, OPERATORS[c.op], c.value) for c in flag.conditions))
            for flag in policy.red_flags
        )
        self.levels = policy.levels
        self.no_finding_level: Level = policy.no_finding_level
        self.red_flag_level: Level = policy.red_flag_level
        self.hold_min_grade = policy.hold_min_grade
        self.hold_exempt_up_to = dict(policy.hold_exempt_up_to)
        self.hold_on_red_flag = policy.hold_on_red_flag
        self.discontinuation_min_grade = policy.discontinuation_min_grade
        labels = {var: label.en for var, label in library.reported_labels.items()}
        self.compact = _Writer(policy.id, labels, None)
        self.alone = _Writer(policy.id, labels, "\n")
        self.in_array = _Writer(policy.id, labels, "\n  ")


_PLANS: dict[int, tuple[TriagePolicy, _Plan]] = {}


def _plan(policy: TriagePolicy) -> _Plan:
    entry = _PLANS.get(id(policy))
    if entry is None or entry[0] is not policy:
        entry = (policy, _Plan(policy))
        _PLANS[id(policy)] = entry
    return entry[1]


def _error(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parcours.monitoring.cli")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    ns = parser.parse_args(list(argv) if argv is not None else None)
    code: int = ns.func(ns)
    return code


if __name__ == "__main__":
    sys.exit(main())
