"""Why a filing ended in 登録エラー (NF-5, NF-7: "the error detail").

A filing stores a stable ``error_code`` and its ``error_params``; the message is written in the
reader's language when a page, a mail or the receipt shows it, so the resident reads it in their
language and the officer in theirs. Every message says what went wrong and what to do (001 Q72:
"エラー内容を確認し,正しい情報を入力した上で,届出をやり直してください").
"""

from django.utils.translation import gettext as _

from zairyu.reference.models import Status

from .labels import local_name

CARD_NOT_MATCHED = "card_not_matched"
STATUS_NOT_ELIGIBLE = "status_not_eligible"
STATUS_NOT_ACCEPTED = "status_not_accepted"
RESIDENT_NOT_REGISTERED = "resident_not_registered"
ORGANIZATION_NOT_ELIGIBLE = "organization_not_eligible"
ROSTER_NOT_MATCHED = "roster_not_matched"
SYSTEM_ERROR = "system_error"


def _status(code: str) -> str:
    status = Status.objects.filter(pk=code).first()
    return local_name(status) if status else code


def error_message(code: str, params: dict | None = None) -> str:
    """Return the message for a registration error, in the active language."""
    params = params or {}
    if code == CARD_NOT_MATCHED:
        return _(
            "The residence card data in this notification do not match a valid card in the "
            "registry: the card may have been renewed, invalidated or may have expired since, "
            "or a detail differs from the card. File the notification again with the data of "
            "the current residence card."
        )
    if code == STATUS_NOT_ELIGIBLE:
        return _(
            "The status of residence on the card (%(status)s) does not notify this event under "
            "Art. 19-16. If your status changed, choose a notification your new status allows, "
            "or ask the regional immigration bureau."
        ) % {"status": _status(params.get("status", ""))}
    if code == STATUS_NOT_ACCEPTED:
        return _(
            "This organization notification does not cover residents with the status "
            "%(status)s (the status on the resident's card). Check the resident and the "
            "notification chosen."
        ) % {"status": _status(params.get("status", ""))}
    if code == RESIDENT_NOT_REGISTERED:
        return _(
            "The resident is no longer registered with the e-Notification System, so the "
            "organization cannot file this notification for them. The resident can file it "
            "themselves, or at the regional immigration bureau."
        )
    if code == ORGANIZATION_NOT_ELIGIBLE:
        return _(
            "This kind of organization does not file this notification under Art. 19-17. Ask "
            "the regional immigration bureau which notification applies."
        )
    if code == ROSTER_NOT_MATCHED:
        lines = ", ".join(str(n) for n in params.get("lines", []))
        return _(
            "The data of the students on lines %(lines)s do not match a valid residence card of "
            "a student (留学) in the registry. Correct those lines and file the roster again."
        ) % {"lines": lines}
    if code == SYSTEM_ERROR:
        return _(
            "The notification could not be registered because of a problem in the system. "
            "Officers have been told; you do not need to file it again unless they ask you to."
        )
    return _("The notification could not be registered. Please file it again.")
