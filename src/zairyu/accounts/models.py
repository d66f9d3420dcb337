"""One identity store for services N, O and A (SPEC §3) and the back office.

The auth ID (認証ID, FMT-1) is Django's ``username``: case-sensitive, unique, never changed.
A user's category (利用者区分) decides which services and menus they see and which validity
rules apply (rules.py).
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    # One table of allowed state moves (ID-19); services.account_transition applies it.
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

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

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


class PasswordHistory(models.Model):
    """Earlier password hashes, for FMT-2's "not one of the last 5"."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"
