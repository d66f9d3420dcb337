"""Load the demo set-up for ``make run``. Idempotent: a second run changes nothing.

Later parts of the system (reference data, the card registry, accounts) add their own loaders
here, each of which must also be idempotent.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from zairyu.core import clock
from zairyu.portal.models import Notice

DEMO_ADMIN = ("admin", "Zairyu-demo-2026!")  # noqa: S105 (demo log-in, printed on purpose)


class Command(BaseCommand):
    help = "Create the demo administrator and sample notices (idempotent) and print the log-ins."

    def handle(self, *args, **options):
        created = []
        with transaction.atomic():
            created += self._admin()
            created += self._notices()
        if created:
            self.stdout.write("Created: " + ", ".join(created))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(
            self.style.SUCCESS(
                "\nDemo log-ins\n"
                "  Administrator (http://127.0.0.1:8000/admin/): "
                f"{DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}\n"
                "  Demo mailbox: http://127.0.0.1:8000/demo/mailbox/\n"
            )
        )

    def _admin(self) -> list[str]:
        user_model = get_user_model()
        if user_model.objects.filter(username=DEMO_ADMIN[0]).exists():
            return []
        user_model.objects.create_superuser(DEMO_ADMIN[0], "admin@zairyu.example", DEMO_ADMIN[1])
        return ["administrator"]

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
