"""SEC-7: structured logs — one JSON object per line in production, plain text on request."""

import json
import logging

import pytest

from tests.test_settings import GOOD_ENV, manage
from zairyu.core.logs import JsonFormatter


def _line(record: logging.LogRecord) -> dict:
    text = JsonFormatter().format(record)
    assert "\n" not in text
    return json.loads(text)


def _record(message="Job %s done", args=(12,), **extra) -> logging.LogRecord:
    record = logging.LogRecord("zairyu.bulk", logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_sec7_log_line_is_one_json_object_with_the_fields():
    entry = _line(_record(job=12, rows=300, who="法務大学"))
    assert entry["level"] == "INFO" and entry["logger"] == "zairyu.bulk"
    assert entry["message"] == "Job 12 done"
    assert entry["time"].endswith("+00:00") and "T" in entry["time"]
    assert (entry["job"], entry["rows"], entry["who"]) == (12, 300, "法務大学")


def test_sec7_exception_and_unserialisable_extra_kept():
    try:
        raise ValueError("bad row")
    except ValueError:
        import sys

        record = _record(exc_info=sys.exc_info(), obj=object())
        record.exc_info = record.__dict__.pop("exc_info")
    entry = _line(record)
    assert "ValueError: bad row" in entry["exception"]
    assert entry["obj"].startswith("<object object")


def test_sec7_a_message_with_newlines_stays_one_line():
    entry = _line(_record("first\nsecond", ()))
    assert entry["message"] == "first\nsecond"


def _formatter(env: dict) -> str:
    code = (
        "from django.conf import settings; "
        "print(settings.LOGGING['handlers']['console']['formatter'])"
    )
    result = manage("shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_sec7_production_logs_json_unless_told_plain():
    assert _formatter(GOOD_ENV) == "json"
    assert _formatter({**GOOD_ENV, "LOG_FORMAT": "plain"}) == "plain"


@pytest.mark.parametrize("value", ["xml", "JSONL"])
def test_sec7_unknown_log_format_stops_start_up(value):
    result = manage("check", env={**GOOD_ENV, "LOG_FORMAT": value})
    assert result.returncode != 0
    assert "LOG_FORMAT must be one of plain, json" in result.stderr


def test_sec7_production_process_writes_json_lines():
    code = (
        "import logging; "
        "logging.getLogger('zairyu.test').warning('hi %s', 'there', extra={'job': 7})"
    )
    result = manage("shell", "--no-imports", "-c", code, env=GOOD_ENV)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    entry = next(e for e in lines if e["logger"] == "zairyu.test")
    assert (entry["level"], entry["message"], entry["job"]) == ("WARNING", "hi there", 7)
