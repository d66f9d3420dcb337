"""Model fields stored encrypted (SEC-3) and the blind index beside them; see ``core.crypto``.

An encrypted field behaves like its plain counterpart in Python (a ``str``, a ``date``, a JSON
value) and is a ``text`` column of ciphertext in the database. Only ``isnull`` can be asked of
it in a query — and, for a field declared with ``blind_index=``, ``exact`` and ``in``, which
compare the ``BlindIndexField`` beside it (``filter(number="AB12345678CD")`` and
``filter(card__number=…)`` read the index, one indexed query). Any other lookup
(``contains``, ``__year``, a JSON key) raises FieldError at once, because on ciphertext it
would silently match nothing.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import FieldError
from django.db import models
from django.db.models import Lookup

from . import crypto


class _Encrypted:
    """Mixin: ciphertext in a text column, the plain value in Python."""

    def db_type(self, connection):
        return connection.data_types["TextField"]

    def get_internal_type(self) -> str:
        # Text for the backend: no date or JSON conversion of the stored string.
        return "TextField"

    def rel_db_type(self, connection):  # pragma: no cover - never a foreign key target
        return self.db_type(connection)

    @property
    def encryption_context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def to_text(self, value) -> str:
        raise NotImplementedError

    def from_text(self, text: str):
        raise NotImplementedError

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return self.from_text(crypto.decrypt(value, context=self.encryption_context))

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None or hasattr(value, "as_sql"):
            return value
        return crypto.encrypt(self.to_text(value), context=self.encryption_context)

    def get_db_prep_save(self, value, connection):
        return self.get_db_prep_value(value, connection)

    blind_index: str | None = None

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if self.blind_index and lookup_name in ("exact", "in"):
            return _BlindExact if lookup_name == "exact" else _BlindIn
        return None

    def get_transform(self, name):
        return None

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, f"zairyu.core.encrypted.{type(self).__name__}", args, kwargs


class EncryptedCharField(_Encrypted, models.CharField):
    """A short text (a residence card number), encrypted; ``max_length`` checks the plain text.

    ``blind_index`` names the ``BlindIndexField`` that indexes it, for ``exact``/``in``.
    """

    def __init__(self, *args, blind_index: str | None = None, **kwargs):
        self.blind_index = blind_index
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.blind_index:
            kwargs["blind_index"] = self.blind_index
        return name, path, args, kwargs

    def to_text(self, value) -> str:
        return str(value)

    def from_text(self, text: str) -> str:
        return text


class EncryptedDateField(_Encrypted, models.DateField):
    """A date (a date of birth), encrypted as its ISO form."""

    def __init__(self, *args, **kwargs):
        if kwargs.get("db_index"):
            raise TypeError("An encrypted date cannot be indexed; add a BlindIndexField.")
        super().__init__(*args, **kwargs)

    def to_text(self, value) -> str:
        value = self.to_python(value)
        if isinstance(value, dt.datetime):  # pragma: no cover - to_python gives a date
            value = value.date()
        return value.isoformat()

    def from_text(self, text: str) -> dt.date:
        return dt.date.fromisoformat(text)


class EncryptedJSONField(_Encrypted, models.JSONField):
    """A JSON document (a filing's content, a bulk row, an audit snapshot), encrypted whole."""

    def to_text(self, value) -> str:
        return json.dumps(value, cls=self.encoder, ensure_ascii=False, separators=(",", ":"))

    def from_text(self, text: str):
        return json.loads(text, cls=self.decoder)

    def select_format(self, compiler, sql, params):
        # Plain text on every backend: never the JSON column formatting.
        return sql, params


class BlindIndexField(models.CharField):
    """The keyed blind index of another field's value (``crypto.blind_index``), computed on save.

    ``source`` names the field, ``purpose`` separates the indexes of different kinds of value.
    The value is indexed as ``str()`` of the source (``isoformat`` for dates): callers must
    store normalised values and look up with ``crypto.blind_indexes(purpose, normalised)``.
    """

    def __init__(self, *args, source: str, purpose: str, **kwargs):
        self.source = source
        self.purpose = purpose
        kwargs.setdefault("max_length", 49)  # key id (16) + "." + 32 hex digits
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, purpose=self.purpose)
        if kwargs.get("max_length") == 49:
            del kwargs["max_length"]
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    @staticmethod
    def text(value) -> str:
        return value.isoformat() if isinstance(value, dt.date) else str(value)

    def index_of(self, value) -> str | None:
        if value is None or value == "":
            return None
        return crypto.blind_index(self.purpose, self.text(value))

    def pre_save(self, model_instance, add):
        value = self.index_of(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


class _BlindLookup(Lookup):
    """``exact``/``in`` on an encrypted field, compiled as the same test on its blind index
    (of the same table alias), under every active index key."""

    prepare_rhs = False
    can_use_none_as_rhs = False

    def values(self) -> list[str]:
        raise NotImplementedError

    def as_sql(self, compiler, connection):
        if hasattr(self.rhs, "resolve_expression"):
            raise FieldError("An encrypted field can only be compared with plain values.")
        field = self.lhs.output_field
        index = field.model._meta.get_field(field.blind_index)
        column, params = compiler.compile(index.get_col(self.lhs.alias))
        values = [
            i for v in self.values() for i in crypto.blind_indexes(index.purpose, index.text(v))
        ]
        if not values:
            return "1 = 0", []
        return f"{column} IN ({', '.join(['%s'] * len(values))})", [*params, *values]


class _BlindExact(_BlindLookup):
    lookup_name = "exact"

    def values(self) -> list[str]:
        return [self.rhs]


class _BlindIn(_BlindLookup):
    lookup_name = "in"

    def values(self) -> list[str]:
        return list(dict.fromkeys(self.rhs))


# --- Migrations -------------------------------------------------------------------------------


def encrypt_existing_rows(
    app_label: str,
    model_name: str,
    fields: tuple[str, ...],
    *,
    indexes: dict[str, tuple[str, object]] | None = None,
    also: tuple[str, ...] = (),
    batch: int = 2000,
):
    """A ``RunPython`` step that encrypts the plain values already in ``fields``' columns.

    For the migration that turns plain columns into encrypted ones: reads each row's text in
    raw SQL (the historical model would try to decrypt it), skips values that already are
    ciphertext, writes the ciphertext, and fills ``indexes`` — ``{index field: (purpose,
    extract)}``, where ``extract`` turns the row's plain texts (a dict of ``fields`` and the
    plain columns ``also``) into the indexed value or None. Idempotent; works on an empty
    table without keys.
    """
    indexes = indexes or {}

    def run(apps, schema_editor) -> None:
        model = apps.get_model(app_label, model_name)
        meta = model._meta
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        label = f"{app_label}.{model_name.lower()}"
        columns = [meta.get_field(name).column for name in fields]
        extra = [meta.get_field(name).column for name in also]
        index_columns = [meta.get_field(name).column for name in indexes]
        table, pk = quote(meta.db_table), quote(meta.pk.column)
        select = ", ".join(quote(c) for c in [*columns, *extra])
        assignments = ", ".join(f"{quote(c)} = %s" for c in [*columns, *index_columns])
        last = None
        while True:
            with connection.cursor() as cursor:
                where = "" if last is None else f"WHERE {pk} > %s"
                cursor.execute(
                    f"SELECT {pk}, {select} FROM {table} {where} "  # noqa: S608
                    f"ORDER BY {pk} LIMIT {int(batch)}",
                    [] if last is None else [last],
                )
                rows = cursor.fetchall()
            if not rows:
                return
            updates = []
            for pk_value, *values in rows:
                plain = dict(zip((*fields, *also), values, strict=True))
                stored = []
                for name in fields:
                    value = plain[name]
                    if value is None:
                        stored.append(None)
                        continue
                    text = value if isinstance(value, str) else _plain_text(value)
                    if text.startswith(crypto.PREFIX + "."):
                        text = crypto.decrypt(text, context=f"{label}.{name}")
                        plain[name] = text
                        stored.append(value)
                    else:
                        plain[name] = text
                        stored.append(crypto.encrypt(text, context=f"{label}.{name}"))
                for purpose, extract in indexes.values():
                    indexed = extract(plain)
                    stored.append(None if indexed is None else crypto.blind_index(purpose, indexed))
                updates.append([*stored, pk_value])
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                    updates,
                )
            last = rows[-1][0]

    return run


def _plain_text(value) -> str:
    """A value the driver gave for a column that was not yet text (a date, a JSON object)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def column(name: str):
    """``extract`` for an index of one column's plain text."""
    return lambda row: row.get(name) or None


def resident_card_number(row: dict) -> str | None:
    """``extract`` for a filing's index: the resident's card number in its content."""
    content = json.loads(row["content"])
    resident = content.get("resident") if isinstance(content, dict) else None
    return (resident or {}).get("card_number") or None
