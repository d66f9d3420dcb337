"""Production-like settings for the benchmarks in bench/: DEBUG off, plain HTTP on loopback."""

from .base import *  # noqa: F403
from .env import env_list, env_str

SECRET_KEY = env_str("SECRET_KEY", "bench-only-key-not-secret-0123456789abcdefghijklmnopqrst")  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
ROOT_URLCONF = "zairyu.bench_urls"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
