"""Second-factor pages (ID-17) and the new-password step after an officer re-issued one (BO-3).

The sign-in gate (``accounts.otp.SignInGateMiddleware``) sends a signed-in session here until it
has passed every step; each page also works when reached directly. Thin: parse, call
``accounts.otp`` / ``accounts.organizations``, render or redirect (POST-redirect-GET).
"""

from __future__ import annotations

import django_otp
from django import forms
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from zairyu.core.forms import add_service_errors

from . import organizations, otp
from .forms import PasswordChangeForm
from .models import TemporaryPassword
from .views import refusal_message

# --- Forms (they only parse; the rules are in accounts.otp) -----------------------------------


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=12,
        strip=True,
        help_text=gettext_lazy("6 digits; a new code appears every 30 seconds."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )


class DisableForm(TokenForm):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["password", "token"]


class NewPasswordForm(PasswordChangeForm):
    """A new password typed twice (the current one is the temporary one just used)."""

    current_password = None


_apply = add_service_errors


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _locked_out(request: HttpRequest, user) -> HttpResponse:
    """Sign out a user whose wrong codes just locked the auth ID (ID-14) and say so."""
    message = refusal_message("locked", user)
    logout(request)
    messages.error(request, message)
    return redirect("accounts:login")


# --- Sign-in step: the code -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second sign-in step for a user with an authenticator."""
    user = request.user
    done = _next_url(request, reverse("accounts:home"))
    if otp.session_verified(request) or not otp.has_second_factor(user):
        return redirect(done)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = otp.second_factor_verify(
                user=user, token=form.cleaned_data["token"], request=request
            )
        except otp.SecondFactorLocked:
            return _locked_out(request, user)
        except ValidationError as exc:
            _apply(form, exc)
        else:
            django_otp.login(request, device)
            return redirect(done)
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "next": done},
        status=400 if form.errors else 200,
    )


# --- Sign-in step: a new password after an officer set one ------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def password_renew(request: HttpRequest) -> HttpResponse:
    user = request.user
    done = _next_url(request, reverse("accounts:home"))
    if not TemporaryPassword.objects.filter(user=user).exists():
        return redirect(done)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organizations.temporary_password_replace(
                user=user, new_password=form.cleaned_data["new_password"], request=request
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your new password is set. A mail confirms it."))
            return redirect(done)
    return render(request, "accounts/otp_password.html", {"form": form, "next": done})


# --- My page: set up, see, remove ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator: scan the QR code (or type the key), confirm with a code."""
    user = request.user
    done = _next_url(request, reverse("accounts:otp_manage"))
    if otp.has_second_factor(user):
        messages.info(request, _("An authenticator is already set up for your account."))
        return redirect("accounts:otp_manage")
    if request.method == "POST" and "restart" in request.POST:
        otp.second_factor_restart_setup(user=user)
        return redirect(request.get_full_path())
    device = otp.second_factor_setup_device(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = otp.second_factor_enable(
                user=user, token=form.cleaned_data["token"], request=request
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            django_otp.login(request, confirmed)
            messages.success(
                request,
                _(
                    "Your authenticator is set up. From now on you will enter a code after your "
                    "password. A mail confirms the change."
                ),
            )
            return redirect(done)
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "next": done,
            "qr": otp.qr_data_uri(device),
            "secret": otp.secret_for_display(device),
            "required": otp.second_factor_required(user),
        },
        status=400 if form.errors else 200,
    )


@login_required
def otp_manage(request: HttpRequest) -> HttpResponse:
    device = otp.confirmed_device(request.user)
    return render(
        request,
        "accounts/otp_manage.html",
        {
            "device": device,
            "form": DisableForm(),
            "required": otp.second_factor_required(request.user),
        },
    )


@login_required
@require_POST
def otp_disable(request: HttpRequest) -> HttpResponse:
    """Remove the authenticator (password and a current code required)."""
    user = request.user
    form = DisableForm(request.POST)
    device = otp.confirmed_device(user)
    if device is None:
        return redirect("accounts:otp_manage")
    if form.is_valid():
        try:
            otp.second_factor_disable(
                user=user,
                password=form.cleaned_data["password"],
                token=form.cleaned_data["token"],
                request=request,
            )
        except otp.SecondFactorLocked:
            return _locked_out(request, user)
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(
                request, _("Your authenticator has been removed. A mail confirms the change.")
            )
            return redirect("accounts:otp_manage")
    return render(
        request,
        "accounts/otp_manage.html",
        {"device": device, "form": form, "required": otp.second_factor_required(user)},
        status=400,
    )
