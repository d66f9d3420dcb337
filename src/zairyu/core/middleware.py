"""Cross-cutting response rules."""

from django.utils.cache import patch_cache_control


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
