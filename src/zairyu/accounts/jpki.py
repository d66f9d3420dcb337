"""Verify the signature certificate of a My Number card (JPKI 署名用電子証明書; SPEC ID-3).

In the agency's system a reader app takes the certificate from the card; here the user uploads
the certificate file (PEM or DER). ``certificate_verify`` checks, in this order:

1. it parses as one X.509 certificate (``malformed``);
2. it was issued by a configured trust anchor (``unknown_ca``) whose key signed it
   (``bad_signature``). Anchors: ``ZAIRYU_JPKI_TRUST_ANCHORS`` (PEM files, in production the real
   JPKI signature CA), plus the test CA of :mod:`zairyu.accounts.testca` when
   ``ZAIRYU_JPKI_TEST_CA`` is on (default: when DEBUG). The card certificate is issued directly
   by the anchor, as JPKI's are; there is no intermediate;
3. it is an end-entity signature certificate: key usage digitalSignature, not a CA, and it
   carries the JPKI holder attributes (``wrong_usage``: the user-authentication certificate of
   the same card has none);
4. it is within its validity period by ``zairyu.core.clock`` (``not_yet_valid``, ``expired``);
5. a CRL signed by the same anchor (``ZAIRYU_JPKI_CRLS``) does not list it (``revoked``); no such
   CRL, or one past its next update, refuses it as ``revocation_unknown`` (fail closed).

The holder's name, sex, birth date and address come from subjectAltName otherName entries with
the JPKI OIDs 1.2.392.200149.8.5.5.{1,3,4,5} (002 Q2-11). The signature certificate holds no My
Number (002 Q2-8) and nothing here reads one: a value that looks like a My Number is dropped,
never stored or logged, and the subject DN is not read at all.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import ObjectIdentifier
from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _

from zairyu.core import clock
from zairyu.core.validators import contains_my_number

log = logging.getLogger(__name__)

OID_NAME = ObjectIdentifier("1.2.392.200149.8.5.5.1")  # 氏名
OID_SEX = ObjectIdentifier("1.2.392.200149.8.5.5.3")  # 性別: 1 male, 2 female
OID_BIRTH_DATE = ObjectIdentifier("1.2.392.200149.8.5.5.4")  # 生年月日: era digit + YYYYMMDD
OID_ADDRESS = ObjectIdentifier("1.2.392.200149.8.5.5.5")  # 住所
JPKI_HOLDER_OIDS = {OID_NAME, OID_SEX, OID_BIRTH_DATE, OID_ADDRESS}

# A card certificate is about 1.5 KB; anything much larger is not one.
MAX_CERTIFICATE_BYTES = 32 * 1024

SEX_FROM_JPKI = {"1": "M", "2": "F"}  # any other code: "U" (not stated)

REFUSAL_CODES = (
    "malformed",
    "unknown_ca",
    "bad_signature",
    "wrong_usage",
    "not_yet_valid",
    "expired",
    "revoked",
    "revocation_unknown",
)


class CertificateRefused(Exception):
    """The certificate cannot prove the holder's identity; ``code`` says why.

    ``message`` tells the user what happened and what to do (FMT-8; 002 Q2-9, Q2-16, Q2-20).
    """

    def __init__(self, code: str, **params):
        assert code in REFUSAL_CODES, code
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        day = self.params.get("date")
        shown = formats.date_format(day, "DATE_FORMAT") if day else ""
        messages = {
            "malformed": _(
                "The file is not a certificate that can be read. Upload the certificate file "
                "(.cer, .crt, .der or .pem) that the JPKI software saved from your My Number "
                "card, without changing it."
            ),
            "unknown_ca": _(
                "This certificate was not issued by the Public Certification Service for "
                "Individuals (JPKI) for My Number cards. Upload the signature certificate "
                "(署名用電子証明書) read from your My Number card."
            ),
            "bad_signature": _(
                "The certificate's signature is not valid: the file is damaged or was changed. "
                "Read the signature certificate from your My Number card again and upload the "
                "new file."
            ),
            "wrong_usage": _(
                "This is not the signature certificate (署名用電子証明書) of a My Number card; "
                "it may be the user-authentication certificate (利用者証明用電子証明書). Read "
                "the signature certificate, the one protected by a password of 6 to 16 "
                "characters, and upload it."
            ),
            "not_yet_valid": _(
                "This certificate is valid only from %(date)s. Please try again from that day."
            )
            % {"date": shown},
            "expired": _(
                "The signature certificate of this My Number card expired on %(date)s. Renew the "
                "certificate (or the card) at your municipal office, then register with the new "
                "certificate."
            )
            % {"date": shown},
            "revoked": _(
                "This certificate has been revoked, for example because the card was renewed, "
                "lost or returned. Use the current signature certificate of your card. For "
                "questions about your card, call the My Number general free dial "
                "(マイナンバー総合フリーダイヤル)."
            ),
            "revocation_unknown": _(
                "It cannot be checked at the moment whether this certificate is still valid. "
                "This is not a problem with your card: please try again later. If it goes on, "
                "contact the helpdesk."
            ),
        }
        return messages[self.code]


@dataclass(frozen=True)
class VerifiedCertificate:
    """What a verified signature certificate proves. Personal values stay out of ``repr``."""

    issuer: str  # RFC 4514 form of the issuing CA's name
    serial: str  # upper-case hexadecimal
    fingerprint: str  # SHA-256 of the DER, lower-case hexadecimal
    not_before: dt.datetime
    not_after: dt.datetime
    name: str = field(repr=False)  # "" when the certificate does not carry it
    sex: str = field(repr=False)  # "M", "F", "U" (code not known) or "" (not carried)
    birth_date: dt.date | None = field(repr=False)
    address: str = field(repr=False)
    # The public key (SubjectPublicKeyInfo, DER): it checks the card's proof of possession. Not
    # the whole certificate, which could carry what ``_clean_text`` drops.
    public_key: bytes = field(default=b"", repr=False, compare=False)

    @property
    def valid_until(self) -> dt.date:
        """The last day (Japan time) the certificate is valid: a registration's end (Q2-16)."""
        return self.not_after.astimezone(clock.TOKYO).date()


# --- Loading ---------------------------------------------------------------------------------

_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----")
_BASE64_ONLY = re.compile(rb"^[A-Za-z0-9+/=\s]+$")


def certificate_load(data: bytes) -> x509.Certificate:
    """Parse one certificate from PEM, DER or bare base64; raise ``malformed`` otherwise."""
    if not data or len(data) > MAX_CERTIFICATE_BYTES:
        raise CertificateRefused("malformed")
    stripped = data.strip()
    try:
        if stripped.startswith(b"-----BEGIN"):
            if len(_PEM_CERTIFICATE.findall(stripped)) != 1:
                raise CertificateRefused("malformed")
            return x509.load_pem_x509_certificate(stripped)
        if data[:1] == b"\x30":  # DER (never strip it: its last bytes may look like spaces)
            return x509.load_der_x509_certificate(data)
        if _BASE64_ONLY.match(stripped):
            return x509.load_der_x509_certificate(
                base64.b64decode(b"".join(stripped.split()), validate=True)
            )
        raise CertificateRefused("malformed")
    except (ValueError, TypeError, binascii.Error) as exc:
        raise CertificateRefused("malformed") from exc


def _file_key(path: Path) -> tuple[str, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        log.error("JPKI file %s cannot be read", path)
        return None
    return str(path), stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=32)
def _anchors_from(path: str, _mtime: int, _size: int) -> tuple[x509.Certificate, ...]:
    try:
        return tuple(x509.load_pem_x509_certificates(Path(path).read_bytes()))
    except (OSError, ValueError):
        log.error("JPKI trust anchor file %s holds no readable PEM certificate", path)
        return ()


@functools.lru_cache(maxsize=32)
def _crl_from(path: str, _mtime: int, _size: int) -> x509.CertificateRevocationList | None:
    try:
        data = Path(path).read_bytes()
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except (OSError, ValueError):
        log.error("JPKI CRL file %s cannot be read as a CRL", path)
        return None


@functools.lru_cache(maxsize=64)
def _crl_signed_by(
    crl_key: tuple[str, int, int], anchor_fingerprint: bytes, anchor: x509.Certificate
) -> bool:
    # A real JPKI CRL is many megabytes: check each file's signature once per version.
    crl = _crl_from(*crl_key)
    return crl is not None and crl.is_signature_valid(anchor.public_key())


def bundled_test_ca_trusted() -> bool:
    """Say whether the bundled test CA is trusted (``ZAIRYU_JPKI_TEST_CA``; unset: DEBUG)."""
    value = getattr(settings, "ZAIRYU_JPKI_TEST_CA", None)
    return bool(settings.DEBUG if value is None else value)


def _anchor_paths() -> list[Path]:
    paths = [Path(p) for p in settings.ZAIRYU_JPKI_TRUST_ANCHORS]
    if bundled_test_ca_trusted():
        paths.append(Path(settings.ZAIRYU_JPKI_TEST_CA_DIR) / "root.pem")
    return paths


def _crl_paths() -> list[Path]:
    paths = [Path(p) for p in settings.ZAIRYU_JPKI_CRLS]
    if bundled_test_ca_trusted():
        paths.append(Path(settings.ZAIRYU_JPKI_TEST_CA_DIR) / "crl.pem")
    return paths


def trust_anchors() -> list[x509.Certificate]:
    """The configured JPKI trust anchors, re-read when a file changes."""
    anchors = []
    for path in _anchor_paths():
        key = _file_key(path)
        if key is not None:
            anchors.extend(_anchors_from(*key))
    if not anchors:
        log.error("No JPKI trust anchor is configured: every certificate will be refused")
    return anchors


# --- Verification ----------------------------------------------------------------------------


def certificate_verify(data: bytes, *, now: dt.datetime | None = None) -> VerifiedCertificate:
    """Verify an uploaded signature certificate; raise CertificateRefused if it proves nothing."""
    now = now or clock.now()
    certificate = certificate_load(data)
    try:
        return _verify(certificate, now)
    except CertificateRefused:
        raise
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # cryptography parses extensions lazily: a broken one surfaces here.
        raise CertificateRefused("malformed") from exc


def _verify(certificate: x509.Certificate, now: dt.datetime) -> VerifiedCertificate:
    anchor = _issuing_anchor(certificate)
    _check_usage(certificate, anchor)
    holder = _holder_attributes(certificate)
    if holder is None:
        raise CertificateRefused("wrong_usage")
    not_before = certificate.not_valid_before_utc
    not_after = certificate.not_valid_after_utc
    if now < not_before:
        raise CertificateRefused("not_yet_valid", date=not_before.astimezone(clock.TOKYO).date())
    if now > not_after:
        raise CertificateRefused("expired", date=not_after.astimezone(clock.TOKYO).date())
    _check_revocation(certificate, anchor, now)
    return VerifiedCertificate(
        issuer=certificate.issuer.rfc4514_string(),
        serial=format(certificate.serial_number, "X"),
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        not_before=not_before,
        not_after=not_after,
        **holder,
        public_key=certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )


def _issuing_anchor(certificate: x509.Certificate) -> x509.Certificate:
    candidates = [a for a in trust_anchors() if a.subject == certificate.issuer]
    if not candidates:
        raise CertificateRefused("unknown_ca")
    for anchor in candidates:
        try:
            certificate.verify_directly_issued_by(anchor)
        except InvalidSignature:
            continue
        return anchor
    raise CertificateRefused("bad_signature")


def _check_usage(certificate: x509.Certificate, anchor: x509.Certificate) -> None:
    if certificate == anchor:
        raise CertificateRefused("wrong_usage")  # the CA's own certificate
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        pass
    else:
        if constraints.value.ca:
            raise CertificateRefused("wrong_usage")
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise CertificateRefused("wrong_usage") from exc
    if not usage.digital_signature:
        raise CertificateRefused("wrong_usage")


def _check_revocation(
    certificate: x509.Certificate, anchor: x509.Certificate, now: dt.datetime
) -> None:
    anchor_fingerprint = anchor.fingerprint(hashes.SHA256())
    current = None
    for path in _crl_paths():
        key = _file_key(path)
        if key is None:
            continue
        crl = _crl_from(*key)
        if crl is None or crl.issuer != certificate.issuer:
            continue
        if not _crl_signed_by(key, anchor_fingerprint, anchor):
            log.error("JPKI CRL %s is not signed by its issuer's anchor; ignored", path)
            continue
        if crl.last_update_utc > now:
            continue  # not in force yet
        if current is None or crl.last_update_utc > current.last_update_utc:
            current = crl
    if current is None or current.next_update_utc is None or current.next_update_utc < now:
        log.warning("No current JPKI CRL for %s", certificate.issuer.rfc4514_string())
        raise CertificateRefused("revocation_unknown")
    entry = current.get_revoked_certificate_by_serial_number(certificate.serial_number)
    if entry is not None and entry.revocation_date_utc <= now:
        raise CertificateRefused("revoked")


# --- Holder attributes -----------------------------------------------------------------------

_DER_STRING_TAGS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "ascii",  # PrintableString
    0x16: "ascii",  # IA5String
    0x14: "latin-1",  # TeletexString (read as Latin-1, as most software does)
    0x1E: "utf-16-be",  # BMPString
}


def der_string(value: bytes) -> str | None:
    """Decode one DER string (the value of an otherName), or None when it is not one."""
    if len(value) < 2 or value[0] not in _DER_STRING_TAGS:
        return None
    length, offset = value[1], 2
    if length & 0x80:
        octets = length & 0x7F
        if not 1 <= octets <= 3 or len(value) < 2 + octets:
            return None
        length = int.from_bytes(value[2 : 2 + octets], "big")
        offset = 2 + octets
    if offset + length != len(value):
        return None
    try:
        return value[offset:].decode(_DER_STRING_TAGS[value[0]])
    except UnicodeDecodeError:
        return None


def _clean_text(value: str | None, *, max_length: int) -> str:
    if not value:
        return ""
    text = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C").strip()
    if contains_my_number(text):
        # 002 Q2-8: never read a My Number. Drop the whole value and do not log it.
        log.warning("A JPKI attribute that looks like a My Number was ignored")
        return ""
    return text[:max_length]


def birth_date_parse(value: str | None) -> dt.date | None:
    """Read JPKI's ``EYYYYMMDD`` (era digit, then the Gregorian date) or a bare ``YYYYMMDD``."""
    if not value:
        return None
    text = value.strip()
    if len(text) == 9:
        text = text[1:]
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None  # e.g. an unknown day written as 00: the user types it (Q2-11)


def _holder_attributes(certificate: x509.Certificate) -> dict | None:
    """Name, sex, birth date and address from the JPKI otherNames; None when there are none."""
    try:
        alt_names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    values: dict[ObjectIdentifier, str | None] = {}
    for other in alt_names.value.get_values_for_type(x509.OtherName):
        if other.type_id in JPKI_HOLDER_OIDS and other.type_id not in values:
            values[other.type_id] = der_string(other.value)
    if not values:
        return None
    sex_code = _clean_text(values.get(OID_SEX), max_length=2)
    birth = _clean_text(values.get(OID_BIRTH_DATE), max_length=9)
    return {
        "name": _clean_text(values.get(OID_NAME), max_length=200),
        "sex": SEX_FROM_JPKI.get(sex_code, "U" if sex_code else ""),
        "birth_date": birth_date_parse(birth),
        "address": _clean_text(values.get(OID_ADDRESS), max_length=300),
    }


# --- Proof of possession ---------------------------------------------------------------------

# An ECDSA P-256 signature as two 32-byte integers r || s (IEEE P1363, what WebCrypto and most
# smartphone key stores give) instead of DER.
_P256_RAW_SIGNATURE_BYTES = 64


def signature_verify(*, certificate: bytes, message: bytes, signature: bytes) -> bool:
    """Say whether ``signature`` over ``message`` was made with the certificate's private key.

    Uploading a certificate proves nothing by itself (a signature certificate travels with every
    document its holder signs). The JPKI client signs a one-time challenge with the card's key;
    this checks that signature (docs/jpki-proof-of-possession.md): RSA PKCS #1 v1.5 with
    SHA-256, as JPKI cards sign, or ECDSA P-256 with SHA-256 (DER, or raw r || s) when the
    certificate holds an EC key. Any other key or curve proves nothing.
    """
    return public_key_signature_verify(
        public_key=certificate_load(certificate).public_key(), message=message, signature=signature
    )


def public_key_signature_verify(*, public_key, message: bytes, signature: bytes) -> bool:
    """``signature_verify`` with the public key itself (an object, or SubjectPublicKeyInfo DER)."""
    key = public_key
    if isinstance(key, bytes):
        try:
            key = serialization.load_der_public_key(key)
        except (ValueError, UnsupportedAlgorithm):
            return False
    if isinstance(key, rsa.RSAPublicKey):
        return _verifies(
            lambda: key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        )
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        candidates = [signature]
        if len(signature) == _P256_RAW_SIGNATURE_BYTES:
            half = _P256_RAW_SIGNATURE_BYTES // 2
            r, s = (int.from_bytes(part, "big") for part in (signature[:half], signature[half:]))
            candidates.append(encode_dss_signature(r, s))
        return any(
            _verifies(lambda c=c: key.verify(c, message, ec.ECDSA(hashes.SHA256())))
            for c in candidates
        )
    return False


def _verifies(check) -> bool:
    try:
        check()
    except (InvalidSignature, ValueError):
        return False
    return True
