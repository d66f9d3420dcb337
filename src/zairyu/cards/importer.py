"""Bulk import of the card registry from CSV (REF-5, BO-2): streaming, batched, idempotent.

The file is read row by row (never whole) and written in batches, each in its own transaction
with one audit event, so memory stays constant whatever the file's size and an interrupted
import can simply be run again. Columns are described in ``COLUMNS`` and docs/cards-import.md.

Per batch: three reads (cards by number, persons by reference, other valid cards of those
persons) and at most three writes (new persons, invalidation of superseded cards, one
``INSERT … ON CONFLICT (number) DO UPDATE`` for new and changed cards). Rows equal to what the
registry holds are not written at all, so re-running a file changes nothing.

Several cards of one person: the card issued last is the valid one (a later line wins a tie);
the others are recorded as invalidated ("superseded"). This holds across batches and against
the registry, so a daily file that carries renewals needs nothing special.

Not detected: the same card number twice in one file more than one batch apart (the later line
counts as an update of the earlier). Within a batch, the later line is rejected as a duplicate.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from zairyu.audit.services import audit_record
from zairyu.core import clock, crypto

from .models import Person, ResidenceCard
from .rules import CardData, PreloadedReferences, References, clean_card_data

# (column, required in the header, description) — the command's help and the docs list these.
COLUMNS: tuple[tuple[str, bool, str], ...] = (
    ("number", True, "card number, 2 letters + 8 digits + 2 letters (AB12345678CD)"),
    ("person_ref", True, "the agency's stable identifier of the person (same for every card)"),
    ("roman_name", True, "name in roman letters as printed (HOUMU TAROU)"),
    ("kanji_name", False, "name in kanji, JIS X 0208 characters; may be empty"),
    ("nationality", True, "ISO 3166-1 alpha-3 code (CHN, VNM, ...)"),
    ("birth_date", True, "YYYY-MM-DD"),
    ("sex", True, "M or F"),
    ("prefecture", True, "JIS prefecture code, 01 to 47"),
    ("municipality", False, "5-digit local government code (6 with check digit accepted)"),
    ("street", True, "town, block, number; half-width is converted to full-width"),
    ("status", True, "status of residence code (engineer_humanities_international, ...)"),
    ("period_of_stay", True, "ISO 8601 duration (P5Y, P1Y6M, P90D); empty when unlimited"),
    ("stay_until", True, "last day of the period of stay, YYYY-MM-DD; empty when unlimited"),
    ("card_valid_until", True, "YYYY-MM-DD"),
    ("issued_on", True, "YYYY-MM-DD"),
    ("abroad_on_reentry", False, "1/true when abroad on a re-entry permit; 0/false/empty"),
    ("abroad_since", False, "departure date YYYY-MM-DD when abroad on re-entry"),
    ("last_moving_in_on", False, "date of the latest moving-in notification, YYYY-MM-DD"),
    ("representative_name", False, "legal representative of a minor or ward"),
    ("representative_relationship", False, "relationship of the legal representative"),
)
REQUIRED_COLUMNS = [name for name, required, _ in COLUMNS if required]
KNOWN_COLUMNS = {name for name, _, _ in COLUMNS}
DEFAULT_BATCH = 5000
TRUE = {"1", "true", "yes", "y", "t"}
FALSE = {"", "0", "false", "no", "n", "f"}

State = ResidenceCard.State
WRITE_FIELDS = [
    *ResidenceCard.DATA_FIELDS,
    "birth_date_index",
    "abroad_since",
    "state",
    "invalidated_at",
    "invalidation_reason",
    "updated_at",
]
INSERT_COLUMNS = [
    "number",
    "number_index",
    "person_id",
    *WRITE_FIELDS,
    "invalidation_note",
    "created_at",
]
# SEC-3: written as the model writes them (ciphertext, blind indexes) on the COPY path too.
STORED_COLUMNS = ("number", "number_index", "birth_date", "birth_date_index")


def _msg_other_person() -> str:
    return _("this card number is registered to another person; card numbers never change hands")


def _msg_invalidated() -> str:
    return _("this card is invalidated in the registry; the import does not change it")


class ImportFileError(Exception):
    """The file as a whole cannot be imported (missing columns, unreadable)."""


@dataclass
class Rejected:
    line: int
    number: str
    errors: list[tuple[str, str]]  # (column, message)

    def text(self) -> str:
        reasons = "; ".join(f"{column}: {message}" for column, message in self.errors)
        return f"line {self.line}: {reasons}"


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0
    rejected: int = 0
    persons_created: int = 0
    sha256: str = ""

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class _Row:
    line: int
    person_ref: str
    data: CardData
    abroad_since: dt.date | None
    state: str = State.VALID


@dataclass
class _Batch:
    rows: list[_Row] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    records: int = 0
    first_line: int = 0
    last_line: int = 0

    def reject(self, row: _Row, column: str, message: str) -> None:
        self.rejected.append(Rejected(row.line, row.data.number, [(column, message)]))


# --- Reading ---------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_csv(path: Path) -> io.TextIOWrapper:
    """Open a UTF-8 file, with or without BOM; undecodable bytes become U+FFFD (row rejected)."""
    return open(path, encoding="utf-8-sig", errors="replace", newline="")  # noqa: SIM115


def read_header(reader) -> list[str]:
    """Read and check the header line; raise ImportFileError naming missing columns."""
    try:
        header = next(reader)
    except StopIteration as exc:
        raise ImportFileError(
            _("The file is empty: the first line must name the columns.")
        ) from exc
    header = [column.strip().lower() for column in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportFileError(
            _("The header line lacks these columns: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if duplicated:
        raise ImportFileError(
            _("These columns appear more than once: %(columns)s.")
            % {"columns": ", ".join(duplicated)}
        )
    return header


def _date(value: str, column: str, errors: list) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        if len(value) != 10 or value[4] != "-":
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(
            (column, _("not a date in the form YYYY-MM-DD: %(value)s") % {"value": value})
        )
        return None


def _municipality(value: str, column: str, errors: list) -> str | None:
    from zairyu.reference.models import local_government_check_digit

    value = value.strip()
    if not value:
        return None
    if len(value) == 6 and value.isdigit():
        if local_government_check_digit(value[:5]) != value[5]:
            errors.append((column, _("the check digit of %(value)s is wrong") % {"value": value}))
            return None
        return value[:5]
    return value


def parse_row(
    line: int, record: dict[str, str], *, refs: References, today: dt.date
) -> _Row | Rejected:
    """Turn one CSV record into a checked row, or a rejection listing every problem."""
    get = record.get
    number = (get("number") or "").strip()
    errors: list[tuple[str, str]] = []
    if "\ufffd" in "".join(value or "" for value in record.values()):
        return Rejected(line, number, [("", _("the line is not valid UTF-8"))])
    required_dates = {}
    for column in ("birth_date", "card_valid_until", "issued_on"):
        required_dates[column] = _date(get(column) or "", column, errors)
        if required_dates[column] is None and not any(c == column for c, _m in errors):
            errors.append((column, _("required")))
    stay_until = _date(get("stay_until") or "", "stay_until", errors)
    moving_in = _date(get("last_moving_in_on") or "", "last_moving_in_on", errors)
    abroad_since = _date(get("abroad_since") or "", "abroad_since", errors)
    abroad_text = (get("abroad_on_reentry") or "").strip().lower()
    if abroad_text not in TRUE | FALSE:
        errors.append(("abroad_on_reentry", _("use 1 or 0")))
    person_ref = (get("person_ref") or "").strip()
    if not person_ref or len(person_ref) > 32:
        errors.append(("person_ref", _("required, at most 32 characters")))
    municipality = _municipality(get("municipality") or "", "municipality", errors)
    if errors:
        return Rejected(line, number, errors)
    data = CardData(
        number=number,
        roman_name=get("roman_name") or "",
        kanji_name=get("kanji_name") or "",
        nationality_id=(get("nationality") or "").strip().upper(),
        birth_date=required_dates["birth_date"],
        sex=(get("sex") or "").strip().upper(),
        prefecture_id=(get("prefecture") or "").strip(),
        municipality_id=municipality,
        street=get("street") or "",
        status_id=(get("status") or "").strip(),
        period_of_stay=get("period_of_stay") or "",
        stay_until=stay_until,
        card_valid_until=required_dates["card_valid_until"],
        issued_on=required_dates["issued_on"],
        abroad_on_reentry=abroad_text in TRUE,
        last_moving_in_on=moving_in,
        representative_name=get("representative_name") or "",
        representative_relationship=get("representative_relationship") or "",
    )
    try:
        data = clean_card_data(data, refs=refs, today=today)
    except ValidationError as exc:
        return Rejected(
            line,
            number,
            [
                (column, str(message))
                for column, messages in exc.message_dict.items()
                for message in messages
            ],
        )
    return _Row(
        line=line,
        person_ref=person_ref,
        data=data,
        abroad_since=abroad_since if data.abroad_on_reentry else None,
    )


# --- Writing ---------------------------------------------------------------------------------


def _values(row: _Row) -> tuple:
    data = row.data
    return (*(getattr(data, f) for f in ResidenceCard.DATA_FIELDS), row.abroad_since)


def _write_batch(batch: _Batch, result: ImportResult, *, source: str, actor) -> None:
    """Write one batch in one transaction (see the module docstring for the queries)."""
    now = clock.now()
    rows, numbers = _without_duplicates(batch)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "superseded": 0, "persons": 0}
    with transaction.atomic():
        _reindex_under_newest_key(numbers)
        existing = _registered_cards(numbers)
        refs = {row.person_ref for row in rows}
        persons = dict(
            Person.objects.filter(reference__in=refs).order_by().values_list("reference", "id")
        )
        accepted = _accepted_rows(batch, rows, existing)
        supersede_ids = _superseded_cards(accepted, existing, persons)
        if supersede_ids:
            counts["superseded"] += ResidenceCard.objects.filter(
                id__in=supersede_ids, state=State.VALID
            ).update(
                state=State.INVALIDATED,
                invalidated_at=now,
                invalidation_reason=ResidenceCard.InvalidationReason.SUPERSEDED,
                updated_at=now,
            )
        counts["persons"] = _create_persons(accepted, persons, now)
        to_write = _cards_to_write(accepted, existing, persons, now, counts)
        if to_write:
            _upsert_cards(to_write)
        if to_write or supersede_ids or batch.rejected:
            _audit_batch(batch, counts, source=source, actor=actor)
    # Counted only once the transaction has committed.
    result.created += counts["created"]
    result.updated += counts["updated"]
    result.unchanged += counts["unchanged"]
    result.superseded += counts["superseded"]
    result.persons_created += counts["persons"]


def _without_duplicates(batch: _Batch) -> tuple[list[_Row], list[str]]:
    """The batch's rows with a card number the batch has not had yet (a later line with the
    same number is rejected as a duplicate), and those numbers."""
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for row in batch.rows:
        if row.data.number in seen:
            line = seen[row.data.number]
            batch.reject(row, "number", _("duplicate of line %(line)d") % {"line": line})
        else:
            seen[row.data.number] = row.line
            rows.append(row)
    return rows, list(seen)


def _registered_cards(numbers: list[str]) -> dict[str, tuple]:
    """{number: (number, id, person reference, state, *DATA_FIELDS, abroad_since)}."""
    return {
        values[0]: values
        # order_by(): no sort (the model's default ordering would sort every batch).
        for values in ResidenceCard.objects.filter(number__in=numbers)
        .order_by()
        .values_list(
            "number",
            "id",
            "person__reference",
            "state",
            *ResidenceCard.DATA_FIELDS,
            "abroad_since",
        )
    }


def _accepted_rows(batch: _Batch, rows: list[_Row], existing: dict[str, tuple]) -> list[_Row]:
    """The rows the registry lets through: a new card, or a card of the same person that is
    valid (or invalidated and unchanged); the others are rejected."""
    accepted: list[_Row] = []
    for row in rows:
        old = existing.get(row.data.number)
        if old is None:
            accepted.append(row)
            continue
        if old[2] != row.person_ref:
            batch.reject(row, "person_ref", _msg_other_person())
            continue
        row.state = old[3]
        if old[3] == State.INVALIDATED and tuple(old[4:]) != _values(row):
            batch.reject(row, "number", _msg_invalidated())
            continue
        accepted.append(row)
    return accepted


def _superseded_cards(
    accepted: list[_Row], existing: dict[str, tuple], persons: dict[str, int]
) -> list[int]:
    """Several cards of one person: the one issued last stays valid (module docstring). Mark
    the batch's other rows invalidated; return the ids of registered cards to invalidate."""
    person_ids = [persons[ref] for ref in {r.person_ref for r in accepted} if ref in persons]
    held: dict[int, list[tuple]] = {}
    for card_id, person_id, number, issued_on in (
        ResidenceCard.objects.filter(person_id__in=person_ids, state=State.VALID)
        .order_by()
        .values_list("id", "person_id", "number", "issued_on")
    ):
        held.setdefault(person_id, []).append((card_id, number, issued_on))
    by_person: dict[str, list[_Row]] = {}
    for row in accepted:
        if row.state == State.VALID:
            by_person.setdefault(row.person_ref, []).append(row)
    supersede_ids: list[int] = []
    for ref, candidates in by_person.items():
        in_batch = {r.data.number for r in candidates}
        registry = [
            (issued_on, -1, None, card_id)
            for card_id, number, issued_on in held.get(persons.get(ref, -1), [])
            if number not in in_batch
        ]
        ranked = registry + [(r.data.issued_on, r.line, r, None) for r in candidates]
        winner = max(ranked, key=lambda item: (item[0], item[1]))
        for issued_on, line, row, card_id in ranked:
            if (issued_on, line) == (winner[0], winner[1]):
                continue
            if row is not None:
                row.state = State.INVALIDATED
                if row.data.number in existing:
                    supersede_ids.append(existing[row.data.number][1])
            else:
                supersede_ids.append(card_id)
    return supersede_ids


def _create_persons(accepted: list[_Row], persons: dict[str, int], now: dt.datetime) -> int:
    """Create the persons the registry does not know yet (``persons`` gets their ids)."""
    new_refs = sorted({row.person_ref for row in accepted} - persons.keys())
    if not new_refs:
        return 0
    created_persons = Person.objects.bulk_create(
        [Person(reference=ref, created_at=now) for ref in new_refs],
        update_conflicts=True,
        unique_fields=["reference"],
        update_fields=["reference"],
    )
    persons.update({p.reference: p.pk for p in created_persons})
    return len(new_refs)


def _cards_to_write(
    accepted: list[_Row],
    existing: dict[str, tuple],
    persons: dict[str, int],
    now: dt.datetime,
    counts: dict[str, int],
) -> list[dict]:
    """The new and changed cards as rows to upsert (rows equal to the registry are counted
    unchanged and not written)."""
    to_write: list[dict] = []
    for row in accepted:
        old = existing.get(row.data.number)
        superseded_now = row.state == State.INVALIDATED and (old is None or old[3] == State.VALID)
        if old is not None and tuple(old[4:]) == _values(row) and not superseded_now:
            counts["unchanged"] += 1
            continue
        if old is None:
            counts["created"] += 1
            if superseded_now:
                counts["superseded"] += 1
        else:
            counts["updated"] += 1
        invalid = row.state == State.INVALIDATED
        to_write.append(
            {
                **row.data.model_fields(),
                "person_id": persons[row.person_ref],
                "abroad_since": row.abroad_since,
                "state": row.state,
                "invalidated_at": now if invalid else None,
                "invalidation_reason": (
                    ResidenceCard.InvalidationReason.SUPERSEDED if invalid else ""
                ),
                "invalidation_note": "",
                "created_at": now,
                "updated_at": now,
            }
        )
    return to_write


def _audit_batch(batch: _Batch, counts: dict[str, int], *, source: str, actor) -> None:
    audit_record(
        action="cards.import.batch",
        actor=actor,
        object_type="cards.import",
        object_id=source[:64],
        after={
            "lines": [batch.first_line, batch.last_line],
            "created": counts["created"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
            "superseded": counts["superseded"],
            "rejected": len(batch.rejected),
            "rejected_lines": [r.line for r in batch.rejected][:100],
        },
    )


def _upsert_cards(rows: list[dict]) -> None:
    """Insert new cards and update changed ones in one statement (ON CONFLICT (number)).

    On PostgreSQL the rows go in with COPY into a temporary table and one
    ``INSERT … SELECT … ON CONFLICT DO UPDATE``: no per-row parameters to adapt, no model
    instances to build. Elsewhere ``bulk_create(update_conflicts=True)`` does the same.
    """
    if connection.vendor != "postgresql":
        ResidenceCard.objects.bulk_create(
            [ResidenceCard(**row) for row in rows],
            update_conflicts=True,
            unique_fields=["number_index"],
            update_fields=WRITE_FIELDS,
        )
        return
    quote = connection.ops.quote_name
    table = quote(ResidenceCard._meta.db_table)
    columns = ", ".join(quote(c) for c in INSERT_COLUMNS)
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in WRITE_FIELDS)
    # Identifiers only from the constants above, quoted; values go through COPY.
    create = f"CREATE TEMPORARY TABLE cards_import_stage ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608, E501
    insert = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM cards_import_stage ON CONFLICT (number_index) DO UPDATE SET {updates}"  # noqa: S608, E501
    with connection.cursor() as cursor:
        cursor.execute(create)
        with cursor.copy(f"COPY cards_import_stage ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_stored(row, c) for c in INSERT_COLUMNS])
        cursor.execute(insert)
        cursor.execute("DROP TABLE cards_import_stage")


def _reindex_under_newest_key(numbers: list[str]) -> None:
    """While an index key is being rotated, give the batch's existing cards their index under
    the newest key first: the upsert's conflict target is that index, so a card still indexed
    under an older key would otherwise be inserted a second time."""
    if len(crypto.keyring().blind_index) < 2 or not numbers:
        return
    newest = crypto.keyring().current_index.id + "."
    stale = (
        ResidenceCard.objects.filter(number__in=numbers)
        .exclude(number_index__startswith=newest)
        .only("id", "number")
    )
    for card in stale:
        ResidenceCard.objects.filter(pk=card.pk).update(
            number_index=crypto.blind_index("card-number", card.number)
        )


def _stored(row: dict, column: str):
    """The value of ``column`` as the database holds it (the model's own conversions for the
    encrypted number and birth date and their blind indexes)."""
    if column not in STORED_COLUMNS:
        return row[column]
    field = ResidenceCard._meta.get_field(column)
    if column.endswith("_index"):
        return field.index_of(row[field.source])
    return field.get_db_prep_save(row[column], connection)


# --- The import ------------------------------------------------------------------------------


def import_cards(
    path: Path,
    *,
    batch_size: int = DEFAULT_BATCH,
    actor=None,
    on_reject: Callable[[Rejected], None] | None = None,
    on_progress: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Import a CSV file of cards; return the counts. Raises ImportFileError for the whole file.

    ``on_reject`` is called for each rejected line (in batch order), ``on_progress`` after each
    batch. Batches already written stay written if a later one fails; run the file again.
    """
    result = ImportResult(sha256=file_sha256(path))
    source = f"{path.name}:{result.sha256[:16]}"
    refs = PreloadedReferences()
    today = clock.today()
    with open_csv(path) as handle:
        reader = csv.reader(handle)
        header = read_header(reader)
        for batch in _batches(reader, header, batch_size, refs=refs, today=today):
            _write_batch(batch, result, source=source, actor=actor)
            batch.rejected.sort(key=lambda r: r.line)
            result.rejected += len(batch.rejected)
            result.rows += batch.records
            if on_reject:
                for rejected in batch.rejected:
                    on_reject(rejected)
            if on_progress:
                on_progress(result)
    return result


def _batches(
    reader, header: list[str], batch_size: int, *, refs: References, today: dt.date
) -> Iterator[_Batch]:
    batch = _Batch()
    width = len(header)
    for record in reader:
        line = reader.line_num
        if not any(value.strip() for value in record):
            continue  # blank line
        if not batch.first_line:
            batch.first_line = line
        batch.last_line = line
        batch.records += 1
        if len(record) != width:
            batch.rejected.append(
                Rejected(
                    line,
                    record[0] if record else "",
                    [
                        (
                            "",
                            _("%(found)d fields where the header has %(expected)d")
                            % {"found": len(record), "expected": width},
                        )
                    ],
                )
            )
        else:
            parsed = parse_row(line, dict(zip(header, record, strict=True)), refs=refs, today=today)
            if isinstance(parsed, Rejected):
                batch.rejected.append(parsed)
            else:
                batch.rows.append(parsed)
        if batch.records >= batch_size:
            yield batch
            batch = _Batch()
    if batch.records:
        yield batch


def write_rejects(rejected: Iterable[Rejected], handle) -> None:
    """Write rejected lines as CSV: line, number, column, reason (one row per problem)."""
    writer = csv.writer(handle)
    for item in rejected:
        for column, message in item.errors:
            writer.writerow([item.line, item.number, column, message])
