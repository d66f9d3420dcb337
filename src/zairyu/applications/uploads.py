"""Checks of an application's documents and face photo (SPEC A-6, A-7, SEC-4; 002 Q4-1..Q4-7).

Each file is checked by the one validator of its format, ``zairyu.core.uploads`` (``check_pdf``
and ``check_photo``, re-exported here); what is the application's own is the total size of its
files together (``check_total``, A-6: the agency's January 2026 revision), with its setting and
message.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zairyu.core import uploads as _core
from zairyu.core.uploads import (  # noqa: F401 (re-exported: one validator per format)
    MB,
    CheckedPdf,
    CheckedPhoto,
    _mb,
    check_pdf,
    check_photo,
)

# Defaults of the ZAIRYU_UPLOAD_* settings (settings/base.py reads the environment).
DEFAULTS = {
    **_core.DEFAULTS,
    "ZAIRYU_UPLOAD_TOTAL_MAX_BYTES": 25 * MB,  # A-6 (the agency's January 2026 revision)
}

MESSAGES = {
    **_core.MESSAGES,
    "pdf_total_too_large": _(
        "The files together are %(total_mb)s MB, more than the %(limit_mb)s MB allowed for one "
        "application. Attach what fits now and the rest when the office opens re-attachment."
    ),
}


def limit(name: str) -> int:
    """The configured value of a ZAIRYU_UPLOAD_* setting (read when called, never at import)."""
    return int(getattr(settings, name, DEFAULTS[name]))


# --- Totals (A-6) ------------------------------------------------------------------------------


def check_total(sizes: Iterable[int]) -> int:
    """A-6: refuse when the files of one application add up to more than the total limit.

    Call it with the sizes *declared* by the uploads, before reading any of them. Returns the
    total in bytes.
    """
    total = sum(int(size) for size in sizes)
    maximum = limit("ZAIRYU_UPLOAD_TOTAL_MAX_BYTES")
    if total > maximum:
        raise ValidationError(
            MESSAGES["pdf_total_too_large"],
            code="pdf_total_too_large",
            params={"total_mb": _mb(total), "limit_mb": _mb(maximum)},
        )
    return total
