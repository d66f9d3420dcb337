"""Reference data in the Django admin: every change is audited (AuditedModelAdmin)."""

from django.contrib import admin
from django.forms.models import model_to_dict

from zairyu.audit.admin_mixins import AuditedModelAdmin
from zairyu.audit.services import audit_record

from . import models


class CodeReadOnlyOnChange:
    """A row's code is its primary key, referenced by other tables: fixed once created.

    (Changing a primary key in the admin would silently create a second row.)
    """

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj._meta.pk.name == "code":
            fields.append("code")
        return fields


class ReferenceAdmin(CodeReadOnlyOnChange, AuditedModelAdmin, admin.ModelAdmin):
    """Audited admin for reference tables without many-to-many fields."""


def _plain_dict(obj) -> dict:
    return model_to_dict(obj, exclude=[f.name for f in obj._meta.many_to_many])


def _m2m_codes(obj) -> dict[str, list[str]]:
    """Return the admin-editable relations as sorted codes (EventItem rows audit themselves)."""
    if obj.pk is None:
        return {}
    return {
        f.name: sorted(str(pk) for pk in getattr(obj, f.name).values_list("pk", flat=True))
        for f in obj._meta.many_to_many
        if f.remote_field.through._meta.auto_created
    }


class ReferenceM2MAdmin(CodeReadOnlyOnChange, AuditedModelAdmin, admin.ModelAdmin):
    """Audited admin for tables with many-to-many fields.

    AuditedModelAdmin's ``model_to_dict`` would put model instances (not JSON) into the event
    and, as relations are saved after ``save_model``, miss their new values. Here the row is
    audited without them in ``save_model`` and the relations, as codes, in ``save_related``.
    """

    def save_model(self, request, obj, form, change):
        previous = type(obj).objects.filter(pk=obj.pk).first() if change else None
        request._reference_m2m_before = _m2m_codes(previous) if previous else {}
        admin.ModelAdmin.save_model(self, request, obj, form, change)
        audit_record(
            action=f"{obj._meta.label_lower}.{'changed' if change else 'created'}",
            obj=obj,
            before=_plain_dict(previous) if previous else None,
            after=_plain_dict(obj),
            request=request,
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_reference_m2m_before", {})
        after = _m2m_codes(form.instance)
        if after != before:
            audit_record(
                action=f"{form.instance._meta.label_lower}.relations_changed",
                obj=form.instance,
                before=before,
                after=after,
                request=request,
            )

    def _audit_delete(self, request, obj) -> None:
        audit_record(
            action=f"{obj._meta.label_lower}.deleted",
            obj=obj,
            before={**_plain_dict(obj), **_m2m_codes(obj)},
            request=request,
        )

    def delete_model(self, request, obj):
        self._audit_delete(request, obj)
        admin.ModelAdmin.delete_model(self, request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit_delete(request, obj)
        admin.ModelAdmin.delete_queryset(self, request, queryset)


@admin.register(models.Bureau)
class BureauAdmin(ReferenceAdmin):
    list_display = ["code", "name_ja", "name_en", "receipt_prefix", "parent", "sort_order"]
    ordering = ["sort_order"]


@admin.register(models.Prefecture)
class PrefectureAdmin(ReferenceAdmin):
    list_display = ["code", "name_ja", "name_en", "bureau"]
    list_filter = ["bureau"]


@admin.register(models.Municipality)
class MunicipalityAdmin(ReferenceAdmin):
    list_display = ["code", "name_ja", "reading", "prefecture", "designated_city"]
    list_filter = ["prefecture"]
    search_fields = ["code", "name_ja", "reading"]


@admin.register(models.Status)
class StatusAdmin(ReferenceAdmin):
    list_display = [
        "code",
        "name_ja",
        "name_en",
        "table",
        "notification_group",
        "notification_group_alt",
        "org_files_19_17",
        "online_eligible",
        "card_issued",
        "mid_to_long_term",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["table", "notification_group", "online_eligible"]
    search_fields = ["code", "name_ja", "name_en"]


@admin.register(models.Nationality)
class NationalityAdmin(ReferenceAdmin):
    list_display = ["code", "name_ja", "name_en", "region", "reading_ja", "active"]
    list_filter = ["region", "active"]
    search_fields = ["code", "name_ja", "name_en", "reading_ja"]


@admin.register(models.Procedure)
class ProcedureAdmin(ReferenceAdmin):
    list_display = ["code", "name_ja", "name_en", "receipt_kanji", "online", "sort_order"]


@admin.register(models.Fee)
class FeeAdmin(ReferenceAdmin):
    list_display = ["procedure", "valid_from", "counter_amount", "online_amount", "note"]
    list_filter = ["procedure"]


@admin.register(models.NotificationItem)
class NotificationItemAdmin(ReferenceAdmin):
    list_display = ["code", "name_ja", "name_en", "common", "sort_order"]


@admin.register(models.NotificationEvent)
class NotificationEventAdmin(ReferenceM2MAdmin):
    list_display = ["code", "article", "group", "organization_kind", "name_ja", "deadline_days"]
    list_filter = ["article", "group", "organization_kind"]
    filter_horizontal = ["statuses"]


@admin.register(models.EventItem)
class EventItemAdmin(ReferenceM2MAdmin):
    list_display = ["event", "item", "required", "sort_order"]
    list_filter = ["event"]
    filter_horizontal = ["not_for_statuses"]


@admin.register(models.ServiceOKind)
class ServiceOKindAdmin(ReferenceAdmin):
    list_display = ["code", "filer", "name_ja", "form_number", "periodic", "deadline"]
    list_filter = ["filer", "periodic", "unconfirmed"]


@admin.register(models.SswField)
class SswFieldAdmin(ReferenceAdmin):
    list_display = ["code", "name_ja", "name_en", "sort_order"]


@admin.register(models.DifficultyReason)
class DifficultyReasonAdmin(ReferenceAdmin):
    list_display = ["code", "side", "name_ja", "name_en", "sort_order"]


@admin.register(models.UserCategory)
class UserCategoryAdmin(ReferenceAdmin):
    list_display = ["code", "name_ja", "name_en", "sort_order"]


@admin.register(models.FilingPermission)
class FilingPermissionAdmin(ReferenceAdmin):
    list_display = ["category", "procedure", "allowed", "scope", "several"]
    list_filter = ["category", "procedure", "allowed"]


@admin.register(models.AdministrativeClosure)
class AdministrativeClosureAdmin(ReferenceAdmin):
    list_display = ["date", "reason_ja", "reason_en"]
    date_hierarchy = "date"
