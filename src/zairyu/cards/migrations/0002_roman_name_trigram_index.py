"""PostgreSQL only: a trigram GIN index for the officers' partial-name search (card_search).

``roman_name LIKE '%TAROU%'`` cannot use a b-tree; with pg_trgm's gin_trgm_ops it can. SQLite
has no such index and scans (it is the single-machine default, not the national database).
Creating the extension needs a role allowed to (superuser or the database owner on PG 13+ for
trusted extensions; pg_trgm is trusted).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS cards_roman_name_trgm "
        "ON cards_residencecard USING gin (roman_name gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS cards_roman_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("cards", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
