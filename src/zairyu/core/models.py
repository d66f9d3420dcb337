from django.db import models


class BaselineRow(models.Model):
    """One row per request to the benchmark baseline endpoint (bench settings only)."""

    created_at = models.DateTimeField(auto_now_add=True)
    payload = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"baseline {self.pk}"


class RateCounter(models.Model):
    """A fixed-window counter shared by every web process (rate limits, SEC-5)."""

    key = models.CharField(max_length=200, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
