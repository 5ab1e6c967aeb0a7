"""Re-sync roles after data/roles.json gained the planning permissions (issue 7)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from parcours.accounts.roles_loader import sync_roles

    sync_roles(apps.get_model("accounts", "Permission"), apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
