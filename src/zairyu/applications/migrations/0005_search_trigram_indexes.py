"""PostgreSQL only: trigram GIN indexes for the back office's application search (issue 17).

The search matches part of the receipt or provisional number and parts of the applicant's name,
ignoring case (``UPPER(col::text) LIKE UPPER('%…%')``): a trigram index on each upper-cased
column answers it (the two numbers as one bitmap OR) instead of a scan of every application.
SQLite scans (it is the single-machine default, not the national database).
"""

from django.db import migrations

TRIGRAM_INDEXES = {
    "applications_receipt_number_trgm": "receipt_number",
    "applications_provisional_number_trgm": "provisional_number",
    "applications_applicant_name_trgm": "applicant_name",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON applications_application "
            f"USING gin (upper(({column})::text) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("applications", "0004_woken_at")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
