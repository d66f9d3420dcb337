"""UX: the error summary names the field once. A message that already starts with the field's
label (FMT validators do: "Name (roman letters): “王” …") is shown as is; others get the label
in front. Labels are lazy translations, which the template must compare as text."""

from django import forms
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _


class _Form(forms.Form):
    roman_name = forms.CharField(label=_("Name (roman letters)"))
    email = forms.CharField(label=_("E-mail address"))

    def clean_roman_name(self):
        raise forms.ValidationError(
            "Name (roman letters): “王” (character 1) is not a roman letter."
        )

    def clean_email(self):
        raise forms.ValidationError("Enter a valid email address.")


def test_ux_error_summary_names_each_field_once():
    form = _Form({"roman_name": "王", "email": "x"})
    assert not form.is_valid()
    html = render_to_string("portal/includes/error_summary.html", {"form": form})
    assert html.count("Name (roman letters)") == 1
    assert "E-mail address: Enter a valid email address." in html
    assert 'href="#id_roman_name"' in html and 'href="#id_email"' in html
