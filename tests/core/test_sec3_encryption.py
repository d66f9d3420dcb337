"""SEC-3 (seed 004 A16): card numbers and birth dates are stored encrypted, with key rotation.

The raw columns are read with SQL, bypassing the model, as a stolen dump would show them.
"""

import contextlib
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from zairyu.audit.models import AuditEvent
from zairyu.cards.demo import DEMO_CARDS
from zairyu.cards.models import ResidenceCard
from zairyu.cards.selectors import card_match
from zairyu.core import clock, crypto, rotation

from ..cards.factories import make_card

ROOT = Path(__file__).resolve().parents[2]
OLD = "t1:aFsruQ-SVL6FyeFj2XOvGOzO8KIkwQ1snKiQgtnq3IQ="  # the test settings' key
NEW = "t2:" + "A" * 43 + "="
OLD_INDEX = "i1:MI8Gn56Nq3ehpmgLgPKf4eEdEcQU4_v814-RPbwuHmQ="
NEW_INDEX = "i2:" + "B" * 43 + "="


def raw(table: str, columns: str, where: str = "", params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} {where}", list(params))  # noqa: S608
        return cursor.fetchall()


# --- The cipher -------------------------------------------------------------------------------


def test_sec3_values_round_trip_and_are_not_readable():
    stored = crypto.encrypt("AB12345678CD", context="cards.residencecard.number")
    assert stored.startswith("zr1.t1.") and "AB12345678CD" not in stored
    assert crypto.decrypt(stored, context="cards.residencecard.number") == "AB12345678CD"
    # A fresh nonce each time: equal numbers do not give equal ciphertexts.
    assert stored != crypto.encrypt("AB12345678CD", context="cards.residencecard.number")


def test_sec3_a_value_moved_to_another_column_does_not_decrypt():
    stored = crypto.encrypt("1990-04-01", context="cards.residencecard.birth_date")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, context="applications.application.applicant_birth_date")


def test_sec3_tampered_or_unknown_key_refused_without_the_value():
    stored = crypto.encrypt("AB12345678CD", context="c")
    tampered = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
    with pytest.raises(crypto.DecryptionError) as tampered_error:
        crypto.decrypt(tampered, context="c")
    assert "AB12345678CD" not in str(tampered_error.value)
    with pytest.raises(crypto.DecryptionError, match="no active encryption key"):
        crypto.decrypt("zr1.gone." + stored.split(".", 2)[2], context="c")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("AB12345678CD", context="c")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("t1", "must be <id>:<base64 key>"),
        ("bad id!:" + "A" * 44, "must be <id>:<base64 key>"),
        ("t1:c2hvcnQ=", "must be 32 bytes"),
        ("t1:" + "!" * 44, "not base64"),
        (f"{OLD},{OLD}", "appears twice"),
    ],
)
def test_sec3_malformed_keys_refused_naming_the_entry_not_the_key(text, message):
    with pytest.raises(ImproperlyConfigured, match=message) as error:
        crypto.key_parse(text, source="FIELD_ENCRYPTION_KEYS")
    assert "c2hvcnQ" not in str(error.value)


def test_sec3_no_keys_no_encryption(settings):
    settings.ZAIRYU_ENCRYPTION_KEYS = ""
    with pytest.raises(ImproperlyConfigured, match="No encryption keys are configured"):
        crypto.encrypt("x", context="c")


def test_sec3_demo_keys_created_once_owner_only(tmp_path, monkeypatch):
    for name in ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEYS", "KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "keys" / "demo-keys.json"
    first = crypto.keys_from_environment(demo_file=path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert crypto.keys_from_environment(demo_file=path) == first
    assert all(crypto.key_parse(text, source="demo") for text in first)


# --- The model fields -------------------------------------------------------------------------


@pytest.mark.django_db
def test_sec3_card_number_and_birth_date_stored_as_ciphertext():
    card = make_card(number="AB12345678CD", birth_date=dt.date(1990, 4, 1))
    ((number, birth, number_index, birth_index),) = raw(
        "cards_residencecard",
        "number, birth_date, number_index, birth_date_index",
        "WHERE id = %s",
        [card.pk],
    )
    assert number.startswith("zr1.") and birth.startswith("zr1.")
    assert "AB12345678CD" not in number + number_index
    assert "1990" not in birth + birth_index
    card.refresh_from_db()
    assert (card.number, card.birth_date) == ("AB12345678CD", dt.date(1990, 4, 1))


@pytest.mark.django_db
def test_sec3_card_found_by_number_in_one_indexed_query(django_assert_num_queries):
    card = make_card(number="AB12345678CD")
    make_card(number="XY87654321ZZ", roman_name="OTHER ONE")
    with django_assert_num_queries(1) as captured:
        found = card_match(
            number="ab12345678cd",
            roman_name=card.roman_name,
            nationality=card.nationality_id,
            birth_date=card.birth_date,
            sex=card.sex,
        )
    assert found == card
    sql = captured.captured_queries[0]["sql"]
    assert "number_index" in sql and "AB12345678CD" not in sql
    assert ResidenceCard.objects.get(number="AB12345678CD") == card
    assert list(ResidenceCard.objects.filter(number__in=["XY87654321ZZ", "NO00000000NO"])) != []


@pytest.mark.django_db
def test_sec3_card_match_checks_the_encrypted_birth_date():
    card = make_card(number="AB12345678CD", birth_date=dt.date(1990, 4, 1))
    face = {
        "number": "AB12345678CD",
        "roman_name": card.roman_name,
        "nationality": card.nationality_id,
        "sex": card.sex,
    }
    assert card_match(**face, birth_date=dt.date(1990, 4, 1)) == card
    assert card_match(**face, birth_date=dt.date(1990, 4, 2)) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "condition",
    [
        {"number__contains": "1234"},
        {"number__startswith": "AB"},
        {"birth_date": dt.date(1990, 4, 1)},
        {"birth_date__year": 1990},
        {"birth_date__gte": dt.date(1990, 4, 1)},
    ],
)
def test_sec3_queries_that_cannot_work_on_ciphertext_fail_loudly(condition):
    with pytest.raises(FieldError):
        list(ResidenceCard.objects.filter(**condition))


@pytest.mark.django_db
def test_sec3_json_snapshots_cannot_be_queried_by_key():
    with pytest.raises(FieldError):
        list(AuditEvent.objects.filter(after__reason="x"))


# --- Rotation ---------------------------------------------------------------------------------


def _under(table: str, column: str) -> set[str]:
    return {crypto.key_id_of(value) for (value,) in raw(table, column) if value is not None}


@pytest.mark.django_db
def test_sec3_rotate_keys_reencrypts_in_resumable_batches(settings):
    cards = [make_card(number=f"AB{n:08d}CD", roman_name="PERSON " + "ABCDE"[n]) for n in range(5)]
    settings.ZAIRYU_ENCRYPTION_KEYS = f"{NEW},{OLD}"
    settings.ZAIRYU_BLIND_INDEX_KEYS = f"{NEW_INDEX},{OLD_INDEX}"
    # Old and new keys side by side: everything still reads and is still found by number.
    assert ResidenceCard.objects.get(number="AB00000003CD") == cards[3]
    target = next(t for t in rotation.targets() if t.model is ResidenceCard)
    assert rotation.stale_count(target) == 5

    class Interrupted(Exception):
        pass

    def stop_after_first(progress):
        raise Interrupted

    with pytest.raises(Interrupted):
        rotation.rotate(target, batch=2, on_progress=stop_after_first)
    assert rotation.stale_count(target) == 3  # the first batch committed
    out = io.StringIO()
    call_command("rotate_keys", "--batch", "2", stdout=out)
    assert "cards.residencecard: 3/3 rows (100.0 %)" in out.getvalue()
    assert rotation.stale_count(target) == 0
    assert _under("cards_residencecard", "number") == {"t2"}
    assert {v.split(".")[0] for (v,) in raw("cards_residencecard", "number_index")} == {"i2"}

    # The old keys can now go: every card still reads and is found by its number.
    settings.ZAIRYU_ENCRYPTION_KEYS = NEW
    settings.ZAIRYU_BLIND_INDEX_KEYS = NEW_INDEX
    assert ResidenceCard.objects.get(number="AB00000003CD").birth_date == cards[3].birth_date
    out = io.StringIO()
    call_command("rotate_keys", "--check", stdout=out)
    assert "Nothing left under older keys" in out.getvalue()


def test_sec3_new_key_printed_for_the_operator():
    out = io.StringIO()
    call_command("rotate_keys", "--new-key", "k2027", stdout=out)
    (key,) = crypto.key_parse(out.getvalue().strip(), source="test")
    assert key.id == "k2027" and len(key.secret) == 32


# --- After the demo set-up, nothing in the clear ----------------------------------------------


def _demo_plaintexts() -> list[str]:
    from zairyu.accounts.management.commands import issue_demo_certificates

    texts = []
    for spec in DEMO_CARDS:
        texts.append(spec.number)
        birth = spec.build(clock.today())["birth_date"]
        texts += [birth.isoformat(), birth.strftime("%Y%m%d")]
    for holder in issue_demo_certificates.DEMO_CARDS:
        if "birth_date" in holder:  # a certificate may carry no birth date
            texts.append(holder["birth_date"])
    return sorted(set(texts))


# Every column that holds a card number, a birth date or a snapshot copying them.
ENCRYPTED_COLUMNS = [
    ("cards_residencecard", "number"),
    ("cards_residencecard", "birth_date"),
    ("accounts_identitycertificate", "holder_birth_date"),
    ("accounts_filingagentcertificate", "holder_birth_date"),
    ("applications_application", "applicant_birth_date"),
    ("applications_application", "content"),
    ("applications_applicationversion", "content"),
    ("filings_filing", "content"),
    ("filings_ofiling", "content"),
    ("filings_ofilingversion", "content"),
    ("bulk_jobrow", "values"),
    ("audit_auditevent", "before"),
    ("audit_auditevent", "after"),
]


@pytest.mark.django_db
def test_sec3_after_demo_setup_raw_columns_hold_only_ciphertext(settings, tmp_path):
    settings.ZAIRYU_JPKI_TEST_CA_DIR = str(tmp_path / "jpki")
    call_command("setup_demo", stdout=io.StringIO())
    assert ResidenceCard.objects.count() >= len(DEMO_CARDS)
    quote = connection.ops.quote_name
    for table, column in ENCRYPTED_COLUMNS:
        values = [v for (v,) in raw(quote(table), quote(column)) if v is not None]
        assert all(str(v).startswith("zr1.") for v in values), (table, column)
    plain = _demo_plaintexts()
    for (table,) in [(t,) for t in connection.introspection.table_names()]:
        rows = raw(quote(table), "*")
        text = "\n".join(repr(row) for row in rows)
        leaked = [value for value in plain if value in text]
        assert not leaked, (table, leaked)


@pytest.mark.slow
def test_sec3_make_run_database_file_holds_no_demo_card_data(tmp_path):
    """The SQLite file `make run` creates, read as raw bytes after its set-up."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "CELERY_BROKER_URL")
    }
    env.update(ZAIRYU_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="zairyu.settings.dev")
    for args in (["migrate", "--noinput"], ["setup_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr[-2000:]
    database = tmp_path / "var" / "zairyu.sqlite3"
    data = b"".join(
        path.read_bytes() for path in database.parent.glob("zairyu.sqlite3*") if path.is_file()
    )
    assert len(data) > 100_000
    leaked = [value for value in _demo_plaintexts() if value.encode() in data]
    assert not leaked
    assert (tmp_path / "var" / "keys" / "demo-keys.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.django_db
def test_sec3_sessions_stored_encrypted_and_a_foreign_row_is_empty():
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["draft"] = {"card_number": "AB12345678CD", "birth_date": "1990-04-01"}
    store.save()
    ((data,),) = raw(
        "django_session", "session_data", "WHERE session_key = %s", [store.session_key]
    )
    assert data.startswith("zr1.") and "AB12345678CD" not in data
    assert b"AB12345678CD" not in _every_decoding(data)
    again = import_module(settings.SESSION_ENGINE).SessionStore(store.session_key)
    assert again["draft"]["card_number"] == "AB12345678CD"
    assert again.decode("not ciphertext") == {}


def _every_decoding(text: str) -> bytes:
    """The text and what base64/zlib would reveal of it, as a dump reader would try."""
    import base64
    import zlib

    found = [text.encode()]
    for part in text.replace(":", ".").split("."):
        try:
            decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except ValueError:
            continue
        found.append(decoded)
        with contextlib.suppress(zlib.error):
            found.append(zlib.decompress(decoded))
    return b"\n".join(found)
