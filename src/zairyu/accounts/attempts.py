"""Attempts counted per client address (SEC-5): the one rate limit of the identity pages.

Resident registration and re-notification (ID-1, ID-12), service A registration steps and
requests for use (ID-3..ID-6), and forgotten-password requests (ID-13) each keep one counter per
client address in a fixed one-hour window (``zairyu.core.ratelimit``); past the limit
``RateLimited`` is raised and the view says when to come back. Sign-in failures are counted by
``services.login_attempt`` (only failures count there; ``rules.login_rate_limit``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest

from zairyu.audit.services import client_ip
from zairyu.core import ratelimit
from zairyu.core.ratelimit import RateLimited

__all__ = [
    "RATE_WINDOW",
    "RateLimited",
    "count_attempt",
    "count_password_reset_attempt",
    "count_renotification_attempt",
    "count_resident_registration_attempt",
    "count_service_a_registration_attempt",
    "password_reset_rate_limit",
    "registration_rate_limit",
    "renotification_rate_limit",
]

RATE_WINDOW = dt.timedelta(hours=1)


def registration_rate_limit() -> tuple[int, dt.timedelta]:
    """Registration attempts allowed per client address per hour (every submission counts)."""
    return settings.ZAIRYU_REGISTRATIONS_PER_IP, RATE_WINDOW


def renotification_rate_limit() -> tuple[int, dt.timedelta]:
    """Re-notification attempts allowed per client address per hour."""
    return settings.ZAIRYU_RENOTIFICATIONS_PER_IP, RATE_WINDOW


def password_reset_rate_limit() -> tuple[int, dt.timedelta]:
    """Forgotten-password requests allowed per client address per hour."""
    return settings.ZAIRYU_PASSWORD_RESETS_PER_IP, RATE_WINDOW


def count_attempt(
    kind: str, request: HttpRequest | None, limit_window: tuple[int, dt.timedelta]
) -> None:
    """Count one attempt of ``kind`` from the client's address; raise RateLimited when the
    address has used up its window."""
    limit, window = limit_window
    key = f"{kind}-ip:{client_ip(request) or 'unknown'}"
    ratelimit.attempt(key, limit=limit, window=window)


def count_resident_registration_attempt(request: HttpRequest | None) -> None:
    """Count one resident registration attempt (ID-1)."""
    count_attempt("register", request, registration_rate_limit())


def count_renotification_attempt(request: HttpRequest | None) -> None:
    """Count one re-notification attempt (ID-12)."""
    count_attempt("renotify", request, renotification_rate_limit())


def count_service_a_registration_attempt(request: HttpRequest | None) -> None:
    """Count one service A registration step or request for use (ID-3..ID-6)."""
    count_attempt("service-a-register", request, registration_rate_limit())


def count_password_reset_attempt(request: HttpRequest | None) -> None:
    """Count one forgotten-password request (ID-13)."""
    count_attempt("password-reset", request, password_reset_rate_limit())
