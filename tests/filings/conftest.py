import pytest
from django.conf import settings

from .factories import make_officer, make_organization_account, make_resident


@pytest.fixture(autouse=True)
def _db(db):
    """Every test here reads reference data from the database."""


@pytest.fixture
def client(client):
    """Pages in English, so assertions read the msgids (translations are the lead's)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def engineer():
    """A 技術・人文知識・国際業務 holder: contract-organization events."""
    return make_resident(status="engineer_humanities_international", roman_name="HOUMU TAROU")


@pytest.fixture
def student():
    """A 留学 student: activity-organization events."""
    return make_resident(status="student", roman_name="GAKUSEI HANAKO", sex="F")


@pytest.fixture
def spouse():
    """A spouse of a Japanese national: divorce / death."""
    return make_resident(status="spouse_of_japanese", roman_name="HAIGUU MARIA", sex="F")


@pytest.fixture
def company():
    return make_organization_account()


@pytest.fixture
def school():
    from zairyu.cards.models import Organization

    return make_organization_account(kind=Organization.Kind.LANGUAGE_SCHOOL, name="法務日本語学校")


@pytest.fixture
def officer():
    return make_officer()
