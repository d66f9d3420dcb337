"""Template helpers for the back office: tie each input to its help text and errors."""

from django import template

register = template.Library()


@register.filter
def describedby(field) -> str:
    """Return the ids of the field's help text and error list, for aria-describedby."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_help")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    return " ".join(ids)


@register.filter
def with_description(field):
    """Render the widget with aria-describedby (help, errors) and aria-invalid when wrong."""
    attrs = {}
    described = describedby(field)
    if described:
        attrs["aria-describedby"] = described
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
