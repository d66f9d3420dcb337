"""Receipt numbers (A-10, REFERENCE.md §5): the background task's body, which claims a submitted
application with a lease and assigns its number, and the sweeper that hands out applications
whose task was lost.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from zairyu.audit.services import audit_record
from zairyu.core import clock
from zairyu.core.work import claim, lease_until, wake_due

from ..lifecycle import transition
from ..mails import application_mail
from ..models import Application, ApplicationState
from ..numbers import NumberExhausted, next_receipt_number
from .applicant import _bureau_for

S = ApplicationState

# A receipt number that failed this many times goes to エラー(申請受付番号取得エラー).
MAX_RECEIPT_ATTEMPTS = 5


def _receipt_ready(now: dt.datetime) -> Q:
    return Q(state=S.SUBMITTED, receipt_number__isnull=True) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )


def _receipt_failed(application: Application, code: str, note: str) -> None:
    """エラー(申請受付番号取得エラー) for an officer (BO-5); the filer is told."""
    failed = transition(
        application,
        to=S.RECEIPT_ERROR,
        note=note,
        changes={"receipt_error_code": code, "leased_until": None, "attempts": 0},
    )
    application_mail(failed, template="application_receipt_error", to_applicant=False)


def receipt_number_assign(*, application_id: int) -> bool:
    """Assign the receipt number (A-10, REFERENCE.md §5); the background task's body.

    Claims the application with a lease (``core.work.claim``, ready = submitted, no receipt
    number, lease empty or expired; ``attempts`` + 1 is the fencing token). Office: ``bureau``
    (the applicant's address; COE: the organization's), derived again when empty; letter: the
    main procedure's ``receipt_kanji``. In one transaction: ``next_receipt_number``,
    ``receipt_number``, ``receipt_assigned_at``, lease cleared, audit
    ``applications.application.receipt_assigned`` and mail ``application_receipt_number`` to
    the user and the applicant. A failure (no office: ``no_office``; no letter: ``no_letter``;
    exhausted series: ``number_exhausted``; too many attempts: ``too_many_attempts``) →
    ``transition(to=receipt_error)`` with ``receipt_error_code`` (attempts reset, so the task
    runs again once an officer moves it back to 申請完了). Returns True when it moved the
    application; idempotent.
    """
    now = clock.now()
    if not claim(
        Application.objects,
        pk=application_id,
        ready=_receipt_ready(now),
        claimed={"leased_until": lease_until(), "attempts": F("attempts") + 1},
    ):
        return False
    attempts = Application.objects.values_list("attempts", flat=True).get(pk=application_id)
    exhausted = False
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("procedure", "filer", "bureau", "organization", "applicant_card")
            .get(pk=application_id)
        )
        if locked.state != S.SUBMITTED or locked.receipt_number or locked.attempts != attempts:
            return False  # withdrawn meanwhile, or a newer claim took over (fencing)
        if attempts > MAX_RECEIPT_ATTEMPTS:
            _receipt_failed(locked, "too_many_attempts", "receipt number: too many attempts")
            return True
        bureau = locked.bureau or _bureau_for(locked, locked.organization)
        if bureau is None:
            _receipt_failed(
                locked, "no_office", "no office has jurisdiction over the address given"
            )
            return True
        letter = locked.procedure.receipt_kanji
        if not letter:
            _receipt_failed(locked, "no_letter", "the procedure has no receipt-number letter")
            return True
        try:
            with transaction.atomic():
                number = next_receipt_number(bureau=bureau, letter=letter)
        except NumberExhausted:
            exhausted = True
        else:
            at = clock.now()
            locked.receipt_number = number
            locked.receipt_assigned_at = at
            locked.bureau = bureau
            locked.leased_until = None
            locked.receipt_error_code = ""
            locked.updated_at = at
            locked.save(
                update_fields=[
                    "receipt_number",
                    "receipt_assigned_at",
                    "bureau",
                    "leased_until",
                    "receipt_error_code",
                    "updated_at",
                ]
            )
            audit_record(
                action="applications.application.receipt_assigned",
                obj=locked,
                after={"receipt_number": number, "bureau": bureau.pk},
            )
            application_mail(locked, template="application_receipt_number")
        if exhausted:
            _receipt_failed(locked, "number_exhausted", "the office's series is exhausted")
    return True


def receipt_sweep(*, limit: int = 1000) -> int:
    """Wake again submitted applications without a receipt number whose task was lost or whose
    worker died: not claimed (or the lease ran out) and not woken for
    ``ZAIRYU_URGENT_WAKE_GRACE_SECONDS`` (``core.work.wake_due``). Registered with
    ``core.work.register_sweeper`` on the urgent queue, swept every ``ZAIRYU_SWEEP_SECONDS``,
    so a lost number follows within a minute. Uses the partial index
    ``applications_receipt_idx``. Returns how many were woken."""
    from ..tasks import receipt_number_task

    return wake_due(
        Application.objects.filter(_receipt_ready(clock.now())),
        receipt_number_task,
        grace_seconds=settings.ZAIRYU_URGENT_WAKE_GRACE_SECONDS,
        since="state_changed_at",
        order_by=("state_changed_at", "pk"),
        limit=limit,
    )
