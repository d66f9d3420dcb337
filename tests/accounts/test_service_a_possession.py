"""ID-3 proof of possession (002 Q13-3): a certificate registers an account, or is bound to one,
only when its card signed this session's one-time challenge for that flow; once per category
per person across renewals. Over HTTP, then rows, audit and mails: every refusal records no user
and sends no mail."""

import base64
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from zairyu.accounts import jpki, possession, service_a
from zairyu.accounts.models import Category, IdentityCertificate, User
from zairyu.accounts.testca import JpkiTestCA, demo_card_index, new_ec_key, new_key
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.mail.models import Mail

from .jpki_support import (
    BIRTH,
    NAME,
    impostor_ca,
    jpki_ca,
    other_ca,
    pop_message,
    read_card,
    shown_challenge,
    signature_b64,
    trusted,
    upload,
)
from .test_service_a_registration import PASSWORD, account_fields, mailed_link, set_password

FIXTURES = (impostor_ca, jpki_ca, other_ca, trusted)

pytestmark = pytest.mark.django_db

REGISTER = "register:foreign_national"


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def english_client(settings) -> Client:
    other = Client()
    other.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return other


def card_url(category=Category.FOREIGN_NATIONAL) -> str:
    return reverse("accounts:service_a_register_certificate", args=[category])


def details_url(category=Category.FOREIGN_NATIONAL) -> str:
    return reverse("accounts:service_a_register_details", args=[category])


def refusal(response, field="signature"):
    """The code of the refusal shown by ``field``; the page answers 400."""
    assert response.status_code == 400
    return response.context["form"].errors.as_data()[field][0].code


def message_of(response, field="signature") -> str:
    return response.context["form"].errors.as_data()[field][0].message


def assert_nothing_recorded(client, category=Category.FOREIGN_NATIONAL, users=0, mails=0):
    """No account row, no mail; and the details step still wants a card reading."""
    details = client.post(details_url(category), account_fields())
    assert details.status_code == 302
    assert details["Location"] == card_url(category)
    assert User.objects.count() == users
    assert IdentityCertificate.objects.count() == users
    assert Mail.objects.count() == mails


def send(client, url, card, challenge, signature, **extra):
    return client.post(
        url, {"certificate": upload(card), "challenge": challenge, "signature": signature, **extra}
    )


# --- The page --------------------------------------------------------------------------------


def test_id3_card_page_shows_the_challenge_and_the_exact_message(client, trusted):
    page = client.get(card_url())
    assert page.status_code == 200
    challenge = shown_challenge(page)
    assert len(base64.urlsafe_b64decode(challenge + "=")) == 32
    text = page.content.decode()
    assert f"zairyu-jpki-pop-v1\n{REGISTER}\n{challenge}</pre>" in text
    assert 'name="signature"' in text and 'enctype="multipart/form-data"' in text
    assert 'value="demo_sign"' not in text  # the test CA is not trusted here: no demo signer
    # Every page shows a challenge of its own.
    assert shown_challenge(client.get(card_url())) != challenge


def test_id3_signed_challenge_registers(client, trusted, django_capture_on_commit_callbacks):
    card = trusted.card()
    read = read_card(client, card_url(), card, flow=REGISTER)
    assert read["Location"] == details_url()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(details_url(), account_fields())
    assert done["Location"] == reverse("accounts:service_a_register_sent")
    assert User.objects.get().username == "wang-1990"
    assert Mail.objects.filter(template="service_a_registered").count() == 1


# --- Refusals --------------------------------------------------------------------------------


def test_id3_unsigned_challenge_refused(client, trusted):
    page = client.get(card_url())
    response = send(client, card_url(), trusted.card(), shown_challenge(page), "")
    assert refusal(response) == "signature_missing"
    assert "paste the signature" in message_of(response)
    assert AuditEvent.objects.get(action="account.possession_refused").after == {
        "reason": "signature_missing",
        "flow": REGISTER,
    }
    assert_nothing_recorded(client)


@pytest.mark.parametrize("text", ["not a signature!", "QUJD*RA==", "====", "A" * 5000])
def test_id3_malformed_signature_refused(client, trusted, text):
    page = client.get(card_url())
    response = send(client, card_url(), trusted.card(), shown_challenge(page), text)
    assert refusal(response) == "signature_malformed"
    assert "base64" in message_of(response)
    assert_nothing_recorded(client)


def test_id3_signature_by_another_key_refused(client, trusted):
    card = trusted.card()
    someone_else = trusted.card(key=new_key())
    page = client.get(card_url())
    challenge = shown_challenge(page)
    response = send(
        client, card_url(), card, challenge, signature_b64(someone_else, REGISTER, challenge)
    )
    assert refusal(response) == "signature_invalid"
    assert "not made by the card" in message_of(response)
    assert_nothing_recorded(client)


@pytest.mark.parametrize(
    "signed",
    [
        lambda challenge: challenge.encode(),  # the bare challenge, without the domain
        lambda challenge: pop_message("rebind", challenge),  # another flow's message
        lambda challenge: pop_message(REGISTER, challenge) + b"\n",  # a final line feed
    ],
    ids=["bare-challenge", "other-flow-message", "final-line-feed"],
)
def test_id3_signature_over_another_message_refused(client, trusted, signed):
    card = trusted.card()
    challenge = shown_challenge(client.get(card_url()))
    signature = base64.b64encode(card.sign(signed(challenge))).decode()
    assert refusal(send(client, card_url(), card, challenge, signature)) == "signature_invalid"
    assert_nothing_recorded(client)


def test_id3_replayed_challenge_refused(client, trusted):
    card = trusted.card()
    challenge = shown_challenge(client.get(card_url()))
    signature = signature_b64(card, REGISTER, challenge)
    assert send(client, card_url(), card, challenge, signature).status_code == 302
    assert client.post(details_url(), account_fields()).status_code == 302
    # The same challenge and signature again, in the same session.
    replay = send(client, card_url(), card, challenge, signature)
    assert refusal(replay) == "challenge_used"
    assert "already been used" in message_of(replay)
    assert_nothing_recorded(client, users=1, mails=1)


def test_id3_challenge_is_used_up_by_a_failed_attempt(client, trusted):
    card = trusted.card()
    challenge = shown_challenge(client.get(card_url()))
    wrong = signature_b64(trusted.card(key=new_key()), REGISTER, challenge)
    assert refusal(send(client, card_url(), card, challenge, wrong)) == "signature_invalid"
    right = signature_b64(card, REGISTER, challenge)
    assert refusal(send(client, card_url(), card, challenge, right)) == "challenge_used"
    assert_nothing_recorded(client)


def test_id3_expired_challenge_refused(client, trusted):
    card = trusted.card()
    challenge = shown_challenge(client.get(card_url()))
    signature = signature_b64(card, REGISTER, challenge)
    with clock.travel(possession.CHALLENGE_LIFETIME + dt.timedelta(seconds=1)):
        response = send(client, card_url(), card, challenge, signature)
        assert refusal(response) == "challenge_expired"
        assert "within 5 minutes" in message_of(response)
        assert_nothing_recorded(client)
    # Just inside the five minutes it is accepted.
    challenge = shown_challenge(client.get(card_url()))
    with clock.travel(possession.CHALLENGE_LIFETIME - dt.timedelta(seconds=1)):
        ok = send(client, card_url(), card, challenge, signature_b64(card, REGISTER, challenge))
    assert ok.status_code == 302


def test_id3_challenge_from_another_session_refused(client, trusted, settings):
    card = trusted.card()
    challenge = shown_challenge(client.get(card_url()))
    signature = signature_b64(card, REGISTER, challenge)
    intruder = english_client(settings)
    intruder.get(card_url())  # a session of its own, with its own challenge
    response = send(intruder, card_url(), card, challenge, signature)
    assert refusal(response) == "challenge_unknown"
    assert "not issued to this browser session" in message_of(response)
    assert_nothing_recorded(intruder)
    # It stays good in the session it was issued to.
    assert send(client, card_url(), card, challenge, signature).status_code == 302


def test_id3_challenge_for_another_flow_refused(client, trusted):
    card = trusted.card()
    relative = shown_challenge(client.get(card_url(Category.RELATIVE)))
    signature = signature_b64(card, f"register:{Category.RELATIVE}", relative)
    response = send(client, card_url(), card, relative, signature)
    assert refusal(response) == "challenge_wrong_flow"
    assert "another step" in message_of(response)
    assert_nothing_recorded(client)
    assert_nothing_recorded(client, Category.RELATIVE)


def test_id3_unknown_challenge_refused(client, trusted):
    card = trusted.card()
    client.get(card_url())
    made_up = base64.urlsafe_b64encode(b"\x00" * 32).rstrip(b"=").decode()
    response = send(client, card_url(), card, made_up, signature_b64(card, REGISTER, made_up))
    assert refusal(response) == "challenge_unknown"
    assert refusal(send(client, card_url(), card, "", "QUJD")) == "challenge_unknown"
    assert_nothing_recorded(client)


def test_id3_a_used_challenge_is_replaced_and_its_signature_cleared(client, trusted):
    card = trusted.card()
    challenge = shown_challenge(client.get(card_url()))
    signature = signature_b64(trusted.card(key=new_key()), REGISTER, challenge)
    refused = send(client, card_url(), card, challenge, signature)
    fresh = shown_challenge(refused)
    assert fresh != challenge
    assert refused.context["challenge"].value == fresh
    assert signature not in refused.content.decode()
    # A form error that reads no card (no file chosen) keeps the challenge and the signature.
    signature = signature_b64(card, REGISTER, fresh)
    kept = client.post(card_url(), {"challenge": fresh, "signature": signature})
    assert kept.status_code == 400 and "certificate" in kept.context["form"].errors
    assert shown_challenge(kept) == fresh
    assert signature in kept.content.decode()
    assert send(client, card_url(), card, fresh, signature).status_code == 302


def test_id3_card_reading_must_be_recent_for_the_details(client, trusted):
    read_card(client, card_url(), trusted.card(), flow=REGISTER)
    with clock.travel(possession.PROOF_LIFETIME + dt.timedelta(seconds=1)):
        trusted.write_crl()
        assert_nothing_recorded(client)


def test_id3_service_refuses_a_registration_without_proof(trusted):
    card = trusted.card()
    certificate = jpki.certificate_verify(card.der())
    other = jpki.certificate_verify(trusted.card().der())
    now = clock.now()
    for proof in (
        None,
        possession.Proof(flow=REGISTER, fingerprint=other.fingerprint, at=now),
        possession.Proof(flow="register:relative", fingerprint=certificate.fingerprint, at=now),
        possession.Proof(
            flow=REGISTER,
            fingerprint=certificate.fingerprint,
            at=now - possession.PROOF_LIFETIME - dt.timedelta(seconds=1),
        ),
    ):
        with pytest.raises(ValidationError) as refused:
            service_a.service_a_register_holder(
                category=Category.FOREIGN_NATIONAL,
                certificate=certificate,
                proof=proof,
                email="wang@example.jp",
                auth_id="wang-1990",
                language="ja",
            )
        assert refused.value.error_dict["certificate"][0].code == "proof_missing"
    assert not User.objects.exists()
    assert not Mail.objects.exists()


def test_id3_two_requests_racing_with_one_challenge_only_one_passes(trusted):
    """The session alone cannot stop two requests of one session from both reading the challenge
    as open; the claim beside it does."""
    from importlib import import_module

    from django.conf import settings

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # noqa: N806
    card = trusted.card()
    certificate = jpki.certificate_verify(card.der())
    session = SessionStore()
    challenge = possession.challenge_issue(session=session, flow=REGISTER)
    session.save()
    first, second = SessionStore(session.session_key), SessionStore(session.session_key)
    signature = signature_b64(card, REGISTER, challenge.value)
    arguments = {"flow": REGISTER, "certificate": certificate, "signature": signature}
    possession.possession_verify(session=first, challenge=challenge.value, **arguments)
    with pytest.raises(possession.PossessionRefused) as refused:
        possession.possession_verify(session=second, challenge=challenge.value, **arguments)
    assert refused.value.code == "challenge_used"


def test_id3_every_possession_refusal_says_what_to_do():
    for code in possession.REFUSAL_CODES:
        assert len(possession.PossessionRefused(code).message) > 60, code


# --- ECDSA P-256 -----------------------------------------------------------------------------


def test_id3_ecdsa_p256_card_proves_possession(client, trusted, settings):
    card = trusted.card(key=new_ec_key())
    assert read_card(client, card_url(), card, flow=REGISTER).status_code == 302
    # Raw r || s, as WebCrypto and smartphone key stores give it.
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    other = english_client(settings)
    challenge = shown_challenge(other.get(card_url()))
    r, s = decode_dss_signature(card.sign(pop_message(REGISTER, challenge)))
    raw = base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()
    assert send(other, card_url(), card, challenge, raw).status_code == 302


def test_id3_ecdsa_on_another_curve_proves_nothing(client, trusted):
    from cryptography.hazmat.primitives.asymmetric import ec

    card = trusted.card(key=ec.generate_private_key(ec.SECP384R1()))
    response = read_card(client, card_url(), card, flow=REGISTER)
    assert refusal(response) == "signature_invalid"
    assert_nothing_recorded(client)


# --- Once per category, across renewals --------------------------------------------------------


def register_completed(client, card, **fields):
    assert read_card(client, card_url(), card, flow=REGISTER).status_code == 302
    assert client.post(details_url(), account_fields(**fields)).status_code == 302
    set_password(
        client, mailed_link("service_a_registered", fields.get("email", "wang@example.jp"))
    )
    return User.objects.get(username=fields.get("auth_id", "wang-1990"))


def test_id3_renewed_certificate_cannot_open_second_account(client, trusted, settings):
    first = trusted.card(not_after=clock.now() + dt.timedelta(days=200))
    user = register_completed(client, first)
    mails = Mail.objects.count()
    # The renewed card: new serial, new key, the name written in half-width letters.
    renewed = trusted.card(
        name="WANG XIAOMING", key=new_key(), not_after=clock.now() + dt.timedelta(days=1800)
    )
    other = english_client(settings)
    assert read_card(other, card_url(), renewed, flow=REGISTER).status_code == 302
    response = other.post(details_url(), account_fields(auth_id="wang-again", email="w@example.jp"))
    assert response.status_code == 400
    error = response.context["form"].errors.as_data()["__all__"][0]
    assert error.code == "person_registered"
    assert "Bind a renewed My Number card" in error.message
    assert User.objects.count() == 1
    assert IdentityCertificate.objects.count() == 1
    assert Mail.objects.count() == mails
    refused = AuditEvent.objects.filter(action="account.service_a_registration_refused").last()
    assert refused.after["reason"] == "person_registered"
    # What the message says works: sign in, then bind the renewed card.
    signed_in = other.post(
        reverse("accounts:login"), {"auth_id": "wang-1990", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    bound = read_card(other, reverse("accounts:service_a_rebind"), renewed, flow="rebind")
    assert bound["Location"] == reverse("accounts:me")
    user.refresh_from_db()
    assert (
        user.valid_until == renewed.certificate.not_valid_after_utc.astimezone(clock.TOKYO).date()
    )


def test_id3_renewed_certificate_waits_for_a_pending_registration(client, trusted):
    assert read_card(client, card_url(), trusted.card(), flow=REGISTER).status_code == 302
    client.post(details_url(), account_fields())
    renewed = trusted.card(key=new_key())
    assert read_card(client, card_url(), renewed, flow=REGISTER).status_code == 302
    response = client.post(details_url(), account_fields(auth_id="wang-two", email="2@example.jp"))
    assert response.context["form"].errors.as_data()["__all__"][0].code == "pending"
    assert User.objects.count() == 1


def test_id3_same_person_registers_once_in_each_category(client, trusted):
    register_completed(client, trusted.card())
    renewed = trusted.card(key=new_key())
    flow = f"register:{Category.RELATIVE}"
    assert read_card(client, card_url(Category.RELATIVE), renewed, flow=flow).status_code == 302
    response = client.post(
        details_url(Category.RELATIVE), account_fields(auth_id="wang-rel", email="r@example.jp")
    )
    assert response.status_code == 302
    assert User.objects.get(username="wang-rel").category == Category.RELATIVE


def test_id3_namesake_born_another_day_is_another_person(client, trusted):
    register_completed(client, trusted.card())
    namesake = trusted.card(birth_date=BIRTH + dt.timedelta(days=1), key=new_key())
    assert read_card(client, card_url(), namesake, flow=REGISTER).status_code == 302
    response = client.post(details_url(), account_fields(auth_id="wang-0402", email="n@example.jp"))
    assert response.status_code == 302


def test_id3_person_whose_auth_id_expired_registers_again(client, trusted, settings):
    register_completed(client, trusted.card(not_after=clock.now() + dt.timedelta(days=10)))
    with clock.travel(dt.timedelta(days=12)):
        trusted.write_crl()
        other = english_client(settings)
        renewed = trusted.card(key=new_key())
        assert read_card(other, card_url(), renewed, flow=REGISTER).status_code == 302
        response = other.post(details_url(), account_fields(auth_id="wang-2", email="2@example.jp"))
    assert response.status_code == 302
    assert User.objects.filter(display_name=NAME).count() == 2


# --- Re-binding ------------------------------------------------------------------------------


REBIND = "rebind"


@pytest.fixture
def holder(client, trusted):
    card = trusted.card(not_after=clock.now() + dt.timedelta(days=200))
    user = register_completed(client, card)
    client.force_login(user)
    return user


def rebind_url() -> str:
    return reverse("accounts:service_a_rebind")


def assert_not_rebound(user, mails_before):
    user.refresh_from_db()
    assert IdentityCertificate.objects.filter(user=user).count() == 1
    assert not Mail.objects.filter(template="identity_certificate_rebound").exists()
    assert Mail.objects.count() == mails_before
    assert not AuditEvent.objects.filter(action="account.certificate_rebound").exists()
    assert User.objects.count() == 1


def renewed_card(trusted, days=900, **kwargs):
    return trusted.card(not_after=clock.now() + dt.timedelta(days=days), **kwargs)


def test_id3_rebind_page_shows_its_challenge(client, trusted, holder):
    page = client.get(rebind_url())
    challenge = shown_challenge(page)
    assert f"zairyu-jpki-pop-v1\nrebind\n{challenge}</pre>" in page.content.decode()


def test_id3_rebind_unsigned_challenge_refused(client, trusted, holder):
    mails = Mail.objects.count()
    challenge = shown_challenge(client.get(rebind_url()))
    response = send(client, rebind_url(), renewed_card(trusted), challenge, "")
    assert refusal(response) == "signature_missing"
    assert_not_rebound(holder, mails)


def test_id3_rebind_signature_by_another_key_refused(client, trusted, holder):
    mails = Mail.objects.count()
    renewed = renewed_card(trusted)
    challenge = shown_challenge(client.get(rebind_url()))
    stranger = trusted.card(key=new_key())
    response = send(
        client, rebind_url(), renewed, challenge, signature_b64(stranger, REBIND, challenge)
    )
    assert refusal(response) == "signature_invalid"
    assert_not_rebound(holder, mails)


def test_id3_rebind_replayed_challenge_refused(client, trusted, holder):
    first = renewed_card(trusted, days=900)
    challenge = shown_challenge(client.get(rebind_url()))
    signature = signature_b64(first, REBIND, challenge)
    assert send(client, rebind_url(), first, challenge, signature).status_code == 302
    mails = Mail.objects.count()
    later = renewed_card(trusted, days=1200)  # same key in this test CA: the signature fits
    replay = send(client, rebind_url(), later, challenge, signature)
    assert refusal(replay) == "challenge_used"
    current = IdentityCertificate.objects.get(user=holder, current=True)
    assert current.serial == format(first.serial, "X")
    assert Mail.objects.count() == mails


def test_id3_rebind_expired_challenge_refused(client, trusted, holder):
    mails = Mail.objects.count()
    renewed = renewed_card(trusted)
    challenge = shown_challenge(client.get(rebind_url()))
    signature = signature_b64(renewed, REBIND, challenge)
    with clock.travel(possession.CHALLENGE_LIFETIME + dt.timedelta(seconds=1)):
        response = send(client, rebind_url(), renewed, challenge, signature)
    assert refusal(response) == "challenge_expired"
    assert_not_rebound(holder, mails)


def test_id3_rebind_challenge_from_another_session_refused(client, trusted, holder, settings):
    mails = Mail.objects.count()
    renewed = renewed_card(trusted)
    challenge = shown_challenge(client.get(rebind_url()))
    other = english_client(settings)
    other.force_login(holder)
    response = send(
        other, rebind_url(), renewed, challenge, signature_b64(renewed, REBIND, challenge)
    )
    assert refusal(response) == "challenge_unknown"
    assert_not_rebound(holder, mails)


def test_id3_rebind_refuses_a_registration_challenge(client, trusted, holder):
    mails = Mail.objects.count()
    renewed = renewed_card(trusted)
    challenge = shown_challenge(client.get(card_url()))
    response = send(
        client, rebind_url(), renewed, challenge, signature_b64(renewed, REBIND, challenge)
    )
    assert refusal(response) == "challenge_wrong_flow"
    assert_not_rebound(holder, mails)


def test_id3_rebind_service_refuses_without_proof(trusted, holder):
    certificate = jpki.certificate_verify(renewed_card(trusted).der())
    with pytest.raises(ValidationError) as refused:
        service_a.identity_certificate_rebind(user=holder, certificate=certificate, proof=None)
    assert refused.value.error_dict["signature"][0].code == "proof_missing"
    assert IdentityCertificate.objects.filter(user=holder).count() == 1


# --- The demo signer -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_directory(tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo-jpki")
    call_command("issue_demo_certificates", directory=str(directory), stdout=io.StringIO())
    return directory


@pytest.fixture
def demo(settings, demo_directory):
    """Settings as in the demo (dev): the bundled test CA and its demo cards are trusted."""
    settings.ZAIRYU_JPKI_TEST_CA = True
    settings.ZAIRYU_JPKI_TEST_CA_DIR = demo_directory
    settings.ZAIRYU_JPKI_TRUST_ANCHORS = []
    settings.ZAIRYU_JPKI_CRLS = []
    return demo_directory


def demo_upload(directory, slug="wang-xiaoming"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"{slug}.pem", (directory / "cards" / f"{slug}.pem").read_bytes())


def test_id3_demo_card_signs_the_challenge_on_the_page(client, demo):
    page = client.get(card_url())
    text = page.content.decode()
    challenge = shown_challenge(page)
    assert 'name="action" value="demo_sign"' in text
    assert f"sign_demo_challenge wang-xiaoming {challenge} --flow {REGISTER}" in text
    response = client.post(
        card_url(),
        {"certificate": demo_upload(demo), "challenge": challenge, "action": "demo_sign"},
    )
    assert response["Location"] == details_url()
    assert client.post(details_url(), account_fields()).status_code == 302
    assert IdentityCertificate.objects.get().holder_name == "ＷＡＮＧ　ＸＩＡＯＭＩＮＧ"


def test_id3_demo_signature_is_checked_like_any_other(client, demo, settings):
    challenge = shown_challenge(client.get(card_url()))
    intruder = english_client(settings)
    response = intruder.post(
        card_url(),
        {"certificate": demo_upload(demo), "challenge": challenge, "action": "demo_sign"},
    )
    assert refusal(response) == "challenge_unknown"
    assert_nothing_recorded(intruder)


def test_id3_demo_signer_refuses_a_card_that_is_not_a_demo_card(client, demo):
    # Issued by the demo CA, but not one of the demo cards: no key is kept for it.
    stranger = JpkiTestCA.load_or_create(demo).issue(
        name=NAME, sex="M", birth_date=BIRTH, key=new_key()
    )
    challenge = shown_challenge(client.get(card_url()))
    response = client.post(
        card_url(),
        {"certificate": upload(stranger), "challenge": challenge, "action": "demo_sign"},
    )
    assert refusal(response, field="certificate") == "demo_not_demo_card"
    assert_nothing_recorded(client)


def test_id3_demo_signer_refused_in_production_settings(client, demo, settings):
    # What settings/production.py fixes: DEBUG off, the bundled test CA never trusted. The demo
    # root is configured as an ordinary anchor, so the certificate itself passes.
    settings.DEBUG = False
    settings.ZAIRYU_JPKI_TEST_CA = False
    settings.ZAIRYU_JPKI_TRUST_ANCHORS = [str(demo / "root.pem")]
    settings.ZAIRYU_JPKI_CRLS = [str(demo / "crl.pem")]
    page = client.get(card_url())
    assert 'value="demo_sign"' not in page.content.decode()
    challenge = shown_challenge(page)
    response = client.post(
        card_url(),
        {"certificate": demo_upload(demo), "challenge": challenge, "action": "demo_sign"},
    )
    assert refusal(response) == "demo_unavailable"
    assert_nothing_recorded(client)
    with pytest.raises(CommandError, match="refused"):
        call_command("sign_demo_challenge", "wang-xiaoming", challenge, flow=REGISTER)


def test_id3_sign_demo_challenge_command_signs_as_the_card(client, demo):
    challenge = shown_challenge(client.get(card_url()))
    out = io.StringIO()
    call_command("sign_demo_challenge", "wang-xiaoming", challenge, flow=REGISTER, stdout=out)
    signature = out.getvalue().strip()
    certificate = (demo / "cards" / "wang-xiaoming.pem").read_bytes()
    assert jpki.signature_verify(
        certificate=certificate,
        message=pop_message(REGISTER, challenge),
        signature=base64.b64decode(signature),
    )
    by_path = io.StringIO()
    path = str(demo / "cards" / "wang-xiaoming.pem")
    call_command("sign_demo_challenge", path, challenge, flow=REGISTER, stdout=by_path)
    assert by_path.getvalue().strip() == signature  # PKCS #1 v1.5 is deterministic
    # Pasted on the page, without JavaScript and without the demo button.
    response = client.post(
        card_url(),
        {"certificate": demo_upload(demo), "challenge": challenge, "signature": signature},
    )
    assert response["Location"] == details_url()


def test_id3_sign_demo_challenge_refuses_what_it_cannot_sign(demo, tmp_path):
    with pytest.raises(CommandError, match="Unknown flow"):
        call_command("sign_demo_challenge", "wang-xiaoming", "abc", flow="login")
    with pytest.raises(CommandError, match="not a demo card"):
        call_command("sign_demo_challenge", "nobody", "abc", flow=REBIND)
    foreign = tmp_path / "other.pem"
    foreign.write_bytes(JpkiTestCA.load_or_create(tmp_path / "ca").issue(name=NAME).pem())
    with pytest.raises(CommandError, match="not a demo card"):
        call_command("sign_demo_challenge", str(foreign), "abc", flow=REBIND)


def test_id3_sign_demo_challenge_refused_under_production_settings(demo):
    from tests.test_settings import GOOD_ENV, manage

    env = {**GOOD_ENV, "JPKI_TEST_CA_DIR": str(demo)}
    result = manage("sign_demo_challenge", "wang-xiaoming", "x" * 43, "--flow", REBIND, env=env)
    assert result.returncode != 0
    assert "Demo signing is refused" in result.stderr
    assert result.stdout.strip() == ""


def test_id3_demo_card_keys_are_never_served(client, demo):
    for card in demo_card_index(demo):
        response = client.get(reverse("accounts:service_a_demo_certificate", args=[card["slug"]]))
        body = b"".join(response.streaming_content)
        assert b"BEGIN CERTIFICATE" in body
        assert b"PRIVATE KEY" not in body
