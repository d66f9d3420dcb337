"""Key rotation (SEC-3): re-encrypt stored values and recompute blind indexes under the newest
keys, in resumable batches.

Which rows still need it is read from the stored values themselves — the key id in the clear
in every ciphertext (``zr1.<id>.…``) and every blind index (``<id>.…``) — so an interrupted run
simply starts again where the rows under old keys remain; nothing else records progress.
Every batch is one transaction that locks its rows (``select_for_update``), so a user's change
made while the batch runs is never overwritten with the older value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

from django.apps import apps
from django.db import connection, models, transaction

from . import crypto
from .encrypted import BlindIndexField, _Encrypted


@dataclasses.dataclass(frozen=True)
class Target:
    """A model with encrypted fields and/or blind indexes."""

    model: type[models.Model]
    encrypted: tuple[models.Field, ...]
    indexes: tuple[BlindIndexField, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


@dataclasses.dataclass
class Progress:
    label: str
    done: int
    total: int


def targets() -> list[Target]:
    """Every installed model that stores encrypted values or blind indexes."""
    found = []
    for model in apps.get_models():
        fields = list(model._meta.concrete_fields)
        encrypted = tuple(f for f in fields if isinstance(f, _Encrypted))
        indexes = tuple(f for f in fields if isinstance(f, BlindIndexField))
        if encrypted or indexes:
            found.append(Target(model, encrypted, indexes))
    return found


def _stale_condition(target: Target) -> tuple[str, list]:
    """SQL true for a row holding a value under a key that is not the newest."""
    quote = connection.ops.quote_name
    ring = crypto.keyring()
    parts, params = [], []
    cipher_prefix = f"{crypto.PREFIX}.{ring.current.id}."
    for field in target.encrypted:
        column = quote(field.column)
        parts.append(f"({column} IS NOT NULL AND SUBSTR({column}, 1, %s) <> %s)")
        params += [len(cipher_prefix), cipher_prefix]
    index_prefix = f"{ring.current_index.id}."
    for field in target.indexes:
        column = quote(field.column)
        parts.append(f"({column} IS NOT NULL AND SUBSTR({column}, 1, %s) <> %s)")
        params += [len(index_prefix), index_prefix]
    return " OR ".join(parts), params


def stale_count(target: Target) -> int:
    """How many rows of ``target`` still hold a value under an older key."""
    condition, params = _stale_condition(target)
    table = connection.ops.quote_name(target.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {condition}", params)  # noqa: S608
        return cursor.fetchone()[0]


def _stale_pks(target: Target, *, after, batch: int) -> list:
    condition, params = _stale_condition(target)
    meta = target.model._meta
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    where = f"({condition})" + ("" if after is None else f" AND {pk} > %s")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk} FROM {table} WHERE {where} ORDER BY {pk} LIMIT %s",  # noqa: S608
            [*params, *([] if after is None else [after]), batch],
        )
        return [row[0] for row in cursor.fetchall()]


def _rewrite(target: Target, pks: list) -> None:
    """Re-encrypt and re-index the rows ``pks`` of ``target`` in one locked transaction."""
    meta = target.model._meta
    quote = connection.ops.quote_name
    columns = [*target.encrypted, *target.indexes]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    with transaction.atomic():
        rows = target.model._base_manager.select_for_update().filter(pk__in=pks).order_by()
        updates = []
        for row in rows:
            values = [
                f.get_db_prep_save(getattr(row, f.attname), connection) for f in target.encrypted
            ]
            values += [f.index_of(getattr(row, f.source)) for f in target.indexes]
            updates.append([*values, row.pk])
        with connection.cursor() as cursor:
            cursor.executemany(sql, updates)


def rotate(
    target: Target, *, batch: int = 1000, on_progress: Callable[[Progress], None] | None = None
) -> int:
    """Bring every row of ``target`` under the newest keys; return how many rows were rewritten."""
    total = stale_count(target)
    done, after = 0, None
    while done < total:
        pks = _stale_pks(target, after=after, batch=batch)
        if not pks:
            break
        _rewrite(target, pks)
        done += len(pks)
        after = pks[-1]
        if on_progress is not None:
            on_progress(Progress(target.label, done, total))
    return done


def rotate_all(*, batch: int = 1000, on_progress=None) -> Iterator[tuple[Target, int]]:
    """``rotate`` every target in turn, yielding each with its count."""
    for target in targets():
        yield target, rotate(target, batch=batch, on_progress=on_progress)
