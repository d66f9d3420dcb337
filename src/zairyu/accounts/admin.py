from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from zairyu.audit.admin_mixins import AuditedModelAdmin

from . import admin_service_a
from .models import User


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    """Administrators' view of accounts; officers use the back office (BO-3)."""

    list_display = ["username", "category", "state", "email", "valid_until", "last_login"]
    list_filter = ["category", "state", "is_staff"]
    search_fields = ["username", "email", "display_name"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Zairyu"),
            {
                "fields": (
                    "category",
                    "state",
                    "language",
                    "display_name",
                    "valid_until",
                    "password_changed_at",
                    "last_used_at",
                    "failed_logins",
                    "locked_until",
                    "bureau",
                    "uses_service_n",
                    "uses_service_o",
                )
            },
        ),
    )


admin_service_a.register(admin.site)
