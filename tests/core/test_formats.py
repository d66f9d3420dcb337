"""Dates in every language's own way, Tagalog included (issue 18: Django has no Tagalog)."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import formats, translation

DAY = dt.date(2026, 12, 22)
WHEN = dt.datetime(2026, 12, 22, 15, 30)


def _shown(language: str, value, fmt: str) -> str:
    with translation.override(language):
        return formats.date_format(value, fmt)


def test_tagalog_dates_in_tagalog_not_in_japanese():
    assert _shown("tl", DAY, "DATE_FORMAT") == "Disyembre 22, 2026"
    assert _shown("tl", WHEN, "DATETIME_FORMAT") == "Disyembre 22, 2026, 3:30 PM"
    assert _shown("tl", DAY, "l") == "Martes"
    assert "月" not in _shown("tl", DAY, "DATE_FORMAT")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", "2026年12月22日"),
        ("zh-hans", "2026年12月22日"),
        ("ko", "2026년 12월 22일"),
        ("es", "22 de diciembre de 2026"),
        ("en", "Dec. 22, 2026"),
    ],
)
def test_dates_in_the_languages_django_knows(language, expected):
    assert _shown(language, DAY, "DATE_FORMAT") == expected


def test_no_language_shows_another_languages_month_names():
    japanese = _shown("ja", DAY, "DATE_FORMAT")
    for language, _name in settings.LANGUAGES:
        if language != "ja" and not language.startswith("zh"):
            assert _shown(language, DAY, "DATE_FORMAT") != japanese, language
