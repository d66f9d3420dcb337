"""Printable documents (receipts, certificates, slips): A4 PDFs drawn with reportlab in the
vendored IPAexGothic (``zairyu.core.fonts``), embedded as a subset so they render on any viewer.

``Document`` opens a PDF with its metadata and returns its bytes when finished; ``PageWriter``
writes top-to-bottom text on its pages (titles, headings, wrapped paragraphs, bilingual label /
value rows), breaking pages as it goes; ``show_time`` prints a moment as the documents do
(Japan time, ``YYYY-MM-DD HH:MM``). The domain apps decide what goes on a page; this module
knows nothing of them.
"""

from __future__ import annotations

import datetime as dt
import io

from django.utils import formats
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from . import clock
from .fonts import register_japanese_font

MARGIN = 18 * mm
FONT_SIZE = 10
LEADING = 14
LABEL_WIDTH = 62 * mm
AUTHOR = "Zairyu"


def show_time(value: dt.datetime | None) -> str:
    """A moment as printed on the documents: its time in Japan, "—" for none."""
    if value is None:
        return "—"
    return formats.date_format(value.astimezone(clock.TOKYO), "Y-m-d H:i")


class Document:
    """One A4 PDF being drawn: the Japanese font registered, the metadata set.

    ``pdf`` is the reportlab canvas to draw on (or ``writer()`` for flowing text);
    ``finish()`` ends the last page and returns the file's bytes.
    """

    def __init__(self, *, title: str, subject: str | None = None) -> None:
        self.font = register_japanese_font()
        self.buffer = io.BytesIO()
        self.pdf = canvas.Canvas(self.buffer, pagesize=A4, pageCompression=1)
        self.width, self.height = A4
        self.pdf.setTitle(title)
        self.pdf.setAuthor(AUTHOR)
        if subject is not None:
            self.pdf.setSubject(subject)

    def writer(self) -> PageWriter:
        return PageWriter(self.pdf, self.font)

    def finish(self) -> bytes:
        self.pdf.showPage()
        self.pdf.save()
        return self.buffer.getvalue()


class PageWriter:
    """Top-to-bottom text on A4 pages, wrapping long values and breaking pages."""

    def __init__(self, pdf: canvas.Canvas, font: str) -> None:
        self.pdf = pdf
        self.font = font
        self.width, self.height = A4
        self.y = self.height - MARGIN
        self.pdf.setFont(font, FONT_SIZE)

    def _need(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.pdf.showPage()
            self.pdf.setFont(self.font, FONT_SIZE)
            self.y = self.height - MARGIN

    def title(self, text: str, size: int = 16) -> None:
        self._need(size * 2)
        self.pdf.setFont(self.font, size)
        self.pdf.drawString(MARGIN, self.y - size, text)
        self.pdf.setFont(self.font, FONT_SIZE)
        self.y -= size * 2

    def heading(self, text: str) -> None:
        self.gap()
        self.title(text, size=12)

    def gap(self, lines: float = 0.5) -> None:
        self.y -= LEADING * lines

    def text(self, text: str) -> None:
        for line in simpleSplit(text, self.font, FONT_SIZE, self.width - 2 * MARGIN):
            self._need(LEADING)
            self.pdf.drawString(MARGIN, self.y - FONT_SIZE, line)
            self.y -= LEADING

    def row(self, label_ja: str, label_en: str, value: str) -> None:
        """One item: the Japanese label, the English one under it, the value beside them."""
        value_width = self.width - 2 * MARGIN - LABEL_WIDTH
        labels = []
        for label in (label_ja, label_en):
            if label:
                labels += simpleSplit(label, self.font, FONT_SIZE, LABEL_WIDTH - 4 * mm)
        values = simpleSplit(str(value or "—"), self.font, FONT_SIZE, value_width)
        for index in range(max(len(labels), len(values))):
            self._need(LEADING)
            if index < len(labels):
                self.pdf.drawString(MARGIN, self.y - FONT_SIZE, labels[index])
            if index < len(values):
                self.pdf.drawString(MARGIN + LABEL_WIDTH, self.y - FONT_SIZE, values[index])
            self.y -= LEADING
