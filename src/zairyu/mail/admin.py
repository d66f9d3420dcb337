from django.contrib import admin

from .models import Mail, MailAttempt


class MailAttemptInline(admin.TabularInline):
    model = MailAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "succeeded", "error"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Mail)
class MailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to_address", "subject", "state", "attempts", "sent_at"]
    list_filter = ["state", "template", "language"]
    search_fields = ["to_address", "subject", "message_id"]
    inlines = [MailAttemptInline]
    readonly_fields = [f.name for f in Mail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
