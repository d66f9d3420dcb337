"""Create the test CA and the demo My Number card certificates (ID-3). Idempotent.

The files go to ``settings.ZAIRYU_JPKI_TEST_CA_DIR`` (``var/jpki-test-ca``): ``root.pem`` (the
anchor), ``crl.pem`` (re-issued when fewer than 30 days remain before its next update),
``cards/*.pem`` with ``cards/index.json``, which the registration page lists for download while
the test CA is trusted (``ZAIRYU_JPKI_TEST_CA``, default: DEBUG), and each card's own private key
in ``card-keys/*.key`` (0600). A real card never gives up its key; the demo keeps it so that the
demo signer (the "Sign with the demo card" button, ``manage.py sign_demo_challenge``) can play
the card's chip and sign the proof-of-possession challenge (docs/jpki-proof-of-possession.md).
A set issued before the keys were kept is issued again. Every person is fictional.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cryptography import x509
from django.conf import settings
from django.core.management.base import BaseCommand

from zairyu.accounts.testca import (
    DEMO_CARDS_DIR,
    DEMO_KEYS_DIR,
    JpkiTestCA,
    demo_card_load,
    demo_card_write,
    new_key,
)
from zairyu.core import clock

CRL_LIFETIME = dt.timedelta(days=90)
CRL_REFRESH_BEFORE = dt.timedelta(days=30)

# slug, label, what the certificate carries
DEMO_CARDS = (
    {
        "slug": "wang-xiaoming",
        "label": "ＷＡＮＧ　ＸＩＡＯＭＩＮＧ (M, 1990-04-01) — valid",
        "name": "ＷＡＮＧ　ＸＩＡＯＭＩＮＧ",
        "sex": "M",
        "birth_date": "1990-04-01",
        "address": "東京都新宿区西新宿二丁目８番１号",
        "kind": "valid",
    },
    {
        "slug": "wang-xiaoming-renewed",
        "label": "ＷＡＮＧ　ＸＩＡＯＭＩＮＧ (M, 1990-04-01) — renewed card, for re-binding",
        "name": "ＷＡＮＧ　ＸＩＡＯＭＩＮＧ",
        "sex": "M",
        "birth_date": "1990-04-01",
        "address": "東京都新宿区西新宿二丁目８番１号",
        "kind": "renewed",
    },
    {
        "slug": "santos-maria",
        "label": "ＳＡＮＴＯＳ　ＭＡＲＩＡ (F, 1985-11-23) — valid",
        "name": "ＳＡＮＴＯＳ　ＭＡＲＩＡ",
        "sex": "F",
        "birth_date": "1985-11-23",
        "address": "大阪府大阪市中央区大手前四丁目１番７６号",
        "kind": "valid",
    },
    {
        "slug": "yamada-hanako",
        "label": "山田　花子 (F, 1980-02-17) — valid",
        "name": "山田　花子",
        "sex": "F",
        "birth_date": "1980-02-17",
        "address": "神奈川県横浜市中区山下町３７番地９",
        "kind": "valid",
    },
    {
        "slug": "expired",
        "label": "ＮＧＵＹＥＮ　ＶＡＮ　ＡＮ — expired certificate (refused)",
        "name": "ＮＧＵＹＥＮ　ＶＡＮ　ＡＮ",
        "sex": "M",
        "birth_date": "1995-07-15",
        "address": "愛知県名古屋市港区正保町５丁目１８番地",
        "kind": "expired",
    },
    {
        "slug": "revoked",
        "label": "ＫＩＭ　ＭＩＮＪＵ — revoked certificate (refused)",
        "name": "ＫＩＭ　ＭＩＮＪＵ",
        "sex": "F",
        "birth_date": "1992-09-30",
        "address": "福岡県福岡市中央区舞鶴三丁目５番２５号",
        "kind": "revoked",
    },
    {
        "slug": "authentication-certificate",
        "label": "User-authentication certificate — not a signature certificate (refused)",
        "kind": "authentication",
    },
)


class Command(BaseCommand):
    help = "Create the JPKI test CA and demo card certificates (idempotent); print where they are."

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            help="Where to keep the test CA (default: settings.ZAIRYU_JPKI_TEST_CA_DIR).",
        )

    def handle(self, *args, **options):
        directory = Path(options.get("directory") or settings.ZAIRYU_JPKI_TEST_CA_DIR)
        authority = JpkiTestCA.load_or_create(directory)
        cards_dir = directory / DEMO_CARDS_DIR
        index = self._index(directory)
        changed = []
        if index is None:
            index = self._issue(authority, directory)
            changed.append(f"{len(index)} demo card certificates")
        if changed or self._crl_due(authority):
            revoked = [int(card["serial"], 16) for card in index if card["kind"] == "revoked"]
            authority.write_crl(revoked=revoked, next_update=clock.now() + CRL_LIFETIME)
            changed.append("CRL")
        self.stdout.write(
            ("Issued: " + ", ".join(changed)) if changed else "Demo certificates already present."
        )
        self.stdout.write(f"JPKI test CA (trust anchor): {authority.root_path}")
        self.stdout.write(
            "Demo My Number card certificates (upload one at "
            f"{settings.ZAIRYU_SITE_URL.rstrip('/')}/accounts/service-a/register/):"
        )
        for card in index:
            self.stdout.write(f"  {cards_dir / card['file']}  {card['label']}")
        self.stdout.write(
            f"Their private keys (demo only: they sign the proof-of-possession challenge in place "
            f'of the card, with the page\'s "Sign with the demo card" button or '
            f"`manage.py sign_demo_challenge <card> <challenge> --flow <flow>`): "
            f"{directory / DEMO_KEYS_DIR}"
        )

    def _index(self, directory: Path) -> list[dict] | None:
        """The issued set, or None when it must be issued (again)."""
        try:
            index = json.loads(
                (directory / DEMO_CARDS_DIR / "index.json").read_text(encoding="utf-8")
            )
        except (OSError, ValueError):
            return None
        if {card.get("slug") for card in index} != {card["slug"] for card in DEMO_CARDS}:
            return None
        now = clock.now()
        for entry in index:
            # Each card keeps its own key (older sets had none): a card without it is re-issued.
            card = demo_card_load(directory, entry)
            if card is None:
                return None
            expiring = card.certificate.not_valid_after_utc < now + dt.timedelta(days=30)
            if entry["kind"] in {"valid", "renewed"} and expiring:
                return None
        return index

    def _issue(self, authority: JpkiTestCA, directory: Path) -> list[dict]:
        now = clock.now()
        index = []
        for spec in DEMO_CARDS:
            kind = spec["kind"]
            attributes: dict = {}
            if kind != "authentication":
                attributes = {
                    "name": spec["name"],
                    "sex": spec["sex"],
                    "birth_date": dt.date.fromisoformat(spec["birth_date"]),
                    "address": spec["address"],
                }
            validity = {
                "valid": (now - dt.timedelta(days=30), now + dt.timedelta(days=365 * 5)),
                "renewed": (now - dt.timedelta(days=1), now + dt.timedelta(days=365 * 6)),
                "expired": (now - dt.timedelta(days=365 * 5), now - dt.timedelta(days=10)),
                "revoked": (now - dt.timedelta(days=60), now + dt.timedelta(days=365 * 4)),
                "authentication": (now - dt.timedelta(days=30), now + dt.timedelta(days=365 * 5)),
            }[kind]
            if kind == "authentication":
                attributes = {"key_usage": {"digital_signature"}, "holder_attributes": False}
            # Every card its own key, as every real card has (a renewed card too).
            card = authority.issue(
                **attributes, not_before=validity[0], not_after=validity[1], key=new_key()
            )
            files = demo_card_write(directory, spec["slug"], card)
            index.append(
                {
                    "slug": spec["slug"],
                    "label": spec["label"],
                    "kind": kind,
                    **files,
                    "serial": format(card.serial, "X"),
                }
            )
        (directory / DEMO_CARDS_DIR / "index.json").write_text(
            json.dumps(index, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return index

    def _crl_due(self, authority: JpkiTestCA) -> bool:
        try:
            crl = x509.load_pem_x509_crl(authority.crl_path.read_bytes())
        except (OSError, ValueError):
            return True
        if crl.issuer != authority.certificate.subject:
            return True
        next_update = crl.next_update_utc
        return next_update is None or next_update < clock.now() + CRL_REFRESH_BEFORE
