"""REF-5 / BO-2: manage.py import_cards — streaming, idempotent, rejected lines reported."""

import csv
import datetime as dt
import io

import pytest
from bench.generate_cards import HEADER, reference_codes, write_cards_csv
from django.core.management import CommandError, call_command
from django.utils import translation

from zairyu.audit.models import AuditEvent
from zairyu.cards.importer import ImportFileError, import_cards
from zairyu.cards.models import Person, ResidenceCard
from zairyu.core import clock

from .factories import make_card


def row(**overrides) -> dict:
    today = clock.today()
    values = dict.fromkeys(HEADER, "")
    values.update(
        number="IM00000001AA",
        person_ref="P-1",
        roman_name="HOUMU TAROU",
        nationality="VNM",
        birth_date="1995-05-05",
        sex="M",
        prefecture="13",
        municipality="13104",
        street="西新宿2-8-1",
        status="student",
        period_of_stay="P1Y3M",
        stay_until=(today + dt.timedelta(days=300)).isoformat(),
        card_valid_until=(today + dt.timedelta(days=300)).isoformat(),
        issued_on=(today - dt.timedelta(days=100)).isoformat(),
        abroad_on_reentry="0",
    )
    values.update(overrides)
    return values


def write(tmp_path, rows, *, bom=False, header=HEADER, name="cards.csv"):
    path = tmp_path / name
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(path, **kwargs):
    rejected = []
    result = import_cards(path, on_reject=rejected.append, **kwargs)
    return result, rejected


def test_ref5_import_creates_cards_and_persons(tmp_path):
    path = write(tmp_path, [row(), row(number="IM00000002AA", person_ref="P-2", sex="F")])
    result, rejected = run(path)
    assert (result.rows, result.created, result.rejected, result.persons_created) == (2, 2, 0, 2)
    card = ResidenceCard.objects.get(number="IM00000001AA")
    assert card.street == "西新宿２−８−１"  # half-width converted (FMT-4)
    assert card.person.reference == "P-1"
    assert card.period_of_stay == "P1Y3M"


def test_ref5_import_is_idempotent(tmp_path):
    path = write(tmp_path, [row(), row(number="IM00000002AA", person_ref="P-2")])
    run(path)
    before = list(ResidenceCard.objects.order_by("id").values())
    events = AuditEvent.objects.count()
    result, rejected = run(path)
    assert (result.created, result.updated, result.unchanged, result.superseded) == (0, 0, 2, 0)
    assert list(ResidenceCard.objects.order_by("id").values()) == before
    assert AuditEvent.objects.count() == events  # nothing written, nothing audited
    assert Person.objects.count() == 2


def test_ref5_import_updates_changed_rows(tmp_path):
    run(write(tmp_path, [row()]))
    result, _ = run(
        write(
            tmp_path,
            [row(street="西新宿3", abroad_on_reentry="1", abroad_since=clock.today().isoformat())],
        )
    )
    assert (result.updated, result.unchanged) == (1, 0)
    card = ResidenceCard.objects.get()
    assert card.street == "西新宿３" and card.abroad_on_reentry
    assert card.abroad_since == clock.today()


def test_ref5_import_with_bom_and_generated_file(tmp_path):
    path = tmp_path / "gen.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_cards_csv(handle, 250, codes=reference_codes(), today=clock.today(), seed=7, bom=True)
    result, rejected = run(path, batch_size=40)
    assert rejected == []
    assert result.rows == 250
    assert result.created == 250
    # Every hundredth row is an older card of the previous person: recorded as superseded.
    assert result.superseded == 2
    assert ResidenceCard.objects.filter(state="invalidated").count() == 2
    assert Person.objects.count() == 248
    again, _ = run(path, batch_size=40)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 250)


def test_ref5_generator_is_deterministic():
    codes, today = reference_codes(), dt.date(2026, 4, 1)
    first, second = io.StringIO(), io.StringIO()
    write_cards_csv(first, 50, codes=codes, today=today, seed=3)
    write_cards_csv(second, 50, codes=codes, today=today, seed=3)
    assert first.getvalue() == second.getvalue()
    other = io.StringIO()
    write_cards_csv(other, 50, codes=codes, today=today, seed=4)
    assert other.getvalue() != first.getvalue()


@pytest.mark.parametrize(
    "overrides, column",
    [
        ({"number": "12345678ABCD"}, "number"),
        ({"status": "no_such_status"}, "status"),
        ({"status": "temporary_visitor"}, "status"),
        ({"nationality": "XYZ"}, "nationality"),
        ({"prefecture": "48"}, "prefecture"),
        ({"municipality": "27127"}, "municipality"),  # Osaka ward in Tokyo
        ({"municipality": "131015"}, "municipality"),  # wrong check digit (13101-6)
        ({"birth_date": "1995/05/05"}, "birth_date"),
        ({"birth_date": "1995-02-30"}, "birth_date"),
        ({"issued_on": ""}, "issued_on"),
        ({"street": "髙田馬場1"}, "street"),
        ({"kanji_name": "𠮷田"}, "kanji_name"),
        ({"roman_name": "ホウム"}, "roman_name"),
        ({"sex": "X"}, "sex"),
        ({"period_of_stay": "3 years"}, "period_of_stay"),
        ({"abroad_on_reentry": "maybe"}, "abroad_on_reentry"),
        ({"person_ref": ""}, "person_ref"),
    ],
)
def test_ref5_import_rejects_bad_rows_with_line_and_reason(tmp_path, overrides, column):
    path = write(tmp_path, [row(number="IM00000009AA", person_ref="P-9"), row(**overrides)])
    result, rejected = run(path)
    assert result.created == 1 and result.rejected == 1
    [item] = rejected
    assert item.line == 3  # header is line 1
    assert column in [c for c, _ in item.errors], item.errors
    assert item.text().startswith("line 3: ")


def test_ref5_import_municipality_with_check_digit_accepted(tmp_path):
    from zairyu.reference.models import local_government_check_digit

    code6 = "13104" + local_government_check_digit("13104")
    result, rejected = run(write(tmp_path, [row(municipality=code6)]))
    assert rejected == [] and ResidenceCard.objects.get().municipality_id == "13104"


def test_ref5_import_rejects_invalid_utf8_line(tmp_path):
    path = write(tmp_path, [row(), row(number="IM00000002AA", person_ref="P-2")])
    data = path.read_bytes().replace("西新宿".encode(), b"\xff\xfe", 1)
    path.write_bytes(data)
    result, rejected = run(path)
    assert [r.line for r in rejected] == [2]
    assert result.created == 1


def test_ref5_import_rejects_wrong_field_count(tmp_path):
    path = write(tmp_path, [row()])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("IM00000003AA,P-3\n")
    result, rejected = run(path)
    assert [r.line for r in rejected] == [3]


def test_ref5_import_missing_column_rejects_whole_file(tmp_path):
    header = [c for c in HEADER if c != "status"]
    path = write(tmp_path, [row()], header=header)
    with pytest.raises(ImportFileError, match="status"):
        run(path)
    assert not ResidenceCard.objects.exists()


def test_ref5_import_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(ImportFileError):
        run(path)


def test_ref5_import_duplicate_number_in_batch(tmp_path):
    path = write(tmp_path, [row(), row(person_ref="P-1", street="別の住所")])
    with translation.override("en"):
        result, rejected = run(path)
        assert [r.line for r in rejected] == [3]
        assert "duplicate of line 2" in rejected[0].text()


def test_ref5_import_refuses_moving_a_card_to_another_person(tmp_path):
    run(write(tmp_path, [row()]))
    result, rejected = run(write(tmp_path, [row(person_ref="P-OTHER")]))
    assert rejected and rejected[0].errors[0][0] == "person_ref"
    assert ResidenceCard.objects.get().person.reference == "P-1"


def test_ref5_import_newer_card_supersedes_registry_card(tmp_path):
    today = clock.today()
    old = make_card(number="OL00000001AA", issued_on=today - dt.timedelta(days=400))
    ref = old.person.reference
    result, rejected = run(write(tmp_path, [row(number="NW00000001AA", person_ref=ref)]))
    assert rejected == []
    old.refresh_from_db()
    assert old.state == "invalidated" and old.invalidation_reason == "superseded"
    new = ResidenceCard.objects.get(number="NW00000001AA")
    assert new.state == "valid" and new.person_id == old.person_id
    assert result.superseded == 1


def test_ref5_import_older_card_is_recorded_as_superseded(tmp_path):
    today = clock.today()
    current = make_card(number="CU00000001AA", issued_on=today - dt.timedelta(days=10))
    older = row(
        number="OL00000002AA",
        person_ref=current.person.reference,
        issued_on=(today - dt.timedelta(days=900)).isoformat(),
    )
    run(write(tmp_path, [older]))
    current.refresh_from_db()
    assert current.state == "valid"
    assert ResidenceCard.objects.get(number="OL00000002AA").state == "invalidated"


def test_ref5_import_two_cards_of_one_person_in_one_batch(tmp_path):
    today = clock.today()
    rows = [
        row(number="NW00000002AA", issued_on=(today - dt.timedelta(days=5)).isoformat()),
        row(number="OL00000003AA", issued_on=(today - dt.timedelta(days=500)).isoformat()),
    ]
    result, rejected = run(write(tmp_path, rows))
    assert rejected == []
    states = dict(ResidenceCard.objects.values_list("number", "state"))
    assert states == {"NW00000002AA": "valid", "OL00000003AA": "invalidated"}


def test_ref5_import_does_not_change_invalidated_cards(tmp_path):
    from zairyu.cards.services import card_invalidate

    run(write(tmp_path, [row()]))
    card_invalidate(actor=None, card=ResidenceCard.objects.get(), reason="died")
    result, rejected = run(write(tmp_path, [row()]))
    assert result.unchanged == 1 and rejected == []
    result, rejected = run(write(tmp_path, [row(street="別の住所")]))
    assert rejected and ResidenceCard.objects.get().state == "invalidated"


def test_ref5_import_batches_audited(tmp_path):
    rows = [row(number=f"IM{i:08d}AA", person_ref=f"P-{i}") for i in range(1, 8)]
    run(write(tmp_path, rows), batch_size=3)
    batches = AuditEvent.objects.filter(action="cards.import.batch").order_by("id")
    assert [e.after["lines"] for e in batches] == [[2, 4], [5, 7], [8, 8]]
    assert sum(e.after["created"] for e in batches) == 7


def test_bo2_import_command_reports(tmp_path):
    path = write(tmp_path, [row(), row(number="bad", person_ref="P-2")])
    rejects = tmp_path / "rejects.csv"
    out = io.StringIO()
    call_command("import_cards", str(path), "--rejects", str(rejects), stdout=out)
    text = out.getvalue()
    assert "rejected line 3: number:" in text
    assert "1 created" in text and "1 rejected" in text
    assert "peak memory" in text
    lines = list(csv.reader(rejects.open(encoding="utf-8")))
    assert lines[0][:3] == ["3", "bad", "number"]
    with pytest.raises(SystemExit) as exc:
        call_command("import_cards", str(path), "--strict", stdout=io.StringIO())
    assert exc.value.code == 3


def test_bo2_import_command_bad_file(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_cards", str(tmp_path / "missing.csv"))
    path = tmp_path / "bad.csv"
    path.write_text("number,foo\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_cards", str(path))


def test_sec3_reimport_while_the_index_key_is_rotated_updates_not_duplicates(tmp_path, settings):
    """A card indexed under the older key is found and updated, never inserted a second time."""
    first, _ = run(write(tmp_path, [row(), row(number="IM00000002AA", person_ref="P-2")]))
    assert first.created == 2
    settings.ZAIRYU_BLIND_INDEX_KEYS = "i2:" + "C" * 43 + "=," + settings.ZAIRYU_BLIND_INDEX_KEYS
    settings.ZAIRYU_ENCRYPTION_KEYS = "t2:" + "D" * 43 + "=," + settings.ZAIRYU_ENCRYPTION_KEYS
    again, rejected = run(
        write(tmp_path, [row(street="西新宿3-1-1"), row(number="IM00000002AA", person_ref="P-2")])
    )
    assert not rejected
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert ResidenceCard.objects.count() == 2
    assert ResidenceCard.objects.get(number="IM00000001AA").street == "西新宿３−１−１"
