"""Load ``data/roles.json`` into the Role/Permission tables. Used by data migrations (historical models)
and by ``services.roles_sync`` (current models)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def load_roles_data() -> dict[str, Any]:
    text = resources.files("parcours.accounts").joinpath("data/roles.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def sync_roles(permission_model: Any, role_model: Any) -> None:
    """Make the tables match the data file (idempotent); an unknown permission in a role is an error."""
    data = load_roles_data()
    perms: dict[str, Any] = {}
    for code, labels in data["permissions"].items():
        perms[code], _created = permission_model.objects.update_or_create(
            code=code, defaults={"label_fr": labels["fr"], "label_en": labels["en"]}
        )
    permission_model.objects.exclude(code__in=perms).delete()
    for code, spec in data["roles"].items():
        unknown = set(spec["permissions"]) - perms.keys()
        if unknown:
            raise ValueError(f"roles.json: role {code} names unknown permissions {sorted(unknown)}")
        role, _created = role_model.objects.update_or_create(
            code=code, defaults={"label_fr": spec["fr"], "label_en": spec["en"]}
        )
        role.permissions.set([perms[c] for c in spec["permissions"]])
