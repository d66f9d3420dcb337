"""Zairyu: Japan's online immigration procedures (e-Notification, online residence applications, back office)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
