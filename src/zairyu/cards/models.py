"""The residence card registry (SPEC REF-5): the agency's record of every card it issued.

Every card-face check in the system (registration ID-1, filings, applications) reads this
registry through ``selectors.card_match``.

**Person and card.** A ``Person`` is the identity that survives card renewals (001 Q37): each
renewal, change of status or re-issue produces a new ``ResidenceCard`` with a new number for
the same person, and the old card is invalidated. Accounts hang off the person, not the card.

**State and expiry.** The stored ``state`` records what an officer or the importer decided:
``valid`` or ``invalidated`` (with a reason). Whether a valid card has *expired* — its validity
date or the end of the period of stay has passed — is computed at read time from
``zairyu.core.clock`` (``standing()``, ``ResidenceCardQuerySet.current()``), not stored by a
nightly job, because:

- expiry happens to every card at midnight; a job would leave a window in which yesterday's
  cards still match (and a failed job would leave it open for days);
- rules that move time in tests (``clock.frozen``) see the right answer without running a job;
- the dates are the truth on the card face; a stored copy could only disagree with them.

The one-valid-card-per-person invariant is a partial unique index on ``person`` where the
stored state is ``valid``: an expired card still counts until it is invalidated, which is what
``card_renew`` and ``card_create`` do before adding the next card.
"""

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zairyu.core import clock, crypto, days
from zairyu.core.encrypted import BlindIndexField, EncryptedCharField, EncryptedDateField
from zairyu.core.lifecycle import Lifecycle

from . import normalise


def mask_card_number(number: str) -> str:
    """The number as shown where it need not be whole: "AB********CD"."""
    if len(number or "") < 5:
        return "*" * len(number or "")
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


def new_person_reference() -> str:
    """Return a fresh person reference for people created in the back office ("Z" + 15)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "Z" + "".join(secrets.choice(alphabet) for _ in range(15))


class Person(models.Model):
    """A foreign national known to the registry; keeps one identity across cards (001 Q37).

    ``reference`` is the agency's stable identifier of the person (the key the CSV import
    matches on); people created in the back office get a generated one.
    """

    reference = models.CharField(
        _("person reference"), max_length=32, unique=True, default=new_person_reference
    )
    created_at = models.DateTimeField(_("created"), default=clock.now)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return self.reference


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class CardState(models.TextChoices):
    """The stored state; see the module docstring for why "expired" is not one."""

    VALID = "valid", _("valid")
    INVALIDATED = "invalidated", _("invalidated")


# The allowed transitions. ``services.card_transition`` is the only code that changes ``state``
# (through ``CARD``); an invalidated card is never revived (a new card is issued instead).
CARD_TRANSITIONS = {
    CardState.VALID: frozenset({CardState.INVALIDATED}),
    CardState.INVALIDATED: frozenset(),
}


class CardStateError(ValidationError):
    """The card's state does not allow the action (e.g. renewing an invalidated card)."""


def _card_state_error(state: str, to: str) -> CardStateError:
    """The refusal of a move ``CARD_TRANSITIONS`` does not allow, for the officer to read."""
    return CardStateError(
        _("This card is %(state)s; it cannot become %(to)s."),
        code="transition",
        params={"state": CardState(state).label, "to": CardState(to).label},
    )


CARD = Lifecycle("card", CARD_TRANSITIONS, error=_card_state_error)


class ResidenceCardQuerySet(models.QuerySet):
    def current(self, on=None):
        """Cards that are valid and not expired on ``on`` (default: today in Japan)."""
        on = on or clock.today()
        return self.filter(state=ResidenceCard.State.VALID, card_valid_until__gte=on).filter(
            Q(stay_until__isnull=True) | Q(stay_until__gte=on)
        )

    def with_number(self, number: str):
        """The card numbered ``number`` (normalised, FMT-5), through the unique blind index."""
        return self.filter(number=number)

    def with_numbers(self, numbers):
        """The cards with any of ``numbers`` (normalised), one indexed look-up for all."""
        return self.filter(number__in=numbers)

    def born_on(self, day):
        """The cards whose holder was born on ``day``, through the birth-date blind index."""
        return self.filter(birth_date_index__in=crypto.blind_indexes("birth-date", day.isoformat()))


class ResidenceCard(models.Model):
    """One residence card (在留カード) and what the registry knows about its holder."""

    State = CardState
    TRANSITIONS = CARD_TRANSITIONS

    class Standing(models.TextChoices):
        """What a card is on a given day: the stored state plus the dates."""

        VALID = "valid", _("valid")
        EXPIRED = "expired", _("expired")
        INVALIDATED = "invalidated", _("invalidated")

    class InvalidationReason(models.TextChoices):
        RENEWED = "renewed", _("a new card was issued (renewal or change)")
        SUPERSEDED = "superseded", _("a newer card of the same person was registered")
        REISSUED = "reissued", _("re-issued after loss, theft or damage")
        DEPARTED = "departed", _("departed without a re-entry permit")
        REENTRY_LAPSED = "reentry_lapsed", _("did not return within the re-entry period")
        REVOKED = "revoked", _("status of residence revoked")
        DEPORTED = "deported", _("deportation order")
        NATURALISED = "naturalised", _("acquired Japanese nationality")
        DIED = "died", _("death")
        ERROR = "error", _("registered in error")
        OTHER = "other", _("other")

    # SEC-3: the number and the birth date are stored encrypted (zairyu.core.crypto); the card
    # is found by its number through the blind index (unique, see Meta), the one indexed query
    # of card_match. The index holds the normalised number (normalise.card_number).
    number = EncryptedCharField(
        _("residence card number"),
        max_length=12,
        blind_index="number_index",
        help_text=_("2 letters, 8 digits, 2 letters, e.g. AB12345678CD."),
    )
    number_index = BlindIndexField(source="number", purpose="card-number")
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="cards"
    )
    roman_name = models.CharField(
        _("name (roman letters)"),
        max_length=normalise.ROMAN_NAME_MAX,
        help_text=_("As printed on the card, e.g. HOUMU TAROU."),
    )
    kanji_name = models.CharField(_("name (kanji)"), max_length=60, blank=True)
    nationality = models.ForeignKey(
        "reference.Nationality",
        verbose_name=_("nationality or region"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # see Meta
    )
    birth_date = EncryptedDateField(_("date of birth"))
    # The officer's search by date of birth (BO-2) looks this up.
    birth_date_index = BlindIndexField(source="birth_date", purpose="birth-date", db_index=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    prefecture = models.ForeignKey(
        "reference.Prefecture",
        verbose_name=_("prefecture"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # see Meta
    )
    municipality = models.ForeignKey(
        "reference.Municipality",
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # see Meta
        null=True,
        blank=True,
    )
    street = models.CharField(
        _("street address"),
        max_length=120,
        help_text=_("Town, block and number, in full-width characters."),
    )
    status = models.ForeignKey(
        "reference.Status",
        verbose_name=_("status of residence"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # see Meta
    )
    period_of_stay = models.CharField(
        _("period of stay"),
        max_length=16,
        blank=True,
        help_text=_("ISO 8601, e.g. P5Y, P1Y6M, P90D; empty when unlimited (permanent resident)."),
    )
    stay_until = models.DateField(
        _("period of stay ends"),
        null=True,
        blank=True,
        help_text=_("The last day of the period of stay; empty when unlimited."),
    )
    card_valid_until = models.DateField(_("card valid until"))
    issued_on = models.DateField(_("issued on"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.VALID)
    invalidated_at = models.DateTimeField(_("invalidated at"), null=True, blank=True)
    invalidation_reason = models.CharField(
        _("invalidation reason"), max_length=20, choices=InvalidationReason.choices, blank=True
    )
    invalidation_note = models.CharField(_("invalidation note"), max_length=300, blank=True)
    abroad_on_reentry = models.BooleanField(
        _("abroad on a re-entry permit"),
        default=False,
        help_text=_("再入国許可 or みなし再入国許可 により出国中."),
    )
    abroad_since = models.DateField(_("departed on"), null=True, blank=True)
    last_moving_in_on = models.DateField(
        _("latest moving-in notification"),
        null=True,
        blank=True,
        help_text=_("The day of the latest moving-in notification (転入届) at a municipality."),
    )
    representative_name = models.CharField(
        _("legal representative"),
        max_length=100,
        blank=True,
        help_text=_("For a minor or a ward: the legal representative's name."),
    )
    representative_relationship = models.CharField(
        _("relationship of the legal representative"), max_length=40, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=clock.now)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    objects = ResidenceCardQuerySet.as_manager()

    # The fields that describe the card and its holder (what the importer compares and writes).
    DATA_FIELDS = (
        "roman_name",
        "kanji_name",
        "nationality_id",
        "birth_date",
        "sex",
        "prefecture_id",
        "municipality_id",
        "street",
        "status_id",
        "period_of_stay",
        "stay_until",
        "card_valid_until",
        "issued_on",
        "abroad_on_reentry",
        "last_moving_in_on",
        "representative_name",
        "representative_relationship",
    )

    class Meta:
        verbose_name = _("residence card")
        verbose_name_plural = _("residence cards")
        ordering = ["roman_name", "id"]
        constraints = [
            # The index card_match relies on. A constraint rather than unique=True, which on
            # PostgreSQL would add a second (varchar_pattern_ops) index every insert pays for.
            models.UniqueConstraint(fields=["number_index"], name="cards_card_number_unique"),
            # A person holds at most one valid card at a time (renewal invalidates the old one).
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(state="valid"),
                name="cards_one_valid_card_per_person",
            ),
            CARD.constraint("cards_state_known"),
            models.CheckConstraint(condition=Q(sex__in=["M", "F"]), name="cards_sex_known"),
            models.CheckConstraint(
                condition=Q(card_valid_until__gte=models.F("issued_on")),
                name="cards_valid_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(state="valid", invalidated_at__isnull=True)
                | Q(state="invalidated", invalidated_at__isnull=False),
                name="cards_invalidated_has_time",
            ),
        ]
        # PostgreSQL also has trigram GIN indexes on roman_name (migration 0002) and kanji_name
        # (migration 0006) for the partial-name search, created only on PostgreSQL. The reference-
        # data foreign keys have no index of their own: no query selects cards by nationality,
        # prefecture or status alone, and on PostgreSQL each would be two indexes (one
        # varchar_pattern_ops) that every insert of a national import pays for.

    def __str__(self) -> str:
        # Also the object name the audit trail keeps: never the number in full (SEC-3).
        return f"{self.roman_name} ({mask_card_number(self.number)})"

    def standing(self, on=None) -> "ResidenceCard.Standing":
        """Return valid / expired / invalidated on ``on`` (default: today in Japan)."""
        if self.state == self.State.INVALIDATED:
            return self.Standing.INVALIDATED
        on = on or clock.today()
        if self.card_valid_until < on or (self.stay_until is not None and self.stay_until < on):
            return self.Standing.EXPIRED
        return self.Standing.VALID

    @property
    def is_minor(self) -> bool:
        return days.age_on(self.birth_date, clock.today()) < 18

    @property
    def period_of_stay_parts(self) -> tuple[int, int, int] | None:
        return normalise.period_parts(self.period_of_stay)


class Organization(models.Model):
    """An organization that accepts residents or files for them (companies, schools, SSW
    employers, registered support organizations, law offices).

    The accounts work (ID-2, ID-5) reuses this model for organization accounts and requests for
    use; filings name one as the resident's organization. ``bureau`` is the office with
    jurisdiction over the organization's address (REFERENCE.md §5).
    """

    class Kind(models.TextChoices):
        COMPANY = "company", _("company")
        UNIVERSITY = "university", _("university or college")
        LANGUAGE_SCHOOL = "language_school", _("Japanese-language educational institution")
        SSW_EMPLOYER = "ssw_employer", _("specified skilled worker organization")
        SUPPORT_ORGANIZATION = "support_organization", _("registered support organization")
        LAW_OFFICE = "law_office", _("lawyer or gyoseishoshi office")
        PUBLIC_INTEREST = "public_interest", _("public-interest corporation")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    corporate_number = models.CharField(
        _("corporate number"),
        max_length=13,
        unique=True,
        null=True,
        blank=True,
        help_text=_("法人番号: 13 digits with its check digit; empty when not a corporation."),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    prefecture = models.ForeignKey(
        "reference.Prefecture",
        verbose_name=_("prefecture"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    municipality = models.ForeignKey(
        "reference.Municipality",
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    street = models.CharField(_("street address"), max_length=120)
    bureau = models.ForeignKey(
        "reference.Bureau",
        verbose_name=_("bureau with jurisdiction"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    rso_registration_number = models.CharField(
        _("support organization registration number"),
        max_length=20,
        blank=True,
        help_text=_("For a registered support organization, e.g. 19登-000001."),
    )
    created_at = models.DateTimeField(_("created"), default=clock.now)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name", "id"]
        indexes = [
            # The officers' service O search by registration number (issue 17). On PostgreSQL
            # the name has a trigram index too (migration 0006) for the search by part of it.
            models.Index(fields=["rso_registration_number"], name="cards_org_rso_number_idx"),
        ]

    def __str__(self) -> str:
        return self.name
