from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from parcours.accounts.enums import OrganisationKind
from parcours.accounts.models import Convention, Organisation, Role, User
from parcours.accounts.responsibilities import STEPS, default_matrix, validate_matrix


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


class ConventionForm(forms.ModelForm):
    """The responsibility matrix is checked by the same rules as the service (domain.md §2.3)."""

    class Meta:
        model = Convention
        fields = ("name", "hospital", "had", "signed_on", "responsibilities")
        help_texts = {
            "responsibilities": "{"
            + ", ".join(f'"{s.code}": "{s.default}"' for s in STEPS)
            + "} — hospital, had ou both",
        }

    def clean_responsibilities(self) -> dict[str, str]:
        matrix = self.cleaned_data["responsibilities"] or default_matrix()
        errors = validate_matrix(matrix) if isinstance(matrix, dict) else {"": ["objet JSON attendu"]}
        if errors:
            raise forms.ValidationError("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        return matrix

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        hospital, had = data.get("hospital"), data.get("had")
        if hospital is not None and hospital.kind != OrganisationKind.HOSPITAL:
            self.add_error("hospital", "Choisissez un établissement de santé.")
        if had is not None and had.kind != OrganisationKind.HAD:
            self.add_error("had", "Choisissez une structure d'HAD.")
        return data


@admin.register(Convention)
class ConventionAdmin(admin.ModelAdmin):
    form = ConventionForm
    list_display = ("name", "hospital", "had", "signed_on")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "label_fr")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # roles are data: edit data/roles.json
