from django.conf import settings


def portal(request):
    """Values every page's layout needs: the helpdesk contact (UX-4) and the demo flag."""
    return {
        "helpdesk": settings.ZAIRYU_HELPDESK,
        "demo_mailbox": settings.ZAIRYU_DEMO_MAILBOX,
        "session_seconds": settings.SESSION_IDLE_SECONDS,
    }
