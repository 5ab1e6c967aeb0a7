"""Parse helpers shared by the pure engines' data files (regimens, programmes, courses…).

Stdlib only, no Django: the pure engines may import this module and nothing else of Parcours. Every error
is a :class:`DataError` whose message starts with the path of the bad field (``modules[2].quiz: …``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class DataError(ValueError):
    """Invalid data; the message starts with the path of the bad field."""


@dataclass(frozen=True)
class Label:
    """User-facing text, French first."""

    fr: str
    en: str


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def obj(data: object, path: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping[str, Any]:
    """An object with exactly the ``required`` keys and possibly the ``optional`` ones."""
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


def opt_string(data: object, path: str) -> str | None:
    return None if data is None else string(data, path)


def strings(data: object, path: str) -> tuple[str, ...]:
    return tuple(string(item, f"{path}[{i}]") for i, item in enumerate(lst(data, path)))


def integer(data: object, path: str, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(data, bool) or not isinstance(data, int) or data < minimum:
        raise DataError(f"{path}: expected an integer >= {minimum}, got {data!r}")
    if maximum is not None and data > maximum:
        raise DataError(f"{path}: expected an integer <= {maximum}, got {data!r}")
    return data


def opt_integer(data: object, path: str, *, minimum: int) -> int | None:
    return None if data is None else integer(data, path, minimum=minimum)


def boolean(data: object, path: str) -> bool:
    if not isinstance(data, bool):
        raise DataError(f"{path}: expected true or false, got {data!r}")
    return data


def label(data: object, path: str) -> Label:
    o = obj(data, path, ("fr", "en"))
    return Label(fr=string(o["fr"], f"{path}.fr"), en=string(o["en"], f"{path}.en"))
