from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from parcours.accounts.enums import OrganisationKind
from parcours.core.models import BaseModel


class Permission(models.Model):
    """A permission code (``patient.view``…), declared in ``data/roles.json``."""

    code = models.CharField(max_length=64, unique=True)
    label_fr = models.CharField(max_length=200)
    label_en = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.code


class Role(models.Model):
    """A role of domain.md §1, with the permissions it grants (data, not code)."""

    code = models.CharField(max_length=32, unique=True)
    label_fr = models.CharField(max_length=120)
    label_en = models.CharField(max_length=120)
    permissions = models.ManyToManyField(Permission, related_name="roles", blank=True)

    def __str__(self) -> str:
        return self.label_en if (get_language() or "fr").startswith("en") else self.label_fr


class Organisation(BaseModel):
    kind = models.CharField(max_length=16, choices=OrganisationKind.choices)
    name = models.CharField(_("nom"), max_length=200)
    finess = models.CharField(_("n° FINESS"), max_length=9, blank=True)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    # HAD structures: the geographic area they cover, as postcode prefixes ("69", "690", "69003").
    service_area = models.JSONField(_("zone d'intervention"), default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in: a professional (with one role) or, later, a patient or caregiver."""

    role = models.ForeignKey(Role, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    rpps = models.CharField(_("n° RPPS"), max_length=11, blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        full = self.get_full_name()
        return full or self.username


class Convention(BaseModel):
    """Agreement between a hospital and an HAD structure, with its responsibility matrix (domain.md §2.3)."""

    hospital = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="conventions_as_hospital"
    )
    had = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="conventions_as_had")
    name = models.CharField(_("intitulé"), max_length=200)
    signed_on = models.DateField(_("signée le"), null=True, blank=True)
    # {step_code: "hospital" | "had" | "both"}; steps and defaults in parcours/accounts/responsibilities.py
    responsibilities = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hospital", "had"], name="convention_unique_pair"),
        ]

    def __str__(self) -> str:
        return self.name


class ApiToken(BaseModel):
    """A bearer token for the JSON API. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
