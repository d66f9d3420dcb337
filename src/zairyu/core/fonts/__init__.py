"""Fonts shipped with the code so that PDFs do not depend on the machine (DESIGN.md).

``ipaexg.ttf`` is IPAexGothic, vendored unmodified with its licence text
(``IPA_Font_License_Agreement_v1.0.txt``; redistribution requires both). reportlab embeds a
subset of this TrueType font in every PDF, so receipts render on any viewer; CID fonts would not
be embedded and Debian's Noto CJK (CFF outlines) does not load in reportlab.
"""

import threading
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
JAPANESE_FONT = "IPAexGothic"
JAPANESE_FONT_FILE = FONT_DIR / "ipaexg.ttf"

_lock = threading.Lock()


def register_japanese_font() -> str:
    """Register IPAexGothic with reportlab once per process; return its font name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _lock:
        if JAPANESE_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(JAPANESE_FONT, str(JAPANESE_FONT_FILE)))
    return JAPANESE_FONT
