"""FMT-1..FMT-8: the shared validators, with tables of real cases and generated ones."""

import datetime as dt
import string
import unicodedata

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import (
    get_password_validators,
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import translation
from hypothesis import assume, example, given
from hypothesis import strategies as st
from stdnum.jp import cn as stdnum_cn
from stdnum.jp import in_ as stdnum_in

from zairyu.core import clock
from zairyu.core.text import is_jisx0208, normalise_jis_lookalikes, strip_invisible
from zairyu.core.validators import (
    AUTH_ID_SYMBOLS,
    JIS_SUGGESTIONS,
    MAX_CHARACTER_ERRORS,
    RESIDENCE_CARD_NUMBER_PATTERN,
    AuthIdValidator,
    CorporateNumber,
    DateNotInFuture,
    DateRange,
    JisX0208Text,
    MyNumberGuard,
    PasswordPolicy,
    PostalCode,
    ResidenceCardNumber,
    RomanName,
    RomanNameForm,
    contains_my_number,
    conversion_notice,
    date_order,
    format_postal_code,
    my_number_errors,
    refuse_my_number,
    to_fullwidth_street,
)

from .test_text import JIS_CHARACTERS


@pytest.fixture(autouse=True, scope="module")
def english():
    # Module scope: hypothesis refuses function-scoped fixtures around @given tests.
    with translation.override("en"):
        yield


def raised(check, *args, **kwargs) -> list[ValidationError]:
    """Run a check that must fail and return its errors, one per problem."""
    with pytest.raises(ValidationError) as caught:
        check(*args, **kwargs)
    return caught.value.error_list


def codes(check, *args, **kwargs) -> list[str]:
    return [error.code for error in raised(check, *args, **kwargs)]


def text_of(error: ValidationError) -> str:
    return error.message % error.params if error.params else str(error.message)


def one(check, *args, **kwargs) -> ValidationError:
    errors = raised(check, *args, **kwargs)
    assert len(errors) == 1, [e.code for e in errors]
    return errors[0]


# --- FMT-1 auth ID ---------------------------------------------------------------------------

auth_id = AuthIdValidator()


@pytest.mark.parametrize(
    "value",
    ["abc123", "Taro.Yamada_01", "a!b@c#", "x" * 20, "ZAIRYU", "user-01@example", "~^`{}|"],
)
def test_fmt1_auth_id_accepted_as_typed(value):
    result = auth_id.clean(value)
    assert result.value == value
    assert not result.changed
    auth_id(value)


def test_fmt1_auth_id_is_case_sensitive_and_never_normalised():
    assert auth_id.clean("TaroYamada").value == "TaroYamada"
    assert auth_id.clean("taroyamada").value == "taroyamada"


@pytest.mark.parametrize(
    ("value", "code", "params"),
    [
        ("abcde", "auth_id_too_short", {"length": 5, "min_length": 6}),
        ("", "auth_id_too_short", {"length": 0, "min_length": 6}),
        ("a" * 21, "auth_id_too_long", {"length": 21, "max_length": 20}),
    ],
)
def test_fmt1_auth_id_length(value, code, params):
    error = one(auth_id.clean, value)
    assert error.code == code
    assert params.items() <= error.params.items()
    assert text_of(error).startswith("Auth ID ")


def test_fmt1_auth_id_full_width_and_spaces_named_in_one_error():
    error = one(auth_id.clean, "ｔａｒｏ yamada")
    assert error.code == "auth_id_character"
    assert error.params["characters"] == "“ｔ”, “ａ”, “ｒ”, “ｏ”, “U+0020 SPACE”"
    assert error.params["positions"] == "1-5"
    assert error.params["character"] == "ｔ"
    assert error.params["position"] == 1
    assert "Auth ID: “ｔ”" in text_of(error)
    assert "half-width" in text_of(error)


def test_fmt1_auth_id_collects_length_and_character_errors():
    assert codes(auth_id.clean, "山田") == ["auth_id_too_short", "auth_id_character"]


@given(
    st.text(
        alphabet=string.ascii_letters + string.digits + AUTH_ID_SYMBOLS, min_size=6, max_size=20
    )
)
def test_fmt1_every_half_width_auth_id_of_6_to_20_passes_unchanged(value):
    assert auth_id.clean(value).value == value


@given(
    st.text(alphabet=string.ascii_letters + string.digits, min_size=6, max_size=19),
    st.characters(
        blacklist_characters=string.ascii_letters + string.digits + AUTH_ID_SYMBOLS,
        blacklist_categories=("Cs",),
    ),
    st.data(),
)
def test_fmt1_any_other_character_is_refused_and_named(base, bad, data):
    where = data.draw(st.integers(min_value=0, max_value=len(base)))
    value = base[:where] + bad + base[where:]
    errors = [e for e in raised(auth_id.clean, value) if e.code == "auth_id_character"]
    assert len(errors) == 1
    assert errors[0].params["position"] == where + 1
    assert errors[0].params["codepoint"] == f"U+{ord(bad):04X}"


# --- FMT-2 password, agency profile ----------------------------------------------------------

agency = PasswordPolicy("agency")
nist = PasswordPolicy("nist")


@pytest.mark.parametrize("password", ["Kx7#mQ2vL!", "9z!Rw*Tq", "Tr0ub4dor&3-horse!" + "x" * 14])
def test_fmt2_agency_accepts_a_mixed_password(password):
    agency.check(password, auth_id="taroyamada")


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Kx7#mQ2", ["password_too_short"]),
        ("Kx7#mQ2v" * 4 + "L", ["password_too_long"]),
        ("kx7mq2vlw", ["password_no_symbol"]),
        ("kx#mq!vlw", ["password_no_digit"]),
        ("72#81!93%", ["password_no_letter"]),
        ("kxmqvlwab", ["password_no_digit", "password_no_symbol"]),
        ("Kx7#mQ2v L", ["password_character"]),
        ("Kx7#ｍQ2vL", ["password_character"]),
        ("Kx7#山Q2vL", ["password_character"]),
    ],
)
def test_fmt2_agency_composition_and_length(password, expected):
    assert codes(agency.check, password) == expected


def test_fmt2_agency_length_params():
    error = one(agency.check, "Kx7#mQ2")
    assert error.params == {"field": "Password", "length": 7, "min_length": 8}
    assert text_of(error) == "Password must have at least 8 characters; it has 7. Make it longer."


def test_fmt2_agency_wrong_character_named_by_position_not_by_value():
    error = one(agency.check, "Kx7#ｍQ2vＬ")
    assert error.params["positions"] == "5, 9"
    assert "ｍ" not in text_of(error)
    assert "ｍ" not in repr(error.params)


def test_fmt2_password_containing_the_auth_id_is_refused():
    assert codes(agency.check, "zz!9taroyamada", auth_id="taroyamada") == [
        "password_contains_auth_id"
    ]


def test_fmt2_password_containing_the_auth_id_in_another_case_is_refused():
    # Stricter than "contains" read literally: case variants are the first guesses.
    assert codes(agency.check, "zz!9TaroYamada", auth_id="taroyamada") == [
        "password_contains_auth_id"
    ]
    agency.check("zz!9TaroYamada", auth_id="hanako01")


@pytest.mark.parametrize(
    "password",
    [
        "P@ssw0rd",
        "Password1!",
        "password123!",
        "Tokyo2024!",
        "1qaz2wsx!",
        "Zairyu123!",
        "Qwerty12!",
    ],
)
def test_fmt2_common_password_is_refused(password):
    assert codes(agency.check, password) == ["password_too_common"]


def test_fmt2_django_common_list_is_checked_too():
    # "1q2w3e4r" is on Django's list; the nist profile has no composition rule to stop it.
    assert codes(nist.check, "1q2w3e4r", has_second_factor=True) == ["password_too_common"]


@pytest.mark.parametrize("password", ["a1!a1!a1!", "Ab1!Ab1!Ab1!", "!!!!!!!!"])
def test_fmt2_predictable_password_is_refused(password):
    assert "password_too_predictable" in codes(agency.check, password)


def test_fmt2_password_equal_to_one_of_the_last_five_is_refused():
    history = [make_password(p) for p in ["Old#pass1", "Old#pass2", "Old#pass3", "Old#pass4"]]
    history.append(make_password("Kx7#mQ2vL!"))
    error = one(agency.check, "Kx7#mQ2vL!", previous_hashes=history)
    assert error.code == "password_reused"
    assert error.params["count"] == 5
    assert text_of(error) == "Password must differ from your last 5 passwords. Choose a new one."


def test_fmt2_sixth_previous_password_may_be_used_again():
    history = [make_password(f"Old#pass{i}") for i in range(5)] + [make_password("Kx7#mQ2vL!")]
    agency.check("Kx7#mQ2vL!", previous_hashes=history)
    agency.check("Kx7#mQ2vL!", previous_hashes=iter(history))  # any iterable, read lazily


def test_fmt2_history_is_not_hashed_when_the_password_already_fails():
    class Exploding:
        def __iter__(self):
            raise AssertionError("history read for a password that fails anyway")

    assert codes(agency.check, "short", previous_hashes=Exploding())[0] == "password_too_short"


@pytest.mark.parametrize(
    "password", ["Kx7#mQ2vL!tarouser", "72#81!93%", "ｍ", "passwordpassword", "Tokyo2024!"]
)
def test_fmt2_messages_and_params_never_contain_the_password(password):
    for error in raised(agency.check, password, auth_id="tarouser"):
        assert password not in text_of(error)
        assert password not in repr(error.params)
        assert password not in repr(error)


@given(
    st.text(alphabet=string.ascii_letters, min_size=3, max_size=10),
    st.text(alphabet=string.digits, min_size=3, max_size=10),
    st.text(alphabet=AUTH_ID_SYMBOLS, min_size=2, max_size=10),
    st.randoms(use_true_random=False),
)
def test_fmt2_agency_mixed_passwords_pass_unless_guessable(letters, digits, symbols, rnd):
    chars = list(letters + digits + symbols)
    rnd.shuffle(chars)
    password = "".join(chars)
    try:
        agency.check(password)
    except ValidationError as error:
        assert {e.code for e in error.error_list} <= {
            "password_too_common",
            "password_too_predictable",
        }
        for e in error.error_list:
            assert password not in text_of(e)


@given(st.text(alphabet=string.ascii_lowercase + string.digits, min_size=8, max_size=32))
def test_fmt2_agency_refuses_every_password_without_a_symbol(password):
    assert "password_no_symbol" in codes(agency.check, password)


# --- FMT-2 password, NIST profile ------------------------------------------------------------


def test_fmt2_nist_needs_15_characters_without_a_second_factor():
    error = one(nist.check, "plum-river-ash")
    assert error.code == "password_too_short"
    assert error.params["min_length"] == 15
    nist.check("plum-river-ash-7")


def test_fmt2_nist_needs_8_characters_with_a_second_factor():
    nist.check("plum-ash", has_second_factor=True)
    assert codes(nist.check, "plumash", has_second_factor=True) == ["password_too_short"]


def test_fmt2_nist_has_no_composition_rule_and_allows_spaces_and_unicode():
    nist.check("correct horse battery staple")
    nist.check("すもももももももものうちのうちです")
    nist.check("Ünïcødé pässwörd ok")


def test_fmt2_nist_max_length_is_at_least_64():
    nist.check("abcdefgh ijklmno pqrstu " * 2 + "vwxyz" * 3)  # 63 chars
    nist.check(("horse battery " * 10)[:128])
    assert codes(nist.check, "y" * 64 + "x" * 65) == ["password_too_long"]


def test_fmt2_nist_normalises_with_nfkc_before_checking_and_hashing():
    full_width = "ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ"
    assert nist.normalise(full_width) == "correct horse battery"
    assert nist.clean(full_width).value == "correct horse battery"
    history = [make_password("correct horse battery")]
    assert codes(nist.check, full_width, previous_hashes=history) == ["password_reused"]
    assert agency.normalise(full_width) == full_width


def test_fmt2_nist_refuses_control_characters():
    assert codes(nist.check, "correct horse\x00battery") == ["password_character"]


def test_fmt2_nist_refuses_the_auth_id_and_common_or_repeated_passwords():
    assert codes(nist.check, "my id is TaroYamada ok", auth_id="taroyamada") == [
        "password_contains_auth_id"
    ]
    assert codes(nist.check, "passwordpassword") == ["password_too_common"]
    assert codes(nist.check, "aaaaaaaaaaaaaaaa") == ["password_too_predictable"]
    assert codes(nist.check, "abcdefghijklmnop") == ["password_too_predictable"]
    assert codes(nist.check, "123456789012345678") == ["password_too_predictable"]


@given(st.text(min_size=15, max_size=64).filter(lambda t: len(set(t)) > 4))
def test_fmt2_nist_only_refuses_for_the_listed_reasons(password):
    try:
        nist.check(password)
    except ValidationError as error:
        allowed = {
            "password_character",
            "password_too_short",  # NFKC composes combining marks, so the length can drop
            "password_too_long",
            "password_too_common",
            "password_too_predictable",
        }
        assert {e.code for e in error.error_list} <= allowed


def test_fmt2_profile_comes_from_the_setting(settings):
    policy = PasswordPolicy()
    assert policy.profile == "agency"
    settings.ZAIRYU_PASSWORD_POLICY = "nist"
    assert policy.profile == "nist"
    assert codes(policy.check, "Kx7#mQ2vL!") == ["password_too_short"]
    settings.ZAIRYU_PASSWORD_POLICY = "lenient"
    with pytest.raises(ImproperlyConfigured):
        policy.check("Kx7#mQ2vL!")


class FakeUser:
    def __init__(self, username, hashes=(), second_factor=False):
        self.username = username
        self.previous_password_hashes = list(hashes)
        self.has_second_factor = second_factor

    def get_username(self):
        return self.username


def test_fmt2_works_as_a_django_auth_password_validator():
    validators = get_password_validators(
        [{"NAME": "zairyu.core.validators.PasswordPolicy", "OPTIONS": {"profile": "agency"}}]
    )
    user = FakeUser("taroyamada", hashes=[make_password("Kx7#mQ2vL!")])
    validate_password("Zq8!wE4rT", user=user, password_validators=validators)
    with pytest.raises(ValidationError) as caught:
        validate_password("zz!9TAROYAMADA", user=user, password_validators=validators)
    assert caught.value.error_list[0].code == "password_contains_auth_id"
    with pytest.raises(ValidationError) as caught:
        validate_password("Kx7#mQ2vL!", user=user, password_validators=validators)
    assert caught.value.error_list[0].code == "password_reused"
    validate_password("Kx7#mQ2vL!", user=None, password_validators=validators)
    help_text = password_validators_help_texts(validators)[0]
    assert "8 to 32" in help_text
    assert "auth ID" in help_text


def test_fmt2_django_validator_reads_the_second_factor_from_the_user():
    policy = PasswordPolicy("nist")
    policy.validate("plum-ash", user=FakeUser("taroyamada", second_factor=True))
    with pytest.raises(ValidationError):
        policy.validate("plum-ash", user=FakeUser("taroyamada"))
    assert "15" in policy.get_help_text()


# --- FMT-3 roman name ------------------------------------------------------------------------

spaces = RomanName(RomanNameForm.SPACES)
commas = RomanName(RomanNameForm.COMMAS)


@pytest.mark.parametrize(
    ("typed", "service_n", "service_a"),
    [
        ("HOUMU TAROU", "HOUMU TAROU", "HOUMU,TAROU"),
        ("HOUMU,MIDDLE,TAROU", "HOUMU MIDDLE TAROU", "HOUMU,MIDDLE,TAROU"),
        ("houmu taro", "HOUMU TARO", "HOUMU,TARO"),
        ("HOUMU  MIDDLE   TAROU", "HOUMU MIDDLE TAROU", "HOUMU,MIDDLE,TAROU"),
        ("HOUMU, TAROU", "HOUMU TAROU", "HOUMU,TAROU"),
        ("HOUMU ,, TAROU", "HOUMU TAROU", "HOUMU,TAROU"),
        (" HOUMU TAROU ", "HOUMU TAROU", "HOUMU,TAROU"),
        ("ＨＯＵＭＵ\u3000ＴＡＲＯＵ", "HOUMU TAROU", "HOUMU,TAROU"),
        ("ｈｏｕｍｕ，ｔａｒｏｕ", "HOUMU TAROU", "HOUMU,TAROU"),
        ("HOUMU、TAROU", "HOUMU TAROU", "HOUMU,TAROU"),
        ("HOUMU\tTAROU", "HOUMU TAROU", "HOUMU,TAROU"),
        ("NGUYEN VAN AN", "NGUYEN VAN AN", "NGUYEN,VAN,AN"),
        ("MADONNA", "MADONNA", "MADONNA"),
    ],
)
def test_fmt3_either_form_is_normalised_to_the_service_form(typed, service_n, service_a):
    assert spaces.clean(typed).value == service_n
    assert commas.clean(typed).value == service_a


def test_fmt3_conversion_is_reported_not_refused():
    result = commas.clean("houmu taro")
    assert result.changed
    assert result.original == "houmu taro"
    notice = conversion_notice(result, field="Name")
    assert notice == "Name: “houmu taro” was converted to “HOUMU,TARO”. Check that it is right."
    assert conversion_notice(spaces.clean("HOUMU TARO"), field="Name") is None


@pytest.mark.parametrize(
    ("typed", "character", "position", "words"),
    [
        ("TAROU2", "2", 6, "is a digit"),
        ("HOUMU ２", "2", 7, "is a digit"),
        ("ほうむ たろう", "ほ", 1, "not a roman letter"),
        ("法務 太郎", "法", 1, "not a roman letter"),
        ("ﾎｳﾑ", "ホ", 1, "not a roman letter"),
        ("IVANOV ИВАН", "И", 8, "not a roman letter"),
        ("JOSÉ GARCIA", "É", 4, "has an accent"),
        ("MÜLLER", "Ü", 2, "has an accent"),
        ("O'BRIEN", "'", 2, "cannot be used"),
        ("JEAN-PIERRE", "-", 5, "cannot be used"),
        ("SMITH JR.", ".", 9, "cannot be used"),
    ],
)
def test_fmt3_characters_not_on_a_card_are_refused_naming_the_first(
    typed, character, position, words
):
    error = one(spaces.clean, typed)
    assert error.code == "roman_name_character"
    assert error.params["character"] == character
    assert error.params["position"] == position
    assert text_of(error).startswith(f"Name (roman letters): “{character}” (character {position})")
    assert words in text_of(error)


def test_fmt3_accented_letter_suggests_the_plain_one():
    assert one(spaces.clean, "JOSÉ").params["suggestion"] == "E"


def test_fmt3_empty_and_too_long_names():
    assert one(spaces.clean, " ,  ").code == "roman_name_required"
    error = one(spaces.clean, "A" * 101)
    assert error.code == "roman_name_too_long"
    assert error.params["max_length"] == 100
    assert spaces.clean("A" * 100).value == "A" * 100
    assert RomanName(max_length=10).clean("ABCDE FGHI").value == "ABCDE FGHI"


def test_fmt3_strict_call_refuses_a_value_not_in_the_stored_form():
    spaces("HOUMU TAROU")
    commas("HOUMU,TAROU")
    error = one(commas, "HOUMU TAROU")
    assert error.code == "roman_name_not_normalised"
    assert error.params["expected"] == "HOUMU,TAROU"
    assert codes(spaces, "houmu") == ["roman_name_not_normalised"]


name_parts = st.lists(
    st.text(alphabet=string.ascii_letters, min_size=1, max_size=12), min_size=1, max_size=5
)
separators = st.sampled_from([" ", "  ", ",", ", ", " ,", "\u3000", "，", "、", "\t"])


@given(name_parts, st.lists(separators, min_size=4, max_size=4), st.booleans())
def test_fmt3_any_typed_form_gives_the_parts_in_upper_case(parts, seps, full_width):
    typed = parts[0] + "".join(sep + part for sep, part in zip(seps, parts[1:], strict=False))
    if full_width:
        typed = "".join(chr(ord(c) + 0xFEE0) if c in string.ascii_letters else c for c in typed)
    upper = [p.upper() for p in parts]
    assert spaces.clean(typed).value == " ".join(upper)
    assert commas.clean(typed).value == ",".join(upper)


@given(st.text(max_size=40))
def test_fmt3_normalising_twice_is_idempotent(typed):
    for validator in (spaces, commas):
        try:
            once = validator.clean(typed).value
        except ValidationError:
            continue
        twice = validator.clean(once)
        assert twice.value == once
        assert not twice.changed
        validator(once)  # the stored form passes the strict check
        assert set(once) <= set(string.ascii_uppercase + validator.separator)


@given(name_parts)
def test_fmt3_service_forms_round_trip(parts):
    n_form = spaces.clean(" ".join(parts)).value
    assert spaces.clean(commas.clean(n_form).value).value == n_form


# --- FMT-4 JIS X 0208 text -------------------------------------------------------------------

address = JisX0208Text(field="Address")
street = JisX0208Text(field="Street", convert_halfwidth=True)


@pytest.mark.parametrize(
    "value",
    [
        "東京都港区虎ノ門一丁目１番１号",
        "大阪市北区梅田３−１−１",
        "渡邉",
        "齋藤",
        "熙",
        "凜",
        "ＡＢＣビル　５Ｆ",
    ],
)
def test_fmt4_level_1_and_level_2_text_passes_unchanged(value):
    result = address.clean(value)
    assert result.value == value
    assert not result.changed


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("１～３", "１〜３"),  # U+FF5E -> U+301C
        ("Ａ—Ｂ", "Ａ―Ｂ"),  # U+2014 -> U+2015
        ("３－１", "３−１"),  # U+FF0D -> U+2212
        ("Ａ∥Ｂ", "Ａ‖Ｂ"),
        ("￡１０", "£１０"),
        ("か\u3099", "が"),  # NFD from a Mac: composed
        ("葛\U000e0100飾区", "葛飾区"),  # variation selector removed
        ("港区\u200b芝", "港区芝"),
    ],
)
def test_fmt4_lookalikes_and_invisible_characters_are_normalised(typed, stored):
    result = address.clean(typed)
    assert result.value == stored
    assert all(is_jisx0208(c) for c in result.value)


@pytest.mark.parametrize(
    ("char", "suggestion"),
    [
        ("﨑", "崎"),
        ("髙", "高"),
        ("𠮷", "吉"),
        ("鷗", "鴎"),
        ("德", "徳"),
        ("①", "１"),
        ("㈱", "（株）"),
        ("㈲", "（有）"),
        ("Ⅲ", "ＩＩＩ"),
        ("㍻", "平成"),
        ("№", "Ｎｏ"),
        ("¥", "￥"),
    ],
)
def test_fmt4_variant_refused_with_the_level_1_2_form_suggested(char, suggestion):
    error = one(address.clean, f"山{char}町")
    assert error.code == "jis_character"
    assert error.params["character"] == char
    assert error.params["position"] == 2
    assert error.params["codepoint"] == f"U+{ord(char):04X}"
    assert error.params["suggestion"] == suggestion
    message = text_of(error)
    assert message.startswith(f"Address: “{char}” (U+{ord(char):04X}, character 2)")
    assert f"Use “{suggestion}” instead." in message


def test_fmt4_suggestions_are_themselves_in_the_set():
    for char, suggestion in JIS_SUGGESTIONS.items():
        assert not is_jisx0208(char), char
        assert all(is_jisx0208(c) for c in suggestion), suggestion


def test_fmt4_ascii_suggestion_when_ascii_is_allowed():
    assert one(JisX0208Text(allow_ascii=True).clean, "①").params["suggestion"] == "1"


def test_fmt4_character_without_a_known_form_is_still_named():
    error = one(address.clean, "東京😀")
    assert error.params["suggestion"] == ""
    assert "“😀” (U+1F600, character 3)" in text_of(error)
    assert "standard form" in text_of(error)


def test_fmt4_every_offending_character_is_named_with_every_position():
    errors = raised(address.clean, "髙田﨑髙①")
    assert [(e.params["character"], e.params["positions"]) for e in errors] == [
        ("髙", "1, 4"),
        ("﨑", "3"),
        ("①", "5"),
    ]
    assert "characters 1, 4" in text_of(errors[0])


def test_fmt4_cp932_only_characters_are_refused():
    # Each is valid Shift_JIS/CP932 (NEC or IBM extensions); none is JIS X 0208.
    for char in "①Ⅰ㈱∑纊髙﨑":
        char.encode("cp932")
        assert one(address.clean, char).code == "jis_character"


def test_fmt4_half_width_text_is_one_error_with_its_full_width_form():
    error = one(address.clean, "Tokyo Tower ﾋﾞﾙ")
    assert error.code == "jis_halfwidth"
    assert error.params["characters"] == "“Tokyo Tower ﾋﾞﾙ”"
    assert error.params["suggestion"] == "“Ｔｏｋｙｏ\u3000Ｔｏｗｅｒ\u3000ビル”"
    assert error.params["positions"] == "1-15"


def test_fmt4_half_width_allowed_when_the_field_says_so():
    assert JisX0208Text(allow_ascii=True).clean("ABC ビル 3F").value == "ABC ビル 3F"


def test_fmt4_street_part_half_width_is_converted_and_shown():
    result = street.clean("1-2-3 ﾊｲﾂ101")
    assert result.value == "１−２−３\u3000ハイツ１０１"
    assert result.changed
    assert to_fullwidth_street(" 4-5 ").value == "４−５"
    assert not to_fullwidth_street("４−５").changed


def test_fmt4_more_than_ten_wrong_characters_are_counted():
    bad = "".join(chr(0x1F600 + i) for i in range(MAX_CHARACTER_ERRORS + 3))
    errors = raised(address.clean, bad)
    assert [e.code for e in errors][-1] == "jis_more_characters"
    assert errors[-1].params["count"] == 3
    assert len(errors) == MAX_CHARACTER_ERRORS + 1


def test_fmt4_max_length_and_line_breaks():
    error = one(JisX0208Text(field="Name", max_length=3).clean, "東京都港区")
    assert (error.code, error.params["length"], error.params["max_length"]) == (
        "jis_too_long",
        5,
        3,
    )
    assert one(address.clean, "東京\n大阪").params["character"] == "U+000A LINE FEED"
    assert JisX0208Text(multiline=True).clean("東京\r\n大阪").value == "東京\n大阪"


def test_fmt4_strict_call_refuses_unconverted_text():
    assert codes(street, "1-2") == ["jis_not_normalised"]
    street("１−２")


jis_text = st.text(alphabet=st.sampled_from(JIS_CHARACTERS), min_size=1, max_size=30).filter(
    lambda t: t == t.strip()
)


@given(jis_text)
def test_fmt4_every_jis_text_passes(value):
    result = address.clean(value)
    assert all(is_jisx0208(c) for c in result.value)
    assert address.clean(result.value).value == result.value


def survives_cleaning(char: str) -> bool:
    """Say whether a character reaches the JIS check as typed (not mapped, stripped or grouped)."""
    kept = normalise_jis_lookalikes(strip_invisible(unicodedata.normalize("NFC", char))) == char
    halfwidth = " " <= char <= "~" or "\uff61" <= char <= "\uff9f"
    return kept and not char.isspace() and not halfwidth


outside = st.characters(blacklist_categories=("Cs",)).filter(
    lambda c: not is_jisx0208(c) and survives_cleaning(c)
)


@given(jis_text, outside, st.data())
@example("東京", "髙", None)
def test_fmt4_any_character_outside_the_set_is_refused_and_named(value, bad, data):
    where = data.draw(st.integers(0, len(value))) if data is not None else 1
    text = value[:where] + bad + value[where:]
    assume(unicodedata.normalize("NFC", text) == text)  # no combining with the neighbour
    errors = [e for e in raised(address.clean, text) if e.params.get("codepoint")]
    named = {e.params["codepoint"]: e for e in errors}
    error = named[f"U+{ord(bad):04X}"]
    assert error.code == "jis_character"
    assert error.params["position"] == where + 1


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30))
def test_fmt4_street_conversion_makes_any_ascii_acceptable(value):
    assume(value.strip())
    result = street.clean(value)
    assert all(is_jisx0208(c) for c in result.value)
    assert street.clean(result.value).value == result.value


# --- FMT-5 residence card number -------------------------------------------------------------

card = ResidenceCardNumber()


@pytest.mark.parametrize(
    "typed",
    [
        "AB12345678CD",
        "ab12345678cd",
        " AB12345678CD ",
        "AB 1234 5678 CD",
        "AB-12345678-CD",
        "ＡＢ１２３４５６７８ＣＤ",
        "ａｂ１２３４５６７８ｃｄ",
        "ＡＢ\u3000１２３４５６７８\u3000ＣＤ",
    ],
)
def test_fmt5_card_number_upper_cased_and_stripped(typed):
    result = card.clean(typed)
    assert result.value == "AB12345678CD"
    assert result.changed == (typed.strip() != "AB12345678CD")


@pytest.mark.parametrize(
    ("typed", "code", "params"),
    [
        ("", "residence_card_number_required", {}),
        ("AB1234567CD", "residence_card_number_length", {"length": 11}),
        ("AB123456789CD", "residence_card_number_length", {"length": 13}),
        ("A112345678CD", "residence_card_number_letter", {"character": "1", "position": 2}),
        ("AB1234567OCD", "residence_card_number_digit", {"character": "O", "position": 10}),
        ("AB12345678C0", "residence_card_number_letter", {"character": "0", "position": 12}),
        ("AB12345678Cあ", "residence_card_number_character", {"character": "あ", "position": 12}),
        ("AB12345678C.", "residence_card_number_character", {"character": ".", "position": 12}),
    ],
)
def test_fmt5_card_number_refused(typed, code, params):
    error = one(card.clean, typed)
    assert error.code == code
    assert params.items() <= error.params.items()
    assert text_of(error).startswith("Residence card number")


def test_fmt5_card_number_message_says_the_shape():
    message = text_of(one(card.clean, "AB1234567OCD"))
    assert "character 10 “O” must be a digit" in message
    assert "AB12345678CD" in message


card_numbers = st.from_regex(RESIDENCE_CARD_NUMBER_PATTERN, fullmatch=True)


@given(card_numbers)
def test_fmt5_every_valid_card_number_passes_and_round_trips(number):
    assert card.clean(number).value == number
    card(number)
    assert card.clean(number.lower()).value == number
    full = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert card.clean(f" {full[:2]} {full[2:10]}-{full[10:]}").value == number


@given(st.text(alphabet=string.ascii_letters + string.digits, max_size=20))
def test_fmt5_anything_else_is_refused(value):
    assume(not (len(value) == 12 and value[:2].isalpha() and value[2:10].isdigit()))
    assume(not value[10:].isalpha() or len(value) != 12)
    with pytest.raises(ValidationError):
        card.clean(value)


# --- FMT-6 corporate number ------------------------------------------------------------------

corporate = CorporateNumber()


@pytest.mark.parametrize(
    "typed",
    [
        "5835678256246",
        "5-8356-7825-6246",
        "5 8356 7825 6246",
        "５８３５６７８２５６２４６",
        5835678256246,
    ],
)
def test_fmt6_corporate_number_accepted_and_compacted(typed):
    assert corporate.clean(typed).value == "5835678256246"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "corporate_number_required"),
        ("2835678256246", "corporate_number_checksum"),
        ("835678256246", "corporate_number_length"),
        ("58356782562460", "corporate_number_length"),
        ("583567825624A", "corporate_number_character"),
    ],
)
def test_fmt6_corporate_number_refused(typed, code):
    error = one(corporate.clean, typed)
    assert error.code == code
    assert text_of(error).startswith("Corporate number")


@given(st.text(alphabet=string.digits, min_size=12, max_size=12), st.integers(1, 9))
def test_fmt6_check_digit_is_verified(body, wrong):
    number = stdnum_cn.calc_check_digit(body) + body
    assert corporate.clean(number).value == number
    bad = str((int(number[0]) + wrong) % 10) + body
    assert one(corporate.clean, bad).code == "corporate_number_checksum"


# --- Postal code -----------------------------------------------------------------------------

postal = PostalCode()


@pytest.mark.parametrize(
    "typed",
    [
        "1050011",
        "105-0011",
        "〒105-0011",
        "〒 105-0011",
        "１０５－００１１",
        "〒１０５ー００１１",
        1050011,
    ],
)
def test_postal_code_normalised_to_seven_digits(typed):
    assert postal.clean(typed).value == "1050011"
    assert format_postal_code("1050011") == "105-0011"


@pytest.mark.parametrize(
    ("typed", "code", "params"),
    [
        ("", "postal_code_required", {}),
        ("〒", "postal_code_required", {}),
        ("105-001", "postal_code_length", {"length": 6}),
        (600000, "postal_code_length", {"length": 6}),  # 060-0000 read as a number
        ("105-00111", "postal_code_length", {"length": 8}),
        ("105-OO11", "postal_code_character", {"character": "O", "position": 4}),
    ],
)
def test_postal_code_refused(typed, code, params):
    error = one(postal.clean, typed)
    assert error.code == code
    assert params.items() <= error.params.items()


@given(st.text(alphabet=string.digits, min_size=7, max_size=7))
def test_postal_code_any_seven_digits_round_trip(digits):
    shown = format_postal_code(digits)
    assert postal.clean(shown).value == digits
    assert postal.clean("〒" + shown).value == digits


# --- FMT-7 dates -----------------------------------------------------------------------------

AT = clock.tokyo_datetime(2026, 4, 1, 10, 0)


def test_fmt7_event_date_today_or_before_accepted():
    with clock.frozen(AT):
        DateNotInFuture()(dt.date(2026, 4, 1))
        DateNotInFuture()(dt.date(2020, 1, 1))


def test_fmt7_event_date_in_the_future_refused():
    with clock.frozen(AT):
        error = one(DateNotInFuture(field="Date of the event"), dt.date(2026, 4, 2))
    assert error.code == "date_in_future"
    assert error.params["date"] == "April 2, 2026"
    assert error.params["today"] == "April 1, 2026"
    assert text_of(error).startswith("Date of the event (April 2, 2026) is in the future.")


def test_fmt7_birth_date_in_the_future_says_a_birth_date_cannot_be_in_the_future():
    with clock.frozen(AT):
        error = one(DateNotInFuture(field="Date of birth", birth=True), dt.date(2026, 4, 2))
        DateNotInFuture(field="Date of birth", birth=True)(dt.date(2026, 4, 1))
    assert error.code == "date_in_future"
    text = text_of(error)
    assert text.startswith("Date of birth (April 2, 2026) is in the future.")
    assert "A date of birth cannot be in the future" in text
    assert "on which it happened" not in text
    assert DateNotInFuture(birth=True) != DateNotInFuture()


def test_fmt7_birth_date_fields_use_the_birth_message():
    from zairyu.accounts.forms_resident import CardFaceForm
    from zairyu.accounts.forms_service_a import HolderRegistrationForm
    from zairyu.applications.forms import Personal1Form
    from zairyu.applications.services import _clean_value
    from zairyu.filings.service_o import kinds

    for form in (CardFaceForm, HolderRegistrationForm, Personal1Form):
        field = form.base_fields["birth_date"]
        with clock.frozen(AT), pytest.raises(ValidationError) as exc:
            field.run_validators(dt.date(2027, 1, 1))
        assert "A date of birth cannot be in the future" in text_of(exc.value.error_list[0]), form
    birth = next(i for i in kinds.PERSON_ITEMS if i.code == "birth_date")
    event = kinds._date("event_date", "Date of the change")
    with clock.frozen(AT):
        with pytest.raises(ValidationError) as born:
            kinds.clean_value(birth, "2027-01-01")
        with pytest.raises(ValidationError) as happened:
            kinds.clean_value(event, "2027-01-01")
    assert "A date of birth cannot be in the future" in text_of(born.value.error_list[0])
    assert "on which it happened" in text_of(happened.value.error_list[0])
    with clock.frozen(AT), pytest.raises(ValidationError) as step:
        _clean_value("personal1", "birth_date", "2027-01-01")
    assert "A date of birth cannot be in the future" in text_of(step.value.error_list[0])


def test_fmt7_today_is_the_date_in_japan():
    # 2026-04-01 16:30 UTC is already 2 April in Tokyo.
    with clock.frozen(dt.datetime(2026, 4, 1, 16, 30, tzinfo=dt.UTC)):
        DateNotInFuture()(dt.date(2026, 4, 2))


def test_fmt7_message_follows_the_language():
    with clock.frozen(AT), translation.override("ja"):
        error = one(DateNotInFuture(), dt.date(2026, 4, 2))
    assert error.params["date"] == "2026年4月2日"


@given(st.dates(), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_fmt7_refused_exactly_when_after_today(value, today):
    with clock.frozen(clock.tokyo_datetime(today.year, today.month, today.day, 12)):
        if value > today:
            assert one(DateNotInFuture(), value).code == "date_in_future"
        else:
            DateNotInFuture()(value)


def test_fmt7_date_range_with_fixed_and_moving_bounds():
    in_2026 = DateRange(dt.date(2026, 1, 1), dt.date(2026, 12, 31), field="Expiry")
    in_2026(dt.date(2026, 6, 1))
    early = one(in_2026, dt.date(2025, 12, 31))
    assert early.code == "date_too_early"
    assert text_of(early) == "Expiry (Dec. 31, 2025) is too early. Enter Jan. 1, 2026 or later."
    assert one(in_2026, dt.date(2027, 1, 1)).code == "date_too_late"
    not_before_today = DateRange(min_value=clock.today)
    with clock.frozen(AT):
        not_before_today(dt.date(2026, 4, 1))
        assert codes(not_before_today, dt.date(2026, 3, 31)) == ["date_too_early"]


def test_fmt7_date_order():
    date_order(dt.date(2026, 1, 1), dt.date(2026, 1, 1), start_field="From", end_field="To")
    date_order(None, dt.date(2026, 1, 1), start_field="From", end_field="To")
    error = one(
        date_order, dt.date(2026, 1, 2), dt.date(2026, 1, 1), start_field="From", end_field="To"
    )
    assert error.code == "date_order"
    assert text_of(error).startswith("To (Jan. 1, 2026) is before From (Jan. 2, 2026).")
    same = one(
        date_order,
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 1),
        start_field="From",
        end_field="To",
        allow_same=False,
    )
    assert "must be after" in text_of(same)


# --- My Number guard (002 Q2-8) --------------------------------------------------------------

MY_NUMBER = "621498320257"  # the check-digit example from python-stdnum


@pytest.mark.parametrize(
    "typed",
    [
        "621498320257",
        "6214 9832 0257",
        "6214-9832-0257",
        "６２１４９８３２０２５７",
        "６２１４　９８３２　０２５７",
        "６２１４－９８３２－０２５７",
        "6214ー9832ー0257",
        "個人番号は6214 9832 0257です",
        "my number: 621498320257.",
    ],
)
def test_my_number_typed_into_a_text_field_is_refused(typed):
    assert contains_my_number(typed)
    error = one(refuse_my_number, typed, field="Remarks")
    assert error.code == "my_number_refused"
    assert error.params == {"field": "Remarks"}
    assert text_of(error).startswith("Remarks looks like an Individual Number (My Number).")
    assert "never collects" in text_of(error)


@pytest.mark.parametrize(
    "typed",
    [
        "621498320258",  # wrong check digit
        "5835678256246",  # a corporate number: 13 digits
        "16214983202571",
        "AB12345678CD",
        "090-1234-5678",
        "+81 6214 9832 0257",  # an international phone number, not a My Number
        "12 6214 9832 0257",
        "105-0011",
        "",
    ],
)
def test_my_number_guard_leaves_other_numbers_alone(typed):
    assert not contains_my_number(typed)
    refuse_my_number(typed)


def test_my_number_is_never_in_the_error_message_params_or_repr():
    for typed in ["621498320257", "6214 9832 0257", "６２１４－９８３２－０２５７"]:
        with pytest.raises(ValidationError) as caught:
            refuse_my_number(typed, field="Remarks")
        error = caught.value
        for shown in (str(error), repr(error), repr(error.params), repr(error.error_list)):
            for form in (MY_NUMBER, "6214", "9832", "0257", typed):
                assert form not in shown
        assert error.__cause__ is None
        assert error.__context__ is None


@given(st.text(alphabet=string.digits, min_size=11, max_size=11), st.sampled_from(["", " ", "-"]))
def test_my_number_every_valid_number_is_refused_and_never_echoed(body, sep):
    number = body + stdnum_in.calc_check_digit(body)
    typed = sep.join([number[:4], number[4:8], number[8:]])
    with pytest.raises(ValidationError) as caught:
        refuse_my_number(typed)
    assert number not in repr(caught.value) + str(caught.value) + repr(caught.value.params)
    assert number[:4] + sep + number[4:8] not in str(caught.value)


def test_my_number_row_helper_checks_every_value_but_the_exempt_ones():
    row = {
        "remarks": "6214 9832 0257",
        "name": "HOUMU TAROU",
        "agent_certificate": MY_NUMBER,  # a 12-digit number that is allowed here
        "count": 621498320257,  # a spreadsheet cell read as a number
        "empty": None,
    }
    errors = my_number_errors(row, labels={"remarks": "Remarks"}, exempt={"agent_certificate"})
    assert set(errors) == {"remarks", "count"}
    assert errors["remarks"].params == {"field": "Remarks"}
    assert errors["count"].params == {"field": "count"}


def test_my_number_guard_as_a_field_validator():
    guard = MyNumberGuard(field="Remarks")
    guard("nothing to see")
    assert one(guard, MY_NUMBER).code == "my_number_refused"


# --- FMT-8 and plumbing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "bad", "label"),
    [
        (AuthIdValidator(), "ab", "Auth ID"),
        (PasswordPolicy("agency"), "ab", "Password"),
        (RomanName(), "123", "Name (roman letters)"),
        (JisX0208Text(field="Company name"), "髙", "Company name"),
        (ResidenceCardNumber(), "AB", "Residence card number"),
        (CorporateNumber(), "12", "Corporate number"),
        (PostalCode(), "12", "Postal code"),
    ],
)
def test_fmt8_every_error_names_its_field(validator, bad, label):
    for error in raised(validator.clean, bad):
        assert error.params["field"] == label
        assert text_of(error).startswith(label)


def test_fmt8_field_label_can_be_given_per_use():
    error = one(RomanName(field="Family name").clean, "1")
    assert text_of(error).startswith("Family name:")


def test_fmt8_messages_are_translated_through_gettext():
    # Django's own catalogue already translates "Password": the label follows the language.
    with translation.override("ja"):
        assert one(PasswordPolicy("agency").check, "Kx7#mQ2").params["field"] == "パスワード"


def test_validators_deconstruct_for_migrations():
    validator = RomanName(RomanNameForm.COMMAS, max_length=80)
    path, args, kwargs = validator.deconstruct()
    assert path == "zairyu.core.validators.RomanName"
    assert RomanName(*args, **kwargs) == validator
    assert validator != RomanName(RomanNameForm.SPACES, max_length=80)
    assert JisX0208Text(max_length=5) == JisX0208Text(max_length=5)


def test_clean_refuses_non_text_loudly():
    with pytest.raises(TypeError):
        card.clean(None)


def test_fmt2_shipped_common_password_list_is_the_generators_output():
    import importlib.util

    from zairyu.core.validators import identity as validators_identity

    path = validators_identity._OWN_LIST.with_name("generate_common_passwords.py")
    spec = importlib.util.spec_from_file_location("generate_common_passwords", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = validators_identity._OWN_LIST.read_text(encoding="utf-8").splitlines()
    entries = [line for line in shipped if not line.startswith("#")]
    assert entries == module.generate()
    assert all(line == line.casefold() for line in entries)
