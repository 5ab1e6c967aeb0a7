"""Small shared types of the pure treatments core: bilingual labels, aware-datetime checks, parse helpers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["PARIS", "DataError", "Label", "require_aware"]

PARIS: tzinfo = ZoneInfo("Europe/Paris")


class DataError(ValueError):
    """Invalid input or data; the message starts with the path of the bad field."""


@dataclass(frozen=True)
class Label:
    """User-facing text, French first."""

    fr: str
    en: str


def require_aware(value: datetime, field_name: str) -> datetime:
    """``value`` itself if it is an aware datetime; ``DataError`` naming the field otherwise."""
    if not isinstance(value, datetime):
        raise DataError(f"{field_name}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise DataError(
            f"{field_name}: expected an aware datetime (with a time zone), got {value.isoformat()}"
        )
    return value


# ------------------------------------------------------------------------------ JSON parse helpers


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def obj(data: object, path: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise DataError(f"{path}: expected an object, got {type(data).__name__}")
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


def opt_string(data: object, path: str) -> str | None:
    return None if data is None else string(data, path)


def integer(data: object, path: str, *, minimum: int) -> int:
    if isinstance(data, bool) or not isinstance(data, int) or data < minimum:
        raise DataError(f"{path}: expected an integer >= {minimum}, got {data!r}")
    return data


def opt_integer(data: object, path: str, *, minimum: int) -> int | None:
    return None if data is None else integer(data, path, minimum=minimum)


def decimal(data: object, path: str, *, positive: bool = True) -> Decimal:
    """A decimal written as a JSON string (``"200"``, ``"2.5"``) or an integer; floats are refused."""
    if isinstance(data, bool) or not isinstance(data, str | int):
        raise DataError(f'{path}: expected a decimal written as a string (e.g. "200"), got {data!r}')
    try:
        value = Decimal(str(data))
    except InvalidOperation:
        raise DataError(f"{path}: not a decimal number: {data!r}") from None
    if not value.is_finite() or (positive and value <= 0):
        raise DataError(f"{path}: expected a positive finite decimal, got {data!r}")
    return value


def opt_decimal(data: object, path: str) -> Decimal | None:
    return None if data is None else decimal(data, path)


def label(data: object, path: str) -> Label:
    o = obj(data, path, ("fr", "en"))
    return Label(fr=string(o["fr"], f"{path}.fr"), en=string(o["en"], f"{path}.en"))


def strings(data: object, path: str) -> tuple[str, ...]:
    return tuple(string(item, f"{path}[{i}]") for i, item in enumerate(lst(data, path)))
