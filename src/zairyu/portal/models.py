"""Notices (お知らせ) shown on the top page, including planned maintenance windows (BO-7)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from zairyu.core import clock


class NoticeQuerySet(models.QuerySet):
    def published(self, at=None):
        """Notices visible at ``at`` (default now), newest first, maintenance windows on top."""
        at = at or clock.now()
        return (
            self.filter(published_from__lte=at)
            .filter(Q(published_until__isnull=True) | Q(published_until__gt=at))
            .order_by("-kind", "-published_from")
        )


class Notice(models.Model):
    class Kind(models.TextChoices):
        INFO = "info", _("Notice")
        MAINTENANCE = "maintenance", _("Planned maintenance")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INFO)
    title_ja = models.CharField(_("title (Japanese)"), max_length=200)
    body_ja = models.TextField(_("text (Japanese)"))
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    maintenance_start = models.DateTimeField(_("maintenance starts"), null=True, blank=True)
    maintenance_end = models.DateTimeField(_("maintenance ends"), null=True, blank=True)
    published_from = models.DateTimeField(_("shown from"))
    published_until = models.DateTimeField(_("shown until"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_from"]

    def __str__(self) -> str:
        return self.title_ja

    def clean(self) -> None:
        errors = {}
        if self.kind == self.Kind.MAINTENANCE:
            if not self.maintenance_start:
                errors["maintenance_start"] = _("Enter when the maintenance starts.")
            if not self.maintenance_end:
                errors["maintenance_end"] = _("Enter when the maintenance ends.")
        if (
            self.maintenance_start
            and self.maintenance_end
            and self.maintenance_end <= self.maintenance_start
        ):
            errors["maintenance_end"] = _("The end must be after the start.")
        if (
            self.published_until
            and self.published_from
            and self.published_until <= self.published_from
        ):
            errors["published_until"] = _("“Shown until” must be after “shown from”.")
        if errors:
            raise ValidationError(errors)

    @property
    def title(self) -> str:
        """The title in the reader's language: English for every non-Japanese reader when given."""
        if translation.get_language() != "ja" and self.title_en:
            return self.title_en
        return self.title_ja

    @property
    def body(self) -> str:
        if translation.get_language() != "ja" and self.body_en:
            return self.body_en
        return self.body_ja
