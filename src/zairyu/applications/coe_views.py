"""The public COE verification page and the filer's downloads (A-14, A-13). Thin.

``verify`` is public (no log-in): an airline or embassy types the code printed on the e-COE and
sees "genuine" with the few facts ``coe.Verification`` allows, "revoked", or "no COE with this
code" — the same page, status and work whatever the code (``coe.coe_verify``). Lookups are
rate-limited per client address (``ZAIRYU_COE_VERIFICATIONS_PER_IP`` an hour, default 30) so
codes cannot be tried in bulk; past the limit the page answers 429 without looking anything up.

``certificate`` and ``fee_slip`` serve the filer (and whoever may see the application in the
filer pages, ``applications.selectors.filer_application_by_id``): the e-COE of a COE issued by
e-mail and not revoked, and the pre-filled fee payment slip once approved with a fee; anything
else is the same 404.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from zairyu.audit.services import audit_record, client_ip
from zairyu.core import ratelimit
from zairyu.reference.selectors import nationality_name

from . import coe, payment_slip
from .selectors import filer_application_by_id

RATE_WINDOW = dt.timedelta(hours=1)


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        help_text=_(
            "The 16 letters and digits printed on the certificate, e.g. ABCD-EFGH-JKLM-NPQR."
        ),
        error_messages={
            "required": _("Verification code is empty. Type the code on the certificate.")
        },
    )

    def clean_code(self) -> str:
        # A malformed code is a field error; a well-formed unknown one is "no such COE".
        return coe.clean_code(self.cleaned_data["code"])


def _limit() -> int:
    return getattr(settings, "ZAIRYU_COE_VERIFICATIONS_PER_IP", 30)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Say whether the COE with the code typed is genuine and not revoked (and nothing more)."""
    form = VerifyForm(request.POST or None)
    result = None
    status = 200
    if request.method == "POST":
        key = f"coe-verify:{client_ip(request) or 'unknown'}"
        if not ratelimit.hit(key, limit=_limit(), window=RATE_WINDOW):
            return render(
                request, "applications/coe/verify.html", {"form": form, "limited": True}, status=429
            )
        if form.is_valid():
            result = coe.coe_verify(code=form.cleaned_data["code"], request=request)
        else:
            status = 400
    nationality = ""
    if result is not None and result.nationality:
        nationality = nationality_name(result.nationality)
    return render(
        request,
        "applications/coe/verify.html",
        {"form": form, "result": result, "nationality": nationality},
        status=status,
    )


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def certificate(request: HttpRequest, application_id: int) -> HttpResponse:
    application = filer_application_by_id(request.user, application_id)
    if not coe.is_electronic_coe(application) or application.coe_revoked_at:
        raise Http404
    audit_record(action="applications.application.coe_downloaded", obj=application, request=request)
    return _pdf(
        coe.render_coe_pdf(application), f"coe-{application.receipt_number or application.pk}.pdf"
    )


@login_required
def fee_slip(request: HttpRequest, application_id: int) -> HttpResponse:
    application = filer_application_by_id(request.user, application_id)
    if not payment_slip.slip_available(application):
        raise Http404
    audit_record(
        action="applications.application.fee_slip_downloaded", obj=application, request=request
    )
    return _pdf(payment_slip.render_payment_slip(application), f"fee-slip-{application.pk}.pdf")
