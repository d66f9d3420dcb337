"""Settings for ``make run`` on one machine: SQLite, the SQLite broker, mails kept in var/."""

from zairyu.core.crypto import keys_from_environment

from .base import *  # noqa: F403
from .base import STATIC_ROOT, VAR_DIR, ZAIRYU_JPKI_TEST_CA
from .env import env_bool, env_int, env_list, env_str

# The demo shows the error pages users see, never Django's technical pages (DEBUG=true to
# debug; tracebacks are in var/log/ either way).
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-never-used-in-production")  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
ZAIRYU_DEMO_MAILBOX = True
# ID-3: the demo trusts the bundled JPKI test CA (never production) unless JPKI_TEST_CA says no.
if ZAIRYU_JPKI_TEST_CA is None:
    ZAIRYU_JPKI_TEST_CA = True
# Links in mails and PDFs follow the port of `make run PORT=8100` unless SITE_URL says otherwise.
ZAIRYU_SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}")
# SEC-3: demo keys, generated under var/ the first time unless the environment gives keys.
ZAIRYU_ENCRYPTION_KEYS, ZAIRYU_BLIND_INDEX_KEYS = keys_from_environment(
    demo_file=VAR_DIR / "keys" / "demo-keys.json"
)

WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
