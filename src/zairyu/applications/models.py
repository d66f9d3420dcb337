"""Service A: online residence applications (SPEC A-1..A-17, BO-5; seeds 002 Q4-Q8, 003).

An ``Application`` is one application from its first draft (STEP1) to its end. What the steps
ask is kept in ``content`` organised by step (``step1``, ``personal1``, ``personal2``,
``organization``, ``step3`` …) so a draft saves partial input (A-9); the columns hold what
rules, lists, the back office and the unique indexes need.

**States (A-11, 002 Q4-35).** ``ApplicationState`` holds exactly the states of A-11; the agency's
Japanese terms are kept here (labels are English msgids, translated in the catalogues):

=================  ===============================  =========================================
value              agency's term                    meaning
=================  ===============================  =========================================
draft              入力完了(申請未了)                entered, not yet submitted (a draft)
submitted          申請完了                          received (provisional / receipt number)
examining          審査中                            an officer opened the examination
awaiting_issue     発行待ち                          approved, post: papers / issuance pending
completed          完了                              issued (post), e-COE sent, or approved for
                                                    counter receipt (Q4-35)
bulk_error         エラー(一括登録)                  a bulk row with errors (BK)
receipt_error      エラー(申請受付番号取得エラー)    no receipt number could be assigned
denied             不許可                            [B] denied
withdrawn          取下げ                            [B] withdrawn on request
=================  ===============================  =========================================

``TRANSITIONS`` is the one table of allowed moves (``lifecycle.APPLICATION``, the
``core.lifecycle`` machine); ``lifecycle.transition`` the one function that applies them (lock,
``ApplicationStateChange`` row, audit, optional mail):

- (new) → draft (STEP1) or bulk_error (a bulk row with errors); bulk_error → draft (corrected);
- draft → submitted (the user submits; a draft is deleted, never withdrawn);
- submitted → examining (officer) · receipt_error (no number) · withdrawn (on request);
- receipt_error → submitted (an officer fixed the cause; the task runs again) · withdrawn;
- examining → awaiting_issue (approved, received by post) · completed (approved, counter
  receipt or e-mailed COE, 002 Q4-35, Q8-1) · denied · withdrawn;
- awaiting_issue → completed (papers received, card / certificate issued and sent).

**Numbers (A-10, REFERENCE.md §5).** The provisional number (申請受付仮番号) is mailed at
submission from its own series (``ProvisionalCounter``); the receipt number (申請受付番号) is
prefix of the office + the procedure's letter + 8 digits, from ``ReceiptCounter`` (one row per
office and letter, taken with ``select_for_update``): unique per office and never reused.

**Background work.** Receipt numbers are assigned by a task that claims the application with a
lease (``leased_until``, ``attempts`` as the fencing token), like ``filings``; the sweeper hands
out submitted applications without a receipt number whose lease ran out.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zairyu.core.encrypted import EncryptedDateField, EncryptedJSONField
from zairyu.core.lifecycle import StateChange


class ApplicationState(models.TextChoices):
    """A-11. The labels carry the context "application state" so each gets the agency's term
    (申請完了 is not any other "Submitted"): 入力完了(申請未了), 申請完了, 審査中, 発行待ち, 完了,
    エラー(一括登録), エラー(申請受付番号取得エラー), and Zairyu's 不許可 and 取下げ."""

    DRAFT = "draft", pgettext_lazy("application state", "Entered (not yet submitted)")
    SUBMITTED = "submitted", pgettext_lazy("application state", "Submitted")
    EXAMINING = "examining", pgettext_lazy("application state", "Under examination")
    AWAITING_ISSUE = "awaiting_issue", pgettext_lazy("application state", "Awaiting issuance")
    COMPLETED = "completed", pgettext_lazy("application state", "Completed")
    BULK_ERROR = "bulk_error", pgettext_lazy("application state", "Error (bulk registration)")
    RECEIPT_ERROR = "receipt_error", pgettext_lazy("application state", "Error (receipt number)")
    DENIED = "denied", pgettext_lazy("application state", "Denied")
    WITHDRAWN = "withdrawn", pgettext_lazy("application state", "Withdrawn")


S = ApplicationState
# An application being created has no state yet: "" → draft (STEP1) or bulk_error (BK row).
NEW = ""

TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({S.DRAFT, S.BULK_ERROR}),
    # Submission. A draft is deleted (draft_purge, the user's "delete"), never withdrawn.
    S.DRAFT: frozenset({S.SUBMITTED}),
    # A corrected bulk row becomes an ordinary draft (002 Q4-25).
    S.BULK_ERROR: frozenset({S.DRAFT}),
    # Officer opens the examination (BO-5); the receipt task fails; withdrawal.
    S.SUBMITTED: frozenset({S.EXAMINING, S.RECEIPT_ERROR, S.WITHDRAWN}),
    # An officer fixed the cause: the receipt task runs again (BO-5).
    S.RECEIPT_ERROR: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    # Decision (BO-5, A-13): approved with papers to send by post → 発行待ち; approved with
    # counter receipt or an e-mailed COE → 完了 at once (002 Q4-35, Q8-1); denied.
    S.EXAMINING: frozenset({S.AWAITING_ISSUE, S.COMPLETED, S.DENIED, S.WITHDRAWN}),
    # Papers received and the card / certificate issued and sent.
    S.AWAITING_ISSUE: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.DENIED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# Named groups of states.
OPEN_DRAFT = frozenset({S.DRAFT})  # one per applicant and procedure
TERMINAL = frozenset({S.COMPLETED, S.DENIED, S.WITHDRAWN})
FAILED = frozenset({S.BULK_ERROR, S.RECEIPT_ERROR})
PENDING = frozenset({S.SUBMITTED, S.EXAMINING, S.AWAITING_ISSUE, S.RECEIPT_ERROR})
# the filer may amend while 申請完了 and no officer opened the examination.
AMENDABLE = frozenset({S.SUBMITTED})
# A-8 (Q5-1): the card / certificate receipt method may change while 申請完了 or 審査中.
RECEIPT_METHOD_CHANGEABLE = frozenset({S.SUBMITTED, S.EXAMINING})
# a withdrawal request is possible while the application is pending a decision.
WITHDRAWABLE = frozenset({S.SUBMITTED, S.EXAMINING, S.RECEIPT_ERROR})


class MainProcedure(models.TextChoices):
    """The procedures an application is filed for (A-1; codes of ``reference.Procedure``).

    Re-entry permits and other-activity permission are only add-ons (``reentry``,
    ``other_activity``) of change / extension / acquisition (002 Q1-4 (6), (7)).
    """

    COE = "coe", _("Certificate of Eligibility")
    CHANGE_OF_STATUS = "change_of_status", _("Change of status of residence")
    EXTENSION = "extension", _("Extension of period of stay")
    ACQUISITION = "acquisition", _("Acquisition of status of residence")
    WORK_CERTIFICATE = "work_certificate", _("Certificate of authorized employment")


# Procedures that may carry a re-entry permit or other-activity permission (002 Q1-4).
ADD_ON_PROCEDURES = frozenset(
    {MainProcedure.CHANGE_OF_STATUS, MainProcedure.EXTENSION, MainProcedure.ACQUISITION}
)
# Procedures whose result is a residence card (A-8: post or counter, with exceptions).
CARD_PROCEDURES = ADD_ON_PROCEDURES


class Reentry(models.TextChoices):
    NONE = "", _("No re-entry permit")
    SINGLE = "single", _("Re-entry permit (single)")
    MULTIPLE = "multiple", _("Re-entry permit (multiple)")


# reference.Procedure codes of the add-ons, for fees and receipt letters.
REENTRY_PROCEDURE = {Reentry.SINGLE: "reentry_single", Reentry.MULTIPLE: "reentry_multiple"}
OTHER_ACTIVITY_PROCEDURE = "other_activity"


class ReceiptMethod(models.TextChoices):
    """How the result is received (A-8, 002 Q5-1)."""

    EMAIL = "email", _("By e-mail")  # COE only (Q8-1)
    POST = "post", _("By post")
    COUNTER = "counter", _("At the immigration office counter")


class Relationship(models.TextChoices):
    """What the filer is to the applicant, for legal representatives and relatives (002 Q1-1)."""

    NONE = "", _("Not applicable")
    PARENTAL_AUTHORITY = "parental_authority", _("Person with parental authority (親権者)")
    MINOR_GUARDIAN = "minor_guardian", _("Guardian of a minor (未成年後見人)")
    ADULT_GUARDIAN = "adult_guardian", _("Guardian of an adult ward (成年後見人)")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Father or mother")


LEGAL_REPRESENTATIVE_RELATIONSHIPS = frozenset(
    {
        Relationship.PARENTAL_AUTHORITY,
        Relationship.MINOR_GUARDIAN,
        Relationship.ADULT_GUARDIAN,
    }
)
RELATIVE_RELATIONSHIPS = frozenset({Relationship.SPOUSE, Relationship.CHILD, Relationship.PARENT})


class WithdrawalAddOn(models.TextChoices):
    """002 Q4-33: what a withdrawal request withdraws when not the whole application."""

    NONE = "", _("The whole application")
    REENTRY = "reentry", _("Only the re-entry permit")
    OTHER_ACTIVITY = "other_activity", _("Only the permission for other activity")


class Decision(models.TextChoices):
    NONE = "", _("No decision yet")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")


class Application(models.Model):
    """One application of service A, from the draft to its end (see the module docstring)."""

    State = ApplicationState
    TRANSITIONS = TRANSITIONS

    # --- what is applied for (STEP1, A-1) ---
    procedure = models.ForeignKey(
        "reference.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"code__in": MainProcedure.values},
    )
    # The status applied for (COE, change, acquisition) or held and extended (extension);
    # empty for a work certificate and while STEP1 is incomplete.
    status = models.ForeignKey(
        "reference.Status",
        verbose_name=_("status of residence applied for"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # ISO 8601 like cards (P1Y, P3M, P90D): decides the passport stamp for stays ≤ 3 months.
    period_requested = models.CharField(_("period of stay applied for"), max_length=16, blank=True)
    reentry = models.CharField(
        _("re-entry permit"), max_length=10, choices=Reentry.choices, blank=True, default=""
    )
    other_activity = models.BooleanField(_("permission for other activity"), default=False)

    # --- who files, for whom (A-2) ---
    filer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    # The filer's organization (staff) or the organization named in STEP2-3; the COE's office is
    # its bureau.
    organization = models.ForeignKey(
        "cards.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    relationship = models.CharField(
        _("relationship to the applicant"),
        max_length=20,
        choices=Relationship.choices,
        blank=True,
        default="",
    )
    # The applicant in the registry (empty for a COE: the applicant is abroad and has no card).
    applicant_person = models.ForeignKey(
        "cards.Person",
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    applicant_card = models.ForeignKey(
        "cards.ResidenceCard",
        verbose_name=_("applicant's residence card"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who the application is about, for A-5 (rules.applicant_key): "person:<id>" for a card
    # holder, "coe:<nationality>:<birth date>:<name>" for a COE applicant; empty until known.
    applicant_key = models.CharField(max_length=200, blank=True, default="")
    # For lists and searches (the full data is in ``content``).
    applicant_name = models.CharField(_("applicant's name"), max_length=100, blank=True)
    applicant_birth_date = EncryptedDateField(_("applicant's date of birth"), null=True, blank=True)
    # A-3 / 002 Q4-30: mandatory at submission; receives the provisional and receipt numbers.
    applicant_email = models.EmailField(_("applicant's notification e-mail address"), blank=True)
    kanji_name_requested = models.BooleanField(_("kanji name on the card requested"), default=False)

    # --- the steps: partial input allowed while a draft ---
    content = EncryptedJSONField(_("content"), default=dict, blank=True)
    steps_done = models.JSONField(_("steps completed"), default=list, blank=True)
    receipt_method = models.CharField(
        _("receipt method"), max_length=10, choices=ReceiptMethod.choices, blank=True
    )
    photo = models.FileField(
        _("face photo"), upload_to="applications/photos/%Y/%m/", null=True, blank=True
    )
    photo_sha256 = models.CharField(max_length=64, blank=True)
    photo_size = models.PositiveIntegerField(null=True, blank=True)

    # --- state and numbers (A-10, A-11) ---
    state = models.CharField(
        _("state"), max_length=20, choices=ApplicationState.choices, default=S.DRAFT
    )
    state_changed_at = models.DateTimeField(_("state changed at"))
    provisional_number = models.CharField(
        _("provisional receipt number"), max_length=20, null=True, blank=True
    )
    receipt_number = models.CharField(_("receipt number"), max_length=20, null=True, blank=True)
    # The office with jurisdiction (applicant's address; COE: the organization's), Q4-16.
    bureau = models.ForeignKey(
        "reference.Bureau",
        verbose_name=_("office with jurisdiction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    filed_on = models.DateField(_("filing date"), null=True, blank=True)  # Q4-14
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    receipt_assigned_at = models.DateTimeField(
        _("receipt number assigned at"), null=True, blank=True
    )
    receipt_error_code = models.CharField(_("receipt error"), max_length=40, blank=True)
    # 0 while a draft; 1 at submission; +1 per amendment (ApplicationVersion rows).
    version = models.PositiveIntegerField(_("version"), default=0)
    # One per confirmation page shown: a re-sent "submit" finds the same application.
    submit_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    # --- background receipt-number assignment (zairyu.core.work) ---
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the sweeper last woke it (core.work.wake_due; the first wake-up follows the commit
    # of ``state_changed_at``).
    woken_at = models.DateTimeField(null=True, blank=True)

    # --- timestamps ---
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    # The last save of a draft by its user (A-9 purge of abandoned drafts).
    last_saved_at = models.DateTimeField(_("last saved at"))

    # --- withdrawal request (A-12) ---
    withdrawal_requested_at = models.DateTimeField(
        _("withdrawal requested at"), null=True, blank=True
    )
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # 002 Q4-33: the request withdraws only an add-on ("reentry" / "other_activity"), not the
    # main application; empty = the whole application.
    withdrawal_add_on = models.CharField(
        _("add-on to withdraw"), max_length=20, choices=WithdrawalAddOn.choices, blank=True
    )

    # --- back office (BO-5, A-13, A-14; issue #8) ---
    examination_opened_at = models.DateTimeField(_("examination opened at"), null=True, blank=True)
    examiner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("examining officer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, blank=True, default=""
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    period_granted = models.CharField(_("period of stay granted"), max_length=16, blank=True)
    stay_until_granted = models.DateField(_("period of stay granted ends"), null=True, blank=True)
    denial_reason = models.TextField(_("reason for denial"), blank=True)
    # the papers (fee stamp, envelope, current card) are due 14 days after approval.
    papers_due = models.DateField(_("papers due"), null=True, blank=True)
    papers_received_at = models.DateTimeField(_("papers received at"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # The fee of REFERENCE.md §7 fixed at the decision (fees.fee_for_application).
    fee_amount = models.PositiveIntegerField(_("fee (yen)"), null=True, blank=True)
    # A-6 (Q4-3, Q4-5): the office opened re-attachment (over-limit files, requested documents).
    reattachment_open = models.BooleanField(_("re-attachment open"), default=False)
    reattachment_opened_at = models.DateTimeField(
        _("re-attachment opened at"), null=True, blank=True
    )
    documents_requested = models.TextField(_("documents requested by the office"), blank=True)
    # 002 Q5-7: the office lets the filer attach the right photo (a wrong person's was sent).
    photo_replacement_open = models.BooleanField(_("photo replacement open"), default=False)
    # the electronic COE's public verification code; revoked COEs say so.
    coe_verification_code = models.CharField(max_length=40, null=True, blank=True)
    coe_revoked_at = models.DateTimeField(_("COE revoked at"), null=True, blank=True)
    officer_note = models.TextField(_("officer's note"), blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-updated_at", "-id"]
        indexes = [
            # The filer's application list, newest first, searchable by state.
            models.Index(fields=["filer", "state", "-updated_at"], name="applications_filer_idx"),
            models.Index(fields=["organization", "-updated_at"], name="applications_org_idx"),
            # The back office: a bureau's queue by state (BO-1, BO-5).
            models.Index(
                fields=["bureau", "state", "-submitted_at"], name="applications_bureau_idx"
            ),
            # draft_purge: abandoned drafts by last save.
            models.Index(
                fields=["last_saved_at"],
                condition=Q(state="draft"),
                name="applications_draft_idx",
            ),
            # receipt_sweep: submitted applications still without a receipt number.
            models.Index(
                fields=["leased_until"],
                condition=Q(state="submitted", receipt_number__isnull=True),
                name="applications_receipt_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["receipt_number"], name="applications_receipt_number_unique"
            ),
            models.UniqueConstraint(
                fields=["provisional_number"], name="applications_provisional_number_unique"
            ),
            models.UniqueConstraint(
                fields=["coe_verification_code"], name="applications_coe_code_unique"
            ),
            # A-5 (002 Q4-8): one draft per applicant and procedure. rules.refuse_open_draft
            # says so with a link to the draft; this is the backstop for a race.
            models.UniqueConstraint(
                fields=["applicant_key", "procedure"],
                condition=Q(state="draft") & ~Q(applicant_key=""),
                name="applications_one_draft_per_applicant",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ApplicationState.values), name="applications_state_known"
            ),
            models.CheckConstraint(
                condition=Q(reentry__in=Reentry.values), name="applications_reentry_known"
            ),
            models.CheckConstraint(
                condition=Q(receipt_method__in=["", *ReceiptMethod.values]),
                name="applications_receipt_method_known",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """The number shown to users: the receipt number, else the provisional one, else an id."""
        return self.receipt_number or self.provisional_number or f"A{self.pk or 0:010d}"

    @property
    def is_draft(self) -> bool:
        return self.state == S.DRAFT

    @property
    def is_final(self) -> bool:
        return self.state in TERMINAL

    @property
    def has_add_ons(self) -> bool:
        return bool(self.reentry) or self.other_activity


class ApplicationStateChange(StateChange):
    """Append-only timeline of an application's states (A-11): the lifecycle's history row
    (``core.lifecycle.StateChange``: ``at``, ``from_state``, ``actor``), written by
    ``lifecycle.transition``."""

    record_field = "application"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="state_changes"
    )
    to_state = models.CharField(_("to"), max_length=20, choices=ApplicationState.choices)
    # The actor is kept by id (``actor``) and name so the row survives the account (None: the
    # system).
    actor_repr = models.CharField(max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta(StateChange.Meta):
        verbose_name = _("application state change")
        verbose_name_plural = _("application state changes")


class ApplicationVersion(models.Model):
    """A submitted version of an application (A-12): 1 at submission, +1 per amendment.

    ``content`` and ``documents`` are snapshots (documents: list of dicts with id, kind, name,
    size, sha256); earlier versions are never changed.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    content = EncryptedJSONField(_("content"))
    documents = models.JSONField(_("documents"), default=list)
    receipt_method = models.CharField(
        _("receipt method"), max_length=10, choices=ReceiptMethod.choices, blank=True
    )
    photo_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_repr = models.CharField(max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("application version")
        verbose_name_plural = _("application versions")
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="applications_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} v{self.number}"


class DocumentKind(models.TextChoices):
    """What an attached PDF is (A-6: each file labelled with the document it is)."""

    ACTIVITY = "activity", _("Documents for the activity in Japan (status of residence)")
    ORGANIZATION_FORM = (
        "organization_form",
        _("Application form part for the organization (別記第19号様式)"),
    )
    DECLARATION = "declaration", _("Declaration on attached documents (参考様式9)")
    PASSPORT = "passport", _("Copy of the passport")
    RESIDENCE_CARD = "residence_card", _("Copy of the residence card")
    TAX = "tax", _("Residence tax certificates")
    EMPLOYMENT = "employment", _("Employment contract or conditions")
    EDUCATION = "education", _("Diploma or academic records")
    FINANCIAL = "financial", _("Financial statements of the organization")
    FAMILY = "family", _("Documents on the family relationship")
    ADDITIONAL = "additional", _("Additional documents requested by the office")
    OTHER = "other", _("Other document")


class ApplicationDocument(models.Model):
    """One attached PDF (A-6), checked at upload by ``uploads``.

    A document belongs to the versions from ``version_added`` up to (not including)
    ``version_removed``; a draft's documents have ``version_added`` 0. Removing a document of a
    submitted application (amendment, A-12) sets ``version_removed``; the file is kept.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to="applications/documents/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version_added = models.PositiveIntegerField(_("added in version"), default=0)
    version_removed = models.PositiveIntegerField(_("removed in version"), null=True, blank=True)
    # A-6 / Q4-3: attached with the declaration that more follows when re-attachment opens.
    over_limit_declaration = models.BooleanField(_("more documents to follow"), default=False)
    # Q4-5: added on the office's request (re-attachment).
    requested_by_office = models.BooleanField(_("requested by the office"), default=False)

    class Meta:
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")
        ordering = ["application", "uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind} {self.original_name}"

    @property
    def is_current(self) -> bool:
        return self.version_removed is None


class ApplicationHandover(models.Model):
    """A draft handed to another user of the same organization or its lawyer (A-17)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="handovers")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_repr = models.CharField(max_length=150, blank=True)
    to_repr = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(_("handed over at"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("draft handover")
        verbose_name_plural = _("draft handovers")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_repr} → {self.to_repr}"


class ReceiptCounter(models.Model):
    """The last receipt number issued by an office for a procedure letter (REFERENCE.md §5).

    Taken with ``select_for_update`` (numbers.next_receipt_number): numbers are unique per
    office and letter and never reused, also when the application later fails or is withdrawn.
    """

    bureau = models.ForeignKey("reference.Bureau", on_delete=models.PROTECT, related_name="+")
    letter = models.CharField(max_length=1)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("receipt-number counter")
        verbose_name_plural = _("receipt-number counters")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "letter"], name="applications_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.bureau_id} {self.letter} {self.last}"


class ProvisionalCounter(models.Model):
    """The series of provisional receipt numbers (申請受付仮番号), one row per ``series``."""

    series = models.CharField(max_length=20, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("provisional-number counter")
        verbose_name_plural = _("provisional-number counters")

    def __str__(self) -> str:
        return f"{self.series} {self.last}"
