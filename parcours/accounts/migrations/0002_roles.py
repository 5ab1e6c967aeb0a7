"""Load the roles and permissions declared in data/roles.json."""

from django.db import migrations


def forwards(apps, schema_editor):
    from parcours.accounts.roles_loader import sync_roles

    sync_roles(apps.get_model("accounts", "Permission"), apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
