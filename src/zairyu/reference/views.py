"""JSON endpoints for the address picker (REF-3). Reads only; errors name the bad parameter."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import selectors

# Reference data changes a few times a year; let browsers and proxies keep answers an hour.
MAX_AGE = 3600


def _ok(payload: dict) -> JsonResponse:
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def _error(status: int, *, code: str, parameter: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "parameter": parameter, "message": message}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _required(request: HttpRequest, name: str) -> str | JsonResponse:
    value = request.GET.get(name, "")
    if not value.strip():
        return _error(
            400,
            code="required",
            parameter=name,
            message=_("The parameter “%(name)s” is required.") % {"name": name},
        )
    return value


@require_GET
def municipalities(request: HttpRequest) -> JsonResponse:
    """GET ?prefecture=13 → the prefecture's municipalities (designated cities as wards)."""
    value = _required(request, "prefecture")
    if isinstance(value, JsonResponse):
        return value
    try:
        code = selectors.normalize_prefecture_code(value)
    except ValidationError as exc:
        return _error(400, code=exc.code, parameter="prefecture", message=exc.messages[0])
    prefecture = next(p for p in selectors.prefectures() if p.code == code)
    return _ok(
        {
            "prefecture": {
                "code": prefecture.code,
                "name_ja": prefecture.name_ja,
                "name_en": prefecture.name_en,
            },
            "municipalities": [
                {
                    "code": m.code,
                    "name_ja": m.name_ja,
                    "reading": m.reading,
                    "designated_city": m.designated_city,
                }
                for m in selectors.municipalities_for(code)
            ],
        }
    )


def _address(found: selectors.PostalAddress) -> dict:
    return {
        "prefecture": {
            "code": found.prefecture.code,
            "name_ja": found.prefecture.name_ja,
            "name_en": found.prefecture.name_en,
        },
        "municipality": {"code": found.municipality_code, "name_ja": found.municipality_name},
        "town": found.town,
        "town_reading": found.town_reading,
    }


@require_GET
def postal_code(request: HttpRequest) -> JsonResponse:
    """GET ?code=105-0011 → prefecture, municipality and town(s); 404 when unknown."""
    value = _required(request, "code")
    if isinstance(value, JsonResponse):
        return value
    try:
        found = selectors.postal_lookup(value)
    except ValidationError as exc:
        return _error(400, code=exc.code, parameter="code", message=exc.messages[0])
    if found is None:
        return _error(
            404,
            code="not_found",
            parameter="code",
            message=_("No address is known for this postal code."),
        )
    return _ok(
        {
            "postal_code": found.postal_code,
            "results": [_address(a) for a in (found, *found.alternatives)],
        }
    )
