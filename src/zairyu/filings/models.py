"""Service N filings: notifications under Art. 19-16 (residents) and 19-17 (organizations).

A ``Filing`` is one notification as it was submitted: what the form asked is kept whole in
``content`` (NF-7: the history shows the full content; NF-6: a filing is never edited, a
corrected one is filed again). Which events exist, which items each asks and which statuses and
organizations may file them is reference data (``zairyu.reference``), not code.

**Lifecycle (NF-5, NF-6).** ``TRANSITIONS`` is the one table of allowed moves, ``FILING`` its
lifecycle (``zairyu.core.lifecycle``) and ``services.transition`` the one function that applies
them through it (it locks the row, appends a ``FilingStateChange``, writes the audit event and
queues the mails in one transaction)::

    (new) ──submit──▶ 登録中 registering ──registration task──▶ 登録完了 registered
                          │                                     │
                          ├──▶ 登録エラー error ──officer retry──▶ 登録中
                          ├──▶ superseded (a later identical filing of the same day counts)
                          └──▶ withdrawn (officer, 001 Q74)      registered ──▶ superseded /
                                                                             withdrawn

**Background work.** The row is the truth (``zairyu.core.work``): the registration task takes
the filing's id, claims the row with a lease and does nothing when the state moved on; the
sweeper re-enqueues filings still 登録中 after their lease ran out or whose task never ran.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zairyu.core.encrypted import BlindIndexField, EncryptedJSONField
from zairyu.core.lifecycle import IllegalTransition, Lifecycle, StateChange


class FilingState(models.TextChoices):
    REGISTERING = "registering", _("Registering")
    REGISTERED = "registered", _("Registered")
    ERROR = "error", _("Registration error")
    SUPERSEDED = "superseded", _("Superseded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A filing being created has no state yet: "" → registering is the submission.
NEW = ""

TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({FilingState.REGISTERING}),
    FilingState.REGISTERING: frozenset(
        {
            FilingState.REGISTERED,
            FilingState.ERROR,
            FilingState.SUPERSEDED,
            FilingState.WITHDRAWN,
        }
    ),
    FilingState.REGISTERED: frozenset({FilingState.SUPERSEDED, FilingState.WITHDRAWN}),
    # An officer who reviewed the error (e.g. corrected the registry) may run registration again.
    FilingState.ERROR: frozenset({FilingState.REGISTERING}),
    FilingState.SUPERSEDED: frozenset(),
    FilingState.WITHDRAWN: frozenset(),
}


class FilingStateError(IllegalTransition):
    """A transition the state table does not allow."""


FILING = Lifecycle("filing", TRANSITIONS, error=FilingStateError)

# Named groups of states (GOV.UK Notify style).
TERMINAL = frozenset({FilingState.SUPERSEDED, FilingState.WITHDRAWN})
VALID = frozenset({FilingState.REGISTERED})  # the filing counts (001 Q57: once registered)
FAILED = frozenset({FilingState.ERROR})


class FiledAs(models.TextChoices):
    RESIDENT = "resident", _("By the resident (Art. 19-16)")
    PROXY = "proxy", _("By the organization on the resident's request (Art. 19-16)")
    ORGANIZATION = "organization", _("By the organization (Art. 19-17)")


class Filing(models.Model):
    """One notification filed in service N."""

    State = FilingState
    TRANSITIONS = TRANSITIONS

    filed_as = models.CharField(_("filed"), max_length=20, choices=FiledAs.choices)
    event = models.ForeignKey(
        "reference.NotificationEvent",
        verbose_name=_("notification"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # see Meta (filings_search_idx)
    )
    state = models.CharField(
        _("state"), max_length=20, choices=FilingState.choices, default=FilingState.REGISTERING
    )
    # Who filed: the account (resident or organization) and, for organizations, which one.
    filer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="filings",
        db_index=False,  # see Meta (filings_filer_idx)
    )
    organization = models.ForeignKey(
        "cards.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="filings",
        db_index=False,  # see Meta (filings_org_idx)
    )
    # Whose notification it is (Art. 19-16): the resident's account sees it in their history,
    # also when the organization filed it for them (NF-4).
    resident_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resident_filings",
        db_index=False,  # see Meta (filings_resident_idx)
    )
    # The person and card the notification is about (empty for a roster, which lists many).
    person = models.ForeignKey(
        "cards.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="filings",
    )
    card = models.ForeignKey(
        "cards.ResidenceCard",
        verbose_name=_("residence card"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    bureau = models.ForeignKey(
        "reference.Bureau",
        verbose_name=_("bureau with jurisdiction"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # see Meta (filings_bureau_idx)
    )
    event_date = models.DateField(_("date of the event"))
    deadline = models.DateField(_("deadline"))
    late = models.BooleanField(_("filed after the deadline"), default=False)
    # SEC-3: encrypted whole (it copies the card face); the officer's search by card number
    # reads the blind index of the resident's card number beside it.
    content = EncryptedJSONField(_("content"))
    card_number_index = BlindIndexField(
        source="resident_card_number", purpose="card-number", null=True, db_index=False
    )  # indexed in Meta (one b-tree; db_index would add a useless LIKE one on PostgreSQL)
    # SHA-256 of what makes two filings "identical" (NF-6, 001 Q73); see rules.content_digest.
    digest = models.CharField(max_length=64)
    # One per input form shown: a re-sent form or the back button finds the same filing.
    token = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    filed_at = models.DateTimeField(_("filed at"))
    filed_on = models.DateField(_("filing date"))
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("state changed at"))
    # 登録エラー: a stable code and its parameters; the message is rendered in the reader's
    # language (errors.py).
    error_code = models.CharField(_("error"), max_length=40, blank=True)
    error_params = models.JSONField(_("error details"), default=dict, blank=True)
    # BO-4: an officer looked at the error (and told the filer, or corrected the registry).
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    # Background registration (zairyu.core.work): the claim's lease and the attempts so far;
    # when the sweeper last woke it (core.work.wake_due; the first wake-up follows the commit
    # of ``state_changed_at``).
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    woken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-filed_at", "-id"]
        # The foreign keys that lead one of these indexes have no index of their own (issue
        # 17): it would be a second index (two for a code: varchar_pattern_ops) that every
        # insert of 10M filings pays for and no query needs.
        indexes = [
            # History pages: a filer's and a resident's filings, newest first.
            models.Index(fields=["filer", "-filed_at"], name="filings_filer_idx"),
            models.Index(fields=["resident_account", "-filed_at"], name="filings_resident_idx"),
            models.Index(fields=["organization", "-filed_at"], name="filings_org_idx"),
            # The officers' search (BO-4, selectors.filing_search; issue 17): by notification,
            # by state, by filing dates, in the officer's bureaus, newest first. Each index
            # leads with what the search names and continues in the search's order (filing
            # date, then time), so a page reads 25 rows and the count reads the index alone.
            # A bureau's filings by state, also the error queue:
            models.Index(
                fields=["bureau", "state", "-filed_on", "-filed_at"], name="filings_bureau_idx"
            ),
            models.Index(
                fields=["event", "-filed_on", "-filed_at", "state", "bureau"],
                name="filings_search_idx",
            ),
            models.Index(
                fields=["state", "-filed_on", "-filed_at", "bureau"], name="filings_state_idx"
            ),
            models.Index(fields=["-filed_on", "-filed_at", "bureau"], name="filings_filed_idx"),
            # The search by card number (SEC-3: the blind index of the number in the content).
            models.Index(fields=["card_number_index"], name="filings_card_number_idx"),
            # Same-day identical filings (NF-6).
            models.Index(fields=["digest", "filed_on"], name="filings_identical_idx"),
            # The sweeper: filings still registering.
            models.Index(
                fields=["leased_until"],
                condition=Q(state="registering"),
                name="filings_registering_idx",
            ),
        ]
        constraints = [
            FILING.constraint("filings_state_known"),
            models.CheckConstraint(
                condition=Q(filed_as="resident", organization__isnull=True)
                | Q(filed_as__in=["proxy", "organization"], organization__isnull=False),
                name="filings_organization_when_organization_files",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def resident_card_number(self) -> str | None:
        """The card number the filer typed for the resident (None for a roster)."""
        resident = (self.content or {}).get("resident") or {}
        return resident.get("card_number") or None

    @property
    def number(self) -> str:
        """The filing's number as shown to users and on the receipt (届出番号)."""
        return f"N{self.pk:010d}" if self.pk else "N—"

    @property
    def is_final(self) -> bool:
        return self.state in TERMINAL


class FilingStateChange(StateChange):
    """Append-only history of a filing's states (the timeline on its page)."""

    filing = models.ForeignKey(Filing, on_delete=models.PROTECT, related_name="changes")
    to_state = models.CharField(_("to"), max_length=20, choices=FilingState.choices)
    # The actor is kept by id and name so the row survives the account (None: the system).
    actor_repr = models.CharField(max_length=150, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    record_field = "filing"

    class Meta(StateChange.Meta):
        pass


# Service O (SSW / RSO notifications, JLI reports) lives in its own sub-package.
from .service_o.models import *  # noqa: E402,F401,F403
