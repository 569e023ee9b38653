"""No two active reservations of one single facility overlap: a PostgreSQL exclusion
constraint over (tenant_id, facility_id, tstzrange(starts_at, ends_at, '[)')).

A no-op on SQLite, where every write transaction is IMMEDIATE (yui.config) and so the
check-then-insert in actions.py cannot interleave with another writer. Written as guarded
SQL rather than Meta.constraints so the model state stays portable between backends.
"""

from django.db import migrations

CONSTRAINT = "facilities_reservation_no_overlap"

CREATE = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE facilities_reservation ADD CONSTRAINT {CONSTRAINT}
  EXCLUDE USING gist (
    tenant_id WITH =,
    facility_id WITH =,
    tstzrange(starts_at, ends_at, '[)') WITH &&
  ) WHERE (exclusive AND status IN ('PENDING', 'CONFIRMED'));
"""

DROP = f"ALTER TABLE facilities_reservation DROP CONSTRAINT IF EXISTS {CONSTRAINT};"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
