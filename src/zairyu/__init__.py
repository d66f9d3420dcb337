"""Zairyu: Japan's online immigration procedures (notifications, applications, back office)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
