"""Small shared types of the pure treatments core: bilingual labels, aware-datetime checks, parse helpers."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from parcours.datakit import (
    DataError,
    Label,
    integer,
    join,
    label,
    lst,
    obj,
    opt_integer,
    opt_string,
    string,
    strings,
)

__all__ = [
    "PARIS",
    "DataError",
    "Label",
    "decimal",
    "integer",
    "join",
    "label",
    "lst",
    "obj",
    "opt_decimal",
    "opt_integer",
    "opt_string",
    "require_aware",
    "string",
    "strings",
]

PARIS: tzinfo = ZoneInfo("Europe/Paris")


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
