"""Service O filings: SSW / RSO notifications and JLI reports (SPEC OF-1..OF-5, seed 004).

An ``OFiling`` is one notification or report of an organization, its items and sheet rows kept
whole in ``content`` (what ``kinds.SPECS`` asks for its kind). The filer may change it while it
waits, and every change keeps the earlier content in ``OFilingVersion`` (004 Q12).

**Lifecycle (OF-2, 004 Q11, Q12).** ``O_TRANSITIONS`` is the one table of allowed moves,
``O_FILING`` its lifecycle (``zairyu.core.lifecycle``) and ``services.transition`` the one
function that applies them through it (it locks the row, appends an ``OFilingStateChange``,
writes the audit event and queues the mail in one transaction); only returnable kinds enter
返却中 (``rules.may_transition``)::

    (new) ──submit──▶ 処理待ち pending ──officer──▶ 完了 completed
                        │  ▲  │ ▲
                        │  │  │ └─ the filer changes it (stays pending, a new version)
                        │  │  └──officer, JLI reports only──▶ 返却中 returned
                        │  └──── the filer corrects and resubmits ◀──┘
                        └──filer or officer──▶ 取下げ withdrawn ◀── (also from returned)

Completed and withdrawn are final: nothing moves them, so the filer cannot change or withdraw
a completed filing (004 Q11: "完了となると修正、取下げを行うことはできません").

**Retention (OF-3, 004 Q10).** Final filings are deleted by a daily job
``settings.ZAIRYU_SERVICE_O_RETENTION_DAYS`` days after they became final, with their versions
and state history; the audit trail keeps the events (ids and states, no content).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zairyu.core.encrypted import EncryptedJSONField
from zairyu.core.lifecycle import IllegalTransition, Lifecycle, StateChange

__all__ = [
    "OFiling",
    "OFilingState",
    "OFilingStateChange",
    "OFilingStateError",
    "OFilingVersion",
    "O_EDITABLE",
    "O_FILING",
    "O_NEW",
    "O_TERMINAL",
    "O_TRANSITIONS",
]


class OFilingState(models.TextChoices):
    PENDING = "pending", _("Pending")  # 処理待ち
    RETURNED = "returned", _("Returned for correction")  # 返却中
    COMPLETED = "completed", _("Completed")  # 完了
    WITHDRAWN = "withdrawn", _("Withdrawn")  # 取下げ


O_NEW = ""  # a filing being created has no state yet

O_TRANSITIONS: dict[str, frozenset[str]] = {
    O_NEW: frozenset({OFilingState.PENDING}),
    # pending → pending is the filer's change (届出の変更): a new version, mailed.
    OFilingState.PENDING: frozenset(
        {
            OFilingState.PENDING,
            OFilingState.COMPLETED,
            OFilingState.RETURNED,
            OFilingState.WITHDRAWN,
        }
    ),
    # A returned report is corrected and resubmitted (→ pending) or withdrawn.
    OFilingState.RETURNED: frozenset({OFilingState.PENDING, OFilingState.WITHDRAWN}),
    OFilingState.COMPLETED: frozenset(),
    OFilingState.WITHDRAWN: frozenset(),
}


class OFilingStateError(IllegalTransition):
    """A transition the state table does not allow."""


O_FILING = Lifecycle("service O filing", O_TRANSITIONS, error=OFilingStateError)

O_TERMINAL = frozenset({OFilingState.COMPLETED, OFilingState.WITHDRAWN})
# The filer may change or withdraw these (004 Q11, Q12).
O_EDITABLE = frozenset({OFilingState.PENDING, OFilingState.RETURNED})


class OFiling(models.Model):
    """One notification or report filed in service O."""

    State = OFilingState
    TRANSITIONS = O_TRANSITIONS

    kind = models.ForeignKey(
        "reference.ServiceOKind",
        verbose_name=_("kind"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # see Meta (ofilings_search_idx)
    )
    state = models.CharField(
        _("state"), max_length=20, choices=OFilingState.choices, default=OFilingState.PENDING
    )
    filer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="service_o_filings",
    )
    organization = models.ForeignKey(
        "cards.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="service_o_filings",
        db_index=False,  # see Meta (ofilings_org_idx)
    )
    # The bureau with jurisdiction over the organization when it filed (BO-1, BO-4).
    bureau = models.ForeignKey(
        "reference.Bureau",
        verbose_name=_("bureau with jurisdiction"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # see Meta (ofilings_bureau_idx)
    )
    event_date = models.DateField(_("date the deadline counts from"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    late = models.BooleanField(_("filed after the deadline"), default=False)
    # The periodic notification's fiscal year (1 April of ``fiscal_year`` - 31 March next year).
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"), null=True, blank=True)
    content = EncryptedJSONField(_("content"))
    version = models.PositiveIntegerField(_("version"), default=1)
    # One per input form shown: a re-sent confirmation or the back button finds this filing.
    token = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    filed_at = models.DateTimeField(_("filed at"))
    filed_on = models.DateField(_("filing date"))
    changed_at = models.DateTimeField(_("last changed at"))
    state_changed_at = models.DateTimeField(_("state changed at"))
    # 返却中: the officer's correction request as mailed (kept after resubmission, in history).
    correction_request = models.TextField(_("correction request"), blank=True)

    class Meta:
        verbose_name = _("organization filing")
        verbose_name_plural = _("organization filings")
        ordering = ["-filed_at", "-id"]
        # The foreign keys that lead one of these indexes have no index of their own (issue 17).
        indexes = [
            # 申込内容照会: an organization's filings, newest first.
            models.Index(fields=["organization", "-filed_at"], name="ofilings_org_idx"),
            # The back office's queue: a bureau's filings by state, oldest first.
            models.Index(fields=["bureau", "state", "filed_at"], name="ofilings_bureau_idx"),
            # The officers' search (BO-4, selectors.ofiling_search; issue 17) by kind, state and
            # filing dates, newest first, in the officer's bureaus (as filings_search_idx …).
            models.Index(
                fields=["kind", "-filed_on", "-filed_at", "state", "bureau"],
                name="ofilings_search_idx",
            ),
            models.Index(
                fields=["state", "-filed_on", "-filed_at", "bureau"], name="ofilings_state_idx"
            ),
            models.Index(fields=["-filed_on", "-filed_at", "bureau"], name="ofilings_filed_idx"),
            # The retention job: final filings by when they became final.
            models.Index(
                fields=["state_changed_at"],
                condition=Q(state__in=["completed", "withdrawn"]),
                name="ofilings_final_idx",
            ),
        ]
        constraints = [
            O_FILING.constraint("ofilings_state_known"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """The filing's number as shown to users (申込番号)."""
        return f"O{self.pk:010d}" if self.pk else "O—"

    @property
    def is_final(self) -> bool:
        return self.state in O_TERMINAL

    @property
    def editable(self) -> bool:
        return self.state in O_EDITABLE


class OFilingVersion(models.Model):
    """An earlier content of a filing, kept when the filer changed it (004 Q12)."""

    filing = models.ForeignKey(OFiling, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    content = EncryptedJSONField(_("content"))
    created_at = models.DateTimeField(_("filed at"))
    # The change that replaced this version was made from the form with this token (a re-sent
    # confirmation finds it and does nothing).
    replaced_by_token = models.UUIDField(unique=True)
    replaced_at = models.DateTimeField(_("replaced at"))

    class Meta:
        verbose_name = _("earlier version")
        verbose_name_plural = _("earlier versions")
        ordering = ["filing", "number"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "number"], name="ofiling_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.filing_id} v{self.number}"


class OFilingStateChange(StateChange):
    """Append-only history of a filing's states (the timeline on its page)."""

    filing = models.ForeignKey(OFiling, on_delete=models.CASCADE, related_name="changes")
    to_state = models.CharField(_("to"), max_length=20, choices=OFilingState.choices)
    actor_repr = models.CharField(max_length=150, blank=True)
    # What happened: submitted, changed, resubmitted, completed, returned, withdrawn.
    action = models.CharField(_("action"), max_length=20)
    reason = models.TextField(_("reason"), blank=True)

    record_field = "filing"

    class Meta(StateChange.Meta):
        pass
