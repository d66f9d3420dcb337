"""Cross-cutting response rules."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import get_supported_language_variant


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
