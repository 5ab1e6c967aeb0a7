"""Small shared types of the pure monitoring core: bilingual labels, input errors, exact numbers, data files.

Stdlib only; no Django, no other ``parcours`` module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

__all__ = [
    "DATA_PACKAGE",
    "DataFileError",
    "Label",
    "TriageInputError",
    "as_decimal",
    "describe",
    "join",
    "read_data",
]

DATA_PACKAGE = "parcours.monitoring.data"


class TriageInputError(ValueError):
    """An assessment is invalid. ``field`` is the path of the bad field (``labs[0].uln``, ``[2].pro.X``);
    the message starts with it."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field or "input"
        self.problem = problem
        super().__init__(f"{self.field}: {problem}")


class DataFileError(ValueError):
    """A packaged data file (tables, policy) is invalid; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class Label:
    """User-facing text, French first."""

    fr: str
    en: str


def join(path: str, key: str) -> str:
    """``labs[0]`` + ``uln`` → ``labs[0].uln``; the root path is empty."""
    return f"{path}.{key}" if path else key


def as_decimal(value: object, path: str) -> Decimal:
    """An exact, finite :class:`Decimal` from a JSON number (``int``, ``float`` or ``Decimal``; never ``bool``).

    A float goes through its shortest ``repr`` so that ``2.1`` is exactly 2.1: thresholds such as 3 × ULN
    are then compared exactly (``0.7 * 3`` is not ``2.1`` in binary floating point).
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TriageInputError(path, f"expected a number, got {describe(value)}")
    if isinstance(value, int):
        return Decimal(value)
    try:
        result = Decimal(repr(value)) if isinstance(value, float) else value
    except InvalidOperation:  # pragma: no cover - repr of a float is always a valid literal
        raise TriageInputError(path, f"expected a number, got {value!r}") from None
    if not result.is_finite():
        raise TriageInputError(path, f"expected a finite number, got {value}")
    return result


def describe(value: object) -> str:
    """How a JSON value reads in an error message (``null``, ``a string ('x')``, ``an array``…)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def read_data(name: str) -> Any:
    """Parse the packaged JSON data file ``parcours/monitoring/data/<name>``."""
    text = resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:  # pragma: no cover - the packaged files are tested
        raise DataFileError(f"{name}: not valid JSON: {exc}") from None
