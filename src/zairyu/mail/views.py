"""Demo mailbox: what the outbox "sent", so a person trying the demo can follow mail links.

Mounted only when settings.ZAIRYU_DEMO_MAILBOX is on (dev settings); never in production.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Mail


def _require_demo() -> None:
    if not settings.ZAIRYU_DEMO_MAILBOX:
        raise Http404


def mailbox(request: HttpRequest) -> HttpResponse:
    _require_demo()
    page = Paginator(Mail.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "mailbox/list.html", {"page": page})


def mailbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_demo()
    mail = get_object_or_404(Mail, pk=pk)
    return render(request, "mailbox/detail.html", {"mail": mail})
