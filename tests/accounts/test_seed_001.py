"""Account mails of the agency's Q&A (seed 001) not pinned down elsewhere: a password change
and an auth ID re-notification tell the user to contact the helpdesk when it was not them
(Q57, Q60), from an address that takes no replies (Q58). See docs/seed-001-conformance.md."""

import pytest

from zairyu.accounts import registration, services
from zairyu.accounts.models import Category
from zairyu.mail.models import Mail

from ..cards.factories import make_card
from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Kasumi#2027seki"


@pytest.mark.parametrize(
    "language, helpdesk, no_reply",
    [
        ("en", "If this was not you, please contact the helpdesk", "cannot receive replies"),
        ("ja", "身に覚えのない場合は、ヘルプデスクに御連絡ください", "返信はできません"),
    ],
)
def test_id15_q60_password_change_mail_points_to_the_helpdesk(language, helpdesk, no_reply):
    user = UserFactory(username="Houmu-Taro1", language=language)
    services.change_password(user=user, current=PASSWORD, new=NEW_PASSWORD)
    mail = Mail.objects.get(template="password_changed")
    assert mail.to_address == user.email
    assert helpdesk in mail.body and no_reply in mail.body
    assert NEW_PASSWORD not in mail.body


def test_id12_q60_renotification_mail_points_to_the_helpdesk():
    card = make_card(number="AB12345678CD", roman_name="HOUMU TAROU")
    user = UserFactory(
        username="Houmu-Taro1",
        category=Category.RESIDENT,
        person=card.person,
        valid_until=card.stay_until,
        language="en",
    )
    face = registration.CardFace(
        number=card.number,
        roman_name=card.roman_name,
        nationality=card.nationality_id,
        birth_date=card.birth_date,
        sex=card.sex,
    )
    assert registration.resident_renotify(card=face) == user
    mail = Mail.objects.get(template="auth_id_renotified")
    assert "Houmu-Taro1" in mail.body  # Q46: the auth ID is mailed
    assert "If this was not you, please contact the helpdesk" in mail.body
    assert "cannot receive replies" in mail.body
