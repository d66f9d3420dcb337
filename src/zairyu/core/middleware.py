"""Cross-cutting request and response rules."""

import json

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import get_supported_language_variant

from . import clock
from .validators import control_character_errors
from .views import API_JSON, api_error_detail, is_api_request, problem, refused_input


class SessionActivityMiddleware:
    """ID-18 idle time-out without a session write on every request.

    A session ends after ``SESSION_IDLE_SECONDS`` without activity. Django extends a session
    only when it saves it; saving on every request (``SESSION_SAVE_EVERY_REQUEST``) cost an
    UPDATE of ``django_session`` on every page. Instead, a request to a session that holds
    anything records the time it was last seen (``_seen``, inside the encrypted session) when
    that record is ``SESSION_ACTIVITY_WRITE_SECONDS`` old or older, and that save extends the
    session by ``SESSION_COOKIE_AGE`` = idle + write interval. So the session lives at least
    ``SESSION_IDLE_SECONDS`` after the last request and at most one write interval longer —
    never shorter than the time-out warning tells the user — with at most one write a minute.
    """

    KEY = "_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key is not None and not session.is_empty():
            now = int(clock.now().timestamp())
            seen = session.get(self.KEY)
            if not isinstance(seen, int) or now - seen >= settings.SESSION_ACTIVITY_WRITE_SECONDS:
                session[self.KEY] = now
        return self.get_response(request)


def session_touch(request) -> None:
    """Extend the session now (the keep-alive button): record the activity and save."""
    request.session[SessionActivityMiddleware.KEY] = int(clock.now().timestamp())
    request.session.modified = True


class NoStoreMiddleware:
    """Mark every page ``Cache-Control: no-store`` unless the view chose a cache policy itself.

    Pages of this system show personal data (card numbers, addresses, filings); no shared or
    browser cache may keep them. Static files are served by WhiteNoise before this runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response


class LanguageMiddleware(LocaleMiddleware):
    """Pick the page language from the user's explicit choice only; Japanese otherwise.

    The browser's Accept-Language is not used: the agency's services open in Japanese and offer
    a switch on every page (docs/decisions/0003-default-language.md). The choice is kept in the
    language cookie (and, once signed in, follows the account's language).
    """

    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = get_supported_language_variant(code) if code else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def _json_fields(data, prefix: str = ""):
    """(path, value) for every key and text of a parsed JSON body: ``a.b.0``."""
    stack = [(prefix, data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                stack.append((f"{path}.{key}" if path else str(key), item))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), item)
                for index, item in enumerate(value)
            )
        else:
            yield path, value


def request_fields(request):
    """(name, value) for every field a request carries: the query string, the form fields and
    the texts of a JSON body. Not files: Django drops unprintable characters from their names,
    and their contents are the parsers' to check."""
    for name, values in request.GET.lists():
        for value in values:
            yield name, value
    if request.method == "POST":
        for name, values in request.POST.lists():
            for value in values:
                yield name, value
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, RecursionError):
            return  # not JSON: the view answers that
        yield from _json_fields(data)


class ControlCharacterMiddleware:
    """SEC-2: refuse a request whose fields hold a NUL byte or another control character
    (``core.validators.NoControlCharacters``) with 400 naming each field, before any view.

    One place for every entry point: forms, the autosave endpoint (which stores input as typed
    without a form), the API's form fields and JSON bodies, query strings. PostgreSQL refuses
    NUL in text and JSON, so a value let through would be a server error. Runs as
    ``process_view``, after the CSRF check and the sign-in gate, so a refused request is
    answered only to whoever could have sent it to the view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        errors = control_character_errors(request_fields(request))
        if not errors:
            return None
        return refused_input(request, errors)


class ApiErrorMiddleware:
    """The API answers every error as JSON (docs/api.md), also those no API handler made: an
    unknown path (404), a method the path does not take (405, django-ninja answers it in plain
    text), a request Django could not read (400), a server error (500) and the database
    unavailable (503, from ``core.views.server_error``). Sits outside everything that can
    fail, so it sees the pages Django's error handlers made for exceptions below it.

    The response is rewritten in place: its status, its headers (``Allow``, ``Retry-After``)
    and Django's note that it was already logged stay.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not is_api_request(request) and not response.content:
            # Django answers a method a view does not take with an empty body: a page instead.
            from .views import method_not_allowed_page

            return method_not_allowed_page(request, response)
        if (
            response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
            or not is_api_request(request)
        ):
            return response
        body = json.dumps(problem(api_error_detail(response.status_code)), ensure_ascii=False)
        if response.streaming:
            response.streaming_content = [body.encode()]
        else:
            response.content = body.encode()
        response["Content-Type"] = API_JSON
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(body.encode()))
        return response
