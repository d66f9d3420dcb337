"""WSGI entry point (gunicorn zairyu.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zairyu.settings.dev")

application = get_wsgi_application()
