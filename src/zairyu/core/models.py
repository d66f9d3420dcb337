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


class MissedWakeUp(models.Model):
    """A wake-up the broker did not take (down, unreachable) for work whose rows committed.

    The rows are the work; this only remembers which task to publish again, so that beat's
    ``zairyu.core.wake_missed`` starts the work seconds after the broker is back instead of the
    sweepers finding it after the lease (``core.work``). Holds task names and row ids only.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    failed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.task} {self.failed_at:%Y-%m-%d %H:%M:%S}"


class EventCounter(models.Model):
    """A monotonic count shared by every process (``/metrics`` counters, ``core.metrics``)."""

    name = models.CharField(max_length=100, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"
