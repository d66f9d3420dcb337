"""Production-like settings for the benchmarks in bench/: DEBUG off, plain HTTP on loopback."""

from .base import *  # noqa: F403
from .env import env_list, env_str

SECRET_KEY = env_str("SECRET_KEY", "bench-only-key-not-secret-0123456789abcdefghijklmnopqrst")  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
ROOT_URLCONF = "zairyu.bench_urls"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# SEC-3: the environment's keys, else fixed benchmark keys (not secret).
ZAIRYU_ENCRYPTION_KEYS = env_str(
    "FIELD_ENCRYPTION_KEYS", "b1:Y8ietVax7mYolqwBJxAzYosT8AYhdrqj64FPATAbdkY="
)
ZAIRYU_BLIND_INDEX_KEYS = env_str(
    "BLIND_INDEX_KEYS", "bi1:bikQ8kiN3Gdxo5hW-r8pl4cxBXkOJ1Z4-9sLKze8-2E="
)
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
