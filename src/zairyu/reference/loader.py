"""Load the committed reference data files (reference/data/*.json) into the database.

Called by the data migrations with the historical app registry, so a fresh ``migrate`` gives
the complete reference set. Rows that already exist are left alone (an administrator's
correction survives a later migration); only missing rows are created. Keys that are not
fields of the historical model are ignored, so an old migration keeps working after a field is
added to a file for a later one.
"""

import datetime as dt
import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read(name: str) -> list[dict]:
    """Return the rows of one data file."""
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def load(apps, model_name: str, file_name: str) -> int:
    """Create the rows of ``file_name`` missing from ``reference.<model_name>``; return how many."""
    model = apps.get_model("reference", model_name)
    fields = {f.name: f for f in model._meta.concrete_fields}
    pk_name = model._meta.pk.name
    rows = read(file_name)
    existing = set(model.objects.values_list(pk_name, flat=True))
    new = []
    for row in rows:
        values = {}
        for key, value in row.items():
            field = fields.get(key)
            if field is None:
                continue
            if field.is_relation:
                values[field.attname] = value
            elif value is not None and field.get_internal_type() == "DateField":
                values[key] = dt.date.fromisoformat(value)
            else:
                values[key] = value
        if pk_name in values and values[pk_name] in existing:
            continue
        new.append(model(**values))
    # Self-references (Bureau.parent) need their targets first: parents sort before children.
    new.sort(key=lambda obj: getattr(obj, "parent_id", None) is not None)
    model.objects.bulk_create(new, batch_size=500)
    return len(new)


def load_events(apps, file_name: str = "notification_events.json") -> int:
    """Create the notification events missing from the table, with their items in order."""
    event_model = apps.get_model("reference", "NotificationEvent")
    line_model = apps.get_model("reference", "EventItem")
    existing = set(event_model.objects.values_list("code", flat=True))
    created = 0
    for row in read(file_name):
        if row["code"] in existing:
            continue
        row = dict(row)
        items = row.pop("items")
        statuses = row.pop("statuses")
        event = event_model.objects.create(**row)
        event.statuses.set(statuses)
        for position, line in enumerate(items, 1):
            item = line_model.objects.create(
                event=event,
                item_id=line["item"],
                required=line["required"],
                sort_order=position * 10,
            )
            item.not_for_statuses.set(line["not_for_statuses"])
        created += 1
    return created
