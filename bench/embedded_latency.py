"""Wake-up latency of the embedded default (docs/decisions/0007-embedded-background-work.md).

Starts ``manage.py serve`` (web, worker, beat) on the ``make run`` settings in a fresh
``ZAIRYU_VAR_DIR`` (SQLite database, SQLite broker unless CELERY_BROKER_URL is set), then, one
at a time with an idle pause between them (so the worker is polling, as in the demo), files

- Art. 19-16 notifications (service N) and times until each is 登録完了 (registered), and
- service A applications and times until each has its 申請受付番号 (receipt number),

from the start of the submission (its own validation, writes and the publish of the wake-up
included) until the row shows the result. Prints ``name: value unit`` lines. Usage::

    .venv/bin/python bench/embedded_latency.py [--count 20] [--pause 1.0]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, step: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise SystemExit(f"timed out after {timeout} s waiting for {what}")


def figures(name: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    p95 = ordered[max(int(round(0.95 * len(ordered))) - 1, 0)]
    print(f"{name}_median: {statistics.median(ordered):.2f} s")
    print(f"{name}_p95: {p95:.2f} s")
    print(f"{name}_max: {ordered[-1]:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20, help="filings and applications each")
    parser.add_argument("--pause", type=float, default=1.0, help="idle seconds between them")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="zairyu-latency-"))
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="zairyu.settings.dev",
        ZAIRYU_VAR_DIR=str(var),
        MEDIA_ROOT=str(var / "media"),
    )
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, check=True)
    port = free_port()
    out = (var / "serve.out").open("w")
    serve = subprocess.Popen(
        [*manage, "serve", "--addr", f"127.0.0.1:{port}", "--no-demo-logins"],
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: "Zairyu is running" in (var / "serve.out").read_text(), 120, "serve", 0.2)
        import django

        django.setup()
        from django.conf import settings
        from django.db import transaction
        from tests.applications.drafting import complete_draft, resident
        from tests.filings.factories import days_ago, make_resident

        from zairyu.applications import services as application_services
        from zairyu.applications.models import Application
        from zairyu.filings import services as filing_services
        from zairyu.filings.models import Filing, FilingState
        from zairyu.reference.models import NotificationEvent

        print(f"broker: {settings.CELERY_BROKER_URL.split('://', 1)[0]}://")
        time.sleep(5)  # the worker has settled (its first beat tasks ran)
        event = NotificationEvent.objects.get(pk="con_contract_end")
        registered: list[float] = []
        for _ in range(args.count):
            user, _card = make_resident(roman_name="HOUMU TAROU")
            time.sleep(args.pause)
            start = time.monotonic()
            with transaction.atomic():
                filing = filing_services.filing_submit_resident(
                    user=user,
                    event=event,
                    items={
                        "event_date": days_ago(3),
                        "org_name": "株式会社法務商事",
                        "org_address": "東京都千代田区",
                    },
                    token=uuid.uuid4(),
                )
            wait_for(
                lambda pk=filing.pk: Filing.objects.filter(
                    pk=pk, state=FilingState.REGISTERED
                ).exists(),
                60,
                "a filing to register",
            )
            registered.append(time.monotonic() - start)
        numbered: list[float] = []
        for _ in range(args.count):
            user, card = resident()
            draft = complete_draft(user, card)
            time.sleep(args.pause)
            start = time.monotonic()
            application = application_services.application_submit(
                user=user, application=draft, token=uuid.uuid4()
            )
            wait_for(
                lambda pk=application.pk: Application.objects.filter(
                    pk=pk, receipt_number__isnull=False
                ).exists(),
                60,
                "a receipt number",
            )
            numbered.append(time.monotonic() - start)
        figures("filing_registered", registered)
        figures("receipt_number", numbered)
    finally:
        serve.send_signal(2)  # Ctrl-C
        serve.wait(60)
        out.close()
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
