"""Documents and the face photo (A-6, A-7, A-12; 002 Q4-1..Q4-7, Q5-7): attaching a PDF to a
draft, to the next version of a submitted application or on the office's request, removing
one, and attaching or replacing the photo. Who may attach what now is ``rules.actions``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.audit.services import audit_record
from zairyu.core import clock

from .. import rules, uploads
from ..models import Application, ApplicationDocument, ApplicationState, DocumentKind
from ..selectors import current_documents
from .base import _delete_files_after_commit, _lock, _not_draft, _refusal, _stored_name, _sync

S = ApplicationState


def _document_mode(application: Application, user: User) -> str:
    """How a document may be attached now (``rules.document_mode``: "draft", "amend" or
    "reattach"); else refused."""
    if not rules.is_own(application, user):
        raise _not_draft()
    mode = rules.document_mode(application, user)
    if mode is not None:
        return mode
    raise _refusal(
        "not_amendable",
        _(
            "Documents can no longer be attached to this application. If the office asks for "
            "more documents it opens re-attachment and tells you."
        ),
        field="file",
    )


def _counted_documents(locked: Application, mode: str):
    """The files the total limit counts (A-6): a re-attachment's own (Q4-3, Q4-5), else the
    application's."""
    documents = current_documents(locked)
    if mode != "reattach":
        return documents.filter(requested_by_office=False)
    if locked.reattachment_opened_at:
        return documents.filter(
            requested_by_office=True, uploaded_at__gte=locked.reattachment_opened_at
        )
    return documents.filter(requested_by_office=True)


def _touch(locked: Application) -> None:
    """Save ``updated_at`` (and a draft's ``last_saved_at``, A-9) after a file changed."""
    locked.updated_at = clock.now()
    fields = ["updated_at"]
    if locked.state == S.DRAFT:
        locked.last_saved_at = locked.updated_at
        fields.append("last_saved_at")
    locked.save(update_fields=fields)


def document_add(
    *,
    user: User,
    application: Application,
    kind: str,
    upload,
    over_limit_declaration: bool = False,
    request: HttpRequest | None = None,
) -> ApplicationDocument:
    """Attach one PDF (A-6): ``upload`` is checked by ``applications.uploads`` (real PDF, not
    encrypted, no restrictions, no JavaScript or embedded files, per-file and total limits) and
    refused at once with the reason (field ``file``, codes from uploads). Allowed on a draft,
    and on a submitted application while amendable (A-12, becomes part of the next version) or
    while ``reattachment_open`` (Q4-3, Q4-5: ``requested_by_office=True``; the limit counts the
    files of this re-attachment). ``kind`` is a ``DocumentKind`` (field ``kind``, code
    ``invalid_choice``). The over-limit path (Q4-3): files that would pass the total are
    refused (``pdf_total_too_large``); the user attaches what fits with
    ``over_limit_declaration=True`` and the declaration (kind ``declaration``, 参考様式9) and
    the rest when the office opens re-attachment. Writes an ``ApplicationDocument`` (sha256,
    size, original name, ``version_added``) and audit
    ``applications.application.document_added``. Returns the document.
    """
    if kind not in DocumentKind.values:
        raise _refusal(
            "invalid_choice", _("Choose what the document is from the list."), field="kind"
        )
    try:
        checked = uploads.check_pdf(upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.error_list}) from exc
    with transaction.atomic():
        locked = _lock(application)
        mode = _document_mode(locked, user)
        documents = _counted_documents(locked, mode)
        try:
            uploads.check_total([*documents.values_list("size", flat=True), checked.size])
        except ValidationError as exc:
            raise ValidationError({"file": exc.error_list}) from exc
        version = {
            "draft": 0,
            "amend": locked.version + 1,
            "reattach": locked.version,
        }[mode]
        document = ApplicationDocument(
            application=locked,
            kind=kind,
            original_name=checked.name[:200],
            size=checked.size,
            sha256=checked.sha256,
            uploaded_at=clock.now(),
            uploaded_by=user,
            version_added=version,
            over_limit_declaration=bool(over_limit_declaration),
            requested_by_office=mode == "reattach",
        )
        document.file.save(_stored_name("document", "pdf"), File(upload), save=False)
        document.save()
        _touch(locked)
        audit_record(
            action="applications.application.document_added",
            obj=locked,
            actor=user,
            after={
                "document": document.pk,
                "kind": kind,
                "size": checked.size,
                "sha256": checked.sha256,
                "version": version,
                "requested_by_office": document.requested_by_office,
            },
            request=request,
        )
    _sync(application, locked)
    return document


def document_remove(
    *, user: User, application: Application, document_id: int, request: HttpRequest | None = None
) -> None:
    """Remove an attached PDF: deleted (row and file) on a draft, and a file added for the
    next amendment; on a submitted application (amendment, A-12) only marked
    ``version_removed`` so earlier versions keep it. Audit
    ``applications.application.document_removed``. Code ``not_amendable`` when neither
    applies; an unknown document (or another application's): code ``not_found``.
    """
    with transaction.atomic():
        locked = _lock(application)
        if not rules.is_own(locked, user):
            raise _not_draft()
        document = (
            ApplicationDocument.objects.select_for_update()
            .filter(application=locked, pk=document_id, version_removed__isnull=True)
            .first()
        )
        if document is None:
            raise _refusal(
                "not_found", _("This document is not attached (any more)."), field="document"
            )
        amendable = rules.amendable(locked)
        if locked.state == S.DRAFT or (amendable and document.version_added > locked.version):
            _delete_files_after_commit([document.file])
            document.delete()
            removed = "deleted"
        elif amendable:
            document.version_removed = locked.version + 1
            document.save(update_fields=["version_removed"])
            removed = "next_version"
        else:
            raise _refusal(
                "not_amendable",
                _(
                    "Documents of an application under examination cannot be removed. Contact "
                    "the office that received it."
                ),
                field="document",
            )
        _touch(locked)
        audit_record(
            action="applications.application.document_removed",
            obj=locked,
            actor=user,
            after={"document": document_id, "removed": removed},
            request=request,
        )
    _sync(application, locked)


def photo_set(
    *, user: User, application: Application, upload, request: HttpRequest | None = None
) -> Application:
    """Attach the face photo (A-7): JPEG ≤ 50 KB, decoded safely (``uploads``; field
    ``photo``), only for procedures that need one (``photo_needed``: a residence card or a
    COE, not an applicant under 16; code ``photo_not_needed`` otherwise). On a draft, and on a
    submitted application while amendable (the next version). Replaces an earlier photo
    (a draft's old file is deleted); stores ``photo``, ``photo_sha256``, ``photo_size``.
    002 Q5-7: once the examination opened, a wrong person's photo is replaced only after the
    office opened it (``officer.photo_replacement_allow`` sets ``photo_replacement_open``);
    the replacement closes it again, the earlier file is kept and the audit event names both.
    Audit ``applications.application.photo_set``.
    """
    with transaction.atomic():
        locked = _lock(application)
        # 002 Q5-7: a wrong person's photo is replaced once the office opens it.
        replacing = rules.may_replace_photo(locked, user)
        mode = "replace" if replacing else _document_mode(locked, user)
        if mode == "reattach" and not rules.amendable(locked):
            raise _refusal(
                "not_amendable",
                _(
                    "The photo can no longer be replaced online. Contact the office that received "
                    "the application."
                ),
                field="photo",
            )
        if not rules.photo_needed(locked):
            raise _refusal(
                "photo_not_needed",
                _("No photo is needed for this application; nothing has to be attached."),
                field="photo",
            )
        try:
            checked = uploads.check_photo(upload)
        except ValidationError as exc:
            raise ValidationError({"photo": exc.error_list}) from exc
        old = locked.photo if locked.photo and locked.state == S.DRAFT else None
        old_name = old.name if old else ""
        before_sha256 = locked.photo_sha256
        locked.photo.save(_stored_name("photo", "jpg"), File(upload), save=False)
        locked.photo_sha256 = checked.sha256
        locked.photo_size = checked.size
        locked.updated_at = clock.now()
        fields = ["photo", "photo_sha256", "photo_size", "updated_at"]
        if mode == "replace":  # once: the office opens it again if need be
            locked.photo_replacement_open = False
            fields.append("photo_replacement_open")
        if locked.state == S.DRAFT:
            locked.last_saved_at = locked.updated_at
            fields.append("last_saved_at")
        locked.save(update_fields=fields)
        if old_name:
            storage = locked.photo.storage
            transaction.on_commit(lambda: storage.delete(old_name))
        audit_record(
            action="applications.application.photo_set",
            obj=locked,
            actor=user,
            before={"sha256": before_sha256} if before_sha256 else None,
            after={"sha256": checked.sha256, "size": checked.size, "mode": mode},
            request=request,
        )
    return _sync(application, locked)
