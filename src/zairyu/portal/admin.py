from django.contrib import admin

from zairyu.audit.admin_mixins import AuditedModelAdmin

from .models import Notice


@admin.register(Notice)
class NoticeAdmin(AuditedModelAdmin, admin.ModelAdmin):
    list_display = ["title_ja", "kind", "published_from", "published_until"]
    list_filter = ["kind"]
    search_fields = ["title_ja", "title_en"]
