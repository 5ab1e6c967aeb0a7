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


# Version new pathways start on when it is not the latest (none today: new clb_home_immunotherapy pathways
# start on v2, whose to_s2 also needs ``education.ready``; patients started on v1 keep v1). Tests pin a
# version with ``monkeypatch.setitem(START_VERSIONS, key, version)``.
START_VERSIONS: dict[str, int] = {}


def start_definition(key: str) -> PathwayDefinition:
    """The definition a new pathway starts on (``START_VERSIONS`` pin, else the latest)."""
    return definition(key, START_VERSIONS.get(key))


def latest_definitions() -> list[PathwayDefinition]:
    keys = sorted({k for (k, _v) in _all()})
    return [start_definition(k) for k in keys]
