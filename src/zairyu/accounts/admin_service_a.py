"""Admin pages for service A identity records (ID-3, ID-4). Every change is audited.

Officers keep the filing agents' notification certificates (届出済証明書) here; changing a
certificate's expiry moves its holder's auth ID with it (002 Q2-17) through
``service_a.filing_agent_certificate_renew``. Identity certificates are read-only.

``accounts/admin.py`` registers them: ``admin_service_a.register(admin.site)`` (importing this
module registers nothing, so tests can use the classes on a site of their own).
"""

from django.contrib import admin

from zairyu.audit.admin_mixins import AuditedModelAdmin

from . import service_a
from .models import FilingAgentCertificate, IdentityCertificate


class FilingAgentCertificateAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ("number", "kind", "holder_name", "office_name", "valid_until", "user")
    list_filter = ("kind",)
    search_fields = ("number", "holder_name", "office_name")
    readonly_fields = ("user",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "valid_until" in form.changed_data:
            service_a.filing_agent_certificate_renew(
                certificate=obj, valid_until=obj.valid_until, actor=request.user, request=request
            )


class IdentityCertificateAdmin(admin.ModelAdmin):
    list_display = ("user", "category", "serial", "not_after", "current", "bound_at")
    list_filter = ("category", "current")
    search_fields = ("user__username", "serial", "fingerprint")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def register(site: admin.AdminSite) -> None:
    """Register the service A identity admins on ``site``."""
    site.register(FilingAgentCertificate, FilingAgentCertificateAdmin)
    site.register(IdentityCertificate, IdentityCertificateAdmin)
