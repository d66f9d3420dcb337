"""Production: refuses to start without SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL.

Passes ``manage.py check --deploy`` with no warnings (tests/test_settings.py runs it).
"""

from zairyu.core.crypto import key_parse

from .base import *  # noqa: F403
from .base import (
    LOGGING,
    STORAGES,
    ZAIRYU_BLIND_INDEX_KEYS,
    ZAIRYU_ENCRYPTION_KEYS,
    database_config,
)
from .env import env_bool, env_choice, env_int, env_list, env_networks, env_required

SECRET_KEY = env_required("SECRET_KEY")
ALLOWED_HOSTS = [h.strip() for h in env_required("ALLOWED_HOSTS").split(",") if h.strip()]
DATABASES = {"default": database_config(env_required("DATABASE_URL"))}
DEBUG = False
# What users see and click must be this installation's, never the demo defaults.
ZAIRYU_SITE_URL = env_required("SITE_URL")
DEFAULT_FROM_EMAIL = env_required("DEFAULT_FROM_EMAIL")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ZAIRYU_HELPDESK = {
    "name": env_required("HELPDESK_NAME"),
    "phone": env_required("HELPDESK_PHONE"),
    "email": env_required("HELPDESK_EMAIL"),
    "hours": env_required("HELPDESK_HOURS"),
}

# TLS ends at the proxy in front of the web machines; it must set X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# SEC-7: structured logs for the collector (core/logs.py), unless LOG_FORMAT=plain.
LOG_FORMAT = env_choice("LOG_FORMAT", "json", ("plain", "json"))
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT

# The demo JPKI test CA is never a trust anchor in production (ID-3).
if env_bool("JPKI_TEST_CA", False):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("JPKI_TEST_CA must not be set in production.")
ZAIRYU_JPKI_TEST_CA = False

# SEC-3: no start without the keys that encrypt personal data at rest (docs/operations.md).
if not (ZAIRYU_ENCRYPTION_KEYS and ZAIRYU_BLIND_INDEX_KEYS):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEYS (or KEY_FILE) must be set for production "
        "(see docs/operations.md, “Keys”)."
    )
key_parse(ZAIRYU_ENCRYPTION_KEYS, source="FIELD_ENCRYPTION_KEYS")
key_parse(ZAIRYU_BLIND_INDEX_KEYS, source="BLIND_INDEX_KEYS")

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# A-4 (002 Q4-36): service A accepts applications only from the address ranges listed here (the
# ranges allocated to Japan; see docs/configuration.md). The default admits loopback and private
# networks only, so a public installation refuses every applicant until the operator sets the
# list: closed until configured, never open by omission.
ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = env_networks(
    "SERVICE_A_ALLOWED_NETWORKS",
    ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)
