"""``parcours score INSTRUMENT FILE|-``: score screening answers (clinical-rules.md Part A.2). Pure: no Django.

    parcours score distress answers.json              {"score": 6}
    parcours score g8 -  < answers.json               {"A": 2, "B": 3, ..., "E": {"bmi": 20.4}, ...}
    parcours score pallia10 answers.json --threshold 5
    parcours score g8 answers.json --bmi-bands inca_fr

FILE holds one JSON object of answers (or a JSON array of them, as for ``parcours triage``); ``-`` reads
stdin. Output on stdout: one JSON object per input (an array for an array), e.g.
``{"instrument": "g8", "score": 13.5, "positive": true, "recommendation": "...", ...}`` with the
recommendation in French, plus ``recommendation_en``, ``applicable``, ``route_to``, ``threshold``,
``version``, ``policy``, ``settings`` and the scored ``items``.

Exit codes: 0 success; 2 invalid input (unknown instrument, unreadable file, not JSON, an invalid answer —
the message on stderr names the item, prefixed by ``[i]`` for the i-th object of an array — or a setting
the instrument does not allow). Nothing is printed on stdout when any input is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from parcours.screening.scoring import ScoreError, ScoreInputError, instrument_ids, score

PROG = "parcours score"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "score",
        help="screening scores: distress, g8, pallia10, surprise (JSON in, JSON out)",
        description="Score a screening questionnaire (Distress Thermometer, G8, PALLIA-10, surprise question).",
    )
    add_arguments(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("instrument", metavar="INSTRUMENT", help=f"one of: {', '.join(instrument_ids())}")
    parser.add_argument(
        "file", metavar="FILE", help="JSON answers (an object or an array of objects); '-' = stdin"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="override the positive cut-off where it is configurable (distress: default 4; pallia10: default 3)",
    )
    parser.add_argument(
        "--bmi-bands",
        default=None,
        help='g8 only: BMI band variant for item E given as {"bmi": x} (bellera2012 default, inca_fr)',
    )
    parser.set_defaults(func=cmd_score)


def _error(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in JSON")


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def cmd_score(ns: argparse.Namespace) -> int:
    instrument: str = ns.instrument
    if instrument not in instrument_ids():
        return _error(f"unknown instrument {instrument!r} (known: {', '.join(instrument_ids())})")
    try:
        text = _read(ns.file)
    except (OSError, UnicodeDecodeError) as exc:
        return _error(f"{ns.file}: cannot read: {exc}")
    try:
        data: Any = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        return _error(f"{ns.file}: not valid JSON: {exc}")
    many = isinstance(data, list)
    inputs: Sequence[Any] = data if many else [data]
    outputs = []
    for index, answers in enumerate(inputs):
        prefix = f"[{index}]" if many else ""
        try:
            result = score(instrument, answers, threshold=ns.threshold, bmi_bands=ns.bmi_bands)
        except ScoreInputError as exc:
            if not prefix:
                item = exc.item
            elif exc.item.startswith("("):
                item = f"{prefix} {exc.item}"
            else:
                item = f"{prefix}.{exc.item}"
            return _error(f"{instrument}: {item}: {exc.detail}")
        except ScoreError as exc:
            return _error(f"{instrument}: {exc}")
        outputs.append(result.as_dict())
    print(json.dumps(outputs if many else outputs[0], ensure_ascii=False))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m parcours.screening.cli score INSTRUMENT FILE``."""
    parser = argparse.ArgumentParser(prog="parcours")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register(sub)
    ns = parser.parse_args(list(argv) if argv is not None else None)
    code: int = ns.func(ns)
    return code


if __name__ == "__main__":
    sys.exit(main())
