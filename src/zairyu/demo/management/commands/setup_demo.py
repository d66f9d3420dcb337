"""Load the demo set-up for ``make run``. Idempotent: a second run changes nothing.

Later parts of the system (reference data, the card registry, accounts) add their own loaders
here, each of which must also be idempotent.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from zairyu.accounts.demo_service_a import demo_filing_agent_lines, load_demo_filing_agents
from zairyu.accounts.registration import registrable_card
from zairyu.backoffice.demo import (
    DEMO_ADMIN,
    DEMO_HELPDESK,
    DEMO_OFFICER,
    DEMO_SUPERVISOR,
    load_demo_administrator,
    load_demo_officer,
    load_demo_roles,
)
from zairyu.cards.demo import DEMO_CARDS, load_demo_population
from zairyu.core import clock
from zairyu.portal.models import Notice

# ID-2: organization accounts, as an officer would register them from the paper form:
# (auth ID, password, corporate number in cards/demo.py, services N / O, what it shows, mail).
DEMO_ORGANIZATION_ACCOUNTS = [
    (
        "kasumi-jli",
        "Kasumi#Demo2026",  # noqa: S105 (printed on purpose)
        "6999900000003",  # 霞日本語学院
        True,
        True,
        "Japanese-language institution, services N and O",
        "kyomu@kasumi-jli.example",
    ),
    (
        "zairyu-tech",
        "Tech#Demo2026",  # noqa: S105
        "8999900000001",  # 株式会社ざいりゅうテック
        True,
        False,
        "company, service N: Art. 19-17 notifications and bulk files",
        "jinji@zairyu-tech.example",
    ),
    (
        "toto-univ",
        "Toto#Demo2026",  # noqa: S105
        "7999900000002",  # 東都国際大学
        True,
        False,
        "university, service N: student rosters (bulk)",
        "ryugaku@toto-univ.example",
    ),
    (
        "mirai-kaigo",
        "Mirai#Demo2026",  # noqa: S105
        "5999900000004",  # 株式会社みらい介護
        False,
        True,
        "specified skilled worker organization, service O",
        "soumu@mirai-kaigo.example",
    ),
]
DEMO_ORGANIZATION_ACCOUNT = DEMO_ORGANIZATION_ACCOUNTS[0][:2]
# ID-5: a service A staff member of 株式会社ざいりゅうテック (request on paper → approval → first
# password), who files for the company's employees (the auth ID is issued by the system).
DEMO_STAFF_EMAIL = "yamada@zairyu-tech.example"
DEMO_STAFF_AUTH_ID = "SYamada001"  # fixed, so that docs/demo.md can list it
DEMO_STAFF_PASSWORD = "Staff#Demo2026"  # noqa: S105 (printed on purpose)


def _site_url() -> str:
    """The address the printed links start with (``SITE_URL``), without a trailing slash."""
    return settings.ZAIRYU_SITE_URL.rstrip("/")


class Command(BaseCommand):
    help = "Create the demo administrator and sample notices (idempotent) and print the log-ins."

    def handle(self, *args, **options):
        created = []
        with transaction.atomic():
            created += self._admin()
            created += self._notices()
            created += self._cards()
            if load_demo_filing_agents():  # ID-4
                created.append("demo filing-agent certificates")
            created += self._organization_account()
            created += self._service_a_staff()
        if created:
            self.stdout.write("Created: " + ", ".join(created))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.write_logins()

    def write_logins(self) -> None:
        """The demo cards and hints, then the log-ins last (also ``manage.py demo_logins``)."""
        from .demo_logins import demo_card_lines

        site = _site_url()
        self.stdout.write(
            "Demo residence cards (fictional; type every field as shown: number, roman name, "
            "nationality or region, date of birth, sex, prefecture, and for service A the "
            "municipality and validity date too):"
        )
        for line in demo_card_lines():
            self.stdout.write(line)
        self._registration_hint()
        self._service_a_hint()
        self.stdout.write(
            self.style.SUCCESS(
                "\nDemo log-ins\n"
                f"  Administrator ({site}/admin/, and {site}/backoffice/): "
                f"{DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}\n"
                f"  Demo mailbox: {site}/demo/mailbox/\n"
                f"  Officer ({site}/backoffice/): {DEMO_OFFICER[0]} / "
                f"{DEMO_OFFICER[1]}\n"
                f"  Supervisor (notices, audit trail, mail log; same address): "
                f"{DEMO_SUPERVISOR[0]} / {DEMO_SUPERVISOR[1]}\n"
                f"  Helpdesk (account look-up, mail log; same address): "
                f"{DEMO_HELPDESK[0]} / {DEMO_HELPDESK[1]}\n"
                "    (administrator, officer, supervisor and helpdesk: the first sign-in asks "
                "for an authenticator app, so scan the QR code with any TOTP app; every sign-in "
                "then asks for its code)\n"
                f"  Organizations ({site}/accounts/login/):\n"
                + "".join(
                    f"    {auth_id} / {password}  ({what})\n"
                    for auth_id, password, _number, _n, _o, what, _mail in (
                        DEMO_ORGANIZATION_ACCOUNTS
                    )
                )
            )
        )
        self._service_a_staff_hint()

    def _registration_hint(self) -> None:
        """ID-1: one demo card to try resident registration with (no account is created)."""
        site = _site_url()
        card = registrable_card([spec.number for spec in DEMO_CARDS])
        if card is None:
            self.stdout.write("Every demo card that could register already has an auth ID.")
            return
        self.stdout.write(
            f"Try resident registration ({site}/accounts/register/) with:\n"
            f"  card number {card.number}, name {card.roman_name}, nationality/region "
            f"{card.nationality.name_en} / {card.nationality.name_ja}, date of birth "
            f"{card.birth_date:%Y-%m-%d}, sex {card.sex}"
        )

    def _service_a_hint(self) -> None:
        """ID-3 / ID-4: demo card certificates to upload, filing-agent numbers to type."""
        call_command("issue_demo_certificates", stdout=self.stdout)
        site = _site_url()
        self.stdout.write(
            "Try lawyer / gyoseishoshi registration "
            f"({site}/accounts/service-a/register/lawyer/) with:"
        )
        for line in demo_filing_agent_lines():
            self.stdout.write(line)

    def _cards(self) -> list[str]:
        report = load_demo_population()
        created = []
        if load_demo_officer():
            created.append("demo officer")
        created += load_demo_roles()
        if report.cards_created:
            created.append(f"{report.cards_created} demo cards")
        if report.cards_refreshed:
            created.append(f"{report.cards_refreshed} demo cards re-dated to today")
        if report.organizations_created:
            created.append(f"{report.organizations_created} demo organizations")
        return created

    def _organization_account(self) -> list[str]:
        """ID-2: register the demo organizations' accounts through the officers' service (once)."""
        from zairyu.accounts import organizations
        from zairyu.accounts.models import StaffIdDocument, SubmissionChannel
        from zairyu.cards.models import Organization

        user_model = get_user_model()
        officer = user_model.objects.filter(username=DEMO_OFFICER[0]).first()
        created = []
        for (
            auth_id,
            password,
            corporate_number,
            uses_n,
            uses_o,
            _what,
            email,
        ) in DEMO_ORGANIZATION_ACCOUNTS:
            if user_model.objects.filter(username=auth_id).exists():
                continue
            organization = Organization.objects.filter(corporate_number=corporate_number).first()
            if organization is None or organizations.organization_active_account(organization):
                continue
            organizations.organization_account_register(
                actor=officer,
                organization=organization,
                registration=organizations.Registration(
                    auth_id=auth_id,
                    email=email,
                    password=password,
                    uses_service_n=uses_n,
                    uses_service_o=uses_o,
                    submitter_name="霞 教務",
                    submitted_via=SubmissionChannel.COUNTER,
                    staff_id_checked=True,
                    staff_id_document=StaffIdDocument.STAFF_CARD,
                ),
            )
            created.append(f"demo organization account {auth_id}")
        return created

    def _service_a_staff(self) -> list[str]:
        """ID-5: the company's service A staff member, through the real request and decision."""
        from zairyu.accounts import staff
        from zairyu.accounts.models import Category, StaffAccount, StaffChannel

        account = StaffAccount.objects.filter(user__email=DEMO_STAFF_EMAIL).first()
        if account is not None:
            # Made by an older set-up with a random auth ID: give it the documented one.
            user_model = get_user_model()
            if account.user.username != DEMO_STAFF_AUTH_ID and not (
                user_model.objects.filter(username=DEMO_STAFF_AUTH_ID).exists()
            ):
                user_model.objects.filter(pk=account.user_id).update(username=DEMO_STAFF_AUTH_ID)
                return ["fixed auth ID of the demo service A staff member"]
            return []
        officer = get_user_model().objects.filter(username=DEMO_OFFICER[0]).first()
        if officer is None:
            return []
        recorded = staff.staff_request_submit(
            data=staff.RequestData(
                organization_name="株式会社ざいりゅうテック",
                organization_kind="company",
                prefecture_id="13",
                street="千代田区霞が関１－１－１",
                category=Category.ORGANIZATION_STAFF,
                staff_name="山田 花子",
                staff_email=DEMO_STAFF_EMAIL,
                corporate_number="8999900000001",
                declarations=dict.fromkeys(staff.DECLARATION_KEYS, True),
            ),
            channel=StaffChannel.PAPER,
            actor=officer,
        )
        user = staff.staff_request_decide(
            staff_request=recorded, actor=officer, approve=True, auth_id=DEMO_STAFF_AUTH_ID
        ).user
        staff.staff_initial_password_set(
            user=user, token=staff.STAFF_LINK.make_token(user), password=DEMO_STAFF_PASSWORD
        )
        return ["demo service A staff member"]

    def _service_a_staff_hint(self) -> None:
        from zairyu.accounts.models import StaffAccount

        account = StaffAccount.objects.filter(user__email=DEMO_STAFF_EMAIL).first()
        site = _site_url()
        if account is not None:
            self.stdout.write(
                "Service A staff of 株式会社ざいりゅうテック (files for its employees, e.g. an "
                "extension for WANG XIAOMING, card ZR10000001AA; "
                f"{site}/accounts/login/): "
                f"{account.user.username} / {DEMO_STAFF_PASSWORD}"
            )

    def _admin(self) -> list[str]:
        """The superuser, also the back office's administrator (category and role group)."""
        return ["administrator"] if load_demo_administrator() else []

    def _notices(self) -> list[str]:
        if Notice.objects.exists():
            return []
        start = clock.now().replace(minute=0, second=0, microsecond=0)
        Notice.objects.create(
            kind=Notice.Kind.INFO,
            title_ja="在留手続オンライン（デモ）を公開しました",
            body_ja="このサイトはデモです。表示される人物・団体はすべて架空のものです。",
            title_en="The Zairyu demo is open",
            body_en="This site is a demo. Every person and organization shown is fictional.",
            published_from=start,
        )
        maintenance = (start + dt.timedelta(days=7)).replace(hour=1)
        Notice.objects.create(
            kind=Notice.Kind.MAINTENANCE,
            title_ja="システムメンテナンスのお知らせ",
            body_ja="メンテナンス中は全てのサービスを御利用いただけません。",
            title_en="Planned system maintenance",
            body_en="None of the services can be used during the maintenance.",
            maintenance_start=maintenance,
            maintenance_end=maintenance + dt.timedelta(hours=4),
            published_from=start,
            published_until=maintenance + dt.timedelta(hours=4),
        )
        return ["2 notices"]
