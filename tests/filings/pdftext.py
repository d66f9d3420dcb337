"""Read the text back out of a PDF that reportlab wrote (tests only).

Neither ``pdftotext`` (poppler) nor a PDF library is installed with the project, so this reads
just what reportlab writes: objects, ASCII85/Flate streams, the page's font resources, each
embedded subset font's ToUnicode CMap, and the ``Tf`` / ``Tj`` / ``TJ`` operators of the content
streams. Each BT…ET block (one ``drawString``) becomes one line of text.
"""

from __future__ import annotations

import base64
import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM_START = re.compile(rb"stream\r?\n")
_REF = r"/{name}\s+(\d+) 0 R"


def _objects(pdf: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in _OBJECT.finditer(pdf)}


def _stream(body: bytes) -> tuple[bytes, bytes]:
    match = _STREAM_START.search(body)
    length = re.search(rb"/Length (\d+)", body)
    if not match or not length:
        return body, b""
    header = body[: match.start()]
    data = body[match.end() : match.end() + int(length.group(1))]
    # Filters apply in the order listed: [ /ASCII85Decode /FlateDecode ].
    for name in re.findall(rb"/(ASCII85Decode|FlateDecode)", header):
        if name == b"ASCII85Decode":
            data = base64.a85decode(data.strip(), adobe=True)
        elif name == b"FlateDecode":
            data = zlib.decompress(data)
    return header, data


def _to_unicode(cmap: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int(dst, 16)
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """Parse a PDF literal string starting after '('; return its bytes and the end index."""
    out = bytearray()
    depth = 1
    i = start
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    while i < len(data):
        char = data[i : i + 1]
        if char == b"\\":
            nxt = data[i + 1 : i + 2]
            if nxt in escapes:
                out += escapes[nxt]
                i += 2
            elif nxt.isdigit():
                digits = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4]).group(0)
                out.append(int(digits, 8))
                i += 1 + len(digits)
            elif nxt in (b"\r", b"\n"):
                i += 2
            else:
                out += nxt
                i += 2
            continue
        if char == b"(":
            depth += 1
        elif char == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += char
        i += 1
    raise ValueError("unterminated string")


def _decode(raw: bytes, cmap: dict[int, str] | None) -> str:
    if cmap is None:
        return raw.decode("latin-1")
    return "".join(cmap.get(byte, "\ufffd") for byte in raw)


def _page_text(content: bytes, fonts: dict[str, dict[int, str] | None]) -> list[str]:
    lines: list[str] = []
    current: list[str] = []
    font: dict[int, str] | None = None
    i = 0
    pending_name = None
    while i < len(content):
        char = content[i : i + 1]
        if char == b"(":
            raw, i = _literal(content, i + 1)
            current.append(_decode(raw, font))
            continue
        if char == b"/":
            match = re.match(rb"/([^\s/\[\]()<>]+)", content[i:])
            pending_name = match.group(1).decode()
            i += len(match.group(0))
            continue
        match = re.match(rb"[A-Za-z*']+", content[i:])
        if match:
            op = match.group(0)
            if op == b"Tf" and pending_name is not None:
                font = fonts.get(pending_name)
            elif op == b"ET":
                lines.append("".join(current))
                current = []
            i += len(op)
            continue
        i += 1
    return lines


def pdf_text(pdf: bytes) -> str:
    """Return the text of every page, one line per drawn string."""
    objects = _objects(pdf)
    lines: list[str] = []
    for body in objects.values():
        if b"/Type /Page" not in body or b"/Type /Pages" in body:
            continue
        resources = body
        font_dict_ref = re.search(rb"/Font\s+(\d+) 0 R", resources)
        font_dict = objects[int(font_dict_ref.group(1))] if font_dict_ref else resources
        fonts: dict[str, dict[int, str] | None] = {}
        for name, ref in re.findall(rb"/([^\s/]+)\s+(\d+) 0 R", font_dict):
            font_obj = objects.get(int(ref), b"")
            to_unicode = re.search(rb"/ToUnicode\s+(\d+) 0 R", font_obj)
            if to_unicode:
                _, cmap = _stream(objects[int(to_unicode.group(1))])
                fonts[name.decode()] = _to_unicode(cmap)
            else:
                fonts[name.decode()] = None
        contents = re.search(rb"/Contents\s+(\d+) 0 R", body)
        _, content = _stream(objects[int(contents.group(1))])
        lines.extend(_page_text(content, fonts))
    return "\n".join(lines)
