"""``{{ value|period }}``: a period of stay (``P1Y6M``) for people ("1年6月", "1 year 6 months",
``normalise.period_text``) in the active language, or in the one given: a mail template names
its own language (``|period:"ja"``), since a mail falls back to the English template."""

from django import template

from zairyu.cards.normalise import period_text

register = template.Library()


@register.filter
def period(value: str, language: str = "") -> str:
    return period_text(value or "", language or None)
