"""What the back office's use cases share: their errors (by field, with a code), the row lock
and saving the fields an action changes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zairyu.core import clock

from ...models import Application, ApplicationState

S = ApplicationState

# An officer's free text (notes, requests, reasons) is at most this many characters.
TEXT_MAX = 2000


def _error(field: str, message, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def _state_error(application: Application, action) -> ValidationError:
    return ValidationError(
        {
            "__all__": [
                ValidationError(
                    _("%(action)s is not possible while the application is “%(state)s”."),
                    code="wrong_state",
                    params={"action": action, "state": S(application.state).label},
                )
            ]
        }
    )


def _locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("procedure", "filer", "bureau", "status", "applicant_card")
        .get(pk=application.pk)
    )


def _require_text(field: str, value: str, *, label) -> str:
    text = (value or "").strip()
    if not text:
        raise _error(field, _("%(field)s is empty. Fill it in.") % {"field": label}, "required")
    if len(text) > TEXT_MAX:
        raise _error(
            field,
            _("%(field)s is too long (at most %(max)d characters). Shorten it.")
            % {"field": label, "max": TEXT_MAX},
            "too_long",
        )
    return text


def _save(application: Application, **fields) -> None:
    for name, value in fields.items():
        setattr(application, name, value)
    application.updated_at = clock.now()
    application.save(update_fields=[*fields, "updated_at"])


def _sync(target: Application, source: Application) -> None:
    target.__dict__.update({k: v for k, v in source.__dict__.items() if not k.startswith("_")})
