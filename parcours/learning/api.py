"""JSON API of the learning app (mounted under /api/v1/ by parcours.web.api)."""

from ninja import Router

router = Router(tags=["learning"])
