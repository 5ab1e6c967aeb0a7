from __future__ import annotations

from django.http import HttpRequest

from parcours.accounts.permissions import permissions_of, role_code


def navigation(request: HttpRequest) -> dict[str, object]:
    user = request.user
    perms = permissions_of(user)
    return {"perms_codes": perms, "role_code": role_code(user)}
