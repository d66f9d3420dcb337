"""Audit changes that administrators make in the Django admin."""

from django.core.serializers.json import DjangoJSONEncoder

from .services import audit_record


def snapshot(obj) -> dict:
    """The object's concrete field values, JSON-safe (foreign keys as ids; no many-to-many)."""
    import json

    values = {field.attname: field.value_from_object(obj) for field in obj._meta.concrete_fields}
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


class AuditedModelAdmin:
    """Mix into a ModelAdmin: every save and delete writes an audit event with before/after."""

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            previous = type(obj).objects.filter(pk=obj.pk).first()
            before = snapshot(previous) if previous else None
        super().save_model(request, obj, form, change)
        action = f"{obj._meta.label_lower}.{'changed' if change else 'created'}"
        audit_record(action=action, obj=obj, before=before, after=snapshot(obj), request=request)

    def delete_model(self, request, obj):
        before = snapshot(obj)
        audit_record(
            action=f"{obj._meta.label_lower}.deleted", obj=obj, before=before, request=request
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(
                action=f"{obj._meta.label_lower}.deleted",
                obj=obj,
                before=snapshot(obj),
                request=request,
            )
        super().delete_queryset(request, queryset)
