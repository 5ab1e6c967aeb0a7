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


# Version new pathways start on when it is not the latest. clb_home_immunotherapy v2 (issue 6: the
# ``education.ready`` guard on to_s2) is staged: delete the entry to start new patients on v2.
START_VERSIONS: dict[str, int] = {CLB_KEY: 1}


def start_definition(key: str) -> PathwayDefinition:
    """The definition a new pathway starts on (``START_VERSIONS`` pin, else the latest)."""
    return definition(key, START_VERSIONS.get(key))


def latest_definitions() -> list[PathwayDefinition]:
    keys = sorted({k for (k, _v) in _all()})
    return [start_definition(k) for k in keys]
