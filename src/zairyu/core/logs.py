"""Structured logs (SEC-7): one JSON object per line, for a log collector to parse.

``LOG_FORMAT=json`` (the production default) selects ``JsonFormatter`` for the console handler;
``plain`` keeps ``time LEVEL logger message`` for a person reading a terminal. Fields: ``time``
(ISO 8601, UTC), ``level``, ``logger``, ``message``; ``exception`` with the traceback when there
is one; and whatever the caller passed in ``extra=`` (e.g. ``log.info("…", extra={"job": 12})``),
as long as it is JSON-serialisable (else its ``repr``); ``client_address`` when the record
carries the request (``django.request`` does), read as everywhere else (``core.net``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging

# The attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value
        request = getattr(record, "request", None)  # Django's request loggers pass it
        if hasattr(request, "META") and "client_address" not in entry:
            from .net import client_address  # SEC-5: the same address as the audit trail

            entry["client_address"] = client_address(request)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=repr)
