"""Small shared types of the pure education core: bilingual labels, errors, aware-datetime checks, parse helpers.

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from parcours.datakit import DataError, Label, boolean, integer, join, label, lst, obj, string

__all__ = [
    "PARIS",
    "DataError",
    "InputError",
    "Label",
    "boolean",
    "integer",
    "join",
    "label",
    "load_json",
    "lst",
    "notes",
    "obj",
    "require_aware",
    "string",
    "unique",
]

PARIS: tzinfo = ZoneInfo("Europe/Paris")


class InputError(ValueError):
    """Invalid input from the caller (answers, records, factors, times); the message starts with the name of the
    bad argument or item (``answers.q2: ...``, ``records[3] (cert-17).completed_on: ...``)."""


def require_aware(value: object, field_name: str) -> datetime:
    """``value`` itself if it is an aware datetime; :class:`InputError` naming the field otherwise."""
    if not isinstance(value, datetime):
        raise InputError(f"{field_name}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(
            f"{field_name}: expected an aware datetime (with a time zone), got {value.isoformat()}"
        )
    return value


def join_fr(items: Sequence[str], last: str = "ou") -> str:
    """``a, b ou c`` (French enumeration)."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def join_en(items: Sequence[str], last: str = "or") -> str:
    """``a, b or c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


# ------------------------------------------------------------------------------ JSON parse helpers


def notes(data: object, path: str) -> None:
    """Free-text notes (a string or a list of strings); validated, not kept."""
    if data is None or isinstance(data, str):
        return
    for i, item in enumerate(lst(data, path)):
        string(item, f"{path}[{i}]")


def unique(seen: dict[str, str], ident: str, path: str, what: str) -> None:
    if ident in seen:
        raise DataError(f"{path}: duplicate {what} {ident!r} (first at {seen[ident]})")
    seen[ident] = path


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DataError(f"duplicate JSON key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise DataError(f"invalid JSON constant {name}")


def load_json(text: str, origin: str) -> Any:
    """Parse JSON text (duplicate keys, ``NaN`` and ``Infinity`` refused); errors are prefixed with ``origin``."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise DataError(f"{origin}: invalid JSON: {exc}") from None
    except DataError as exc:
        raise DataError(f"{origin}: {exc}") from None
