"""ID-3: the My Number card's signature certificate is verified against the configured anchors,
its validity period and the CRL; name, sex and birth date come from it; no My Number is read."""

import base64
import datetime as dt
import logging

import pytest
from cryptography.hazmat.primitives import serialization
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from stdnum.jp import in_ as my_number

from zairyu.accounts import jpki, possession
from zairyu.accounts.jpki import CertificateRefused, certificate_verify
from zairyu.accounts.testca import (
    demo_card_index,
    demo_card_load,
    jpki_birth_date,
    new_ec_key,
    new_key,
    printable_string,
    self_signed_card,
    utf8_string,
)
from zairyu.core import clock

from .jpki_support import BIRTH, NAME, impostor_ca, jpki_ca, other_ca, trusted

# The shared fixtures, used here by name (pytest finds them as attributes of this module).
FIXTURES = (impostor_ca, jpki_ca, other_ca, trusted)

A_MY_NUMBER = "12345678901" + my_number.calc_check_digit("12345678901")


@pytest.fixture(autouse=True)
def english():
    """Messages in English, so that assertions on wording survive the Japanese catalogue."""
    with translation.override("en"):
        yield


def refused(data: bytes) -> CertificateRefused:
    with pytest.raises(CertificateRefused) as caught:
        certificate_verify(data)
    return caught.value


def test_id3_valid_certificate_gives_name_sex_birth_date_and_expiry(trusted):
    card = trusted.card()
    for upload in (card.pem(), card.der()):
        verified = certificate_verify(upload)
        assert verified.name == NAME
        assert verified.sex == "M"
        assert verified.birth_date == BIRTH
        assert verified.address == "東京都千代田区"
        assert verified.serial == format(card.serial, "X")
        assert verified.issuer == trusted.ca.certificate.subject.rfc4514_string()
        assert len(verified.fingerprint) == 64
        expected = card.certificate.not_valid_after_utc.astimezone(clock.TOKYO).date()
        assert verified.valid_until == expected  # Q2-16: the registration ends with it


def test_id3_personal_values_stay_out_of_repr(trusted):
    text = repr(certificate_verify(trusted.card().der()))
    assert "WANG" not in text and "1990" not in text and "千代田" not in text


def test_id3_bare_base64_and_female_holder(trusted):
    card = trusted.card(name="山田　花子", sex="F", birth_date=dt.date(1980, 2, 17))
    verified = certificate_verify(base64.encodebytes(card.der()))
    assert (verified.name, verified.sex, verified.birth_date) == (
        "山田　花子",
        "F",
        dt.date(1980, 2, 17),
    )


def test_id3_missing_attributes_are_left_for_the_user_to_type(trusted):
    # Q2-11: what the card does not fill in, the user types from the card's face.
    verified = certificate_verify(trusted.card(sex="", birth_date=None, address="").der())
    assert verified.name == NAME
    assert verified.sex == ""
    assert verified.birth_date is None


def test_id3_expired_certificate_is_refused_with_its_date(trusted):
    now = clock.now()
    card = trusted.card(
        not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=2)
    )
    error = refused(card.der())
    assert error.code == "expired"
    assert "municipal office" in error.message
    assert str((now - dt.timedelta(days=2)).year) in error.message


def test_id3_certificate_expires_with_the_clock(trusted):
    card = trusted.card()
    after = card.certificate.not_valid_after_utc + dt.timedelta(seconds=1)
    trusted.write_crl(this_update=after - dt.timedelta(days=1))
    with clock.frozen(after.astimezone(clock.TOKYO)):
        assert refused(card.der()).code == "expired"


def test_id3_not_yet_valid_certificate_is_refused(trusted):
    start = clock.now() + dt.timedelta(days=3)
    error = refused(trusted.card(not_before=start).der())
    assert error.code == "not_yet_valid"
    assert "try again from that day" in error.message


def test_id3_revoked_certificate_is_refused(trusted):
    card = trusted.card()
    other = trusted.card()
    trusted.write_crl(revoked=[card.serial])
    error = refused(card.der())
    assert error.code == "revoked"
    assert "current signature certificate" in error.message
    assert certificate_verify(other.der()).serial == format(other.serial, "X")


def test_id3_stale_crl_means_revocation_unknown(trusted):
    now = clock.now()
    trusted.write_crl(
        this_update=now - dt.timedelta(days=40), next_update=now - dt.timedelta(days=10)
    )
    error = refused(trusted.card().der())
    assert error.code == "revocation_unknown"
    assert "try again later" in error.message


def test_id3_no_crl_at_all_means_revocation_unknown(trusted, settings):
    settings.ZAIRYU_JPKI_CRLS = []
    assert refused(trusted.card().der()).code == "revocation_unknown"


def test_id3_crl_missing_file_means_revocation_unknown(trusted):
    trusted.crl_path.unlink()
    assert refused(trusted.card().der()).code == "revocation_unknown"


def test_id3_forged_crl_is_ignored(trusted, impostor_ca):
    # A CRL with the right issuer name but signed by another key cannot clear a certificate.
    trusted.crl_path.write_bytes(impostor_ca.crl())
    assert refused(trusted.card().der()).code == "revocation_unknown"


def test_id3_newest_crl_wins(trusted, settings, tmp_path):
    card = trusted.card()
    older = tmp_path / "older.crl"
    older.write_bytes(trusted.ca.crl(this_update=clock.now() - dt.timedelta(days=2)))
    settings.ZAIRYU_JPKI_CRLS = [str(older), str(trusted.crl_path)]
    trusted.write_crl(revoked=[card.serial])
    assert refused(card.der()).code == "revoked"


def test_id3_certificate_from_unknown_ca_is_refused(trusted, other_ca):
    error = refused(other_ca.issue(name=NAME, sex="M", birth_date=BIRTH).der())
    assert error.code == "unknown_ca"
    assert "JPKI" in error.message


def test_id3_self_signed_certificate_is_refused(trusted):
    card = self_signed_card(name=NAME, sex="M", birth_date=BIRTH)
    assert refused(card.der()).code == "unknown_ca"


def test_id3_same_ca_name_with_another_key_is_a_bad_signature(trusted, impostor_ca):
    card = impostor_ca.issue(name=NAME, sex="M", birth_date=BIRTH)
    error = refused(card.der())
    assert error.code == "bad_signature"
    assert "damaged or was changed" in error.message


def test_id3_tampered_certificate_is_a_bad_signature(trusted):
    der = bytearray(trusted.card(name="ＡＡＡＡ").der())
    at = der.find("ＡＡＡＡ".encode())
    der[at : at + 3] = "ＢＡＡＡ".encode()[:3]
    assert refused(bytes(der)).code in {"bad_signature", "malformed"}


def test_id3_nothing_trusted_when_no_anchor_is_configured(trusted, settings, caplog):
    settings.ZAIRYU_JPKI_TRUST_ANCHORS = ["/nonexistent/anchor.pem"]
    with caplog.at_level(logging.ERROR, logger="zairyu.accounts.jpki"):
        assert refused(trusted.card().der()).code == "unknown_ca"
    assert "No JPKI trust anchor" in caplog.text


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        b"\x30\x82\x01\x00" + b"\x00" * 10,
        b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        "証明書".encode(),
        b"%PDF-1.7\n" + b"0" * 100,
        b"A" * (jpki.MAX_CERTIFICATE_BYTES + 1),
    ],
    ids=["empty", "text", "truncated-der", "bad-pem", "japanese", "pdf", "too-large"],
)
def test_id3_garbage_file_is_malformed(trusted, data):
    error = refused(data)
    assert error.code == "malformed"
    assert ".cer" in error.message


def test_id3_two_certificates_in_one_file_are_malformed(trusted):
    assert refused(trusted.card().pem() + trusted.card().pem()).code == "malformed"


def test_id3_private_key_file_is_malformed_and_not_kept(trusted):
    card = trusted.card()
    key = card.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert refused(key).code == "malformed"


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=600))
def test_id3_random_bytes_never_crash(trusted, data):
    with pytest.raises(CertificateRefused) as caught:
        certificate_verify(data)
    assert caught.value.code == "malformed"


def test_id3_key_usage_without_digital_signature_is_wrong_usage(trusted):
    card = trusted.card(key_usage={"key_encipherment"})
    error = refused(card.der())
    assert error.code == "wrong_usage"
    assert "signature certificate" in error.message


def test_id3_authentication_certificate_without_holder_data_is_wrong_usage(trusted):
    # The user-authentication certificate of the same card carries no name, sex or birth date.
    card = trusted.card(key_usage={"digital_signature"}, holder_attributes=False)
    assert refused(card.der()).code == "wrong_usage"


def test_id3_ca_certificates_are_wrong_usage(trusted):
    assert refused(trusted.ca.root_path.read_bytes()).code == "wrong_usage"
    assert refused(trusted.card(ca=True).der()).code == "wrong_usage"


def test_id3_my_number_is_never_read_from_any_field(trusted):
    # Q2-8: the signature certificate has no My Number; if a field looks like one, ignore it.
    card = trusted.card(
        name=f"ＷＡＮＧ {A_MY_NUMBER}",
        address=f"東京都 {A_MY_NUMBER[:4]}-{A_MY_NUMBER[4:8]}-{A_MY_NUMBER[8:]}",
        extra_other_names=(("1.2.392.200149.8.5.5.2", utf8_string(A_MY_NUMBER)),),
    )
    verified = certificate_verify(card.der())
    assert verified.name == ""
    assert verified.address == ""
    assert A_MY_NUMBER not in repr(vars(verified))
    assert verified.birth_date == BIRTH  # the rest is still read


def test_id3_unknown_sex_code_and_unknown_birth_day(trusted):
    card = trusted.card(
        sex="",
        birth_date=None,
        extra_other_names=(
            (jpki.OID_SEX.dotted_string, printable_string("3")),
            (jpki.OID_BIRTH_DATE.dotted_string, printable_string("319800200")),
        ),
    )
    verified = certificate_verify(card.der())
    assert verified.sex == "U"
    assert verified.birth_date is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("319800217", dt.date(1980, 2, 17)),
        ("419900102", dt.date(1990, 1, 2)),
        ("520200301", dt.date(2020, 3, 1)),
        ("19800217", dt.date(1980, 2, 17)),
        ("319801301", None),
        ("3198002", None),
        ("3１９８００２１７", None),
        ("", None),
        (None, None),
    ],
)
def test_id3_birth_date_format(text, expected):
    assert jpki.birth_date_parse(text) == expected


def test_id3_test_ca_writes_the_era_digit():
    assert jpki_birth_date(dt.date(1989, 1, 7)) == "319890107"
    assert jpki_birth_date(dt.date(1989, 1, 8)) == "419890108"
    assert jpki_birth_date(dt.date(2019, 5, 1)) == "520190501"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"\x0c\x03abc", "abc"),
        (b"\x13\x01" + b"1", "1"),
        (b"\x1e\x04\x00A\x00B", "AB"),
        (b"\x0c\x81\x03abc", "abc"),
        (b"\x0c\x05abc", None),
        (b"\x04\x03abc", None),
        (b"\x0c", None),
        (b"\x0c\x02\xff\xfe", None),
    ],
)
def test_id3_der_string_decoding(value, expected):
    assert jpki.der_string(value) == expected


def test_id3_every_refusal_says_what_to_do():
    for code in jpki.REFUSAL_CODES:
        message = CertificateRefused(code, date=dt.date(2030, 1, 31)).message
        assert len(message) > 40, code
    assert "2030" in CertificateRefused("expired", date=dt.date(2030, 1, 31)).message


def test_id3_possession_of_the_card_key_is_checked(trusted):
    card = trusted.card()
    challenge = b"zairyu-challenge-0001"
    assert jpki.signature_verify(
        certificate=card.der(), message=challenge, signature=card.sign(challenge)
    )
    assert not jpki.signature_verify(
        certificate=card.der(), message=b"other", signature=card.sign(challenge)
    )
    stranger = trusted.card(key=new_key())
    assert not jpki.signature_verify(
        certificate=card.der(), message=challenge, signature=stranger.sign(challenge)
    )


def test_id3_ecdsa_p256_signatures_are_accepted_der_or_raw(trusted):
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    card = trusted.card(key=new_ec_key())
    message = b"zairyu-jpki-pop-v1\nrebind\nabc"
    der = card.sign(message)
    assert jpki.signature_verify(certificate=card.der(), message=message, signature=der)
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert jpki.signature_verify(certificate=card.der(), message=message, signature=raw)
    flipped = raw[:-1] + bytes([raw[-1] ^ 1])
    assert not jpki.signature_verify(certificate=card.der(), message=message, signature=flipped)
    assert not jpki.signature_verify(certificate=card.der(), message=b"other", signature=raw)
    # Another curve is not what the interface accepts.
    p384 = trusted.card(key=ec.generate_private_key(ec.SECP384R1()))
    assert not jpki.signature_verify(
        certificate=p384.der(), message=message, signature=p384.sign(message)
    )
    # An RSA certificate with an ECDSA signature, and garbage, are simply not signatures.
    rsa_card = trusted.card()
    assert not jpki.signature_verify(certificate=rsa_card.der(), message=message, signature=der)
    assert not jpki.signature_verify(certificate=rsa_card.der(), message=message, signature=b"")


def test_id3_verified_certificate_carries_its_public_key_only(trusted):
    card = trusted.card()
    verified = certificate_verify(card.der())
    assert verified.public_key == card.certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    message = b"zairyu-jpki-pop-v1\nrebind\nabc"
    assert jpki.public_key_signature_verify(
        public_key=verified.public_key, message=message, signature=card.sign(message)
    )
    assert not jpki.public_key_signature_verify(
        public_key=b"not a key", message=message, signature=card.sign(message)
    )


def test_id3_possession_message_is_the_documented_bytes():
    assert possession.message(flow="rebind", challenge="abc") == b"zairyu-jpki-pop-v1\nrebind\nabc"
    assert possession.message(flow="register:relative", challenge="x-_y") == (
        b"zairyu-jpki-pop-v1\nregister:relative\nx-_y"
    )
    for flow in ("", "login", "register:", "register:A", "rebind\n"):
        with pytest.raises(ValueError):
            possession.message(flow=flow, challenge="abc")


def test_id3_bundled_test_ca_follows_debug_unless_set(settings):
    settings.ZAIRYU_JPKI_TEST_CA = None
    settings.DEBUG = False
    assert not jpki.bundled_test_ca_trusted()
    settings.DEBUG = True
    assert jpki.bundled_test_ca_trusted()
    settings.ZAIRYU_JPKI_TEST_CA = False
    assert not jpki.bundled_test_ca_trusted()


def test_id3_demo_certificates_are_issued_once_and_behave_as_labelled(settings, tmp_path):
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("issue_demo_certificates", directory=str(tmp_path), stdout=out)
    assert "Issued: 7 demo card certificates, CRL" in out.getvalue()
    assert str(tmp_path / "cards" / "wang-xiaoming.pem") in out.getvalue()
    again = io.StringIO()
    call_command("issue_demo_certificates", directory=str(tmp_path), stdout=again)
    assert "already present" in again.getvalue()

    # Each card keeps its own private key, readable by its owner only, never beside the
    # downloadable certificates; a set without its keys (issued before they were kept) is
    # issued again.
    index = demo_card_index(tmp_path)
    cards = [demo_card_load(tmp_path, entry) for entry in index]
    assert all(cards)
    assert len({card.key.public_key().public_numbers() for card in cards}) == len(cards)
    for entry in index:
        key_path = tmp_path / "card-keys" / entry["key"]
        assert key_path.stat().st_mode & 0o777 == 0o600
    assert not list((tmp_path / "cards").glob("*.key"))
    (tmp_path / "card-keys" / "santos-maria.key").unlink()
    reissued = io.StringIO()
    call_command("issue_demo_certificates", directory=str(tmp_path), stdout=reissued)
    assert "Issued: 7 demo card certificates" in reissued.getvalue()
    assert all(demo_card_load(tmp_path, entry) for entry in demo_card_index(tmp_path))

    settings.ZAIRYU_JPKI_TEST_CA = True
    settings.ZAIRYU_JPKI_TEST_CA_DIR = tmp_path
    settings.ZAIRYU_JPKI_TRUST_ANCHORS = []
    settings.ZAIRYU_JPKI_CRLS = []
    expected = {
        "expired": "expired",
        "revoked": "revoked",
        "authentication-certificate": "wrong_usage",
    }
    for card in json.loads((tmp_path / "cards" / "index.json").read_text()):
        data = (tmp_path / "cards" / card["file"]).read_bytes()
        if card["slug"] in expected:
            assert refused(data).code == expected[card["slug"]], card["slug"]
        else:
            assert certificate_verify(data).birth_date is not None, card["slug"]
