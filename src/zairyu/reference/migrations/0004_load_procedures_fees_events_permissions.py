"""Load procedures, fees, notification events, service O kinds and the filing matrix."""

from django.db import migrations

from zairyu.reference.loader import load, load_events

FILES = [
    ("Procedure", "procedures.json"),
    ("Fee", "fees.json"),
    ("NotificationItem", "notification_items.json"),
    ("ServiceOKind", "service_o_kinds.json"),
    ("SswField", "ssw_fields.json"),
    ("DifficultyReason", "difficulty_reasons.json"),
    ("UserCategory", "user_categories.json"),
    ("FilingPermission", "filing_permissions.json"),
]
EMPTIED = ["FilingPermission", "EventItem", "NotificationEvent", *reversed([m for m, _ in FILES])]


def forwards(apps, schema_editor):
    for model_name, file_name in FILES:
        if model_name in ("Fee", "FilingPermission") and apps.get_model(
            "reference", model_name
        ).objects.exists():
            continue  # no natural key: load only into an empty table
        load(apps, model_name, file_name)
    load_events(apps)


def backwards(apps, schema_editor):
    for model_name in EMPTIED:
        apps.get_model("reference", model_name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reference", "0003_procedures_fees_events_permissions")]

    operations = [migrations.RunPython(forwards, backwards)]
