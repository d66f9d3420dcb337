"""``{% published_notices as notices %}``: the notices (お知らせ) a page after sign-in shows.

A template tag, so pages of any service show the portal's notices without their views
importing the portal (the domain does not know the interface).
"""

from django import template

from zairyu.portal.models import Notice

register = template.Library()


@register.simple_tag
def published_notices():
    """The notices published now, maintenance windows first (``Notice.objects.published``)."""
    return list(Notice.objects.published())
