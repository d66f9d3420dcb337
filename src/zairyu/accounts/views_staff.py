"""Pages of organization / public-interest / RSO staff (ID-5, ID-10, ID-11). Thin: parse, call
``staff``, render. The request for use is public ([B]: prepared online for an officer to
decide); the organization pages need a signed-in staff user, and act only on that user's own
organization (anything else is the same 404)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zairyu.core.forms import add_service_errors

from . import staff
from .forms_service_a import NewPasswordForm
from .forms_staff import ChangeReportForm, DeletionForm, PeriodicReportForm, StaffRequestForm
from .models import StaffAccount, StaffChannel

LINK_SESSION_KEY = "staff_password_link"
TOKEN_IN_SESSION = "set-password"  # noqa: S105 (a URL part, not a secret)


_add_errors = add_service_errors


# --- Request for use (ID-5 [B]) --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def request_for_use(request: HttpRequest) -> HttpResponse:
    form = StaffRequestForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"language": get_language() or settings.LANGUAGE_CODE},
    )
    if request.method == "POST" and form.is_valid():
        try:
            staff.staff_request_submit(
                data=form.request_data(),
                documents=form.documents(),
                channel=StaffChannel.ONLINE,
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("accounts:staff_request_sent")
    return render(
        request,
        "accounts/staff_request.html",
        {"form": form, "declarations": staff.DECLARATIONS},
        status=400 if form.errors else 200,
    )


def request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/staff_request_sent.html")


@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Q3-7: the first password, from the approval mail's link (30 days, once)."""
    if token != TOKEN_IN_SESSION:
        if staff.link_user(uidb64=uidb64, token=token) is None:
            return _link_invalid(request)
        request.session[LINK_SESSION_KEY] = token
        return redirect("accounts:staff_set_password", uidb64=uidb64, token=TOKEN_IN_SESSION)
    token = request.session.get(LINK_SESSION_KEY, "")
    user = staff.link_user(uidb64=uidb64, token=token)
    if user is None:
        return _link_invalid(request)
    form = NewPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            staff.staff_initial_password_set(
                user=user, token=token, password=form.cleaned_data["password"], request=request
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            request.session.pop(LINK_SESSION_KEY, None)
            messages.success(
                request, _("Your password is set. Sign in with your auth ID and the new password.")
            )
            return redirect("accounts:login")
    return render(
        request,
        "accounts/service_a_set_password.html",
        {"form": form, "purpose": "registration", "link_user": user},
        status=400 if form.errors else 200,
    )


def _link_invalid(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/service_a_link_invalid.html",
        {"purpose": "registration", "message": staff.link_invalid_message()},
        status=400,
    )


# --- The organization's pages (ID-10, ID-11) -------------------------------------------------


def _own_account(request: HttpRequest) -> StaffAccount:
    account = (
        StaffAccount.objects.select_related("organization", "user")
        .filter(user=request.user)
        .first()
    )
    if account is None:
        raise Http404
    return account


@login_required
def organization(request: HttpRequest) -> HttpResponse:
    """The organization's users, validity and the papers it can file online."""
    account = _own_account(request)
    return render(
        request,
        "accounts/staff_organization.html",
        {
            "account": account,
            "users": staff.organization_users(account.organization),
            "report_due_by": staff.report_due_by(account.organization),
            "clients": account.clients.filter(removed_at__isnull=True),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def periodic_report(request: HttpRequest) -> HttpResponse:
    account = _own_account(request)
    form = PeriodicReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        from .forms_staff import declarations_of

        try:
            staff.periodic_report_submit(
                organization=account.organization,
                declarations=declarations_of(form.cleaned_data),
                clients=form.cleaned_data.get("clients") or "",
                channel=StaffChannel.ONLINE,
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The periodic report has been filed."))
            return redirect("accounts:staff_organization")
    return render(
        request,
        "accounts/staff_report.html",
        {
            "form": form,
            "account": account,
            "report_due_by": staff.report_due_by(account.organization),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def resignation(request: HttpRequest, account_id: int) -> HttpResponse:
    """Q10-3: report that a colleague left (their ID is deleted)."""
    own = _own_account(request)
    target = (
        StaffAccount.objects.select_related("user")
        .filter(pk=account_id, organization_id=own.organization_id)
        .first()
    )
    if target is None or target.user_id == request.user.pk:
        raise Http404
    form = DeletionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data.get("confirm"):
            form.add_error("confirm", _("Tick the box to confirm."))
        else:
            staff.resignation_report(
                account=target, actor=request.user, channel=StaffChannel.ONLINE, request=request
            )
            messages.success(
                request, _("The resignation report has been filed and the ID deleted.")
            )
            return redirect("accounts:staff_organization")
    return render(
        request,
        "accounts/staff_resignation.html",
        {"form": form, "target": target},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def change_report(request: HttpRequest) -> HttpResponse:
    account = _own_account(request)
    form = ChangeReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            staff.change_report_submit(
                account=account,
                actor=request.user,
                channel=StaffChannel.ONLINE,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The change has been reported to the bureau."))
            return redirect("accounts:staff_organization")
    return render(
        request,
        "accounts/staff_change.html",
        {"form": form, "account": account},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def deletion(request: HttpRequest) -> HttpResponse:
    """Q10-4: a staff user asks for their own ID to be deleted, after confirming."""
    _own_account(request)
    form = DeletionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            staff.deletion_request(
                user=request.user, confirmed=bool(form.cleaned_data.get("confirm")), request=request
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            from django.contrib.auth import logout

            logout(request)
            messages.success(request, _("Your auth ID has been deleted and a mail confirms it."))
            return redirect("portal:index")
    return render(
        request, "accounts/staff_deletion.html", {"form": form}, status=400 if form.errors else 200
    )
