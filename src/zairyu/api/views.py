"""The account's API keys page (UX-5): list, issue (the key is shown once), revoke."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from zairyu.core.forms import add_service_errors

from . import services
from .forms import KeyForm

_ISSUED = "api_key_issued"


def _may_hold_keys(request: HttpRequest) -> None:
    if not services.may_hold_keys(request.user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def keys(request: HttpRequest) -> HttpResponse:
    _may_hold_keys(request)
    form = KeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _key, text = services.api_key_issue(
                user=request.user, name=form.cleaned_data["name"], request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            # Post/redirect/get: a reload cannot issue a second key. The key waits in the
            # (server-side) session for the one page that shows it, which removes it.
            request.session[_ISSUED] = text
            return redirect("api_keys:keys")
    issued = request.session.pop(_ISSUED, None) if request.method == "GET" else None
    return render(
        request,
        "api/keys.html",
        {
            "form": form,
            "issued": {"text": issued} if issued else None,
            "keys": services.keys_of(request.user),
            "max_keys": services.MAX_ACTIVE_KEYS,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    _may_hold_keys(request)
    try:
        services.api_key_revoke(user=request.user, key_id=key_id, request=request)
    except ValidationError:
        raise Http404 from None
    return redirect("api_keys:keys")
