"""Clinical data is read-only in the admin: changes go through services (the UI and the API)."""

from django.contrib import admin

from parcours.patients.models import CareTeamMembership


@admin.register(CareTeamMembership)
class CareTeamMembershipAdmin(admin.ModelAdmin):
    list_display = ("patient", "user", "team_role", "since", "until")
    list_select_related = ("patient", "user")
    raw_id_fields = ("patient", "user", "added_by")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
