"""Sign-in, sign-out, the user's own registration (ID-16), password and e-mail change (ID-15)."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from zairyu.core.forms import add_service_errors
from zairyu.core.middleware import session_touch

from . import rules, services
from .forms import AddressChangeForm, EmailChangeForm, LoginForm, PasswordChangeForm


def _lock_params() -> dict:
    return {
        "count": rules.MAX_FAILED_LOGINS,
        "hours": int(rules.LOCK_DURATION.total_seconds() // 3600),
    }


def refusal_message(code: str, user=None) -> str:
    """What to tell a user whose sign-in was refused, and where to go (FMT-8)."""
    lock = _lock_params()
    if code == "locked":
        if user is not None and rules.may_unlock_themselves(user):
            return (
                ngettext(
                    "This auth ID is locked for %(hours)d hours after %(count)d wrong password. "
                    "To use it now, set a new password with “Auth ID / password re-notification”.",
                    "This auth ID is locked for %(hours)d hours after %(count)d wrong passwords. "
                    "To use it now, set a new password with “Auth ID / password re-notification”.",
                    lock["count"],
                )
                % lock
            )
        return (
            ngettext(
                "This auth ID is locked for %(hours)d hours after %(count)d wrong password. "
                "Please try again after the lock ends.",
                "This auth ID is locked for %(hours)d hours after %(count)d wrong passwords. "
                "Please try again after the lock ends.",
                lock["count"],
            )
            % lock
        )
    minutes = int(rules.LOGIN_RATE_WINDOW.total_seconds() // 60)
    messages_by_code = {
        "invalid": ngettext(
            "The auth ID or the password is not correct. Check upper and lower case. After "
            "%(count)d wrong password the auth ID is locked for %(hours)d hours.",
            "The auth ID or the password is not correct. Check upper and lower case. After "
            "%(count)d wrong passwords the auth ID is locked for %(hours)d hours.",
            lock["count"],
        )
        % lock,
        "rate_limited": ngettext(
            "Too many failed sign-ins from your network. Please wait %(minutes)d minute and try "
            "again.",
            "Too many failed sign-ins from your network. Please wait %(minutes)d minutes and "
            "try again.",
            minutes,
        )
        % {"minutes": minutes},
        "suspended": _(
            "This account is suspended. Please contact the regional immigration bureau."
        ),
        "deleted": _(
            "This auth ID can no longer be used: it was deleted, or the residence card it was "
            "registered with is no longer valid. Please register again with your current card."
        ),
        "auth_id_expired": _(
            "This auth ID has expired. Residents whose stay was extended: it works again once "
            "the new permission is registered. Organizations: apply again at the regional "
            "immigration bureau."
        ),
        "password_expired": _(
            "Your password is more than one year old and has expired. Residents: set a new one "
            "with “Auth ID / password re-notification”. Organizations: ask the regional "
            "immigration bureau for a new password."
        ),
    }
    return messages_by_code.get(code, messages_by_code["invalid"])


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = None
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(
                auth_id=form.cleaned_data["auth_id"],
                password=form.cleaned_data["password"],
                request=request,
            )
        except services.LoginRefused as refused:
            error = refusal_message(refused.code, refused.user)
        else:
            login(request, user, backend="zairyu.accounts.backends.LockoutBackend")
            response = redirect(
                next_url
                if url_has_allowed_host_and_scheme(next_url, {request.get_host()})
                else reverse("accounts:home")
            )
            from django.conf import settings

            # The account's language applies unless the person chose one on this device.
            if user.language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    user.language,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                )
            return response
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "next": next_url},
        status=400 if error else 200,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("portal:index")


@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """ID-18: renew an idle session (the time-out warning's "stay signed in")."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    session_touch(request)
    return HttpResponse(status=204)


@login_required
def my_registration(request: HttpRequest) -> HttpResponse:
    """ID-16: the user's own registered data and validity dates."""
    user = request.user
    return render(
        request,
        "accounts/me.html",
        {
            "auth_id_valid_until": rules.auth_id_valid_until(user),
            "password_valid_until": rules.password_valid_until(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(
                user=request.user,
                current=form.cleaned_data["current_password"],
                new=form.cleaned_data["new_password"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed. A mail confirms it."))
            return redirect("accounts:me")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_email(
                user=request.user, new_email=form.cleaned_data["email"], request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your e-mail address has been changed. Both addresses have been told."),
            )
            return redirect("accounts:me")
    return render(request, "accounts/email_change.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def address_change(request: HttpRequest) -> HttpResponse:
    """ID-11: self-registered service A users keep their own address up to date."""
    from django.http import Http404

    registration = getattr(request.user, "service_a_registration", None)
    if registration is None:
        raise Http404
    form = AddressChangeForm(request.POST or None, initial={"address": registration.address})
    if request.method == "POST" and form.is_valid():
        try:
            stored = services.change_address(
                user=request.user, address=form.cleaned_data["address"], request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Your address has been changed to: %(address)s") % {"address": stored}
            )
            return redirect("accounts:me")
    return render(request, "accounts/address_change.html", {"form": form})
