"""A test certification authority that stands in for J-LIS in the demo and in tests (ID-3).

It issues "card" signature certificates shaped like JPKI's: key usage digitalSignature and
nonRepudiation (critical), and the holder's name, sex, birth date and address as subjectAltName
otherNames with the JPKI OIDs (UTF8String name and address; PrintableString sex ``1``/``2`` and
birth date ``EYYYYMMDD``, E being the era digit 1 Meiji .. 5 Reiwa). It also issues CRLs.

The CA's key and certificate are files in one directory (``var/jpki-test-ca`` for the demo, a
temporary directory in tests); loading the same directory again gives the same CA. Nothing it
issues is trusted unless ``ZAIRYU_JPKI_TEST_CA`` is on (DEBUG by default) or a test points
``ZAIRYU_JPKI_TRUST_ANCHORS`` at its ``root.pem``. Never enable it in production.

The demo cards (``manage.py issue_demo_certificates``) are kept in the same directory:
``cards/<slug>.pem`` with ``cards/index.json``, and each card's private key in
``card-keys/<slug>.key`` (mode 0600, never served), which the demo signer uses in place of the
card's chip (:func:`demo_card_find`; ``possession.demo_card``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from zairyu.core import clock

from . import jpki

TEST_CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Zairyu test CA - not J-LIS"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Zairyu JPKI test signature CA"),
    ]
)
SEX_TO_JPKI = {"M": "1", "F": "2", "U": "3"}
# The first day of each era: the era digit of a JPKI birth date (0 = not known).
ERAS = (
    (dt.date(2019, 5, 1), "5"),  # 令和
    (dt.date(1989, 1, 8), "4"),  # 平成
    (dt.date(1926, 12, 25), "3"),  # 昭和
    (dt.date(1912, 7, 30), "2"),  # 大正
    (dt.date(1868, 10, 23), "1"),  # 明治
)
# A card's key: RSA as on JPKI cards; EC P-256 to test that an EC certificate is accepted too.
CardKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
DEMO_CARDS_DIR = "cards"
DEMO_KEYS_DIR = "card-keys"
SIGN_USAGE = frozenset({"digital_signature", "content_commitment"})
_KEY_USAGE_FLAGS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


def jpki_birth_date(day: dt.date) -> str:
    """Write a birth date the JPKI way: era digit, then the Gregorian YYYYMMDD."""
    era = next((digit for start, digit in ERAS if day >= start), "0")
    return f"{era}{day:%Y%m%d}"


def _der_string(tag: int, text: str) -> bytes:
    body = text.encode("utf-8" if tag == 0x0C else "ascii")
    length = len(body)
    if length < 0x80:
        header = bytes([tag, length])
    else:
        octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
        header = bytes([tag, 0x80 | len(octets)]) + octets
    return header + body


def utf8_string(text: str) -> bytes:
    return _der_string(0x0C, text)


def printable_string(text: str) -> bytes:
    return _der_string(0x13, text)


def _key_usage(flags: frozenset[str] | set[str]) -> x509.KeyUsage:
    values = {flag: flag in flags for flag in _KEY_USAGE_FLAGS}
    return x509.KeyUsage(**values, encipher_only=False, decipher_only=False)


def holder_other_names(
    *, name: str = "", sex: str = "", birth_date: dt.date | None = None, address: str = ""
) -> list[x509.OtherName]:
    """The JPKI holder attributes as subjectAltName otherNames (only those given)."""
    names = []
    if name:
        names.append(x509.OtherName(jpki.OID_NAME, utf8_string(name)))
    if birth_date:
        names.append(
            x509.OtherName(jpki.OID_BIRTH_DATE, printable_string(jpki_birth_date(birth_date)))
        )
    if sex:
        names.append(x509.OtherName(jpki.OID_SEX, printable_string(SEX_TO_JPKI[sex])))
    if address:
        names.append(x509.OtherName(jpki.OID_ADDRESS, utf8_string(address)))
    return names


def new_key(key_size: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def new_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass(frozen=True)
class CardCertificate:
    """A test card's signature certificate with its private key."""

    certificate: x509.Certificate
    key: CardKey

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def serial(self) -> int:
        return self.certificate.serial_number

    def sign(self, message: bytes) -> bytes:
        """Sign as the card would: RSA PKCS #1 v1.5 with SHA-256 (ECDSA, DER, for an EC key)."""
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(message, ec.ECDSA(hashes.SHA256()))
        return self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


class JpkiTestCA:
    """A root CA kept in ``directory`` (root.key, root.pem, crl.pem)."""

    def __init__(self, directory: Path, key: rsa.RSAPrivateKey, certificate: x509.Certificate):
        self.directory = directory
        self.key = key
        self.certificate = certificate
        self._card_key: rsa.RSAPrivateKey | None = None

    @classmethod
    def load_or_create(
        cls,
        directory: Path | str,
        *,
        name: x509.Name = TEST_CA_NAME,
        now: dt.datetime | None = None,
        key_size: int = 2048,
    ) -> JpkiTestCA:
        """Load the CA kept in ``directory``, creating it (valid 20 years) the first time."""
        directory = Path(directory)
        key_path, cert_path = directory / "root.key", directory / "root.pem"
        if key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
            return cls(directory, key, certificate)
        directory.mkdir(parents=True, exist_ok=True)
        now = now or clock.now()
        key = new_key(key_size)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * 20))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage({"key_cert_sign", "crl_sign"}), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        _write_private(
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return cls(directory, key, certificate)

    @property
    def root_path(self) -> Path:
        return self.directory / "root.pem"

    @property
    def crl_path(self) -> Path:
        return self.directory / "crl.pem"

    @property
    def card_key(self) -> rsa.RSAPrivateKey:
        """One key shared by cards issued without their own (key generation is the slow part)."""
        if self._card_key is None:
            self._card_key = new_key()
        return self._card_key

    def issue(
        self,
        *,
        name: str = "",
        sex: str = "",
        birth_date: dt.date | None = None,
        address: str = "",
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        serial: int | None = None,
        key: CardKey | None = None,
        key_usage: frozenset[str] | set[str] = SIGN_USAGE,
        ca: bool = False,
        holder_attributes: bool = True,
        extra_other_names: tuple[tuple[str, bytes], ...] = (),
    ) -> CardCertificate:
        """Issue a card signature certificate (valid 5 years from now unless told otherwise).

        ``holder_attributes=False`` gives what a user-authentication certificate looks like (no
        name, sex, birth date or address); ``extra_other_names`` adds raw (OID, DER) pairs.
        """
        now = clock.now()
        not_before = not_before or now - dt.timedelta(days=1)
        not_after = not_after or not_before + dt.timedelta(days=365 * 5)
        key = key or self.card_key
        serial = serial or x509.random_serial_number()
        other_names = (
            holder_other_names(name=name, sex=sex, birth_date=birth_date, address=address)
            if holder_attributes
            else []
        )
        for oid, value in extra_other_names:
            other_names.append(x509.OtherName(x509.ObjectIdentifier(oid), value))
        builder = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                        x509.NameAttribute(NameOID.COMMON_NAME, f"TEST{serial:X}"),
                    ]
                )
            )
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(_key_usage(key_usage), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
        )
        if other_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(other_names), False)
        return CardCertificate(builder.sign(self.key, hashes.SHA256()), key)

    def crl(
        self,
        *,
        revoked: tuple[int, ...] | list[int] = (),
        this_update: dt.datetime | None = None,
        next_update: dt.datetime | None = None,
    ) -> bytes:
        """A CRL (PEM) listing the ``revoked`` serial numbers; next update in 30 days by default."""
        this_update = this_update or clock.now() - dt.timedelta(minutes=5)
        next_update = next_update or this_update + dt.timedelta(days=30)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(this_update)
            .next_update(next_update)
        )
        for serial in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(this_update)
                .build()
            )
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def write_crl(self, **kwargs) -> Path:
        """Write ``crl.pem`` beside the root (see :meth:`crl`) and return its path."""
        data = self.crl(**kwargs)
        temporary = self.crl_path.with_suffix(".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, self.crl_path)  # readers never see half a file
        return self.crl_path


def self_signed_card(
    *, name: str = "", sex: str = "", birth_date: dt.date | None = None
) -> CardCertificate:
    """A certificate that signs itself but looks like a card's (for "unknown CA" tests)."""
    key = new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Self-signed card")])
    now = clock.now()
    other_names = holder_other_names(name=name, sex=sex, birth_date=birth_date)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(_key_usage(SIGN_USAGE), critical=True)
    )
    if other_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(other_names), False)
    return CardCertificate(builder.sign(key, hashes.SHA256()), key)


# --- Demo cards ------------------------------------------------------------------------------


def demo_card_index(directory: Path | str) -> list[dict]:
    """The demo cards listed in ``cards/index.json`` under ``directory`` ([] when none)."""
    try:
        index = json.loads(
            (Path(directory) / DEMO_CARDS_DIR / "index.json").read_text(encoding="utf-8")
        )
    except (OSError, ValueError):
        return []
    return index if isinstance(index, list) else []


def demo_card_write(directory: Path | str, slug: str, card: CardCertificate) -> dict:
    """Keep a demo card: its certificate in ``cards/``, its private key (0600) in ``card-keys/``.

    Return the file names for the index.
    """
    directory = Path(directory)
    (directory / DEMO_CARDS_DIR).mkdir(parents=True, exist_ok=True)
    (directory / DEMO_KEYS_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
    certificate_file, key_file = f"{slug}.pem", f"{slug}.key"
    (directory / DEMO_CARDS_DIR / certificate_file).write_bytes(card.pem())
    _write_private(directory / DEMO_KEYS_DIR / key_file, card.key_pem())
    return {"file": certificate_file, "key": key_file}


def demo_card_load(directory: Path | str, entry: dict) -> CardCertificate | None:
    """One demo card with its private key, or None when a file is missing or they do not pair."""
    directory = Path(directory)
    try:
        certificate = x509.load_pem_x509_certificate(
            (directory / DEMO_CARDS_DIR / Path(str(entry["file"])).name).read_bytes()
        )
        key = serialization.load_pem_private_key(
            (directory / DEMO_KEYS_DIR / Path(str(entry["key"])).name).read_bytes(), password=None
        )
    except (KeyError, OSError, ValueError, TypeError):
        return None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return None
    if key.public_key().public_numbers() != certificate.public_key().public_numbers():
        return None
    return CardCertificate(certificate, key)


def demo_card_find(
    directory: Path | str, *, slug: str = "", certificate: x509.Certificate | None = None
) -> CardCertificate | None:
    """The demo card named ``slug``, or whose certificate is ``certificate``, with its key."""
    for entry in demo_card_index(directory):
        if slug and entry.get("slug") != slug:
            continue
        card = demo_card_load(directory, entry)
        if card is None:
            continue
        if certificate is not None and card.certificate != certificate:
            continue
        return card
    return None


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
