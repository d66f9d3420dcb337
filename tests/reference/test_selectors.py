"""REF-2 nationalities and REF-3 addresses: selectors."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from zairyu.reference import selectors
from zairyu.reference.kana import kana_sort_key
from zairyu.reference.models import Municipality, Nationality, local_government_check_digit

pytestmark = pytest.mark.django_db


# --- REF-2 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name_ja"),
    [
        ("TWN", "台湾"),  # pycountry: 中国領・台湾
        ("KOR", "韓国"),  # pycountry: 大韓民国 (韓国)
        ("PRK", "北朝鮮"),  # pycountry: 朝鮮民主主義人民共和国
        ("CHN", "中国"),
        ("USA", "米国"),
        ("GBR", "英国"),
        ("RUS", "ロシア"),
        ("TZA", "タンザニア"),  # pycountry's typo タニザニア
        ("XKX", "コソボ"),  # missing from ISO 3166-1
        ("XXA", "無国籍"),
    ],
)
def test_ref2_agency_japanese_names_override_pycountry(code, name_ja):
    assert Nationality.objects.get(code=code).name_ja == name_ja


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", "ベトナム"),
        ("en", "Vietnam"),
        ("zh-hans", "越南"),
        ("zh-hant", "越南"),
        ("ko", "베트남"),
        ("es", "Vietnam"),
        ("pt", "Vietnã"),
        ("tl", "Vietnam"),
    ],
)
def test_ref2_names_in_all_eight_languages(language, expected):
    assert Nationality.objects.get(code="VNM").name_in(language) == expected


def test_ref2_missing_translation_falls_back_to_english():
    nationality = Nationality.objects.get(code="BRA")
    nationality.names.pop("tl")
    assert nationality.name_in("tl") == "Brazil"
    assert nationality.name_in("xx") == "Brazil"
    # Every row carries all six other languages (English where pycountry has none).
    for row in Nationality.objects.all():
        assert set(row.names) == {"zh-hans", "zh-hant", "ko", "es", "pt", "tl"}, row.code
        assert all(row.names.values()), row.code


def test_ref2_english_order_for_service_n():
    choices = selectors.nationality_choices(order="english", language="en")
    labels = [label for _code, label in choices]
    assert labels.index("Afghanistan") < labels.index("Åland Islands") < labels.index("Albania")
    assert labels.index("Brazil") < labels.index("China") < labels.index("Vietnam")
    codes = [code for code, _label in choices]
    assert "ATA" not in codes and "JPN" not in codes  # not offered
    assert {"XKX", "XXA", "TWN"} <= set(codes)


def test_ref2_english_order_keeps_english_order_in_japanese():
    choices = selectors.nationality_choices(order="english", language="ja")
    codes = [code for code, _label in choices]
    assert codes.index("BRA") < codes.index("CHN") < codes.index("USA") < codes.index("VNM")
    assert dict(choices)["KOR"] == "韓国"


def test_ref2_region_then_reading_for_service_o():
    groups = selectors.nationality_choices(order="region", language="ja")
    labels = [label for label, _rows in groups]
    assert labels == ["アジア", "ヨーロッパ", "アフリカ", "北米", "中南米", "オセアニア", "その他"]
    asia = [code for code, _label in groups[0][1]]
    # インド < カンコク < タイワン < チュウゴク < ベトナム in kana order
    assert asia.index("IND") < asia.index("KOR") < asia.index("TWN") < asia.index("CHN")
    assert asia.index("CHN") < asia.index("VNM")
    readings = [Nationality.objects.get(code=c).reading_ja for c in asia]
    assert readings == sorted(readings, key=kana_sort_key)
    assert [code for code, _label in groups[-1][1]] == ["XXA"]


def test_ref2_region_labels_follow_the_active_language():
    with translation.override("en"):
        groups = selectors.nationality_choices(order="region")
    assert dict(groups[0][1])["CHN"] == "China"


def test_ref2_unknown_order_is_refused():
    with pytest.raises(ValueError, match="order"):
        selectors.nationality_choices(order="alphabetical")


def test_ref2_nationality_name_helper():
    assert selectors.nationality_name("TWN", language="zh-hant") == "台灣"
    assert selectors.nationality_name("QQQ", language="ja") == "QQQ"


def test_kana_sort_key_ignores_voicing_and_long_vowels():
    names = ["ガーナ", "カナダ", "カーボベルデ", "ギニア", "キューバ", "アイスランド"]
    assert sorted(names, key=kana_sort_key) == [
        "アイスランド",
        "ガーナ",
        "カーボベルデ",
        "カナダ",
        "ギニア",
        "キューバ",
    ]


# --- REF-3 -----------------------------------------------------------------------------------


def test_ref3_designated_city_wards_are_in_the_picker_with_their_city():
    names = {m.name_ja: m for m in selectors.municipalities_for("14")}
    naka = names["横浜市中区"]
    assert naka.code == "14104"
    assert naka.designated_city == "横浜市"
    assert "横浜市" not in names  # the city itself is not a place of residence
    assert names["川崎市川崎区"].designated_city == "川崎市"
    assert names["鎌倉市"].designated_city == ""
    wards = [m for m in selectors.municipalities_for("14") if m.designated_city == "横浜市"]
    assert len(wards) == 18


def test_ref3_tokyo_special_wards_are_municipalities():
    tokyo = selectors.municipalities_for("13")
    assert tokyo[0].name_ja == "千代田区"
    assert all(m.designated_city == "" for m in tokyo)
    assert Municipality.objects.get(code="13103").name_ja == "港区"


def test_ref3_twenty_designated_cities():
    cities = set(
        Municipality.objects.exclude(designated_city="").values_list("designated_city", flat=True)
    )
    assert len(cities) == 20
    assert {"札幌市", "さいたま市", "大阪市", "熊本市"} <= cities


def test_ref3_local_government_check_digit():
    assert local_government_check_digit("13101") == "6"  # 千代田区 131016
    assert local_government_check_digit("01100") == "2"  # 札幌市 011002
    assert Municipality.objects.get(code="14104").code_with_check_digit == "141046"
    with pytest.raises(ValueError):
        local_government_check_digit("1310")


@pytest.mark.parametrize(
    "written",
    ["105-0011", "〒105-0011", "1050011", "１０５－００１１", "〒１０５ー００１１", " 105-0011 "],
)
def test_ref3_postal_lookup_accepts_usual_spellings(written):
    found = selectors.postal_lookup(written)
    assert found.postal_code == "1050011"
    assert found.prefecture.code == "13"
    assert (found.municipality_code, found.municipality_name) == ("13103", "港区")
    assert found.town == "芝公園"


def test_ref3_postal_lookup_designated_city_ward():
    found = selectors.postal_lookup("231-0023")
    assert (found.prefecture.name_ja, found.municipality_name, found.town) == (
        "神奈川県",
        "横浜市中区",
        "山下町",
    )


def test_ref3_postal_code_covering_two_municipalities_lists_both():
    found = selectors.postal_lookup("985-0000")
    names = {found.municipality_name} | {a.municipality_name for a in found.alternatives}
    assert {"多賀城市", "宮城郡七ヶ浜町"} <= names


def test_ref3_postal_lookup_of_a_business_code():
    found = selectors.postal_lookup("060-8621")
    assert found.municipality_name == "札幌市中央区"
    assert found.town.startswith("北一条西")


@pytest.mark.parametrize(
    "written", ["", "105-001", "105-00111", "10500a1", "105--0011", "105 0011x", "abc", "１０５"]
)
def test_ref3_postal_lookup_rejects_malformed_codes(written):
    with pytest.raises(ValidationError) as excinfo:
        selectors.postal_lookup(written)
    assert excinfo.value.code == "invalid"


def test_ref3_postal_lookup_unknown_code_is_none():
    assert selectors.postal_lookup("000-0000") is None
    assert selectors.postal_lookup("999-9999") is None


@pytest.mark.parametrize(
    ("written", "code"), [("13", "13"), ("1", "01"), ("０１", "01"), ("47", "47")]
)
def test_ref3_prefecture_codes(written, code):
    assert selectors.normalize_prefecture_code(written) == code


@pytest.mark.parametrize("written", ["", "0", "48", "1a", "東京", "130", "-1"])
def test_ref3_bad_prefecture_codes(written):
    with pytest.raises(ValidationError):
        selectors.normalize_prefecture_code(written)
