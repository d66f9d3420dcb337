"""The translation catalogues are complete (UX-3, NF-8, issue 18).

- every message marked in Python — with ``_``, ``_lazy`` (the alias modules use when they need
  both), ``gettext``, ``gettext_lazy``, ``ngettext``, ``pgettext`` … — is in the catalogues:
  ``manage.py makemessages`` (zairyu/core/management/commands/makemessages.py) extracts
  ``_lazy`` too;
- every message of the seven translated languages is translated and none is fuzzy (English is
  the source language: its catalogue may leave messages empty).
"""

from __future__ import annotations

import ast
from pathlib import Path

import polib
import pytest
from django.conf import settings

import zairyu

SRC = Path(zairyu.__file__).parent
LOCALE = Path(settings.LOCALE_PATHS[0])
TRANSLATED = ["ja", "zh_Hans", "zh_Hant", "ko", "es", "pt", "tl"]
MARKERS = {"_", "_lazy", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
CONTEXT_MARKERS = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}


def _marked_in_python() -> set[tuple[str, str]]:
    found = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            args = node.args
            if node.func.id in MARKERS and args and isinstance(args[0], ast.Constant):
                found.add(("", args[0].value))
            elif (
                node.func.id in CONTEXT_MARKERS
                and len(args) > 1
                and all(isinstance(a, ast.Constant) for a in args[:2])
            ):
                found.add((args[0].value, args[1].value))
    return {(ctx, msgid) for ctx, msgid in found if isinstance(msgid, str) and msgid}


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def test_ux3_every_marked_message_is_in_the_catalogues():
    catalogue = {(e.msgctxt or "", e.msgid) for e in _catalogue("ja") if not e.obsolete}
    missing = sorted(m[1][:80] for m in _marked_in_python() - catalogue)
    assert missing == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_ux3_every_message_is_translated(language):
    catalogue = _catalogue(language)
    untranslated = [e.msgid[:80] for e in catalogue if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid[:80] for e in catalogue if "fuzzy" in e.flags]
    assert untranslated == [] and fuzzy == []
