from django.conf import settings

from . import help_topics


def portal(request):
    """Values every page's layout needs: the helpdesk contact and the help topic of the page
    (UX-4), the demo flag."""
    match = getattr(request, "resolver_match", None)
    page_topic = help_topics.topic_for(match.namespace, match.url_name) if match else None
    return {
        "page_help": page_topic,
        "helpdesk": settings.ZAIRYU_HELPDESK,
        "demo_mailbox": settings.ZAIRYU_DEMO_MAILBOX,
        "session_seconds": settings.SESSION_IDLE_SECONDS,
    }
