"""Which pathway definitions exist (loaded once from the shipped JSON data)."""

from __future__ import annotations

from functools import cache

from parcours.pathways.engine import PathwayDefinition, load_builtin_definitions

CLB_KEY = "clb_home_immunotherapy"
ADMISSION_KEY = "had_admission"


@cache
def _all() -> dict[tuple[str, int], PathwayDefinition]:
    return load_builtin_definitions()


def definition(key: str, version: int | None = None) -> PathwayDefinition:
    defs = _all()
    if version is None:
        versions = [v for (k, v) in defs if k == key]
        if not versions:
            raise KeyError(key)
        version = max(versions)
    return defs[(key, version)]


def latest_definitions() -> list[PathwayDefinition]:
    keys = sorted({k for (k, _v) in _all()})
    return [definition(k) for k in keys]
