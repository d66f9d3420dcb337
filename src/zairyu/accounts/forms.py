"""Input forms for account pages. Rules live in services/rules; forms only parse."""

from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    auth_id = forms.CharField(
        label=_("Auth ID"),
        max_length=20,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error(
                "new_password_again",
                forms.ValidationError(
                    _("The two new passwords differ. Type the same password twice."),
                    code="mismatch",
                ),
            )
        return data


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label=_("New e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    email_again = forms.EmailField(label=_("New e-mail address (again)"))

    def clean(self):
        data = super().clean()
        if data.get("email") and data.get("email") != data.get("email_again"):
            self.add_error(
                "email_again",
                forms.ValidationError(
                    _("The two addresses differ. Type the same address twice."), code="mismatch"
                ),
            )
        return data


class AddressChangeForm(forms.Form):
    address = forms.CharField(
        label=_("New address"),
        max_length=200,
        help_text=_("As on your residence card (lawyers: your office address), in Japanese."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
