"""Checks of uploaded PDF documents and JPEG photos (SPEC A-6, A-7, SEC-4; 002 Q4-1..Q4-7, Q5-7).

The one validator per format: every app that takes a PDF or a face photo (applications, the
staff requests of accounts, the API, the bulk upload) calls ``check_pdf`` and ``check_photo``.
Pure and request-independent. Each refusal is a ``ValidationError`` with a stable code, a
message that says why and what to do, and the file name in its params. What is specific to one
app (the total size of one application's files) stays in that app
(``zairyu.applications.uploads.check_total``).

Order matters for safety (SEC-4):

1. the declared size is compared with the limit **before** anything is read, and at most
   limit + 1 bytes are ever read (a size that lied is caught too);
2. the type is decided by the content (magic bytes), never by the file name;
3. only then is the file parsed, with bounded work: qpdf without recovery (a damaged file is
   refused, not silently repaired), a cap on inflated stream size and on the object count;
   Pillow with a pixel cap checked from the header before any pixel is decoded.

Why A-6 refuses what it refuses (002 Q4-2): the agency treats a PDF with a password, a print or
copy restriction, or one not conforming to ISO 32000-1 as an "error file" it cannot read, and
says nothing to the user. Zairyu refuses it at once with the reason. Active content is refused
because a document for an officer carries none (SEC-4), each kind with a reason in the user's
terms: JavaScript (and XFA forms, which run their own scripts), actions that start a program
(/Launch), send a form to the internet (/SubmitForm), open or read another file (/GoToR,
/ImportData), play media (/RichMedia, /Screen, /Sound, /Movie, /3D annotations and their
actions), embedded files (/EmbeddedFiles, /FileAttachment, /GoToE), and anything the document
does by itself when it is opened or read: an /OpenAction other than a plain destination (a page
to open at, or a /GoTo to one) and any /AA (additional actions, run on page, field or document
events without a click). A link the reader has to click — to another page, or to a web address
(/URI) — is ordinary in documents and stays allowed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MB = 1024 * 1024

# Defaults of the ZAIRYU_UPLOAD_* settings (settings/base.py reads the environment).
DEFAULTS = {
    "ZAIRYU_UPLOAD_PDF_MAX_BYTES": 10 * MB,  # A-6 (002 Q4-2)
    "ZAIRYU_UPLOAD_PDF_MAX_OBJECTS": 100_000,
    "ZAIRYU_UPLOAD_PDF_MAX_STREAM_BYTES": 64 * MB,
    "ZAIRYU_UPLOAD_PHOTO_MAX_BYTES": 51_200,  # A-7 (002 Q4-6: 50 KB)
    "ZAIRYU_UPLOAD_PHOTO_MAX_PIXELS": 4_000_000,
}

MESSAGES = {
    "pdf_too_large": _(
        "The file %(name)s is larger than %(limit_mb)s MB. Attach what fits now and the rest "
        "when the office opens re-attachment, or make the PDF smaller (for example scan at "
        "200 dpi) and attach it again."
    ),
    "pdf_empty": _("The file %(name)s is empty. Choose the PDF file again."),
    "pdf_not_pdf": _(
        "The file %(name)s is not a PDF (its content is not a PDF, whatever its name says). "
        "Save or scan the document as a PDF and attach it again."
    ),
    "pdf_damaged": _(
        "The file %(name)s is damaged or incomplete and cannot be read. Open it on your "
        "computer to check it, save it as a PDF again and attach the new file."
    ),
    "pdf_encrypted": _(
        "The file %(name)s is protected with a password or other security settings. Remove the "
        "password and the security settings, save the file again and attach it."
    ),
    "pdf_restricted": _(
        "The file %(name)s does not allow printing or copying. Remove these restrictions "
        "(document security settings), save the file again and attach it."
    ),
    "pdf_javascript": _(
        "The file %(name)s contains JavaScript or other scripts. Save the document as a plain "
        "PDF without scripts (for example print it to PDF) and attach the new file."
    ),
    "pdf_launch": _(
        "The file %(name)s contains an action that starts another program. Save the document "
        "as a plain PDF (for example print it to PDF) and attach the new file."
    ),
    "pdf_open_action": _(
        "The file %(name)s does something by itself when it is opened or read (for example it "
        "opens a web page). Save the document as a plain PDF (for example print it to PDF) and "
        "attach the new file."
    ),
    "pdf_submit_form": _(
        "The file %(name)s contains a form that sends what is typed into it to an address on "
        "the internet. Save the document as a plain PDF (for example print it to PDF) and "
        "attach the new file."
    ),
    "pdf_other_file": _(
        "The file %(name)s contains a link or a form that opens or reads another file. Save the "
        "document as a plain PDF (for example print it to PDF) and attach the new file; attach "
        "any other document as a PDF of its own."
    ),
    "pdf_multimedia": _(
        "The file %(name)s contains sound, video, Flash or 3D content. Save the document as a "
        "plain PDF with its pages only (for example print it to PDF) and attach the new file."
    ),
    "pdf_xfa": _(
        "The file %(name)s is a dynamic (XFA) form, which runs scripts of its own. Print the "
        "filled-in form to PDF and attach the new file."
    ),
    "pdf_embedded_file": _(
        "The file %(name)s contains attached or embedded files. Attach each document as a PDF "
        "of its own, save this one without attachments and attach it again."
    ),
    "pdf_no_pages": _("The file %(name)s has no pages. Attach the PDF of the document."),
    "pdf_too_complex": _(
        "The file %(name)s is too complex to check (more than %(limit)s objects or a very large "
        "compressed part). Save it as a plain PDF (for example print it to PDF) and attach it "
        "again."
    ),
    "photo_too_large": _(
        "The photo %(name)s is larger than %(limit_kb)s KB. Make it smaller (for example about "
        "450 × 600 pixels, JPEG) and attach it again."
    ),
    "photo_empty": _("The photo %(name)s is empty. Choose the photo file again."),
    "photo_not_jpeg": _(
        "The photo %(name)s is not a JPEG image (its content is not JPEG, whatever its name "
        "says). Save the photo as JPEG (.jpg) and attach it again."
    ),
    "photo_damaged": _(
        "The photo %(name)s is damaged or incomplete and cannot be shown. Save the photo as "
        "JPEG again and attach the new file."
    ),
    "photo_too_many_pixels": _(
        "The photo %(name)s has too many pixels (at most %(limit)s allowed). Reduce it (for "
        "example to about 450 × 600 pixels) and attach it again."
    ),
}

_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
_JPEG_MAGIC = b"\xff\xd8\xff"


@dataclass(frozen=True)
class CheckedPdf:
    """What ``check_pdf`` learnt about an accepted PDF."""

    name: str
    size: int
    sha256: str
    pages: int


@dataclass(frozen=True)
class CheckedPhoto:
    """What ``check_photo`` learnt about an accepted face photo."""

    name: str
    size: int
    sha256: str
    width: int
    height: int


def limit(name: str) -> int:
    """The configured value of a ZAIRYU_UPLOAD_* setting (read when called, never at import)."""
    return int(getattr(settings, name, DEFAULTS[name]))


def _refuse(code: str, **params) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code, params=params)


def _mb(size: int) -> str:
    return f"{size / MB:.1f}".rstrip("0").rstrip(".")


def _file_name(uploaded) -> str:
    # Only the last part: a browser or an API client may send a path.
    name = str(getattr(uploaded, "name", "") or "")
    return os.path.basename(name.replace("\\", "/")) or "(unnamed)"


def _rewind(uploaded) -> None:
    # A stream that cannot seek is read once, from where it is.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        uploaded.seek(0)


def _read_bounded(uploaded, *, max_bytes: int, too_large: str, name: str) -> bytes:
    """Read at most ``max_bytes + 1`` bytes; refuse before reading when the size says so."""
    declared = getattr(uploaded, "size", None)
    params = {"name": name}
    if too_large == "pdf_too_large":
        params["limit_mb"] = _mb(max_bytes)
    else:
        params["limit_kb"] = max_bytes // 1024
    if declared is not None and declared > max_bytes:
        raise _refuse(too_large, **params)
    _rewind(uploaded)
    data = uploaded.read(max_bytes + 1)
    _rewind(uploaded)  # the caller stores the file next
    if len(data) > max_bytes:  # the declared size lied
        raise _refuse(too_large, **params)
    return data


# --- PDF documents (A-6, SEC-4) --------------------------------------------------------------


def check_pdf(uploaded) -> CheckedPdf:
    """A-6 / SEC-4: accept a real, unprotected PDF without active content, or refuse it.

    ``uploaded`` is a Django ``UploadedFile`` or any file-like object with ``read`` (and
    ``size``, which is checked before reading). Returns name, size, SHA-256 and page count.
    """
    import pikepdf  # noqa: PLC0415 (qpdf is loaded only where PDFs are checked)

    name = _file_name(uploaded)
    data = _read_bounded(
        uploaded,
        max_bytes=limit("ZAIRYU_UPLOAD_PDF_MAX_BYTES"),
        too_large="pdf_too_large",
        name=name,
    )
    if not data:
        raise _refuse("pdf_empty", name=name)
    if not _PDF_HEADER.match(data):
        raise _refuse("pdf_not_pdf", name=name)
    max_objects = limit("ZAIRYU_UPLOAD_PDF_MAX_OBJECTS")
    # qpdf's limits are process-wide; lowered for this check only and put back afterwards.
    previous = pikepdf.settings.set_qpdf_limits(
        flate_max_memory=limit("ZAIRYU_UPLOAD_PDF_MAX_STREAM_BYTES")
    )
    try:
        pages = _inspect_pdf(pikepdf, data, name=name, max_objects=max_objects)
    finally:
        pikepdf.settings.set_qpdf_limits(**previous)
    return CheckedPdf(
        name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), pages=pages
    )


def _inspect_pdf(pikepdf, data: bytes, *, name: str, max_objects: int) -> int:  # noqa: C901, PLR0912 - a debt (docs/architecture.md)
    try:
        # Without recovery: qpdf would otherwise rebuild a truncated or damaged file silently.
        pdf = pikepdf.open(io.BytesIO(data), attempt_recovery=False)
    except pikepdf.PasswordError as exc:
        raise _refuse("pdf_encrypted", name=name) from exc
    except pikepdf.PdfError as exc:
        # An unknown security handler (e.g. one that asks a server for the key, 002 Q4-2's
        # "network authentication") fails to open like a damaged file; the /Encrypt entry
        # tells them apart.
        code = "pdf_encrypted" if b"/Encrypt" in data else "pdf_damaged"
        raise _refuse(code, name=name) from exc
    except Exception as exc:  # qpdf reports broken input in several ways
        raise _refuse("pdf_damaged", name=name) from exc
    with pdf:
        if pdf.is_encrypted:
            allow = pdf.allow
            printable = allow.print_lowres or allow.print_highres
            if not (printable and allow.extract):
                raise _refuse("pdf_restricted", name=name)
            # An owner password with nothing restricted is still a security setting (Q4-2).
            raise _refuse("pdf_encrypted", name=name)
        try:
            declared = int(pdf.trailer.get("/Size", 0))
        except (TypeError, ValueError) as exc:
            raise _refuse("pdf_damaged", name=name) from exc
        if declared > max_objects + 1:
            raise _refuse("pdf_too_complex", name=name, limit=max_objects)
        try:
            code = _active_content(pdf, pikepdf, max_objects=max_objects)
            pages = len(pdf.pages)
        except _TooComplex as exc:
            raise _refuse("pdf_too_complex", name=name, limit=max_objects) from exc
        except Exception as exc:
            raise _refuse("pdf_damaged", name=name) from exc
        for warning in pdf.get_warnings():
            text = str(warning)
            if "memory limit" in text:
                raise _refuse("pdf_too_complex", name=name, limit=max_objects)
            if "error decoding stream" in text or "unfilterable stream" in text:
                raise _refuse("pdf_damaged", name=name)
        if code:
            raise _refuse(code, name=name)
        if pages == 0:
            raise _refuse("pdf_no_pages", name=name)
        return pages


class _TooComplex(Exception):
    pass


# What active content is refused, and why (the refusal codes of MESSAGES). Action types
# (/S) anywhere in the document — on links, form fields, outlines, /Next chains, name trees:
_ACTIONS = {
    "/JavaScript": "pdf_javascript",
    "/Launch": "pdf_launch",  # starts a program
    "/SubmitForm": "pdf_submit_form",  # sends the form's fields to a URL
    "/GoToR": "pdf_other_file",  # opens another PDF file
    "/ImportData": "pdf_other_file",  # fills the form from another file
    "/GoToE": "pdf_embedded_file",  # opens an embedded file
    "/Sound": "pdf_multimedia",
    "/Movie": "pdf_multimedia",
    "/Rendition": "pdf_multimedia",  # plays a media clip (and may carry a script)
    "/RichMediaExecute": "pdf_multimedia",  # commands to a Flash or video player
}
# Annotation and other subtypes (/Subtype) that carry active content or media.
_SUBTYPES = {
    "/FileAttachment": "pdf_embedded_file",
    "/RichMedia": "pdf_multimedia",  # Flash, video (Acrobat 9+)
    "/Screen": "pdf_multimedia",
    "/Sound": "pdf_multimedia",
    "/Movie": "pdf_multimedia",
    "/3D": "pdf_multimedia",  # 3D models, which can carry scripts of their own
}
# Keys whose mere presence is refused. /AA ("additional actions") runs actions on page, field
# or document events without a click.
_KEYS = {
    "/JS": "pdf_javascript",
    "/JavaScript": "pdf_javascript",  # the document-level scripts' name tree
    "/XFA": "pdf_xfa",  # in /AcroForm: an XFA form, with scripts of its own
    "/AA": "pdf_open_action",
    "/EmbeddedFiles": "pdf_embedded_file",
    "/EmbeddedFile": "pdf_embedded_file",
    "/EF": "pdf_embedded_file",
    "/RichMediaContent": "pdf_multimedia",
}
# When a file has several, the reason given is the first of this list.
_ORDER = (
    "pdf_javascript",
    "pdf_xfa",
    "pdf_launch",
    "pdf_submit_form",
    "pdf_other_file",
    "pdf_open_action",
    "pdf_multimedia",
    "pdf_embedded_file",
)
# Steps through the /OpenAction's chain of actions (/Next) before it is refused.
_MAX_CHAIN = 100


def _worse(found: str | None, code: str | None) -> str | None:
    if code is None:
        return found
    if found is None or _ORDER.index(code) < _ORDER.index(found):
        return code
    return found


def _active_content(pdf, pikepdf, *, max_objects: int) -> str | None:  # noqa: C901 - a debt (docs/architecture.md)
    """Walk every object (those inside object streams included) and every direct dictionary
    or array nested in it, then the catalog's /OpenAction; return the refusal code of the most
    serious active content found. The work is bounded by ``max_objects``."""
    Dictionary, Array, Stream, Name = (
        pikepdf.Dictionary,
        pikepdf.Array,
        pikepdf.Stream,
        pikepdf.Name,
    )
    found: str | None = None
    count = 0
    for obj in pdf.objects:
        count += 1
        if count > max_objects:
            raise _TooComplex
        stack = [obj]
        while stack:
            item = stack.pop()
            if isinstance(item, Array):
                children = list(item)
            elif isinstance(item, (Dictionary, Stream)):
                keys = set(item.keys())
                action, subtype, kind = item.get("/S"), item.get("/Subtype"), item.get("/Type")
                for key in keys.intersection(_KEYS):
                    found = _worse(found, _KEYS[key])
                if isinstance(action, Name):
                    found = _worse(found, _ACTIONS.get(str(action)))
                if isinstance(subtype, Name):
                    found = _worse(found, _SUBTYPES.get(str(subtype)))
                if kind == Name.EmbeddedFile:
                    found = _worse(found, "pdf_embedded_file")
                if found == "pdf_javascript":
                    return found  # the most serious: stop here
                children = [item[key] for key in keys]
            else:
                continue
            # Indirect objects are visited on their own (pdf.objects lists them all).
            stack.extend(
                child
                for child in children
                if isinstance(child, (Dictionary, Array)) and not child.is_indirect
            )
    return _worse(found, _open_action(pdf.Root.get("/OpenAction"), pikepdf))


def _open_action(action, pikepdf) -> str | None:
    """What the document does by itself when opened: nothing to refuse for a destination (an
    array: the page to open at) or a /GoTo to one, with any /Next actions also /GoTo;
    ``pdf_open_action`` for anything else (a web page, a named menu command, a media clip …).
    The action types refused wherever they are were found by the walk already."""
    if action is None or isinstance(action, (pikepdf.Array, pikepdf.Name, pikepdf.String)):
        return None  # a destination (explicit, or named)
    chain, steps = [action], 0
    while chain:
        steps += 1
        if steps > _MAX_CHAIN:  # a chain this long (or a loop) is no plain destination
            return "pdf_open_action"
        item = chain.pop()
        if isinstance(item, pikepdf.Array):  # /Next may list several actions
            chain.extend(item)
            continue
        if not isinstance(item, pikepdf.Dictionary) or item.get("/S") != pikepdf.Name.GoTo:
            return "pdf_open_action"
        following = item.get("/Next")
        if following is not None:
            chain.append(following)
    return None


# --- Face photos (A-7, SEC-4) ------------------------------------------------------------------


def check_photo(uploaded) -> CheckedPhoto:
    """A-7 / SEC-4: accept a decodable JPEG of at most 50 KB (002 Q4-6), or refuse it.

    The seed's other rules (only the applicant, no hat, facing forward, no background, clear,
    taken within 6 months, the counter photo standard) are for the officer who looks at the
    photo, not for a machine; "Check photo" (Q5-7) shows the user what was attached.
    """
    from PIL import Image  # noqa: PLC0415

    name = _file_name(uploaded)
    data = _read_bounded(
        uploaded,
        max_bytes=limit("ZAIRYU_UPLOAD_PHOTO_MAX_BYTES"),
        too_large="photo_too_large",
        name=name,
    )
    if not data:
        raise _refuse("photo_empty", name=name)
    if not data.startswith(_JPEG_MAGIC):
        raise _refuse("photo_not_jpeg", name=name)
    max_pixels = limit("ZAIRYU_UPLOAD_PHOTO_MAX_PIXELS")
    with warnings.catch_warnings():
        # Pillow's own bomb guard warns at MAX_IMAGE_PIXELS and raises at twice that: both
        # refuse the photo.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=["JPEG"])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _refuse("photo_too_many_pixels", name=name, limit=max_pixels) from exc
        except Image.UnidentifiedImageError as exc:
            raise _refuse("photo_not_jpeg", name=name) from exc
        except Exception as exc:
            raise _refuse("photo_damaged", name=name) from exc
        with image:
            width, height = image.size
            # From the header, before a single pixel is decoded.
            if width <= 0 or height <= 0:
                raise _refuse("photo_damaged", name=name)
            if width * height > max_pixels:
                raise _refuse(
                    "photo_too_many_pixels",
                    name=name,
                    limit=max_pixels,
                    width=width,
                    height=height,
                )
            try:
                image.load()  # decodes every pixel: a truncated file fails here
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise _refuse("photo_too_many_pixels", name=name, limit=max_pixels) from exc
            except Exception as exc:
                raise _refuse("photo_damaged", name=name) from exc
    return CheckedPhoto(
        name=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
    )
