"""Django admin for the registry: read-mostly. Officers work in the back office (BO-2), where
every change goes through the services; the admin is for administrators' corrections, audited."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from zairyu.audit.admin_mixins import AuditedModelAdmin

from . import normalise
from .models import Organization, Person, ResidenceCard


@admin.register(ResidenceCard)
class ResidenceCardAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("number", "roman_name", "nationality", "birth_date", "status", "state")
    list_filter = ("state", "status")
    search_fields = ("roman_name",)  # and the whole card number, through its blind index
    raw_id_fields = ("person",)
    list_select_related = ("nationality", "status")
    readonly_fields = ("state", "invalidated_at", "invalidation_reason", "created_at", "updated_at")
    show_full_result_count = False  # no COUNT(*) over millions of cards

    def has_delete_permission(self, request, obj=None):
        return False  # cards are invalidated, never deleted

    def get_search_results(self, request, queryset, search_term):
        """A whole card number (SEC-3: encrypted, found by its blind index), else the name."""
        try:
            number = normalise.card_number(search_term)
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.with_number(number), False


@admin.register(Person)
class PersonAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("reference", "created_at")
    search_fields = ("=reference",)
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("name", "kind", "corporate_number", "bureau")
    list_filter = ("kind", "bureau")
    search_fields = ("name", "=corporate_number")
