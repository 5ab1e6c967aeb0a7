from __future__ import annotations

from parcours.accounts.models import Convention


def convention_between(*, hospital_id: int | None, had_id: int | None) -> Convention | None:
    """The agreement between a hospital and an HAD structure, if any (domain.md §2.3)."""
    if hospital_id is None or had_id is None:
        return None
    return Convention.objects.filter(hospital_id=hospital_id, had_id=had_id).first()
