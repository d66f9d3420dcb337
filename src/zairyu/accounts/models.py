"""One identity store for services N, O and A (SPEC §3) and the back office.

The auth ID (認証ID, FMT-1) is Django's ``username``: case-sensitive, unique, never changed.
A user's category (利用者区分) decides which services and menus they see and which validity
rules apply (rules.py).
"""

import unicodedata

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zairyu.core.encrypted import BlindIndexField, EncryptedDateField
from zairyu.core.lifecycle import Lifecycle


class Category(models.TextChoices):
    # Service N (and O for organizations)
    RESIDENT = "resident", _("Mid to long-term resident")
    ORGANIZATION = "organization", _("Organization")
    # Service A
    FOREIGN_NATIONAL = "foreign_national", _("Foreign national")
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
    RELATIVE = "relative", _("Relative")
    LAWYER = "lawyer", _("Lawyer or gyoseishoshi")
    ORGANIZATION_STAFF = "organization_staff", _("Staff of an accepting organization")
    PUBLIC_INTEREST_STAFF = "public_interest_staff", _("Staff of a public-interest corporation")
    RSO_STAFF = "rso_staff", _("Staff of a registered support organization")
    COE_RECIPIENT = "coe_recipient", _("Recipient of electronic COEs")
    # Back office
    OFFICER = "officer", _("Immigration officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    HELPDESK = "helpdesk", _("Helpdesk")
    ADMINISTRATOR = "administrator", _("Administrator")


SERVICE_N_CATEGORIES = {Category.RESIDENT, Category.ORGANIZATION}
SERVICE_A_CATEGORIES = {
    Category.FOREIGN_NATIONAL,
    Category.LEGAL_REPRESENTATIVE,
    Category.RELATIVE,
    Category.LAWYER,
    Category.ORGANIZATION_STAFF,
    Category.PUBLIC_INTEREST_STAFF,
    Category.RSO_STAFF,
    Category.COE_RECIPIENT,
}
BACK_OFFICE_CATEGORIES = {
    Category.OFFICER,
    Category.SUPERVISOR,
    Category.HELPDESK,
    Category.ADMINISTRATOR,
}


class AccountState(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    DELETED = "deleted", _("Deleted")


class User(AbstractUser):
    """A person who signs in. ``username`` is the auth ID (認証ID)."""

    # One table of allowed state moves (ID-19): the ``ACCOUNT`` lifecycle below;
    # services.account_transition and registration's voiding apply it.
    TRANSITIONS = {
        AccountState.ACTIVE: {AccountState.SUSPENDED, AccountState.DELETED},
        AccountState.SUSPENDED: {AccountState.ACTIVE, AccountState.DELETED},
        AccountState.DELETED: set(),
    }

    category = models.CharField(_("user category"), max_length=30, choices=Category.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=AccountState.choices, default=AccountState.ACTIVE
    )
    language = models.CharField(_("language"), max_length=10, default="ja")
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    # Validity (ID-7 .. ID-10): the date after which the auth ID no longer works; null = none.
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("password set"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    # Lock-out (ID-14)
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # Officers belong to one bureau (BO-1).
    bureau = models.ForeignKey(
        "reference.Bureau",
        verbose_name=_("bureau"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # JLIs that also use service N follow the service-N validity rule (ID-8).
    uses_service_n = models.BooleanField(default=False)
    uses_service_o = models.BooleanField(default=False)
    # --- Resident self-registration (ID-1, ID-7, ID-12) ---
    # The person in the card registry a resident's account belongs to. Accounts hang off the
    # person, not the card, so a renewed card keeps the same auth ID (001 Q37).
    person = models.ForeignKey(
        "cards.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # ID-1 / 001 Q43: a person holds at most one resident auth ID that is not deleted
            # (registration.py refuses a second one with a message; this is the backstop).
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(category=Category.RESIDENT)
                & ~models.Q(state=AccountState.DELETED),
                name="accounts_one_resident_id_per_person",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def previous_password_hashes(self) -> list[str]:
        """The current and earlier password hashes, newest first (FMT-2: not the last 5)."""
        history = list(self.password_history.values_list("password", flat=True)[:4])
        return [h for h in [self.password, *history] if h]

    @property
    def is_back_office(self) -> bool:
        return self.category in BACK_OFFICE_CATEGORIES


def _label(choices: type[models.TextChoices], state: str) -> str:
    """A state's label as ``get_state_display`` shows it (the raw value when unknown)."""
    return force_str(dict(choices.choices).get(state, state), strings_only=True)


def _account_refusal(state: str, to: str) -> ValidationError:
    return ValidationError(
        gettext("An account that is %(state)s cannot be changed to %(to)s."),
        code="invalid_transition",
        params={"state": _label(AccountState, state), "to": AccountState(to).label},
    )


# The accounts' lifecycle (core.lifecycle): ``User.TRANSITIONS``; a refused move is a
# user-facing ValidationError.
ACCOUNT = Lifecycle("account", User.TRANSITIONS, error=_account_refusal)


class PasswordHistory(models.Model):
    """Earlier password hashes, for FMT-2's "not one of the last 5"."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


# --- Organization accounts, temporary passwords (ID-2, ID-8, BO-3) ----------------------------


class StaffIdDocument(models.TextChoices):
    """What showed that the person who brought the paper form works for the organization
    (000 §1, 004 Q20: 職員証, 申請等取次者証明書, 在職証明書, 健康保険被保険者証 …)."""

    STAFF_CARD = "staff_card", _("Staff ID card (職員証)")
    AGENT_CERTIFICATE = "agent_certificate", _("Filing agent certificate (申請等取次者証明書)")
    EMPLOYMENT_CERTIFICATE = "employment_certificate", _("Certificate of employment (在職証明書)")
    HEALTH_INSURANCE = (
        "health_insurance",
        _("Health insurance card naming the organization (健康保険被保険者証)"),
    )
    OTHER = "other", _("Other document naming the organization")


class SubmissionChannel(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    POST = "post", _("By post (copy of the document enclosed)")


class OrganizationAccount(models.Model):
    """The link between an organization account (利用者情報登録) and its organization (ID-2).

    An officer creates it from the paper form after checking the submitter's staff ID; the row
    records what was checked. ``active`` is True while the account is not deleted: one
    organization holds at most one valid auth ID, enforced by a partial unique index,
    and a deleted account frees the organization to register again (004 Q27).
    """

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="organization_account")
    organization = models.ForeignKey(
        "cards.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    active = models.BooleanField(_("active"), default=True)
    registered_at = models.DateTimeField(_("registered at"))
    # The officer is kept by id and name too, so the record survives the officer's account.
    registered_by = models.ForeignKey(
        User,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    registered_by_repr = models.CharField(max_length=150, blank=True)
    submitted_via = models.CharField(
        _("submitted"), max_length=10, choices=SubmissionChannel.choices
    )
    submitter_name = models.CharField(_("submitted by"), max_length=100)
    staff_id_document = models.CharField(
        _("staff ID document checked"), max_length=30, choices=StaffIdDocument.choices
    )
    staff_id_note = models.CharField(_("note on the document"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("organization account")
        verbose_name_plural = _("organization accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(active=True),
                name="accounts_one_active_account_per_organization",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} → {self.user_id}"


class TemporaryPassword(models.Model):
    """A password an officer set from a paper request (004 Q31, Q33): while this row exists the
    user must choose a new password before doing anything else (accounts.otp gate)."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="temporary_password"
    )
    set_at = models.DateTimeField(_("set at"))
    set_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_by_repr = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = _("temporary password")
        verbose_name_plural = _("temporary passwords")

    def __str__(self) -> str:
        return str(self.user_id)


# --- Service A self-registration: JPKI identity, filing agents, COE recipients (ID-3, ID-4,
# ID-6) -----------------------------------------------------------------------------------------


class HolderSex(models.TextChoices):
    """Sex as a JPKI signature certificate states it (1 male, 2 female; other codes: U)."""

    MALE = "M", _("male")
    FEMALE = "F", _("female")
    UNKNOWN = "U", _("not stated")


class ServiceARegistration(models.Model):
    """The user information registration (利用者情報登録) of a self-registered service A user.

    Created with the user when they register (ID-3, ID-4, ID-6); ``completed_at`` is set when
    they set the initial password from the mailed link (002 Q2-5). Until then the user has no
    usable password; a registration whose link expired is removed so that its certificate and
    auth ID can be used again (service_a.service_a_pending_prune).
    """

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="service_a_registration"
    )
    # ID-3: the address typed from the residence card (002 Q2-11); ID-4: the office address
    # (002 Q2-13); ID-6: optional.
    address = models.CharField(_("address"), max_length=200, blank=True)
    organization_name = models.CharField(_("organization"), max_length=200, blank=True)
    registered_at = models.DateTimeField(_("registered at"))
    completed_at = models.DateTimeField(_("initial password set at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service A registration")
        verbose_name_plural = _("service A registrations")
        indexes = [
            # service_a_pending_prune looks for pending registrations past the link's life.
            models.Index(
                fields=["registered_at"],
                condition=models.Q(completed_at__isnull=True),
                name="accounts_sa_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user_id)


class IdentityCertificate(models.Model):
    """A My Number card signature certificate bound to a service A account (ID-3).

    Keeps what identifies the certificate and what it proved about the holder, never the
    certificate's My Number (there is none, 002 Q2-8) nor the raw certificate. One card
    registers at most once per user category (002 Q2-10), held two ways: the certificate
    (issuer and serial, unique per category; rows are kept after a re-binding, ``current``
    False, so an older certificate of the same card cannot open a second account) and, across
    renewals that bring a new serial, the holder — folded name, sex and birth date, found
    through ``holder_index`` (SEC-3: the birth date itself is encrypted). Namesakes born on the
    same day (1 January is used when the day is not known) cannot be told apart by a
    certificate; ``service_a`` sends the second one to the helpdesk.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identity_certificates")
    category = models.CharField(_("user category"), max_length=30, choices=Category.choices)
    issuer = models.CharField(_("issuer"), max_length=500)
    serial = models.CharField(_("serial number"), max_length=64)
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, db_index=True)
    not_after = models.DateTimeField(_("valid until"))
    holder_name = models.CharField(_("name"), max_length=200)
    holder_sex = models.CharField(_("sex"), max_length=1, choices=HolderSex.choices)
    holder_birth_date = EncryptedDateField(_("date of birth"))
    # SEC-3: who the holder is (folded name, sex, birth date) as a blind index, so that one
    # person's renewed certificate is found without storing the birth date in the clear.
    holder_index = BlindIndexField(
        source="holder_identity", purpose="jpki-holder", null=True, db_index=True
    )
    current = models.BooleanField(_("current"), default=True)
    bound_at = models.DateTimeField(_("bound at"))

    class Meta:
        verbose_name = _("identity certificate")
        verbose_name_plural = _("identity certificates")
        ordering = ["-bound_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "serial", "category"],
                name="accounts_certificate_once_per_category",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(current=True),
                name="accounts_one_current_certificate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.serial} ({self.category})"

    @property
    def holder_identity(self) -> str | None:
        """What ``holder_index`` indexes (``holder_identity_text``)."""
        if not (self.holder_name and self.holder_sex and self.holder_birth_date):
            return None
        return holder_identity_text(self.holder_name, self.holder_sex, self.holder_birth_date)


def fold_name(value: str) -> str:
    """A name compared the way people read it: widths, case and spaces do not matter."""
    text = unicodedata.normalize("NFKC", value or "").casefold()
    return "".join(text.split())


def holder_identity_text(name: str, sex: str, birth_date) -> str:
    """A certificate holder as compared across certificates (002 Q2-10 across renewals): the
    name folded, sex and birth date."""
    return "|".join((fold_name(name), sex, birth_date.isoformat()))


class FilingAgentKind(models.TextChoices):
    LAWYER = "lawyer", _("Lawyer (弁護士)")
    GYOSEISHOSHI = "gyoseishoshi", _("Gyoseishoshi (行政書士)")


class FilingAgentCertificate(models.Model):
    """A filing agent's notification certificate (届出済証明書) as the bureau records it (ID-4).

    Officers keep these in the admin. A lawyer or gyoseishoshi registers with the 12-digit
    certificate number (申請等取次者証明書番号, 002 Q2-14) and gets one auth ID (Q2-15), valid
    until ``valid_until`` and extended when the certificate is renewed here (Q2-17; the service
    ``filing_agent_certificate_renew`` moves the user's validity with it).
    """

    number = models.CharField(
        _("certificate number"),
        max_length=12,
        unique=True,
        validators=[
            RegexValidator(
                r"^[0-9]{12}$", _("The certificate number has 12 half-width digits."), "number"
            )
        ],
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FilingAgentKind.choices)
    holder_name = models.CharField(_("name"), max_length=100)
    holder_birth_date = EncryptedDateField(_("date of birth"))
    office_name = models.CharField(_("office name"), max_length=200, blank=True)
    office_address = models.CharField(_("office address"), max_length=200, blank=True)
    valid_until = models.DateField(_("valid until"))
    # Q2-15: one auth ID per person. Cleared (SET_NULL) only if the account row is removed.
    user = models.OneToOneField(
        User,
        verbose_name=_("auth ID"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="filing_agent_certificate",
    )

    class Meta:
        verbose_name = _("filing agent certificate")
        verbose_name_plural = _("filing agent certificates")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


# --- Staff of organizations, public-interest corporations and RSOs: requests for use,
# periodic reports, resignation, deletion and change reports (ID-5, ID-10, ID-11) -------------


class StaffDecision(models.TextChoices):
    """The lifecycle of a request for use, a periodic report and a change report."""

    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


# One table of allowed moves for every decided paper: the ``STAFF_DECISION`` lifecycle.
STAFF_DECISION_TRANSITIONS = {
    StaffDecision.SUBMITTED: {StaffDecision.APPROVED, StaffDecision.REFUSED},
    StaffDecision.APPROVED: set(),
    StaffDecision.REFUSED: set(),
}


def _decided_refusal(state: str, to: str) -> ValidationError:
    return ValidationError(
        gettext("This has already been decided (%(state)s)."),
        code="invalid_transition",
        params={"state": _label(StaffDecision, state)},
    )


# Requests for use, periodic reports and change reports (core.lifecycle; staff_requests.py and
# staff_reports.py apply it); a refused move is a user-facing ValidationError.
STAFF_DECISION = Lifecycle("staff decision", STAFF_DECISION_TRANSITIONS, error=_decided_refusal)


class StaffChannel(models.TextChoices):
    ONLINE = "online", _("Prepared online")
    PAPER = "paper", _("On paper (recorded by an officer)")


class StaffRequest(models.Model):
    """A request for use (利用申出, ID-5) for one staff member of one organization.

    The organization's data is kept as submitted; on approval it is matched to (or registered
    as) a ``cards.Organization`` and a personal auth ID is issued (002 Q3-8). ``additional``
    marks an additional request (追加利用申出) of an organization that already has users.
    """

    organization_name = models.CharField(_("organization name"), max_length=200)
    corporate_number = models.CharField(_("corporate number"), max_length=13, blank=True)
    organization_kind = models.CharField(_("kind of organization"), max_length=24)
    prefecture = models.ForeignKey(
        "reference.Prefecture",
        verbose_name=_("prefecture"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    street = models.CharField(_("address"), max_length=120)
    bureau = models.ForeignKey(
        "reference.Bureau", verbose_name=_("bureau"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("user category"), max_length=30, choices=Category.choices)
    staff_name = models.CharField(_("staff member's name"), max_length=100)
    staff_email = models.EmailField(_("staff member's e-mail address"))
    language = models.CharField(_("language"), max_length=10, default="ja")
    contact_email = models.EmailField(_("organization's contact e-mail"), blank=True)
    clients = models.TextField(_("client organizations"), blank=True)
    declarations = models.JSONField(_("declarations"), default=dict)
    channel = models.CharField(_("channel"), max_length=10, choices=StaffChannel.choices)
    additional = models.BooleanField(_("additional request"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=StaffDecision.choices, default=StaffDecision.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_repr = models.CharField(max_length=150, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    organization = models.ForeignKey(
        "cards.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="staff_request"
    )

    class Meta:
        verbose_name = _("request for use")
        verbose_name_plural = _("requests for use")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["bureau", "state"], name="accounts_staffreq_queue_idx")]

    def __str__(self) -> str:
        return f"{self.pk} {self.organization_name}"


class StaffDocumentKind(models.TextChoices):
    """The documents of a request for use (003)."""

    REQUEST_FORM = "request_form", _("Written request for use (利用申出書)")
    SUMMARY = "summary", _("Documents giving a summary of the organization")
    PLEDGE = "pledge", _("Written pledge (誓約書)")
    REGISTRY = "registry", _("Certificate of registered matters (登記事項証明書)")
    FOREIGN_STAFF = "foreign_staff", _("List of foreign employees and planned acceptances")
    COMMISSION = "commission", _("Documents showing the request from the organization (依頼書)")
    OTHER = "other", _("Other document")


class StaffDocument(models.Model):
    """A PDF attached to a request for use; kept in the database with its request."""

    request = models.ForeignKey(StaffRequest, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=20, choices=StaffDocumentKind.choices)
    filename = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()

    class Meta:
        verbose_name = _("document of a request for use")
        verbose_name_plural = _("documents of requests for use")

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"


class StaffAccount(models.Model):
    """The link between a staff auth ID and its organization (ID-5, ID-10, ID-11).

    ``reminded_for`` is the expiry date the two-months reminder was mailed for (one reminder
    per user per expiry date). ``password_by`` ends the 30 days to set the first password.
    """

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="staff_account")
    organization = models.ForeignKey(
        "cards.Organization", on_delete=models.PROTECT, related_name="staff_accounts"
    )
    issued_at = models.DateTimeField(_("issued at"))
    password_by = models.DateTimeField(_("first password to be set by"))
    activated_at = models.DateTimeField(_("first password set at"), null=True, blank=True)
    reminded_for = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")

    def __str__(self) -> str:
        return f"{self.organization_id} → {self.user_id}"


class StaffClient(models.Model):
    """A client organization that commissioned a public-interest or RSO staff member to file
    online (002 Q3-11..Q3-13, Q9-6)."""

    account = models.ForeignKey(StaffAccount, on_delete=models.CASCADE, related_name="clients")
    name = models.CharField(_("client organization"), max_length=200)
    corporate_number = models.CharField(_("corporate number"), max_length=13, blank=True)
    added_at = models.DateTimeField(_("added at"))
    added_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("client organization")
        verbose_name_plural = _("client organizations")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PeriodicReport(models.Model):
    """A periodic report (定期報告, ID-10): one per organization for all its users (Q9-1)."""

    organization = models.ForeignKey(
        "cards.Organization", on_delete=models.PROTECT, related_name="periodic_reports"
    )
    bureau = models.ForeignKey("reference.Bureau", on_delete=models.PROTECT, related_name="+")
    accounts = models.ManyToManyField(StaffAccount, related_name="periodic_reports")
    declarations = models.JSONField(_("declarations"), default=dict)
    clients = models.TextField(_("client organizations"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=StaffChannel.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=StaffDecision.choices, default=StaffDecision.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_repr = models.CharField(max_length=150, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("periodic report")
        verbose_name_plural = _("periodic reports")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(state=StaffDecision.SUBMITTED),
                name="accounts_one_open_periodic_report",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.organization_id}"


class StaffChangeReport(models.Model):
    """A change of user information (利用者情報変更届出, ID-11, 002 Q10-2): applied on approval."""

    account = models.ForeignKey(StaffAccount, on_delete=models.PROTECT, related_name="changes")
    organization_name = models.CharField(_("new organization name"), max_length=200, blank=True)
    street = models.CharField(_("new address"), max_length=120, blank=True)
    staff_name = models.CharField(_("new user name"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=StaffChannel.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=StaffDecision.choices, default=StaffDecision.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("change of user information")
        verbose_name_plural = _("changes of user information")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.pk} {self.account_id}"


# --- Reminder mails (A-15, 002 Q12-1) -----------------------------------------------------------


class ReminderKind(models.TextChoices):
    RESIDENCE_CARD = "residence_card", _("Residence card expiry")
    FILING_AGENT_CERTIFICATE = "filing_agent_certificate", _("Filing agent certificate expiry")
    PASSWORD = "password", _("Password expiry")


class ReminderSent(models.Model):
    """One reminder mail queued (A-15; accounts.reminders): the unique constraint is the claim
    that makes a reminder go out once per user, kind, threshold and target date, however often
    or late the daily job runs."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reminders_sent")
    kind = models.CharField(_("kind"), max_length=30, choices=ReminderKind.choices)
    threshold_days = models.PositiveSmallIntegerField(_("days before"))
    target = models.DateField(_("expiry date"))
    sent_on = models.DateField(_("sent on"))
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "threshold_days", "target"],
                name="accounts_reminder_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.threshold_days} {self.target}"
