from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from parcours.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer pk_…`` — tokens are created per user and stored hashed."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user
