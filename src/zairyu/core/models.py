from django.db import models


class BaselineRow(models.Model):
    """One row per request to the benchmark baseline endpoint (bench settings only)."""

    created_at = models.DateTimeField(auto_now_add=True)
    payload = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"baseline {self.pk}"
