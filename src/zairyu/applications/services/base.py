"""What the filer's use cases share: their errors, the row lock, saving a draft, keeping the
caller's instance in step, the versions of a submitted application (A-12) and stored files.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zairyu.accounts.models import User
from zairyu.core import clock

from .. import rules
from ..content import FIELD_LABELS
from ..models import Application, ApplicationVersion
from ..selectors import current_documents

# --- errors -------------------------------------------------------------------------------


def _refusal(
    code: str, message: str, field: str = NON_FIELD_ERRORS, params: dict | None = None
) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code, params=params)]})


def _not_draft() -> ValidationError:
    return _refusal(
        "not_draft",
        _(
            "This application is no longer an unsubmitted draft, so it cannot be changed here. "
            "Open it from your application list to see its state."
        ),
    )


def _required(field: str) -> ValidationError:
    return ValidationError(
        _("%(field)s: enter it.") % {"field": FIELD_LABELS.get(field, field)}, code="required"
    )


def _merge(errors: dict[str, list], more: ValidationError) -> None:
    for field, items in more.error_dict.items() if hasattr(more, "error_dict") else []:
        errors.setdefault(field, []).extend(items)
    if not hasattr(more, "error_dict"):
        errors.setdefault(NON_FIELD_ERRORS, []).extend(more.error_list)


# --- the row and the caller's instance ----------------------------------------------------


def _save_draft(application: Application, fields: set[str]) -> None:
    """Save a locked draft; the A-5 index backs ``refuse_open_draft`` under a race."""
    now = clock.now()
    application.updated_at = now
    application.last_saved_at = now
    fields |= {"updated_at", "last_saved_at"}
    try:
        with transaction.atomic():
            application.save(update_fields=sorted(fields))
    except IntegrityError as exc:
        refusal = rules.refuse_open_draft(
            applicant_key=application.applicant_key,
            procedure=application.procedure_id,
            user=application.filer,
            exclude_id=application.pk,
        )
        if refusal is None:
            raise
        raise refusal.as_error() from exc


def _lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("procedure", "filer", "status", "applicant_card", "organization")
        .get(pk=application.pk)
    )


def _lock_own_draft(user: User, application: Application) -> Application:
    locked = _lock(application)
    if not rules.may_edit_draft(locked, user):
        raise _not_draft()
    return locked


def _sync(application: Application, locked: Application) -> Application:
    application.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    application._state = locked._state
    fields_cache = getattr(locked._state, "fields_cache", None)
    if fields_cache is not None:
        application._state.fields_cache = dict(fields_cache)
    return locked


# --- versions and stored files -----------------------------------------------------------


def _documents_snapshot(application: Application, version: int) -> list[dict]:
    return [
        {
            "id": d.pk,
            "kind": d.kind,
            "name": d.original_name,
            "size": d.size,
            "sha256": d.sha256,
            "requested_by_office": d.requested_by_office,
        }
        for d in current_documents(application, version=version)
    ]


def version_record(
    application: Application, *, actor: User, at: dt.datetime | None = None, note: str = ""
) -> ApplicationVersion:
    """Write ``application.version`` as it stands now (A-12): the content, the documents of that
    version, the receipt method and the photo; earlier versions are never changed."""
    return ApplicationVersion.objects.create(
        application=application,
        number=application.version,
        content=application.content,
        documents=_documents_snapshot(application, application.version),
        receipt_method=application.receipt_method,
        photo_sha256=application.photo_sha256,
        created_at=at or clock.now(),
        actor=actor,
        actor_repr=str(actor)[:150],
        note=(note or "")[:500],
    )


def _stored_name(prefix: str, extension: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}.{extension}"


def _delete_files_after_commit(files) -> None:
    files = [(f.name, f.storage) for f in files if f]
    if files:
        transaction.on_commit(lambda: [storage.delete(name) for name, storage in files])
