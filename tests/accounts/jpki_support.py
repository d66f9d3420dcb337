"""A test CA trusted through the settings, shared by the JPKI and service A tests (ID-3), and
reading a card over HTTP: upload its certificate and sign the challenge the page shows."""

import base64
import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zairyu.accounts.testca import CardCertificate, JpkiTestCA

BIRTH = dt.date(1990, 4, 1)
NAME = "ＷＡＮＧ　ＸＩＡＯＭＩＮＧ"


@dataclass
class TrustedCA:
    """The test CA as the only trust anchor, with its CRL at ``crl_path``."""

    ca: JpkiTestCA
    crl_path: Path

    def card(self, **kwargs) -> CardCertificate:
        values = {"name": NAME, "sex": "M", "birth_date": BIRTH, "address": "東京都千代田区"}
        values.update(kwargs)
        return self.ca.issue(**values)

    def write_crl(self, **kwargs) -> None:
        self.crl_path.write_bytes(self.ca.crl(**kwargs))


@pytest.fixture(scope="session")
def jpki_ca(tmp_path_factory) -> JpkiTestCA:
    return JpkiTestCA.load_or_create(tmp_path_factory.mktemp("jpki") / "ca")


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory) -> JpkiTestCA:
    """A CA nobody trusts."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some other CA")])
    return JpkiTestCA.load_or_create(tmp_path_factory.mktemp("jpki") / "other", name=name)


@pytest.fixture(scope="session")
def impostor_ca(tmp_path_factory) -> JpkiTestCA:
    """A CA with the trusted CA's name but another key."""
    return JpkiTestCA.load_or_create(tmp_path_factory.mktemp("jpki") / "impostor")


@pytest.fixture
def trusted(jpki_ca, settings, tmp_path) -> TrustedCA:
    crl_path = tmp_path / "jpki.crl"
    settings.ZAIRYU_JPKI_TRUST_ANCHORS = [str(jpki_ca.root_path)]
    settings.ZAIRYU_JPKI_CRLS = [str(crl_path)]
    settings.ZAIRYU_JPKI_TEST_CA = False
    authority = TrustedCA(ca=jpki_ca, crl_path=crl_path)
    authority.write_crl()
    return authority


# --- Reading a card: the proof of possession (docs/jpki-proof-of-possession.md) ---------------

_CHALLENGE_INPUT = re.compile(r'<input type="hidden" name="challenge" value="([^"]*)"')


def upload(card: CardCertificate, name: str = "card.pem") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, card.pem(), content_type="application/x-pem-file")


def pop_message(flow: str, challenge: str) -> bytes:
    """What the card signs, written out from the documented interface (not from the code)."""
    return b"zairyu-jpki-pop-v1\n" + flow.encode("ascii") + b"\n" + challenge.encode("ascii")


def shown_challenge(response) -> str:
    """The challenge a card-reading page carries in its form."""
    found = _CHALLENGE_INPUT.search(response.content.decode())
    assert found, "no challenge on the page"
    return html.unescape(found.group(1))


def signature_b64(card: CardCertificate, flow: str, challenge: str) -> str:
    return base64.b64encode(card.sign(pop_message(flow, challenge))).decode("ascii")


def read_card(client, url: str, card: CardCertificate, *, flow: str, signer=None, **post):
    """Open the card-reading page at ``url``, sign its challenge with ``signer`` (the card
    itself by default) for ``flow`` and send the certificate with the signature."""
    challenge = shown_challenge(client.get(url))
    data = {
        "certificate": upload(card),
        "challenge": challenge,
        "signature": signature_b64(signer or card, flow, challenge),
    }
    data.update(post.pop("data", {}))
    return client.post(url, data, **post)
