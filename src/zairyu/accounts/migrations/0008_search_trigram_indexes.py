"""PostgreSQL only: trigram GIN indexes for the back office's account search (issue 17).

``account_search`` matches part of a name or e-mail address ignoring case, which Django states
as ``UPPER(col::text) LIKE UPPER('%…%')``: a b-tree cannot answer it, a trigram index on the
same upper-cased expression can, so the search reads the matching accounts instead of every
account. SQLite scans (it is the single-machine default, not the national database).
"""

from django.db import migrations

TRIGRAM_INDEXES = {
    "accounts_user_display_name_trgm": "display_name",
    "accounts_user_first_name_trgm": "first_name",
    "accounts_user_last_name_trgm": "last_name",
    "accounts_user_email_trgm": "email",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON accounts_user "
            f"USING gin (upper(({column})::text) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_encrypt_holder_birth_dates")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
