"""SEC-2: Argon2id with the tuned parameters; older hashes still verify and are upgraded.

How long a hash takes is measured by bench/bench_login.py, not asserted here.
"""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password

from zairyu.settings import base

from .factories import UserFactory

TUNED = "zairyu.accounts.hashers.ZairyuArgon2PasswordHasher"


@pytest.fixture
def real_hashers(settings):
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS


def test_sec2_tuned_argon2id_is_the_default_hasher():
    assert base.PASSWORD_HASHERS[0] == TUNED
    assert "django.contrib.auth.hashers.Argon2PasswordHasher" in base.PASSWORD_HASHERS


def test_sec2_new_hashes_use_argon2id_with_the_tuned_parameters(real_hashers):
    encoded = make_password("Zairyu#2026pw")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("Zairyu#2026pw", encoded)
    assert not check_password("Zairyu#2026px", encoded)


@pytest.mark.django_db
def test_sec2_hash_with_django_defaults_verifies_and_is_upgraded_at_sign_in(real_hashers):
    old = Argon2PasswordHasher().encode("Zairyu#2026pw", Argon2PasswordHasher().salt())
    assert "m=102400,t=2,p=8" in old
    user = UserFactory()
    user.password = old
    user.save()
    assert user.check_password("Zairyu#2026pw")
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password
