"""The outbox (SPEC ML-2): a mail is a row written in the transaction that causes it."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from zairyu.core.lifecycle import Lifecycle


class Mail(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # The one table of allowed moves (``MAIL`` below); services.py applies them with
    # compare-and-set updates (``MAIL.move``), so two workers never both send a mail.
    TRANSITIONS = {
        State.QUEUED: {State.SENDING},
        # SENDING → SENDING: another worker takes over a lease whose worker died.
        State.SENDING: {State.SENT, State.QUEUED, State.FAILED, State.SENDING},
        State.SENT: set(),
        State.FAILED: {State.QUEUED},  # an operator may re-queue after fixing the cause
    }
    FINAL = {State.SENT, State.FAILED}  # where the worker stops trying

    created_at = models.DateTimeField(_("queued at"))
    to_address = models.EmailField(_("to"))
    language = models.CharField(_("language"), max_length=10)
    template = models.CharField(_("template"), max_length=100)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    message_id = models.CharField(max_length=255, unique=True)
    related_type = models.CharField(max_length=100, blank=True)
    related_id = models.CharField(max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    leased_until = models.DateTimeField(null=True, blank=True)
    # When a worker was last woken for it (queued with a wake-up, or by the sweeper); empty
    # while it waits for a retry or its send_at, which nothing has published yet.
    woken_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("mail")
        verbose_name_plural = _("mails")
        ordering = ["-id"]
        indexes = [
            # The sweeper's query: due queued mails and abandoned claims.
            models.Index(fields=["state", "next_attempt_at"], name="mail_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.to_address}: {self.subject}"


class MailAttempt(models.Model):
    """One try at handing a mail to the SMTP server (the mail log, BO-9)."""

    mail = models.ForeignKey(Mail, on_delete=models.PROTECT, related_name="attempt_log")
    at = models.DateTimeField(_("time"))
    succeeded = models.BooleanField(_("succeeded"))
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("mail attempt")
        verbose_name_plural = _("mail attempts")

    def __str__(self) -> str:
        outcome = "ok" if self.succeeded else "failed"
        return f"{self.mail_id} {self.at:%Y-%m-%d %H:%M:%S} {outcome}"


# The outbox's lifecycle (core.lifecycle): the table above, final for the worker at SENT/FAILED.
MAIL = Lifecycle("mail", Mail.TRANSITIONS, final=Mail.FINAL)
