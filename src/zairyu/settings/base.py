"""Settings shared by every environment. Nothing secret and nothing machine-specific lives here."""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from zairyu.core.crypto import keys_from_environment

from .env import env_bool, env_choice, env_int, env_list, env_networks, env_str

# src/zairyu/settings/base.py -> the repository root
BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(env_str("ZAIRYU_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "zairyu.accounts.admin_apps.AdminConfig",  # the admin behind TOTP (ID-17, SEC-2)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django_otp",  # ID-17 second factor
    "django_otp.plugins.otp_totp",
    "zairyu.core",
    "zairyu.accounts",
    "zairyu.audit",
    "zairyu.mail",
    "zairyu.portal",
    "zairyu.reference",
    "zairyu.cards",
    "zairyu.filings",
    "zairyu.applications",
    "zairyu.bulk",
    "zairyu.backoffice",
    "zairyu.api",
    "zairyu.demo",  # setup_demo, demo_logins: the top of the house
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # SEC-2: frame denial and the CSP wrap WhiteNoise, so static files carry them too, and wrap
    # everything that can fail, so error pages carry them too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "zairyu.core.middleware.ApiErrorMiddleware",  # the API's errors as JSON, whatever made them
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zairyu.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # ID-18 without a session write per request; after the language, so that a database that
    # cannot load the session answers in the user's language.
    "zairyu.core.middleware.SessionActivityMiddleware",
    "django_otp.middleware.OTPMiddleware",  # ID-17: request.user.is_verified()
    "django.contrib.messages.middleware.MessageMiddleware",
    "zairyu.accounts.otp.SignInGateMiddleware",  # ID-17: second step; temporary passwords
    "zairyu.core.middleware.NoStoreMiddleware",
    # SEC-2: NUL and other control characters refused with a field error (its process_view runs
    # after the CSRF check).
    "zairyu.core.middleware.ControlCharacterMiddleware",
]

ROOT_URLCONF = "zairyu.urls"
WSGI_APPLICATION = "zairyu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zairyu.portal.context_processors.portal",
            ],
        },
    },
    {
        # Plain-text mails: no HTML escaping (names with & or < must arrive as typed).
        "NAME": "mail",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]


def database_config(url: str | None) -> dict:
    """Build the default database from DATABASE_URL, or the SQLite file under var/.

    SQLite holds official records here, so it runs in WAL mode with synchronous=FULL and takes
    its write lock at BEGIN (IMMEDIATE), which avoids "database is locked" upgrades mid-transaction.
    PostgreSQL connections are kept for CONN_MAX_AGE and health-checked before reuse, so a
    database restart heals without restarting the web processes.
    """
    if not url:
        url = f"sqlite:///{VAR_DIR / 'zairyu.sqlite3'}"
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        }
    else:
        config["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASES = {"default": database_config(env_str("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "zairyu.accounts.backends.LockoutBackend",
    # Listed so that sessions signed in before the portal's view named LockoutBackend stay valid.
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
# SEC-5: failed sign-ins allowed from one client address per 15 minutes (docs/decisions/0004).
ZAIRYU_LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 30)
# FMT-2: one password policy (zairyu.core.validators.PasswordPolicy); "agency" or "nist".
ZAIRYU_PASSWORD_POLICY = env_str("PASSWORD_POLICY", "agency")
AUTH_PASSWORD_VALIDATORS = [{"NAME": "zairyu.core.validators.PasswordPolicy"}]
# SEC-2: Argon2id tuned to ~20-50 ms a hash on the target machines (accounts/hashers.py,
# bench/bench_login.py); Django's default parameters still read older hashes, which are
# re-hashed with the tuned ones at the next sign-in.
PASSWORD_HASHERS = [
    "zairyu.accounts.hashers.ZairyuArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Second factor (ID-17) ----------------------------------------------------------------------
# TOTP (RFC 6238) through django-otp: optional for every user, required for the back office.
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Zairyu")
# django-otp's own back-off is off: wrong codes count toward the ID-14 lock-out instead (five
# in a row lock the auth ID for 24 hours), which is stricter and shared with the password step.
OTP_TOTP_THROTTLE_FACTOR = 0

# --- Languages -------------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [
    ("ja", _("Japanese")),
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
    ("ko", _("Korean")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("tl", _("Tagalog")),
]
# The second holds Django's month and weekday names in Tagalog (Django has no Tagalog catalogue);
# its name is not "locale", so makemessages does not route messages of nearby code to it.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_calendar"]
# Formats for the languages Django has none for (Tagalog: zairyu/core/formats/tl).
FORMAT_MODULE_PATH = ["zairyu.core.formats"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if env_str("AWS_STORAGE_BUCKET_NAME"):
    # Object storage (S3-compatible) for uploaded files; needs the `s3` extra (django-storages).
    # Credentials come from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL"),
            "region_name": env_str("AWS_S3_REGION_NAME"),
            "default_acl": None,
            "querystring_auth": True,  # uploads are personal data: signed, expiring URLs only
            "file_overwrite": False,
        },
    }
# Upload checks (A-6, A-7, SEC-4; zairyu.applications.uploads). Sizes in bytes.
ZAIRYU_UPLOAD_PDF_MAX_BYTES = env_int("ZAIRYU_UPLOAD_PDF_MAX_BYTES", 10 * 1024 * 1024)
ZAIRYU_UPLOAD_TOTAL_MAX_BYTES = env_int("ZAIRYU_UPLOAD_TOTAL_MAX_BYTES", 25 * 1024 * 1024)
ZAIRYU_UPLOAD_PDF_MAX_OBJECTS = env_int("ZAIRYU_UPLOAD_PDF_MAX_OBJECTS", 100_000)
# A PDF stream qpdf inflates to more than this (an object stream "zip bomb") is refused.
ZAIRYU_UPLOAD_PDF_MAX_STREAM_BYTES = env_int("ZAIRYU_UPLOAD_PDF_MAX_STREAM_BYTES", 67_108_864)
ZAIRYU_UPLOAD_PHOTO_MAX_BYTES = env_int("ZAIRYU_UPLOAD_PHOTO_MAX_BYTES", 51_200)
ZAIRYU_UPLOAD_PHOTO_MAX_PIXELS = env_int("ZAIRYU_UPLOAD_PHOTO_MAX_PIXELS", 4_000_000)
# Django's own: uploads above this go to a temporary file instead of memory; non-file form
# data above the second is refused (400). The TLS proxy caps the whole request body.
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

# --- Security --------------------------------------------------------------------------------
# SEC-3: session rows are encrypted (drafts and searches can hold card numbers).
SESSION_ENGINE = "zairyu.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# ID-18: a session ends after 30 minutes without activity. The session is not written on every
# request: core.middleware.SessionActivityMiddleware records the activity at most once per
# SESSION_ACTIVITY_WRITE_SECONDS, and a session lives that much longer than the idle time, so it
# never ends before SESSION_IDLE_SECONDS without activity (the warning the pages show).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ACTIVITY_WRITE_SECONDS = 60
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS + SESSION_ACTIVITY_WRITE_SECONDS
SESSION_SAVE_EVERY_REQUEST = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

# --- Mail ------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
# ML-1 (001 Q58): mails come from an address that takes no replies.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Zairyu <no-reply@zairyu.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Outbox retry policy: attempt n waits MAIL_RETRY_BASE_SECONDS * 2**(n-1), capped.
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 8)
MAIL_RETRY_BASE_SECONDS = env_int("MAIL_RETRY_BASE_SECONDS", 30)
MAIL_RETRY_MAX_SECONDS = env_int("MAIL_RETRY_MAX_SECONDS", 3600)
# Demo mailbox page (/demo/mailbox/): lists the outbox so a person trying the demo can follow
# the links in registration mails. Never on in production.
ZAIRYU_DEMO_MAILBOX = False

# SEC-7: /metrics answers a Prometheus scraper sending "Authorization: Bearer <this token>";
# unset, /metrics answers 404.
ZAIRYU_METRICS_TOKEN = env_str("ZAIRYU_METRICS_TOKEN", "")

# --- Background work (see DESIGN.md: the database row is the truth) ---------------------------
# A worker that claims a row holds it for this long; a row still claimed after that is
# considered abandoned (worker killed) and the sweeper hands it out again.
ZAIRYU_WORK_LEASE_SECONDS = env_int("ZAIRYU_WORK_LEASE_SECONDS", 300)
ZAIRYU_SWEEP_SECONDS = env_int("ZAIRYU_SWEEP_SECONDS", 30)
# The sweeper wakes a waiting row again only when its last wake-up is older than this: until
# then its message is presumably still queued behind other work (core.work.wake_due). A lost
# message (a broker restarted empty) is therefore made good after this plus one sweep. The
# urgent queue (receipt numbers) never holds a backlog, so its grace is short.
ZAIRYU_WAKE_GRACE_SECONDS = env_int("ZAIRYU_WAKE_GRACE_SECONDS", 300)
ZAIRYU_URGENT_WAKE_GRACE_SECONDS = env_int("ZAIRYU_URGENT_WAKE_GRACE_SECONDS", 30)
ZAIRYU_AUDIT_SEAL_SECONDS = env_int("ZAIRYU_AUDIT_SEAL_SECONDS", 5)
# Service O (OF-3, 004 Q10): completed and withdrawn filings stay in 申込内容照会 this many days
# after they became final; a daily job deletes them then.
ZAIRYU_SERVICE_O_RETENTION_DAYS = env_int("ZAIRYU_SERVICE_O_RETENTION_DAYS", 365)

# The default broker is a SQLite file (kombu's SQLAlchemy transport, zairyu.core.broker): one
# machine, no server (docs/decisions/0007-embedded-background-work.md). Redis or RabbitMQ for more.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}")
CELERY_BROKER_FOLDER = Path(env_str("CELERY_BROKER_FOLDER", str(VAR_DIR / "broker")))
# How often an idle worker polls the SQLite broker (the delay before it sees a new message).
ZAIRYU_BROKER_POLL_SECONDS = float(env_str("ZAIRYU_BROKER_POLL_SECONDS", "0.2"))
# A wake-up the broker refused (down, unreachable) is kept in the database and sent again this
# often by beat (core.work), so the work starts seconds after the broker is back.
ZAIRYU_WAKE_RETRY_SECONDS = env_int("ZAIRYU_WAKE_RETRY_SECONDS", 5)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Bulk filing (BK-1, SEC-4) ---------------------------------------------------------------
# Rows per file (001 Q77, 002 Q4-24, 004 Q14), the upload's size, and what an .xlsx (a ZIP) may
# unpack to, checked before any parser reads it; rows filed per transaction.
ZAIRYU_BULK_MAX_ROWS = env_int("BULK_MAX_ROWS", 300)
ZAIRYU_BULK_MAX_BYTES = env_int("BULK_MAX_BYTES", 5 * 1024 * 1024)
ZAIRYU_BULK_MAX_ZIP_ENTRIES = env_int("BULK_MAX_ZIP_ENTRIES", 200)
ZAIRYU_BULK_MAX_UNCOMPRESSED = env_int("BULK_MAX_UNCOMPRESSED", 50 * 1024 * 1024)
ZAIRYU_BULK_BATCH_ROWS = env_int("BULK_BATCH_ROWS", 100)
# Days a finished bulk job (its rows hold the uploaded personal data) is kept after it ended;
# the daily housekeeping deletes older ones (the filings the rows made stay).
ZAIRYU_BULK_RETENTION_DAYS = env_int("ZAIRYU_BULK_RETENTION_DAYS", 90)

# Absolute links in mails point here.
ZAIRYU_SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Encryption at rest (SEC-3) --------------------------------------------------------------------
# Residence card numbers, birth dates and the snapshots that copy them are stored encrypted
# (zairyu.core.crypto). Keys: FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEYS ("id:base64,…", newest
# first), or KEY_FILE (JSON); dev.py creates demo keys under var/, production.py refuses to start
# without them. See docs/operations.md, "Keys".
ZAIRYU_ENCRYPTION_KEYS, ZAIRYU_BLIND_INDEX_KEYS = keys_from_environment()

# JPKI (ID-3) ----------------------------------------------------------------------------------
# Service A self-registration verifies the My Number card's signature certificate
# (zairyu.accounts.jpki). Production: the PEM files of the real JPKI signature CA(s) and the CRLs
# (PEM or DER) that an operations job keeps fresh; a CRL past its next update refuses every
# registration as "revocation status unknown" (fail closed). Comma-separated paths.
ZAIRYU_JPKI_TRUST_ANCHORS = env_list("JPKI_TRUST_ANCHORS")
ZAIRYU_JPKI_CRLS = env_list("JPKI_CRLS")
# The bundled test CA (zairyu.accounts.testca; `manage.py issue_demo_certificates`) lives here.
# It is trusted when JPKI_TEST_CA is true; unset means "when DEBUG" (dev yes, production no).
ZAIRYU_JPKI_TEST_CA_DIR = Path(env_str("JPKI_TEST_CA_DIR", str(VAR_DIR / "jpki-test-ca")))
ZAIRYU_JPKI_TEST_CA = (
    None if env_str("JPKI_TEST_CA") is None else env_bool("JPKI_TEST_CA", default=False)
)
# SEC-5: service A registrations (certificate checks included) and forgotten-password requests
# allowed from one client address per hour.
ZAIRYU_REGISTRATIONS_PER_IP = env_int("REGISTRATIONS_PER_IP", 20)
ZAIRYU_PASSWORD_RESETS_PER_IP = env_int("PASSWORD_RESETS_PER_IP", 10)
ZAIRYU_RENOTIFICATIONS_PER_IP = env_int("RENOTIFICATIONS_PER_IP", 10)
# SEC-5: the client address is read from X-Forwarded-For only when the direct peer is in one of
# these ranges (the TLS proxies), and only as far as they wrote it (zairyu.core.net). Empty: the
# header is ignored and REMOTE_ADDR is the client.
ZAIRYU_TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

# --- Service A (applications) -----------------------------------------------------------------
# A-4 (002 Q4-36): client addresses service A accepts applications from, as CIDR ranges
# (comma-separated). Empty = no restriction (dev, test); production.py turns it on.
ZAIRYU_SERVICE_A_ALLOWED_NETWORKS = env_networks("SERVICE_A_ALLOWED_NETWORKS")
# drafts nobody saved for this many days are deleted by the daily housekeeping.
ZAIRYU_DRAFT_PURGE_DAYS = env_int("DRAFT_PURGE_DAYS", 90)
# A-14 / SEC-5: look-ups on the public COE verification page per client address per hour.
ZAIRYU_COE_VERIFICATIONS_PER_IP = env_int("COE_VERIFICATIONS_PER_IP", 30)
# A-13 (002 Q5-10, Q6-4, Q6-5, Q6-9): the one office the papers for receipt by post go to and
# that answers for cards sent by post. Unset keys keep the seed's address (officer.py).
ZAIRYU_PAPERS_OFFICE = {
    key: value
    for key, value in {
        "name_ja": env_str("PAPERS_OFFICE_NAME_JA"),
        "name_en": env_str("PAPERS_OFFICE_NAME_EN"),
        "postal_code": env_str("PAPERS_OFFICE_POSTAL_CODE"),
        "address_ja": env_str("PAPERS_OFFICE_ADDRESS_JA"),
        "address_en": env_str("PAPERS_OFFICE_ADDRESS_EN"),
        "phone": env_str("PAPERS_OFFICE_PHONE"),
    }.items()
    if value
}

# --- Portal ----------------------------------------------------------------------------------
# UX-4: the helpdesk contact shown in every footer comes from configuration, never hard-coded.
ZAIRYU_HELPDESK = {
    "name": env_str("HELPDESK_NAME", "Zairyu helpdesk (demo)"),
    "phone": env_str("HELPDESK_PHONE", "0570-000-000"),
    "email": env_str("HELPDESK_EMAIL", "helpdesk@zairyu.example"),
    "hours": env_str("HELPDESK_HOURS", "9:00-17:00"),
}

# SEC-7: "json" (one object per line, core/logs.py) or "plain"; production defaults to json.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", ("plain", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "zairyu.core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
