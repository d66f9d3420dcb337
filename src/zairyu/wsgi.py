"""WSGI entry point (gunicorn zairyu.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

# Servers and workers default to production settings (which refuse to start unconfigured);
# manage.py defaults to dev and its child processes inherit that choice.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zairyu.settings.production")

application = get_wsgi_application()
