"""Re-sync roles after data/roles.json v3 gained the cure, telemonitoring, fast-track and education permissions."""

from django.db import migrations


def forwards(apps, schema_editor):
    from parcours.accounts.roles_loader import sync_roles

    sync_roles(apps.get_model("accounts", "Permission"), apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_planning_permissions")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
