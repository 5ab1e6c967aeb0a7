"""Clinical data is read-only in the admin; care-team changes go through the services (audit, timeline)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from parcours.core.errors import DomainError
from parcours.patients import services
from parcours.patients.models import CareTeamMembership


class MembershipForm(forms.ModelForm):
    class Meta:
        model = CareTeamMembership
        fields = ("patient", "user", "team_role")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("patient") and data.get("user"):
            try:
                services.careteam_member_check(patient=data["patient"], user=data["user"])
            except DomainError as exc:
                raise ValidationError(exc.message) from exc
        return data


@admin.register(CareTeamMembership)
class CareTeamMembershipAdmin(admin.ModelAdmin):
    """The administrator adds a professional to a patient's care team, or ends a membership."""

    list_display = ("patient", "user", "team_role", "since", "until")
    list_filter = ("until",)
    search_fields = ("patient__birth_name", "patient__ins", "user__last_name", "user__username")
    list_select_related = ("patient", "user")
    raw_id_fields = ("patient", "user")
    form = MembershipForm
    actions = ["end_memberships"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: CareTeamMembership, form: Any, change: bool) -> None:
        created = services.careteam_member_add(
            actor=request.user,  # type: ignore[arg-type]
            patient=obj.patient,
            user=obj.user,
            team_role=obj.team_role,
        )
        obj.pk = created.pk

    @admin.action(description=_("Mettre fin à l'appartenance à l'équipe"))
    def end_memberships(self, request: HttpRequest, queryset: QuerySet[CareTeamMembership]) -> None:
        for membership in queryset.filter(until__isnull=True).select_related("patient"):
            try:
                services.careteam_member_remove(
                    actor=request.user,  # type: ignore[arg-type]
                    patient=membership.patient,
                    membership_id=str(membership.external_id),
                )
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
