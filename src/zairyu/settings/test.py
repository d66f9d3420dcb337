"""Settings for the test suite: PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set."""

import os
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, STATIC_ROOT, VAR_DIR
from .env import env_str

SECRET_KEY = "test-only-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher"
]  # speed; Argon2 in its own test
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
STATIC_URL = "/static/"
# SEC-3: fixed keys for the tests (not secret; never used elsewhere).
ZAIRYU_ENCRYPTION_KEYS = "t1:aFsruQ-SVL6FyeFj2XOvGOzO8KIkwQ1snKiQgtnq3IQ="
ZAIRYU_BLIND_INDEX_KEYS = "i1:MI8Gn56Nq3ehpmgLgPKf4eEdEcQU4_v814-RPbwuHmQ="

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: worker processes started by the tests must see the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# Tests run tasks in-process right after commit unless a test starts a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_FOLDER = Path(env_str("CELERY_BROKER_FOLDER", str(VAR_DIR / "test-broker")))
# Each pytest process its own SQLite broker file (never the one of a running `make run`).
CELERY_BROKER_URL = env_str(
    "CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / f'test-broker-{os.getpid()}.sqlite3'}"
)

WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
