"""Where each department came from, so an import deactivates only departments of the HR
file. Existing departments are taken to come from it (``csv``), as an import would have
treated them before; one made by hand cannot be told apart."""

from typing import Any

from django.db import migrations, models


def mark_existing(apps: Any, schema_editor: Any) -> None:
    apps.get_model("people", "Organization").objects.update(source="csv")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_person_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="source",
            field=models.CharField(
                choices=[("csv", "人事CSV"), ("admin", "yui admin add"), ("manual", "画面・API")],
                default="manual",
                max_length=10,
            ),
        ),
        migrations.RunPython(mark_existing, migrations.RunPython.noop),
    ]
