"""Japanese reading order (五十音順) for katakana readings."""

import unicodedata

import jaconv

_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_VOWEL_ROWS = {
    "ア": "アカサタナハマヤラワガザダバパ",
    "イ": "イキシチニヒミリギジヂビピ",
    "ウ": "ウクスツヌフムユルグズヅブプヴ",
    "エ": "エケセテネヘメレゲゼデベペ",
    "オ": "オコソトノホモヨロヲゴゾドボポ",
}
_VOWEL_OF = {kana: vowel for vowel, row in _VOWEL_ROWS.items() for kana in row}


def kana_sort_key(reading: str) -> tuple[str, str]:
    """Return a key that orders katakana (or hiragana) readings the way a Japanese index does.

    Voiced and semi-voiced marks and small kana sort with their plain kana (the marks only break
    ties), and the long-vowel mark ー counts as the vowel it lengthens, so カーボベルデ sorts
    as カアホヘルテ.
    """
    kata = jaconv.hira2kata(reading)
    plain = []
    for char in kata:
        if char == "ー" and plain:
            plain.append(_VOWEL_OF.get(plain[-1], plain[-1]))
            continue
        base = unicodedata.normalize("NFD", char)[0]
        plain.append(base.translate(_SMALL))
    return "".join(plain), kata


def latin_sort_key(name: str) -> str:
    """Return a key that orders Latin-script names ignoring case and accents (Åland under A)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
