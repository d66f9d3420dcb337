"""The mail log (BO-9): every mail the system queued, its state, its attempts and the last
error, and re-queueing a failed mail once its cause is fixed (``mail_requeue``, audited).

**Who.** Helpdesk (to answer "my mail did not arrive", 002 Q2-6), supervisors and
administrators (``access.BACK_OFFICE_ROLES``). Only administrators see recipients' full
addresses, may search by part of one, and re-queue; the others see ``t***@example.com`` (in the
last error too, where the mail server quoted the address) and find a caller's mails by typing
the caller's whole address. Nobody reads a mail's text here: it may carry an auth ID or a
password-setting link.

Criteria travel in the POST body and the session, never in the URL; each page of results
(``mail.listed``) and each mail opened (``mail.viewed``) is audited.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.mail.models import Mail
from zairyu.mail.services import mail_requeue

from .access import is_officer, officer_required
from .maillog_forms import MailFilterForm

SEARCH_SESSION_KEY = "backoffice.maillog_search"
PAGE_SIZE = 50
ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def mask_address(address: str) -> str:
    """``taro@example.com`` → ``t***@example.com``: the domain stays (a caller's domain filter
    is the usual cause, 002 Q2-6), the mailbox name does not."""
    local, at, domain = (address or "").partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_text(text: str) -> str:
    return ADDRESS.sub(lambda match: mask_address(match.group(0)), text or "")


def sees_addresses(user) -> bool:
    return is_officer(user, "maillog_addresses")


def mail_filter(criteria: dict | None, *, partial: bool) -> QuerySet[Mail]:
    mails = Mail.objects.order_by("-id")
    if not criteria:
        return mails
    if criteria.get("state"):
        mails = mails.filter(state=criteria["state"])
    if criteria.get("recipient"):
        lookup = "to_address__icontains" if partial else "to_address__iexact"
        mails = mails.filter(**{lookup: criteria["recipient"]})
    return mails


class MailRow:
    """A mail as the reader may see it."""

    def __init__(self, mail: Mail, *, full: bool, now):
        self.mail = mail
        self.pk = mail.pk
        self.recipient = mail.to_address if full else mask_address(mail.to_address)
        self.last_error = mail.last_error if full else mask_text(mail.last_error)
        self.subject = mail.subject if full else ""
        queued = mail.state == Mail.State.QUEUED
        # A queued mail not yet due is held: a retry after a failure, or sent later by design
        # (e.g. ID-2's completion mail on the next business day).
        self.retry_at = mail.next_attempt_at if queued and mail.attempts else None
        self.held_until = (
            mail.next_attempt_at
            if queued and not mail.attempts and mail.next_attempt_at > now
            else None
        )


@officer_required("maillog_view")
@require_http_methods(["GET", "POST"])
def mail_list(request: HttpRequest) -> HttpResponse:
    full = sees_addresses(request.user)
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(SEARCH_SESSION_KEY, None)
            return redirect("backoffice:maillog")
        form = MailFilterForm(request.POST, partial=full)
        if form.is_valid():
            request.session[SEARCH_SESSION_KEY] = form.criteria()
            return redirect("backoffice:maillog")
        return render(request, "backoffice/maillog/list.html", {"form": form, "full": full})
    criteria = request.session.get(SEARCH_SESSION_KEY)
    form = MailFilterForm(initial=criteria or {}, partial=full)
    page = Paginator(mail_filter(criteria, partial=full), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = clock.now()
    rows = [MailRow(mail, full=full, now=now) for mail in page.object_list]
    audit_record(
        action="mail.listed",
        request=request,
        object_type="mail.mail",
        after={"criteria": criteria or {}, "page": page.number, "mails": [r.pk for r in rows]},
    )
    return render(
        request,
        "backoffice/maillog/list.html",
        {"form": form, "page": page, "rows": rows, "criteria": criteria, "full": full},
    )


def _mail(mail_id: int) -> Mail:
    mail = Mail.objects.filter(pk=mail_id).first()
    if mail is None:
        raise Http404
    return mail


@officer_required("maillog_view")
@require_GET
def mail_detail(request: HttpRequest, mail_id: int) -> HttpResponse:
    mail = _mail(mail_id)
    full = sees_addresses(request.user)
    audit_record(action="mail.viewed", obj=mail, request=request)
    attempts = [
        (attempt, attempt.error if full else mask_text(attempt.error))
        for attempt in mail.attempt_log.order_by("id")
    ]
    return render(
        request,
        "backoffice/maillog/detail.html",
        {
            "row": MailRow(mail, full=full, now=clock.now()),
            "mail": mail,
            "attempts": attempts,
            "full": full,
            "can_requeue": is_officer(request.user, "mail_requeue")
            and mail.state == Mail.State.FAILED,
        },
    )


@officer_required("mail_requeue")
@require_POST
def mail_requeue_view(request: HttpRequest, mail_id: int) -> HttpResponse:
    """Send a failed mail again (after its cause was fixed); audited by ``mail_requeue``."""
    mail = _mail(mail_id)
    if mail_requeue(mail=mail, actor=request.user, request=request):
        messages.success(request, _("The mail is queued again and will be sent shortly."))
    else:
        messages.error(
            request, _("Only a failed mail can be queued again; this one is not failed.")
        )
    return redirect("backoffice:maillog_detail", mail_id=mail.pk)
