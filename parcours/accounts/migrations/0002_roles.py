"""Load the roles and permissions declared in data/roles.json."""

from django.db import migrations


def forwards(apps, schema_editor):
    import json
    from importlib import resources

    Permission = apps.get_model("accounts", "Permission")
    Role = apps.get_model("accounts", "Role")
    data = json.loads(resources.files("parcours.accounts").joinpath("data/roles.json").read_text("utf-8"))
    perms = {}
    for code, labels in data["permissions"].items():
        perms[code], _ = Permission.objects.update_or_create(
            code=code, defaults={"label_fr": labels["fr"], "label_en": labels["en"]}
        )
    for code, spec in data["roles"].items():
        role, _ = Role.objects.update_or_create(code=code, defaults={"label_fr": spec["fr"], "label_en": spec["en"]})
        role.permissions.set([perms[c] for c in spec["permissions"]])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
