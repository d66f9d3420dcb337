"""Residents' own accounts: registration (ID-1) and auth ID / password re-notification (ID-12).

Both pages are reached from the sign-in page, work without JavaScript, are rate-limited per
client address (SEC-5) and never show a password, a My Number or, for re-notification, whether
the data matched a registration.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from zairyu.core.forms import add_service_errors

from . import registration, rules
from .forms_resident import RenotificationForm, ResidentRegistrationForm
from .models import User

SESSION_REGISTERED = "resident_registered"


_apply = add_service_errors


def _codes(form) -> set[str]:
    return {error.code for errors in form.errors.as_data().values() for error in errors}


def _rate_limited_message() -> str:
    hours = int(registration.RATE_WINDOW.total_seconds() // 3600)
    return ngettext(
        "Too many attempts from your network. Please wait an hour and try again, or contact "
        "the helpdesk.",
        "Too many attempts from your network. Please wait %(hours)d hours and try again, or "
        "contact the helpdesk.",
        hours,
    ) % {"hours": hours}


@never_cache
@sensitive_post_parameters("password", "password_again")
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """ID-1: a mid-to-long-term resident registers with the data on their residence card."""
    form = ResidentRegistrationForm(request.POST if request.method == "POST" else None)
    error = None
    if request.method == "POST":
        try:
            registration.count_registration_attempt(request)
        except registration.RateLimited:
            error = _rate_limited_message()
        else:
            if form.is_valid():
                data = form.cleaned_data
                try:
                    user = registration.resident_register(
                        card=form.card_face(),
                        email=data["email"].strip(),
                        auth_id=data["auth_id"],
                        password=data["password"],
                        language=data["language"],
                        request=request,
                    )
                except ValidationError as exc:
                    _apply(form, exc)
                else:
                    for notice in form.conversions:
                        messages.info(request, notice)
                    request.session[SESSION_REGISTERED] = user.pk
                    return redirect("accounts:resident_registered")
    codes = _codes(form) if form.is_bound else set()
    status = 429 if error else (400 if form.is_bound and form.errors else 200)
    return render(
        request,
        "accounts/resident_register.html",
        {
            "form": form,
            "error": error,
            "eligible_statuses": registration.eligible_statuses(),
            "status_refused": "status_not_eligible" in codes,
        },
        status=status,
    )


@never_cache
def registered(request: HttpRequest) -> HttpResponse:
    """ID-1 / UX-6: the printable confirmation, with the auth ID (never the password)."""
    user = User.objects.filter(pk=request.session.get(SESSION_REGISTERED)).first()
    if user is None:
        return redirect("accounts:resident_register")
    return render(
        request,
        "accounts/resident_registered.html",
        {
            "account": user,
            "auth_id_valid_until": rules.auth_id_valid_until(user),
            "password_valid_until": rules.password_valid_until(user),
        },
    )


@never_cache
@sensitive_post_parameters("new_password", "new_password_again")
@require_http_methods(["GET", "POST"])
def renotify(request: HttpRequest) -> HttpResponse:
    """ID-12: mail the auth ID to the registered address; optionally set a new password.

    The answer is the same whether or not the data matched a registration.
    """
    form = RenotificationForm(request.POST if request.method == "POST" else None)
    error = None
    if request.method == "POST":
        try:
            registration.count_renotification_attempt(request)
        except registration.RateLimited:
            error = _rate_limited_message()
        else:
            new_password = request.POST.get("new_password", "")
            if new_password:
                for problem in registration.new_password_format_errors(new_password):
                    form.add_error("new_password", problem)
            if form.is_valid():
                try:
                    registration.resident_renotify(
                        card=form.card_face(),
                        new_password=form.cleaned_data["new_password"],
                        request=request,
                    )
                except ValidationError as exc:
                    _apply(form, exc)
                else:
                    for notice in form.conversions:
                        messages.info(request, notice)
                    return redirect("accounts:resident_renotified")
    status = 429 if error else (400 if form.is_bound and form.errors else 200)
    return render(
        request,
        "accounts/resident_renotify.html",
        {"form": form, "error": error},
        status=status,
    )


@never_cache
def renotified(request: HttpRequest) -> HttpResponse:
    """ID-12: the same answer for every submission that passed the form's checks."""
    return render(request, "accounts/resident_renotified.html")
