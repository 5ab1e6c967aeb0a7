"""Base model: integer primary key inside, a UUID ``external_id`` as the only identifier shown outside."""

from __future__ import annotations

import uuid

from django.db import models


class BaseModel(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
