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
from collections.abc import Sequence

from parcours.monitoring.triage import TriageInputError, loads_strict, triage_document

__all__ = ["dumps_indented", "main", "register", "run_triage"]

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
        output = triage_document(loads_strict(raw))
    except TriageInputError as exc:
        return _error(str(exc))
    compact = getattr(ns, "compact", False)
    text = json.dumps(output, ensure_ascii=False) if compact else dumps_indented(output)
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
