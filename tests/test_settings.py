"""Production settings refuse to start unconfigured and pass `check --deploy`; durability."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
GOOD_ENV = {
    "DJANGO_SETTINGS_MODULE": "zairyu.settings.production",
    "SECRET_KEY": "x7#k2!p9@vQz$Lm4^rT8&wB1*nC6(yF3)hJ5_dG0+sA2-eK9=uM7",
    "ALLOWED_HOSTS": "zairyu.example.jp",
    "DATABASE_URL": "postgres://zairyu@db.internal:5432/zairyu",
    "SITE_URL": "https://zairyu.example.jp",
    "DEFAULT_FROM_EMAIL": "Zairyu <no-reply@zairyu.example.jp>",
    "HELPDESK_NAME": "Zairyu helpdesk",
    "HELPDESK_PHONE": "0570-000-000",
    "HELPDESK_EMAIL": "helpdesk@zairyu.example.jp",
    "HELPDESK_HOURS": "9:00-17:00",
    "FIELD_ENCRYPTION_KEYS": "p1:K2r0p3m8dYp9m3n6Qf4w1w3y8u5t2r7e9q0a1s2d3f4=",
    "BLIND_INDEX_KEYS": "q1:Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGw=",
}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in GOOD_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=GOOD_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "SITE_URL", "HELPDESK_PHONE"]
)
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in GOOD_ENV.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert f"The environment variable {missing} must be set" in result.stderr


@pytest.mark.parametrize("missing", ["FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEYS"])
def test_sec3_production_refuses_to_start_without_keys(missing):
    env = {k: v for k, v in GOOD_ENV.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEYS (or KEY_FILE) must be set" in result.stderr


def test_sec3_production_refuses_a_malformed_key_without_showing_it():
    env = {**GOOD_ENV, "FIELD_ENCRYPTION_KEYS": "p1:c2hvcnQ="}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "the key of entry 1 (p1) must be 32 bytes" in result.stderr
    assert "c2hvcnQ" not in result.stderr


def test_sec3_production_reads_the_keys_from_a_key_file(tmp_path):
    key_file = tmp_path / "keys.json"
    key_file.write_text(
        json.dumps(
            {
                "encryption": GOOD_ENV["FIELD_ENCRYPTION_KEYS"],
                "blind_index": GOOD_ENV["BLIND_INDEX_KEYS"],
            }
        )
    )
    env = {
        k: v for k, v in GOOD_ENV.items() if k not in ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEYS")
    }
    result = manage("check", env={**env, "KEY_FILE": str(key_file)})
    assert result.returncode == 0, result.stderr


def test_sqlite_runs_in_wal_mode_with_full_sync(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite durability settings; this run uses " + connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_postgresql_connections_are_health_checked():
    from zairyu.settings.base import database_config

    config = database_config("postgres://u@h:5432/d")
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["CONN_MAX_AGE"] > 0


def test_time_zone_is_tokyo_and_aware():
    from django.conf import settings

    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ is True
