"""ID-3 self-registration with the My Number card's certificate, its re-binding, ID-4 lawyers
and gyoseishoshi, ID-6 COE e-delivery recipients: over HTTP, then rows, audit and mails."""

import datetime as dt
import re

import pytest
from django.contrib.admin.sites import AdminSite
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zairyu.accounts import rules, service_a
from zairyu.accounts.admin_service_a import FilingAgentCertificateAdmin
from zairyu.accounts.models import (
    Category,
    FilingAgentCertificate,
    FilingAgentKind,
    IdentityCertificate,
    ServiceARegistration,
    User,
)
from zairyu.audit.models import AuditEvent
from zairyu.core import clock
from zairyu.mail.models import Mail

from .factories import UserFactory
from .jpki_support import (
    BIRTH,
    NAME,
    impostor_ca,
    jpki_ca,
    other_ca,
    read_card,
    trusted,
    upload,
)

# The shared fixtures, used here by name (pytest finds them as attributes of this module).
FIXTURES = (impostor_ca, jpki_ca, other_ca, trusted)

pytestmark = pytest.mark.django_db

PASSWORD = "Kasumi#2026gs"
NEW_PASSWORD = "Tsubaki!2027mn"
LINK = re.compile(r"https?://[^/\s]+(/accounts/service-a/password/(?:set|reset)/\S+/)")


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    """Pages in English, so that assertions on wording survive the Japanese catalogue."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def account_fields(auth_id="wang-1990", email="wang@example.jp", **extra):
    return {
        "email": email,
        "email_again": email,
        "auth_id": auth_id,
        "language": "ja",
        **extra,
    }


def read_for(client, card, category=Category.FOREIGN_NATIONAL, **post):
    """Registration step 1: the certificate and the card's signature of the page's challenge."""
    return read_card(
        client,
        reverse("accounts:service_a_register_certificate", args=[category]),
        card,
        flow=f"register:{category}",
        **post,
    )


def register_holder(client, card, *, category=Category.FOREIGN_NATIONAL, **fields):
    response = read_for(client, card, category)
    assert response.status_code == 302, response.context["form"].errors
    return client.post(
        reverse("accounts:service_a_register_details", args=[category]), account_fields(**fields)
    )


def mailed_link(template: str, to: str) -> str:
    mail = Mail.objects.filter(template=template, to_address=to).latest("id")
    return LINK.search(mail.body).group(1)


def set_password(client, link, password=PASSWORD):
    response = client.get(link)
    if response.status_code != 302:
        return response
    return client.post(response["Location"], {"password": password, "password_again": password})


# --- ID-3 ------------------------------------------------------------------------------------


def test_id3_registration_journey(client, trusted, django_capture_on_commit_callbacks):
    card = trusted.card()
    start = client.get(reverse("accounts:service_a_register"))
    assert start.status_code == 200
    assert reverse("accounts:service_a_register_lawyer") in start.content.decode()
    response = read_for(client, card)
    details_url = reverse("accounts:service_a_register_details", args=["foreign_national"])
    assert response["Location"] == details_url
    page = client.get(details_url)
    assert page.status_code == 200
    text = page.content.decode()
    # Q2-11: name, sex and birth date come from the card, shown, not typed.
    assert NAME in text and "1990-04-01" in text
    assert set(page.context["form"].fields) == {
        "address",
        "email",
        "email_again",
        "auth_id",
        "language",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(details_url, account_fields(address="東京都千代田区霞が関1-1-1"))
    assert response["Location"] == reverse("accounts:service_a_register_sent")
    assert "wang@example.jp" in client.get(response["Location"]).content.decode()

    user = User.objects.get(username="wang-1990")
    assert user.category == Category.FOREIGN_NATIONAL
    assert user.display_name == NAME
    assert not user.has_usable_password()
    # Q2-16: valid until the certificate expires.
    assert user.valid_until == card.certificate.not_valid_after_utc.astimezone(clock.TOKYO).date()
    binding = IdentityCertificate.objects.get(user=user)
    assert (binding.holder_name, binding.holder_sex, binding.holder_birth_date) == (
        NAME,
        "M",
        BIRTH,
    )
    assert binding.serial == format(card.serial, "X")
    registration = ServiceARegistration.objects.get(user=user)
    assert registration.address == "東京都千代田区霞が関１−１−１"  # FMT-4: full width
    assert registration.completed_at is None
    assert AuditEvent.objects.filter(action="account.service_a_registered").exists()

    # Q2-5: the mail brings a URL to set the initial password.
    mail = Mail.objects.get(template="service_a_registered")
    assert mail.to_address == "wang@example.jp"
    assert "wang-1990" in mail.body and "パスワード" in mail.body
    link = mailed_link("service_a_registered", "wang@example.jp")
    step = client.get(link)
    assert step.status_code == 302
    assert "set-password" in step["Location"] and link.split("/")[-2] not in step["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(step["Location"], {"password": PASSWORD, "password_again": PASSWORD})
    assert done["Location"] == reverse("accounts:login")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert ServiceARegistration.objects.get(user=user).completed_at is not None
    completion = Mail.objects.get(template="service_a_completed")
    assert "完了" in completion.subject
    assert not Mail.objects.filter(template="password_changed").exists()
    signed_in = client.post(
        reverse("accounts:login"), {"auth_id": "wang-1990", "password": PASSWORD}
    )
    assert signed_in.status_code == 302


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (
            lambda t: t.card(
                not_after=clock.now() - dt.timedelta(days=1),
                not_before=clock.now() - dt.timedelta(days=30),
            ),
            "expired",
        ),
        (lambda t: t.card(key_usage={"key_encipherment"}), "wrong_usage"),
    ],
    ids=["expired", "wrong-usage"],
)
def test_id3_refused_certificate_is_explained_by_the_field(client, trusted, make, code):
    response = client.post(
        reverse("accounts:service_a_register_certificate", args=["relative"]),
        {"certificate": upload(make(trusted))},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()["certificate"]
    assert errors[0].code == code
    event = AuditEvent.objects.get(action="account.certificate_refused")
    assert event.after == {"reason": code}
    assert not User.objects.exists()


def test_id3_revoked_and_garbage_uploads_are_refused(client, trusted):
    card = trusted.card()
    trusted.write_crl(revoked=[card.serial])
    url = reverse("accounts:service_a_register_certificate", args=["foreign_national"])
    revoked = client.post(url, {"certificate": upload(card)})
    assert revoked.context["form"].errors.as_data()["certificate"][0].code == "revoked"
    garbage = client.post(url, {"certificate": SimpleUploadedFile("x.cer", b"\x00garbage")})
    assert garbage.context["form"].errors.as_data()["certificate"][0].code == "malformed"
    empty = client.post(url, {})
    assert "certificate" in empty.context["form"].errors


def test_id3_unknown_category_is_not_found(client, trusted):
    url = reverse("accounts:service_a_register_certificate", args=["organization_staff"])
    assert client.get(url).status_code == 404


def test_id3_details_need_an_uploaded_certificate(client, trusted):
    url = reverse("accounts:service_a_register_details", args=["foreign_national"])
    response = client.get(url)
    assert response["Location"] == reverse(
        "accounts:service_a_register_certificate", args=["foreign_national"]
    )
    # A card read for another category does not carry over.
    assert read_for(client, trusted.card(), Category.RELATIVE).status_code == 302
    assert client.get(url).status_code == 302


def test_id3_certificate_revoked_between_the_steps(client, trusted):
    card = trusted.card()
    read_for(client, card)
    trusted.write_crl(revoked=[card.serial])
    response = client.post(
        reverse("accounts:service_a_register_details", args=["foreign_national"]),
        account_fields(),
    )
    assert response.status_code == 302
    assert not User.objects.exists()


def test_id3_same_card_once_per_category(client, trusted):
    card = trusted.card()
    register_holder(client, card)
    set_password(client, mailed_link("service_a_registered", "wang@example.jp"))
    again = register_holder(client, card, auth_id="wang-again", email="w2@example.jp")
    assert again.status_code == 400
    errors = again.context["form"].errors.as_data()
    assert errors["__all__"][0].code == "already_registered" or "certificate" in str(errors)
    assert not User.objects.filter(username="wang-again").exists()
    refusal = AuditEvent.objects.filter(action="account.service_a_registration_refused").last()
    assert refusal.after["reason"] == "already_registered"
    # Q2-10: another category is allowed with the same card.
    other = register_holder(
        client,
        card,
        category=Category.LEGAL_REPRESENTATIVE,
        auth_id="wang-parent",
        email="w3@example.jp",
    )
    assert other.status_code == 302
    assert User.objects.get(username="wang-parent").category == Category.LEGAL_REPRESENTATIVE


def test_id3_unfinished_registration_blocks_until_its_link_expires(client, trusted):
    card = trusted.card()
    register_holder(client, card)
    again = register_holder(client, card, auth_id="wang-later", email="later@example.jp")
    assert again.status_code == 400
    assert "waiting for its password" in again.content.decode()
    with clock.travel(service_a.REGISTRATION_LINK_LIFETIME + dt.timedelta(minutes=1)):
        trusted.write_crl()
        retry = register_holder(client, card, auth_id="wang-later", email="later@example.jp")
        assert retry.status_code == 302
    assert not User.objects.filter(username="wang-1990").exists()
    assert User.objects.filter(username="wang-later").exists()
    assert AuditEvent.objects.filter(action="account.registration_expired").exists()


def test_id3_expired_unfinished_registration_frees_its_auth_id(client, trusted):
    register_holder(client, trusted.card())
    other_person = trusted.card(name="ＬＥＥ　ＳＯＯ")
    taken = register_holder(client, other_person, email="other@example.jp")
    assert taken.context["form"].errors.as_data()["auth_id"][0].code == "auth_id_taken"
    with clock.travel(service_a.REGISTRATION_LINK_LIFETIME + dt.timedelta(minutes=1)):
        trusted.write_crl()
        freed = register_holder(client, other_person, email="other@example.jp")
        assert freed.status_code == 302
    assert User.objects.get(username="wang-1990").email == "other@example.jp"


def test_id3_auth_id_and_email_checks(client, trusted):
    UserFactory(username="taken-id")
    response = register_holder(client, trusted.card(), auth_id="taken-id", email="a@example.jp")
    assert response.context["form"].errors.as_data()["auth_id"][0].code == "auth_id_taken"
    response = client.post(
        reverse("accounts:service_a_register_details", args=["foreign_national"]),
        {**account_fields(auth_id="ab"), "email_again": "b@example.jp"},
    )
    errors = response.context["form"].errors.as_data()
    assert errors["auth_id"][0].code == "auth_id_too_short"
    assert errors["email_again"][0].code == "mismatch"


def test_id3_fields_the_card_does_not_fill_are_typed(client, trusted):
    card = trusted.card(sex="", birth_date=None)
    read_for(client, card)
    url = reverse("accounts:service_a_register_details", args=["foreign_national"])
    form = client.get(url).context["form"]
    assert "sex" in form.fields and "birth_date" in form.fields and "name" not in form.fields
    missing = client.post(url, account_fields())
    assert {"sex", "birth_date"} <= set(missing.context["form"].errors)
    ok = client.post(url, account_fields(sex="F", birth_date="１９９０－０４－０１"))
    assert ok.status_code == 302
    binding = IdentityCertificate.objects.get()
    assert (binding.holder_sex, binding.holder_birth_date) == ("F", BIRTH)


def test_id3_my_number_typed_anywhere_is_refused_and_not_shown(client, trusted):
    from stdnum.jp import in_ as my_number

    number = "12345678901" + my_number.calc_check_digit("12345678901")
    read_for(client, trusted.card())
    response = client.post(
        reverse("accounts:service_a_register_details", args=["foreign_national"]),
        account_fields(address=f"東京都 {number}"),
    )
    assert response.status_code == 400
    assert response.context["form"].errors.as_data()["address"][0].code == "my_number_refused"
    assert number not in response.content.decode()
    assert not User.objects.exists()


def test_id3_set_password_link_expires(client, trusted):
    register_holder(client, trusted.card())
    link = mailed_link("service_a_registered", "wang@example.jp")
    with clock.travel(service_a.REGISTRATION_LINK_LIFETIME + dt.timedelta(minutes=1)):
        response = client.get(link)
    assert response.status_code == 400
    assert "24 hours" in response.content.decode()


def test_id3_link_expiring_while_the_page_is_open_is_refused(client, trusted):
    register_holder(client, trusted.card())
    step = client.get(mailed_link("service_a_registered", "wang@example.jp"))
    with clock.travel(service_a.REGISTRATION_LINK_LIFETIME + dt.timedelta(minutes=1)):
        response = client.post(step["Location"], {"password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 400
    assert not User.objects.get().has_usable_password()


def test_id3_set_password_link_works_once(client, trusted):
    register_holder(client, trusted.card())
    link = mailed_link("service_a_registered", "wang@example.jp")
    assert set_password(client, link).status_code == 302
    again = client.get(link)
    assert again.status_code == 400
    other_client_again = set_password(client.__class__(), link, NEW_PASSWORD)
    assert other_client_again.status_code == 400
    assert User.objects.get().check_password(PASSWORD)


def test_id3_another_users_token_does_not_work(client, trusted):
    register_holder(client, trusted.card())
    register_holder(
        client, trusted.card(name="ＬＥＥ　ＳＯＯ"), auth_id="lee-2000", email="lee@example.jp"
    )
    wang = mailed_link("service_a_registered", "wang@example.jp")
    lee = mailed_link("service_a_registered", "lee@example.jp")
    wang_uid, wang_token = wang.rstrip("/").split("/")[-2:]
    lee_uid, lee_token = lee.rstrip("/").split("/")[-2:]
    mixed = reverse("accounts:service_a_set_password", args=[wang_uid, lee_token])
    assert client.get(mixed).status_code == 400
    # A registration token is no reset token either.
    reset = reverse("accounts:service_a_reset_password", args=[lee_uid, lee_token])
    assert client.get(reset).status_code == 400
    garbage = reverse("accounts:service_a_set_password", args=["!!", "x-y"])
    assert client.get(garbage).status_code == 400


def test_id3_initial_password_follows_fmt2(client, trusted):
    register_holder(client, trusted.card())
    step = client.get(mailed_link("service_a_registered", "wang@example.jp"))
    weak = client.post(step["Location"], {"password": "wang-1990!A1", "password_again": "x"})
    assert weak.status_code == 400
    errors = weak.context["form"].errors.as_data()
    assert "password_again" in errors
    contains = client.post(
        step["Location"], {"password": "wang-1990!A1", "password_again": "wang-1990!A1"}
    )
    codes = {e.code for e in contains.context["form"].errors.as_data()["password"]}
    assert "password_contains_auth_id" in codes
    assert not User.objects.get().has_usable_password()


def test_id3_validity_ends_with_the_certificate(client, trusted):
    card = trusted.card(not_after=clock.now() + dt.timedelta(days=200))
    register_holder(client, card)
    set_password(client, mailed_link("service_a_registered", "wang@example.jp"))
    user = User.objects.get()
    last_day = card.certificate.not_valid_after_utc.astimezone(clock.TOKYO).date()
    assert rules.login_refusal(user, today=last_day) is None
    assert rules.login_refusal(user, today=last_day + dt.timedelta(days=1)).code == (
        "auth_id_expired"
    )


def test_id3_registration_is_rate_limited_per_address(client, trusted, settings):
    settings.ZAIRYU_REGISTRATIONS_PER_IP = 2
    url = reverse("accounts:service_a_register_certificate", args=["foreign_national"])
    for _ in range(2):
        client.post(url, {"certificate": SimpleUploadedFile("x.cer", b"junk")})
    response = read_for(client, trusted.card())
    assert response.status_code == 429
    other = read_for(client, trusted.card(), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_id3_pending_prune_removes_only_expired_unfinished(client, trusted):
    register_holder(client, trusted.card())
    register_holder(
        client, trusted.card(name="ＬＥＥ　ＳＯＯ"), auth_id="done-user", email="done@example.jp"
    )
    set_password(client, mailed_link("service_a_registered", "done@example.jp"))
    assert service_a.service_a_pending_prune() == 0
    later = clock.now() + service_a.REGISTRATION_LINK_LIFETIME + dt.timedelta(seconds=1)
    assert service_a.service_a_pending_prune(now=later) == 1
    assert list(User.objects.values_list("username", flat=True)) == ["done-user"]


# --- ID-3 [B] re-binding ---------------------------------------------------------------------


def rebind_with(client, card, **post):
    """Re-binding: the renewed certificate and the card's signature of the page's challenge."""
    return read_card(client, reverse("accounts:service_a_rebind"), card, flow="rebind", **post)


def registered_holder(client, trusted, card=None):
    card = card or trusted.card(not_after=clock.now() + dt.timedelta(days=200))
    register_holder(client, card)
    set_password(client, mailed_link("service_a_registered", "wang@example.jp"))
    user = User.objects.get(username="wang-1990")
    client.force_login(user)
    return user, card


def test_id3_rebind_renewed_certificate(client, trusted, django_capture_on_commit_callbacks):
    user, old = registered_holder(client, trusted)
    renewed = trusted.card(not_after=clock.now() + dt.timedelta(days=365 * 5))
    page = client.get(reverse("accounts:service_a_rebind"))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = rebind_with(client, renewed)
    assert response["Location"] == reverse("accounts:me")
    user.refresh_from_db()
    expected = renewed.certificate.not_valid_after_utc.astimezone(clock.TOKYO).date()
    assert user.valid_until == expected
    rows = IdentityCertificate.objects.filter(user=user)
    assert rows.count() == 2
    assert rows.get(current=True).serial == format(renewed.serial, "X")
    event = AuditEvent.objects.get(action="account.certificate_rebound")
    assert event.after["valid_until"] == expected.isoformat()
    assert Mail.objects.filter(template="identity_certificate_rebound").exists()
    # The old certificate cannot open a second account in the same category.
    client.logout()
    again = register_holder(client, old, auth_id="second-id", email="x@example.jp")
    assert again.status_code == 400
    assert not User.objects.filter(username="second-id").exists()


def test_id3_rebind_with_another_persons_certificate_is_refused(client, trusted):
    user, _ = registered_holder(client, trusted)
    before = user.valid_until
    for other in (
        trusted.card(name="ＬＥＥ　ＳＯＯ", not_after=clock.now() + dt.timedelta(days=900)),
        trusted.card(sex="F", not_after=clock.now() + dt.timedelta(days=900)),
        trusted.card(
            birth_date=dt.date(1991, 4, 1), not_after=clock.now() + dt.timedelta(days=900)
        ),
    ):
        response = rebind_with(client, other)
        assert response.status_code == 400
        assert response.context["form"].errors.as_data()["certificate"][0].code == (
            "identity_mismatch"
        )
    user.refresh_from_db()
    assert user.valid_until == before
    assert AuditEvent.objects.filter(action="account.certificate_rebind_refused").count() == 3


def test_id3_rebind_accepts_the_same_name_written_differently(client, trusted):
    user, _ = registered_holder(client, trusted)
    renewed = trusted.card(name="WANG XIAOMING", not_after=clock.now() + dt.timedelta(days=900))
    response = rebind_with(client, renewed)
    assert response.status_code == 302


def test_id3_rebind_refuses_same_older_or_bad_certificates(client, trusted, other_ca):
    user, card = registered_holder(client, trusted)
    same = rebind_with(client, card)
    assert same.context["form"].errors.as_data()["certificate"][0].code == "already_bound"
    older = trusted.card(not_after=clock.now() + dt.timedelta(days=100))
    assert (
        rebind_with(client, older).context["form"].errors.as_data()["certificate"][0].code
        == "not_newer"
    )
    stranger = other_ca.issue(name=NAME, sex="M", birth_date=BIRTH)
    assert (
        rebind_with(client, stranger).context["form"].errors.as_data()["certificate"][0].code
        == "unknown_ca"
    )


def test_id3_rebind_needs_a_certificate_account(client, trusted):
    assert client.get(reverse("accounts:service_a_rebind")).status_code == 302  # sign in first
    client.force_login(UserFactory(category=Category.LAWYER))
    assert client.get(reverse("accounts:service_a_rebind")).status_code == 404


# --- ID-4 lawyers and gyoseishoshi -------------------------------------------------------------


@pytest.fixture
def agent_certificate():
    return FilingAgentCertificate.objects.create(
        number="301234567890",
        kind=FilingAgentKind.GYOSEISHOSHI,
        holder_name="行政　一郎",
        holder_birth_date=dt.date(1975, 6, 1),
        office_name="霞が関行政書士事務所",
        office_address="東京都千代田区霞が関一丁目１番１号",
        valid_until=clock.today() + dt.timedelta(days=300),
    )


def lawyer_fields(auth_id="gyosei-01", email="gyosei@example.jp", **changes):
    values = {
        "number": "301234567890",
        "name": "行政 一郎",
        "birth_date": "1975-06-01",
        "office_address": "東京都千代田区霞が関一丁目1番1号",
        **account_fields(auth_id=auth_id, email=email),
    }
    values.update(changes)
    return values


def test_id4_lawyer_registers_and_validity_follows_the_certificate(
    client, agent_certificate, django_capture_on_commit_callbacks
):
    page = client.get(reverse("accounts:service_a_register_lawyer"))
    assert page.status_code == 200
    response = client.post(
        reverse("accounts:service_a_register_lawyer"),
        lawyer_fields(number="３０１２-３４５６-７８９０"),  # full width, hyphens
    )
    assert response["Location"] == reverse("accounts:service_a_register_sent")
    user = User.objects.get(username="gyosei-01")
    assert user.category == Category.LAWYER
    assert user.valid_until == agent_certificate.valid_until
    assert user.display_name == "行政　一郎"
    registration = ServiceARegistration.objects.get(user=user)
    assert registration.address == "東京都千代田区霞が関一丁目１番１号"  # Q2-13: the office
    agent_certificate.refresh_from_db()
    assert agent_certificate.user == user
    assert set_password(client, mailed_link("service_a_registered", "gyosei@example.jp"))[
        "Location"
    ] == reverse("accounts:login")
    # Q2-17: a renewed certificate extends the auth ID automatically.
    renewed = agent_certificate.valid_until + dt.timedelta(days=365 * 3)
    with django_capture_on_commit_callbacks(execute=True):
        service_a.filing_agent_certificate_renew(
            certificate=agent_certificate, valid_until=renewed, actor=None
        )
    user.refresh_from_db()
    assert user.valid_until == renewed
    assert Mail.objects.filter(template="filing_agent_validity_changed").exists()
    event = AuditEvent.objects.get(action="accounts.filingagentcertificate.renewed")
    assert event.after == {
        "valid_until": renewed.isoformat(),
        "user_valid_until": renewed.isoformat(),
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"number": "301234567891"},
        {"name": "行政 二郎"},
        {"birth_date": "1975-06-02"},
    ],
    ids=["number", "name", "birth-date"],
)
def test_id4_unknown_certificate_is_refused_without_saying_which_field(
    client, agent_certificate, changes
):
    response = client.post(reverse("accounts:service_a_register_lawyer"), lawyer_fields(**changes))
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()
    assert errors["__all__"][0].code == "agent_unknown"
    assert {"number", "name", "birth_date"} <= set(errors)
    assert not User.objects.exists()


def test_id4_expired_certificate_is_refused(client, agent_certificate):
    agent_certificate.valid_until = clock.today() - dt.timedelta(days=1)
    agent_certificate.save()
    response = client.post(reverse("accounts:service_a_register_lawyer"), lawyer_fields())
    assert response.context["form"].errors.as_data()["number"][0].code == "agent_expired"
    assert not User.objects.exists()


def test_id4_one_auth_id_per_person(client, agent_certificate):
    client.post(reverse("accounts:service_a_register_lawyer"), lawyer_fields())
    set_password(client, mailed_link("service_a_registered", "gyosei@example.jp"))
    again = client.post(
        reverse("accounts:service_a_register_lawyer"),
        lawyer_fields(auth_id="gyosei-02", email="gyosei2@example.jp"),
    )
    assert again.status_code == 400
    assert again.context["form"].errors.as_data()["__all__"][0].code == "already_registered"
    assert User.objects.count() == 1


@pytest.mark.parametrize("number", ["30123456789", "3012345678901", "30123456789A", ""])
def test_id4_certificate_number_has_12_digits(client, agent_certificate, number):
    response = client.post(
        reverse("accounts:service_a_register_lawyer"), lawyer_fields(number=number)
    )
    assert "number" in response.context["form"].errors


def test_id4_office_address_is_required_and_jis(client, agent_certificate):
    missing = client.post(
        reverse("accounts:service_a_register_lawyer"), lawyer_fields(office_address="")
    )
    assert "office_address" in missing.context["form"].errors
    bad = client.post(
        reverse("accounts:service_a_register_lawyer"), lawyer_fields(office_address="東京都😀")
    )
    assert bad.context["form"].errors.as_data()["office_address"][0].code == "jis_character"


def test_id4_admin_change_of_expiry_moves_the_auth_id(client, agent_certificate, rf):
    client.post(reverse("accounts:service_a_register_lawyer"), lawyer_fields())
    user = User.objects.get(username="gyosei-01")
    officer = UserFactory(category=Category.OFFICER, is_staff=True, is_superuser=True)
    model_admin = FilingAgentCertificateAdmin(FilingAgentCertificate, AdminSite())
    request = rf.post("/admin/")
    request.user = officer
    form_class = model_admin.get_form(request, agent_certificate, change=True)
    data = {
        "number": agent_certificate.number,
        "kind": agent_certificate.kind,
        "holder_name": agent_certificate.holder_name,
        "holder_birth_date": "1975-06-01",
        "office_name": agent_certificate.office_name,
        "office_address": agent_certificate.office_address,
        "valid_until": "2035-03-31",
    }
    form = form_class(data, instance=FilingAgentCertificate.objects.get(pk=agent_certificate.pk))
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    user.refresh_from_db()
    assert user.valid_until == dt.date(2035, 3, 31)
    assert AuditEvent.objects.filter(action="accounts.filingagentcertificate.changed").exists()
    assert AuditEvent.objects.filter(action="accounts.filingagentcertificate.renewed").exists()


# --- ID-6 COE e-delivery recipients ------------------------------------------------------------


def test_id6_coe_recipient_registers_and_cannot_apply_online(client):
    page = client.get(reverse("accounts:service_a_register_coe"))
    assert page.status_code == 200
    response = client.post(
        reverse("accounts:service_a_register_coe"),
        {
            "name": "Maria Santos",
            "organization_name": "Example Trading K.K.",
            **account_fields(auth_id="coe-maria", email="coe@example.jp"),
        },
    )
    assert response["Location"] == reverse("accounts:service_a_register_sent")
    user = User.objects.get(username="coe-maria")
    assert user.category == Category.COE_RECIPIENT
    assert user.valid_until is None
    set_password(client, mailed_link("service_a_registered", "coe@example.jp"))
    user.refresh_from_db()
    assert user.valid_until == rules.add_one_year(clock.today())
    assert (
        "オンライン申請には使用できません" in Mail.objects.get(template="service_a_completed").body
    )
    client.force_login(user)
    home = client.get(reverse("accounts:home"))
    assert home.context["coe_recipient"] is True
    assert home.context["service_a"] is False


def test_id6_coe_registration_checks_input(client):
    response = client.post(
        reverse("accounts:service_a_register_coe"),
        {"name": "", **account_fields(auth_id="ｃｏｅ全角", email="not-an-address")},
    )
    errors = response.context["form"].errors
    assert {"name", "auth_id", "email"} <= set(errors)
    assert not User.objects.exists()


def test_id4_admin_classes_register_on_a_site():
    from zairyu.accounts import admin_service_a

    site = AdminSite()
    admin_service_a.register(site)
    assert site.is_registered(FilingAgentCertificate)
    assert site.is_registered(IdentityCertificate)
