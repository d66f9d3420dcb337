"""Load bureaus, prefectures, municipalities, statuses and nationalities (REFERENCE.md §1, §5)."""

from django.db import migrations

from zairyu.reference.loader import load

FILES = [
    ("Bureau", "bureaus.json"),
    ("Prefecture", "prefectures.json"),
    ("Municipality", "municipalities.json"),
    ("Status", "statuses.json"),
    ("Nationality", "nationalities.json"),
]


def forwards(apps, schema_editor):
    for model_name, file_name in FILES:
        load(apps, model_name, file_name)


def backwards(apps, schema_editor):
    for model_name, _file_name in reversed(FILES):
        apps.get_model("reference", model_name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reference", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
