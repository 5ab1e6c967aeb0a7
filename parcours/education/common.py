"""Small shared types of the pure education core: bilingual labels, errors, aware-datetime checks, parse helpers.

Stdlib only; no Django, no other ``parcours`` app.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["PARIS", "DataError", "InputError", "Label", "require_aware"]

PARIS: tzinfo = ZoneInfo("Europe/Paris")


class DataError(ValueError):
    """Invalid data (a programme, the course catalogue, the readiness rules); the message starts with the path
    of the bad field (``modules[2].quiz.questions[0].correct[1]: ...``)."""


class InputError(ValueError):
    """Invalid input from the caller (answers, records, factors, times); the message starts with the name of the
    bad argument or item (``answers.q2: ...``, ``records[3] (cert-17).completed_on: ...``)."""


@dataclass(frozen=True)
class Label:
    """User-facing text, French first."""

    fr: str
    en: str


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


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def obj(data: object, path: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise DataError(f"{path or '(document)'}: expected an object, got {type(data).__name__}")
    required = tuple(required)
    allowed = set(required) | set(optional)
    for key in data:
        if key not in allowed:
            raise DataError(f"{join(path, str(key))}: unknown field (expected {', '.join(sorted(allowed))})")
    for key in required:
        if key not in data:
            raise DataError(f"{join(path, key)}: missing")
    return data


def lst(data: object, path: str, *, non_empty: bool = False) -> Sequence[Any]:
    if not isinstance(data, list | tuple):
        raise DataError(f"{path}: expected a list, got {type(data).__name__}")
    if non_empty and not data:
        raise DataError(f"{path}: must not be empty")
    return data


def string(data: object, path: str) -> str:
    if not isinstance(data, str) or not data.strip():
        raise DataError(f"{path}: expected a non-empty string, got {data!r}")
    return data


def integer(data: object, path: str, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(data, bool) or not isinstance(data, int) or data < minimum:
        raise DataError(f"{path}: expected an integer >= {minimum}, got {data!r}")
    if maximum is not None and data > maximum:
        raise DataError(f"{path}: expected an integer <= {maximum}, got {data!r}")
    return data


def boolean(data: object, path: str) -> bool:
    if not isinstance(data, bool):
        raise DataError(f"{path}: expected true or false, got {data!r}")
    return data


def label(data: object, path: str) -> Label:
    o = obj(data, path, ("fr", "en"))
    return Label(fr=string(o["fr"], f"{path}.fr"), en=string(o["en"], f"{path}.en"))


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
