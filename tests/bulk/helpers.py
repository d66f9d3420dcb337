"""Test data for bulk filing: organizations, residents with cards, files of rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tests.cards.factories import make_card
from tests.filings.factories import make_organization_account
from zairyu.bulk.kinds import get_kind
from zairyu.bulk.services import bulk_process, bulk_receive, bulk_upload
from zairyu.cards.models import Organization, ResidenceCard
from zairyu.core import clock

_serial = itertools.count(1)

ROSTER = "n_19_17_school_roster"
SCHOOL_START = "n_19_17_school_acceptance_start"
SCHOOL_END = "n_19_17_school_acceptance_end"
ORG_START = "n_19_17_org_acceptance_start"
PROXY_ADDRESS = "n_19_16_proxy_act_address_change"


def university(language: str = "en"):
    return make_organization_account(
        kind=Organization.Kind.UNIVERSITY, name="法務大学", language=language
    )


def students(count: int, *, status: str = "student") -> list[ResidenceCard]:
    """``count`` residents with current cards (students by default)."""
    batch = next(_serial)
    return [
        make_card(
            number=f"B{chr(65 + batch % 26)}{n:08d}ST",
            roman_name=f"GAKUSEI N{batch}X{n}".replace("0", "O")
            .replace("1", "I")
            .replace("2", "Z")
            .replace("3", "E")
            .replace("4", "A")
            .replace("5", "S")
            .replace("6", "G")
            .replace("7", "T")
            .replace("8", "B")
            .replace("9", "P"),
            status_id=status,
            sex="F" if n % 2 else "M",
        )
        for n in range(1, count + 1)
    ]


def card_row(card: ResidenceCard) -> dict[str, str]:
    return {
        "number": card.number,
        "roman_name": card.roman_name,
        "nationality": card.nationality_id,
        "birth_date": card.birth_date.isoformat(),
        "sex": card.sex,
    }


def face_row(card: ResidenceCard) -> dict[str, str]:
    return {**card_row(card), "prefecture": card.prefecture_id, "address": "千代田区霞が関１−１−１"}


def headers(kind_key: str, user, language: str = "en") -> list[tuple[str, str]]:
    """(column name, header label) of a kind's template in ``language``."""
    with translation.override(language):
        return [(c.name, c.label) for c in get_kind(kind_key).columns(user)]


def csv_file(
    kind_key: str,
    user,
    rows: list[dict],
    *,
    encoding: str = "utf-8-sig",
    language: str = "en",
    drop: tuple[str, ...] = (),
    extra_header: tuple[str, ...] = (),
) -> bytes:
    cols = [(n, label) for n, label in headers(kind_key, user, language) if n not in drop]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for _n, label in cols] + list(extra_header))
    for row in rows:
        writer.writerow([row.get(n, "") for n, _label in cols])
    return out.getvalue().encode(encoding)


def xlsx_file(kind_key: str, user, rows: list[dict], *, language: str = "en") -> bytes:
    cols = headers(kind_key, user, language)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([label for _n, label in cols])
    for row in rows:
        values = []
        for name, _label in cols:
            value = row.get(name, "")
            if name.endswith("date") and value and not str(value).startswith("="):
                value = dt.date.fromisoformat(value)  # Excel dates, as users type them
            values.append(value)
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(user, kind_key: str, content: bytes, name: str = "rows.csv", **options):
    return bulk_upload(
        user=user,
        file=SimpleUploadedFile(name, content),
        kind=kind_key,
        options=options,
    )


def upload_and_read(user, kind_key: str, content: bytes, name: str = "rows.csv", **options):
    """The upload request, then the task's first part: the stored file read (its rows, or a
    reception error found in it), nothing filed yet."""
    job = upload(user, kind_key, content, name, **options)
    if job.state == "received":
        bulk_receive(job=job)
        job.refresh_from_db()
    return job


def upload_and_process(user, kind_key: str, content: bytes, name: str = "rows.csv", **options):
    job = upload(user, kind_key, content, name, **options)
    if job.state == "received":
        bulk_process(job_id=job.pk)
        job.refresh_from_db()
    return job


def as_of() -> str:
    today = clock.today()
    year = today.year if today >= dt.date(today.year, 5, 1) else today.year - 1
    may = dt.date(year, 5, 1)
    november = dt.date(year, 11, 1)
    return (november if november <= today else may).isoformat()


def days_ago(n: int) -> str:
    return (clock.today() - dt.timedelta(days=n)).isoformat()


def start_rows(cards) -> list[dict[str, str]]:
    """Rows of the school acceptance start template for ``cards``, started three days ago."""
    return [{**face_row(c), "start_date": days_ago(3)} for c in cards]
