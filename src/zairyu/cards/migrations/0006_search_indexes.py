"""The officers' searches at national volume (issue 17).

A b-tree on the support organizations' registration number (service O search) and, on
PostgreSQL only, trigram GIN indexes for the searches by part of a text: organization names (as
Django's ``icontains`` compares them, upper-cased; service O and account searches) and the
cards' kanji names (``card_search``). SQLite scans (it is the single-machine default, not the
national database). pg_trgm comes from 0002.
"""

from django.db import migrations, models

TRIGRAM_INDEXES = {
    "cards_org_name_trgm": ("cards_organization", "upper((name)::text)"),
    "cards_org_name_en_trgm": ("cards_organization", "upper((name_en)::text)"),
    "cards_kanji_name_trgm": ("cards_residencecard", "kanji_name"),
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, expression) in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0005_states_from_lifecycle"),
        ("reference", "0004_load_procedures_fees_events_permissions"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="organization",
            index=models.Index(fields=["rso_registration_number"], name="cards_org_rso_number_idx"),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
