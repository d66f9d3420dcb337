from django import forms
from django.utils.translation import gettext_lazy as _


class KeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the key"),
        max_length=100,
        help_text=_("Which system will use it, e.g. 人事システム (HR system)."),
    )
