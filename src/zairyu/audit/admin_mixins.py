"""Audit changes that administrators make in the Django admin."""

from django.forms.models import model_to_dict

from .services import audit_record


class AuditedModelAdmin:
    """Mix into a ModelAdmin: every save and delete writes an audit event with before/after."""

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            previous = type(obj).objects.filter(pk=obj.pk).first()
            before = model_to_dict(previous) if previous else None
        super().save_model(request, obj, form, change)
        action = f"{obj._meta.label_lower}.{'changed' if change else 'created'}"
        audit_record(
            action=action, obj=obj, before=before, after=model_to_dict(obj), request=request
        )

    def delete_model(self, request, obj):
        before = model_to_dict(obj)
        audit_record(
            action=f"{obj._meta.label_lower}.deleted", obj=obj, before=before, request=request
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(
                action=f"{obj._meta.label_lower}.deleted",
                obj=obj,
                before=model_to_dict(obj),
                request=request,
            )
        super().delete_queryset(request, queryset)
