"""REF-3: the address picker's JSON endpoints."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

MUNICIPALITIES = reverse("reference:municipalities")
POSTAL = reverse("reference:postal_code")


def test_ref3_municipalities_of_a_prefecture(client):
    response = client.get(MUNICIPALITIES, {"prefecture": "14"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "max-age=3600" in response["Cache-Control"]
    body = response.json()
    assert body["prefecture"] == {"code": "14", "name_ja": "神奈川県", "name_en": "Kanagawa"}
    naka = next(m for m in body["municipalities"] if m["code"] == "14104")
    assert naka == {
        "code": "14104",
        "name_ja": "横浜市中区",
        "reading": "ヨコハマシナカク",
        "designated_city": "横浜市",
    }
    assert "横浜市中区".encode() in response.content  # UTF-8, not \\u escapes


def test_ref3_municipalities_accepts_one_digit_and_full_width(client):
    assert client.get(MUNICIPALITIES, {"prefecture": "1"}).json()["prefecture"]["code"] == "01"
    assert client.get(MUNICIPALITIES, {"prefecture": "１３"}).json()["prefecture"]["code"] == "13"


@pytest.mark.parametrize(
    ("query", "code"),
    [({}, "required"), ({"prefecture": " "}, "required"), ({"prefecture": "48"}, "invalid"),
     ({"prefecture": "tokyo"}, "invalid"), ({"prefecture": "0"}, "invalid")],
)  # fmt: skip
def test_ref3_municipalities_bad_parameter_is_400_naming_it(client, query, code):
    response = client.get(MUNICIPALITIES, query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["parameter"] == "prefecture"
    assert error["code"] == code
    assert error["message"]


def test_ref3_postal_code_lookup(client):
    response = client.get(POSTAL, {"code": "〒105-0011"})
    assert response.status_code == 200
    body = response.json()
    assert body["postal_code"] == "1050011"
    assert body["results"] == [
        {
            "prefecture": {"code": "13", "name_ja": "東京都", "name_en": "Tokyo"},
            "municipality": {"code": "13103", "name_ja": "港区"},
            "town": "芝公園",
            "town_reading": "シバコウエン",
        }
    ]


def test_ref3_postal_code_with_several_municipalities(client):
    body = client.get(POSTAL, {"code": "9850000"}).json()
    assert len(body["results"]) >= 2


@pytest.mark.parametrize(
    ("query", "code"),
    [({}, "required"), ({"code": ""}, "required"), ({"code": "105-001"}, "invalid"),
     ({"code": "abcdefg"}, "invalid"), ({"code": "1" * 200}, "invalid")],
)  # fmt: skip
def test_ref3_postal_code_bad_parameter_is_400_naming_it(client, query, code):
    response = client.get(POSTAL, query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["parameter"], error["code"]) == ("code", code)


def test_ref3_unknown_postal_code_is_404(client):
    response = client.get(POSTAL, {"code": "000-0000"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_ref3_error_messages_are_translated(client):
    client.cookies["django_language"] = "en"
    response = client.get(POSTAL, {"code": "x"})
    assert "postal code" in response.json()["error"]["message"]
    client.cookies["django_language"] = "ja"
    response = client.get(POSTAL, {"code": "x"})
    assert "郵便番号" in response.json()["error"]["message"]


@pytest.mark.parametrize("url", [MUNICIPALITIES, POSTAL])
def test_ref3_endpoints_are_read_only(client, url):
    assert client.post(url, {"code": "1050011", "prefecture": "13"}).status_code == 405
