from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from parcours.accounts.models import Convention, Organisation, Role, User


@admin.register(User)
class ParcoursUserAdmin(UserAdmin):
    list_display = ("username", "last_name", "first_name", "role", "organisation", "is_active")
    list_filter = ("role", "organisation", "is_active")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Parcours", {"fields": ("role", "organisation", "rpps", "phone")}),
    )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "finess", "city")
    list_filter = ("kind",)
    search_fields = ("name", "finess", "city")


@admin.register(Convention)
class ConventionAdmin(admin.ModelAdmin):
    list_display = ("name", "hospital", "had", "signed_on")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "label_fr")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # roles are data: edit data/roles.json
