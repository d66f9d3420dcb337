from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Mail, MailAttempt
from .services import mail_requeue


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
    actions = ["requeue"]

    @admin.action(description=_("Send the selected failed mails again"))
    def requeue(self, request, queryset):
        count = sum(
            mail_requeue(mail=mail, actor=request.user, request=request)
            for mail in queryset.filter(state=Mail.State.FAILED)
        )
        self.message_user(
            request,
            ngettext("%(count)d mail queued again.", "%(count)d mails queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
