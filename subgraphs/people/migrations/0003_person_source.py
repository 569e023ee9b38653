"""Where each account came from, so an import deactivates only the accounts of the HR file.

Existing accounts: tenant administrators (the ones `yui admin add` makes, and the demo's
admin) become ``admin``; everyone else is taken to come from the HR file (``csv``), which
keeps `--deactivate-missing` working as before for them. An account made by hand before
this migration cannot be told apart from an imported one; a preview
(`yui import staff FILE --dry-run --deactivate-missing`) lists what would be deactivated.
"""

from typing import Any

from django.db import migrations, models


def mark_existing(apps: Any, schema_editor: Any) -> None:
    Person = apps.get_model("people", "Person")
    RoleAssignment = apps.get_model("people", "RoleAssignment")
    admins = RoleAssignment.objects.filter(role="tenant_admin").values("person_id")
    Person.objects.filter(id__in=admins).update(source="admin")
    Person.objects.exclude(id__in=admins).update(source="csv")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_alter_roleassignment_role"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="source",
            field=models.CharField(
                choices=[("csv", "人事CSV"), ("admin", "yui admin add"), ("manual", "画面・API")],
                default="manual",
                max_length=10,
            ),
        ),
        migrations.RunPython(mark_existing, migrations.RunPython.noop),
    ]
