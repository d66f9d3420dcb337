"""Pages for service A self-registration (ID-3, ID-4, ID-6), re-binding a renewed certificate
(ID-3 [B]) and the forgotten password (ID-13). Thin: parse, call ``service_a``, render.

Reading the My Number card (registration step 1, re-binding) takes the certificate file and the
card's signature of the challenge the page shows (``possession``); it works without JavaScript.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zairyu.core.forms import add_service_errors

from . import jpki, possession, service_a
from .forms_service_a import (
    CertificateUploadForm,
    CoeRecipientRegistrationForm,
    FilingAgentRegistrationForm,
    ForgotPasswordForm,
    HolderRegistrationForm,
    NewPasswordForm,
)
from .models import Category, IdentityCertificate

LINK_SESSION_KEY = "service_a_link_{purpose}"
# The token leaves the address bar at once (Django's password reset does the same): the page
# that sets the password has this in its URL, the token stays in the session.
TOKEN_IN_SESSION = "set-password"  # noqa: S105 (a URL part, not a secret)


_add_errors = add_service_errors


def _upload_form(request: HttpRequest) -> CertificateUploadForm:
    if request.method == "POST":
        return CertificateUploadForm(request.POST, request.FILES)
    return CertificateUploadForm()


def _card_read(request: HttpRequest, form: CertificateUploadForm, *, flow: str):
    """Verify the uploaded certificate and the card's signature of the challenge.

    Return (certificate, proof), or None with the refusal added to ``form``. RateLimited passes.
    """
    try:
        return service_a.certificate_prove(
            data=form.cleaned_data["certificate"],
            flow=flow,
            challenge=form.cleaned_data["challenge"],
            signature=form.cleaned_data["signature"],
            session=request.session,
            demo=request.POST.get("action") == "demo_sign",
            request=request,
        )
    except jpki.CertificateRefused as refused:
        form.add_error("certificate", ValidationError(refused.message, code=refused.code))
    except possession.PossessionRefused as refused:
        form.add_error(refused.field, ValidationError(refused.message, code=refused.code))
    return None


def _card_context(request: HttpRequest, form: CertificateUploadForm, *, flow: str) -> dict:
    """What a card-reading page shows: the challenge to sign and, in the demo, how to sign it.

    The challenge the page showed stays while it is open (a signature made for it stays good);
    once it is used or expired a new one is shown and the stale signature is cleared.
    """
    shown = form.data.get("challenge", "") if form.is_bound else ""
    challenge = possession.challenge_for_page(session=request.session, flow=flow, shown=shown)
    if form.is_bound and challenge.value != shown:
        form.data = form.data.copy()
        form.data["challenge"] = challenge.value
        form.data["signature"] = ""
    form.initial["challenge"] = challenge.value
    return {
        "form": form,
        "challenge": challenge,
        "challenge_minutes": int(possession.CHALLENGE_LIFETIME.total_seconds() // 60),
        "demo_signing": possession.demo_signing_enabled(),
        "demo_certificates": _demo_certificates(),
    }


def _rate_limited(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/service_a_rate_limited.html", status=429)


def _language(form) -> str:
    return form.cleaned_data.get("language") or get_language() or settings.LANGUAGE_CODE


def _id3_category(category: str) -> Category:
    if category not in service_a.ID3_CATEGORIES:
        raise Http404
    return Category(category)


# --- Registration ----------------------------------------------------------------------------


def register_start(request: HttpRequest) -> HttpResponse:
    """Choose the user category (002 Q1-1, Q1-2)."""
    return render(
        request,
        "accounts/service_a_register.html",
        {"id3_categories": [Category(c) for c in service_a.ID3_CATEGORIES]},
    )


def _demo_certificates() -> list[dict]:
    """The bundled test CA's demo cards, when it is trusted (dev only)."""
    if not jpki.bundled_test_ca_trusted():
        return []
    index = Path(settings.ZAIRYU_JPKI_TEST_CA_DIR) / "cards" / "index.json"
    try:
        return json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


@require_http_methods(["GET"])
def demo_certificate(request: HttpRequest, slug: str) -> FileResponse:
    """Download one demo card certificate (only while the test CA is trusted)."""
    entry = next((c for c in _demo_certificates() if c.get("slug") == slug), None)
    if entry is None:
        raise Http404
    path = Path(settings.ZAIRYU_JPKI_TEST_CA_DIR) / "cards" / Path(entry["file"]).name
    if not path.is_file():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=path.name,
        content_type="application/pkix-cert",
    )


@require_http_methods(["GET", "POST"])
def register_certificate(request: HttpRequest, category: str) -> HttpResponse:
    """ID-3 step 1: read the My Number card: its signature certificate, and its signature of
    this page's one-time challenge (proof that the card is present, 002 Q13-3)."""
    category = _id3_category(category)
    flow = possession.register_flow(category)
    form = _upload_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            read = _card_read(request, form, flow=flow)
        except service_a.RateLimited:
            return _rate_limited(request)
        if read is not None:
            _certificate, proof = read
            possession.proven_certificate_keep(
                session=request.session, proof=proof, data=form.cleaned_data["certificate"]
            )
            return redirect("accounts:service_a_register_details", category=category.value)
    context = _card_context(request, form, flow=flow)
    return render(
        request,
        "accounts/service_a_certificate.html",
        {**context, "category": category},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def register_details(request: HttpRequest, category: str) -> HttpResponse:
    """ID-3 step 2: name, sex and birth date from the certificate; e-mail and auth ID typed."""
    category = _id3_category(category)
    proven = possession.proven_certificate(
        session=request.session, flow=possession.register_flow(category)
    )
    if proven is None:
        messages.error(request, possession.PossessionRefused("proof_missing").message)
        return redirect("accounts:service_a_register_certificate", category=category.value)
    data, proof = proven
    try:
        # Checked again: it may have been revoked or expired since the upload.
        certificate = (
            service_a.certificate_check(data=data, request=request)
            if request.method == "POST"
            else jpki.certificate_verify(data)
        )
    except service_a.RateLimited:
        return _rate_limited(request)
    except jpki.CertificateRefused as refused:
        possession.proven_certificate_forget(session=request.session)
        messages.error(request, refused.message)
        return redirect("accounts:service_a_register_certificate", category=category.value)
    form = HolderRegistrationForm(request.POST or None, certificate=certificate)
    if request.method == "POST" and form.is_valid():
        try:
            service_a.service_a_register_holder(
                category=category,
                certificate=certificate,
                proof=proof,
                email=form.cleaned_data["email"],
                auth_id=form.cleaned_data["auth_id"],
                language=_language(form),
                address=form.cleaned_data.get("address", ""),
                name=form.cleaned_data.get("name", ""),
                sex=form.cleaned_data.get("sex", ""),
                birth_date=form.cleaned_data.get("birth_date"),
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            possession.proven_certificate_forget(session=request.session)
            request.session["service_a_sent_to"] = form.cleaned_data["email"]
            return redirect("accounts:service_a_register_sent")
    return render(
        request,
        "accounts/service_a_details.html",
        {"form": form, "category": category, "certificate": certificate},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def register_lawyer(request: HttpRequest) -> HttpResponse:
    """ID-4: a lawyer or gyoseishoshi registers with the filing-agent certificate number."""
    form = FilingAgentRegistrationForm(request.POST or None)
    if request.method == "POST":
        try:
            service_a.count_registration_attempt(request)
        except service_a.RateLimited:
            return _rate_limited(request)
        if form.is_valid():
            try:
                service_a.filing_agent_register(
                    number=form.cleaned_data["number"],
                    name=form.cleaned_data["name"],
                    birth_date=form.cleaned_data["birth_date"],
                    office_address=form.cleaned_data["office_address"],
                    email=form.cleaned_data["email"],
                    auth_id=form.cleaned_data["auth_id"],
                    language=_language(form),
                    request=request,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                request.session["service_a_sent_to"] = form.cleaned_data["email"]
                return redirect("accounts:service_a_register_sent")
    return render(
        request,
        "accounts/service_a_lawyer.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def register_coe_recipient(request: HttpRequest) -> HttpResponse:
    """ID-6: register to receive electronic COEs for counter applications."""
    form = CoeRecipientRegistrationForm(request.POST or None)
    if request.method == "POST":
        try:
            service_a.count_registration_attempt(request)
        except service_a.RateLimited:
            return _rate_limited(request)
        if form.is_valid():
            try:
                service_a.coe_recipient_register(
                    name=form.cleaned_data["name"],
                    organization_name=form.cleaned_data["organization_name"],
                    email=form.cleaned_data["email"],
                    auth_id=form.cleaned_data["auth_id"],
                    language=_language(form),
                    request=request,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                request.session["service_a_sent_to"] = form.cleaned_data["email"]
                return redirect("accounts:service_a_register_sent")
    return render(
        request,
        "accounts/service_a_coe.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def register_sent(request: HttpRequest) -> HttpResponse:
    """After registering: the mail with the link is on its way (Q2-5, Q2-6)."""
    return render(
        request,
        "accounts/service_a_sent.html",
        {
            "email": request.session.get("service_a_sent_to", ""),
            "hours": int(service_a.REGISTRATION_LINK_LIFETIME.total_seconds() // 3600),
        },
    )


# --- Passwords from mailed links -------------------------------------------------------------


def _password_from_link(request: HttpRequest, *, purpose: str, uidb64: str, token: str):
    session_key = LINK_SESSION_KEY.format(purpose=purpose)
    if token != TOKEN_IN_SESSION:
        if service_a.link_user(purpose=purpose, uidb64=uidb64, token=token) is None:
            return _link_invalid(request, purpose)
        request.session[session_key] = token
        return redirect(service_a.LINK_URL_NAMES[purpose], uidb64=uidb64, token=TOKEN_IN_SESSION)
    token = request.session.get(session_key, "")
    user = service_a.link_user(purpose=purpose, uidb64=uidb64, token=token)
    if user is None:
        return _link_invalid(request, purpose)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = (
            service_a.service_a_initial_password_set
            if purpose == "registration"
            else service_a.service_a_password_reset
        )
        try:
            action(user=user, token=token, password=form.cleaned_data["password"], request=request)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            request.session.pop(session_key, None)
            if purpose == "registration":
                messages.success(
                    request,
                    _(
                        "Your registration is complete and a mail confirms it. Sign in with "
                        "your auth ID and the new password."
                    ),
                )
            else:
                messages.success(
                    request,
                    _("Your password has been changed and a mail confirms it. Please sign in."),
                )
            return redirect("accounts:login")
    return render(
        request,
        "accounts/service_a_set_password.html",
        {"form": form, "purpose": purpose, "link_user": user},
        status=400 if form.errors else 200,
    )


def _link_invalid(request: HttpRequest, purpose: str) -> HttpResponse:
    return render(
        request,
        "accounts/service_a_link_invalid.html",
        {"purpose": purpose, "message": service_a.link_invalid_message(purpose)},
        status=400,
    )


@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Q2-5: set the initial password from the registration mail's link."""
    return _password_from_link(request, purpose="registration", uidb64=uidb64, token=token)


@require_http_methods(["GET", "POST"])
def reset_password(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """ID-13: set a new password from the reset mail's link."""
    return _password_from_link(request, purpose="reset", uidb64=uidb64, token=token)


@require_http_methods(["GET", "POST"])
def forgot_password(request: HttpRequest) -> HttpResponse:
    """ID-13 (Q12-4): ask for a reset link; Q12-5: a forgotten auth ID goes on paper."""
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service_a.service_a_password_reset_request(
                auth_id=form.cleaned_data["auth_id"],
                email=form.cleaned_data["email"],
                request=request,
            )
        except service_a.RateLimited:
            return _rate_limited(request)
        return redirect("accounts:service_a_forgot_password_sent")
    return render(
        request,
        "accounts/service_a_forgot.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def forgot_password_sent(request: HttpRequest) -> HttpResponse:
    """The same answer whether or not the auth ID and e-mail matched."""
    minutes = int(service_a.RESET_LINK_LIFETIME.total_seconds() // 60)
    return render(request, "accounts/service_a_forgot_sent.html", {"minutes": minutes})


# --- Re-binding a renewed certificate (ID-3 [B]) ---------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rebind(request: HttpRequest) -> HttpResponse:
    """A signed-in ID-3 user binds the renewed card's certificate to the same account."""
    user = request.user
    current = IdentityCertificate.objects.filter(user=user, current=True).first()
    if current is None:
        raise Http404
    form = _upload_form(request)
    rebound = False
    if request.method == "POST" and form.is_valid():
        try:
            read = _card_read(request, form, flow=possession.FLOW_REBIND)
            if read is not None:
                certificate, proof = read
                service_a.identity_certificate_rebind(
                    user=user, certificate=certificate, proof=proof, request=request
                )
                rebound = True
        except service_a.RateLimited:
            return _rate_limited(request)
        except ValidationError as exc:
            _add_errors(form, exc)
        if rebound:
            user.refresh_from_db()
            messages.success(
                request,
                _(
                    "The new certificate is bound to your account, which is now valid until "
                    "%(date)s. A mail confirms it."
                )
                % {"date": user.valid_until.isoformat()},
            )
            return redirect("accounts:me")
    context = _card_context(request, form, flow=possession.FLOW_REBIND)
    return render(
        request,
        "accounts/service_a_rebind.html",
        {**context, "current": current},
        status=400 if form.errors else 200,
    )
