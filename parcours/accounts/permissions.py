"""Permission checks against the role tables (data). Cached on the user object for one request."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from parcours.accounts.models import Permission, User

_CACHE_ATTR = "_parcours_perms"


def permissions_of(user: User | AnonymousUser) -> frozenset[str]:
    if not user.is_authenticated or not isinstance(user, User) or user.role_id is None:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(Permission.objects.filter(roles__id=user.role_id).values_list("code", flat=True))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def has_perm(user: User | AnonymousUser, code: str) -> bool:
    return code in permissions_of(user)


def role_code(user: User | AnonymousUser) -> str:
    if isinstance(user, User) and user.role_id is not None and user.role is not None:
        return user.role.code
    return ""
