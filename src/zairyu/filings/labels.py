"""Names of reference rows in the reader's language (NF-8).

The reference data carry Japanese and English names (``name_ja``, ``name_en``). Japanese pages
show ``name_ja``; every other language shows the English name through the gettext catalogues,
so the six other languages get their translation once the lead adds it and fall back to English
until then (or when an administrator renames a row). The ``gettext_noop`` list below only lets
``makemessages`` find the English names of the events and items as loaded today.
"""

from django.utils.translation import get_language, gettext, gettext_noop

_EXTRACTED = (
    # Art. 19-16 events (REFERENCE.md §2)
    gettext_noop("Change of the name of the activity organization"),
    gettext_noop("Change of the address of the activity organization"),
    gettext_noop("Dissolution of the activity organization"),
    gettext_noop("Leaving the activity organization (retirement, graduation…)"),
    gettext_noop("Transfer to a new activity organization (new job, new school)"),
    gettext_noop("Change of the name of the contract organization"),
    gettext_noop("Change of the address of the contract organization"),
    gettext_noop("Dissolution of the contract organization"),
    gettext_noop("End of the contract with the contract organization"),
    gettext_noop("New contract with a contract organization"),
    gettext_noop("Divorce from the spouse"),
    gettext_noop("Death of the spouse"),
    # Art. 19-17 events (REFERENCE.md §3)
    gettext_noop("Start of acceptance"),
    gettext_noop("End of acceptance"),
    gettext_noop("Start of acceptance (entry)"),
    gettext_noop("Enrolment as of 1 May and 1 November"),
    # Items
    gettext_noop("Name"),
    gettext_noop("Date of birth"),
    gettext_noop("Sex"),
    gettext_noop("Nationality/region"),
    gettext_noop("Address"),
    gettext_noop("Residence card number"),
    gettext_noop("Date of the event"),
    gettext_noop("Name of the organization"),
    gettext_noop("Address of the organization"),
    gettext_noop("Former name of the organization"),
    gettext_noop("Former address of the organization"),
    gettext_noop("New name of the organization"),
    gettext_noop("New address of the organization"),
    gettext_noop("Activity at the new organization"),
    gettext_noop("Actual place of activity"),
    gettext_noop("Start date of acceptance"),
    gettext_noop("End date of acceptance"),
    gettext_noop("Activity"),
    gettext_noop("Reason for the end (graduation, withdrawal, expulsion…)"),
    gettext_noop("Every enrolled student"),
)


def is_japanese(language: str | None = None) -> bool:
    return (language or get_language() or "ja").lower().startswith("ja")


def local_name(row, language: str | None = None) -> str:
    """Return ``row.name_ja`` on Japanese pages, else the translated English name."""
    if row is None:
        return ""
    if is_japanese(language):
        return row.name_ja
    return gettext(row.name_en) if row.name_en else row.name_ja
