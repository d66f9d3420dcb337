"""Forms for service A self-registration (ID-3, ID-4, ID-6), re-binding and ID-13.

Forms only parse and normalise; the rules live in ``service_a``. A typed value that looks like a
My Number (002 Q2-8) is refused and blanked, so the number never comes back in a response
(the 12-digit filing-agent certificate number is exempt: it is not one).
"""

import unicodedata

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from zairyu.core.forms import TypedDateField
from zairyu.core.validators import (
    AuthIdValidator,
    DateNotInFuture,
    JisX0208Text,
    PasswordPolicy,
    contains_my_number,
)

from . import jpki

_NOT_CHECKED_FOR_MY_NUMBER = frozenset({"password", "password_again", "number", "certificate"})


def _birth_date_field() -> TypedDateField:
    return TypedDateField(
        label=_("Date of birth"),
        help_text=_("For example 1990-04-01."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        validators=[DateNotInFuture(field=_("Date of birth"), birth=True)],
    )


class _GuardedForm(forms.Form):
    """Blanks and refuses any typed value that holds a My Number."""

    def __init__(self, data=None, *args, **kwargs):
        self.my_number_fields: list[str] = []
        if data is not None:
            data = data.copy()
            for name in list(data.keys()):
                if name in _NOT_CHECKED_FOR_MY_NUMBER:
                    continue
                if any(isinstance(v, str) and contains_my_number(v) for v in data.getlist(name)):
                    self.my_number_fields.append(name)
                    data[name] = ""  # never shown again
        super().__init__(data, *args, **kwargs)

    def clean(self):
        data = super().clean()
        for name in self.my_number_fields:
            if name in self.fields:
                self.errors.pop(name, None)
                self.add_error(
                    name,
                    ValidationError(
                        _(
                            "This looks like an Individual Number (My Number). This system "
                            "never collects the My Number: remove it and enter only what this "
                            "field asks for."
                        ),
                        code="my_number_refused",
                    ),
                )
        return data


class _AccountFieldsMixin(forms.Form):
    """E-mail (twice), the chosen auth ID (FMT-1) and the language for mails."""

    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_(
            "The link to set your password is sent here. Use an address you can read, and allow "
            "mails from this system's domain."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    email_again = forms.EmailField(
        label=_("E-mail address (again)"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    auth_id = forms.CharField(
        label=_("Auth ID"),
        strip=False,
        help_text=_(
            "Choose 6 to 20 half-width letters, digits and symbols. Upper and lower case are "
            "different. It cannot be changed later."
        ),
        validators=[AuthIdValidator(field=_("Auth ID"))],
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    language = forms.ChoiceField(label=_("Language for mails"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = [code for code, _label in settings.LANGUAGES]
        self.fields["language"].choices = [
            (code, get_language_info(code)["name_local"]) for code in codes
        ]
        language = (get_language() or settings.LANGUAGE_CODE).lower()
        self.fields["language"].initial = language if language in codes else "ja"

    def clean(self):
        data = super().clean()
        first, second = data.get("email"), data.get("email_again")
        if first and second and first.casefold() != second.casefold():
            self.add_error(
                "email_again",
                ValidationError(
                    _("The two addresses differ. Type the same address twice."), code="mismatch"
                ),
            )
        return data


def _address_field(*, required: bool, label, help_text) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=200,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )


def _clean_address(value: str, label) -> str:
    if not value:
        return ""
    return JisX0208Text(field=str(label), max_length=200, convert_halfwidth=True).clean(value).value


class CertificateUploadForm(forms.Form):
    """ID-3: reading the My Number card: the signature certificate file it holds, and its
    signature of the one-time challenge the page shows (``possession``; checked by the service,
    which says what is missing or wrong)."""

    certificate = forms.FileField(
        label=_("Signature certificate of your My Number card"),
        help_text=_(
            "The certificate file (.cer, .crt, .der or .pem) that the JPKI software saved from "
            "your card. Your My Number is not in it and is never read."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".cer,.crt,.der,.pem"}),
    )

    challenge = forms.CharField(required=False, widget=forms.HiddenInput)
    signature = forms.CharField(
        label=_("Signature of the challenge (base64)"),
        required=False,
        help_text=_(
            "Paste the signature that the JPKI client software or the smartphone app made with "
            "your card over the message shown above."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_certificate(self) -> bytes:
        upload = self.cleaned_data["certificate"]
        if upload.size > jpki.MAX_CERTIFICATE_BYTES:
            raise ValidationError(jpki.CertificateRefused("malformed").message, code="malformed")
        return upload.read()


class HolderRegistrationForm(_GuardedForm, _AccountFieldsMixin):
    """ID-3 second step: what the certificate did not fill in, address, e-mail and auth ID."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("As printed on your My Number card."),
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", "—"), ("M", _("Male")), ("F", _("Female"))]
    )
    birth_date = _birth_date_field()
    address = _address_field(
        required=False,
        label=_("Address in Japan"),
        help_text=_("Optional. As on your residence card, e.g. 東京都千代田区霞が関１－１－１."),
    )

    field_order = ["name", "sex", "birth_date", "address", "email", "email_again", "auth_id"]

    def __init__(self, *args, certificate: jpki.VerifiedCertificate, **kwargs):
        super().__init__(*args, **kwargs)
        # Q2-11: what the certificate carries is shown, not typed.
        if certificate.name:
            del self.fields["name"]
        if certificate.sex:
            del self.fields["sex"]
        if certificate.birth_date:
            del self.fields["birth_date"]

    def clean_address(self) -> str:
        return _clean_address(self.cleaned_data["address"], self.fields["address"].label)


class FilingAgentRegistrationForm(_GuardedForm, _AccountFieldsMixin):
    """ID-4: the filing-agent certificate number, name and birth date, office address."""

    number = forms.CharField(
        label=_("Filing-agent certificate number (申請等取次者証明書番号)"),
        max_length=30,
        help_text=_(
            "The 12-digit number at the top right of your notification certificate (届出済証明書)."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("As printed on the notification certificate."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    birth_date = _birth_date_field()
    office_address = _address_field(
        required=True,
        label=_("Office address"),
        help_text=_("The address of your office, not your home (Q2-13)."),
    )

    field_order = [
        "number",
        "name",
        "birth_date",
        "office_address",
        "email",
        "email_again",
        "auth_id",
    ]

    def clean_number(self) -> str:
        text = unicodedata.normalize("NFKC", self.cleaned_data["number"])
        digits = "".join(ch for ch in text if ch not in " -‐‑–—−ー")
        if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
            raise ValidationError(
                _(
                    "Filing-agent certificate number: enter the 12 digits, e.g. 123456789012. "
                    "It is printed at the top right of your notification certificate."
                ),
                code="number_format",
            )
        return digits

    def clean_office_address(self) -> str:
        return _clean_address(
            self.cleaned_data["office_address"], self.fields["office_address"].label
        )


class CoeRecipientRegistrationForm(_GuardedForm, _AccountFieldsMixin):
    """ID-6: a recipient of electronic COEs for applications made at a counter."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    organization_name = forms.CharField(
        label=_("Organization (if you apply for one)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    field_order = ["name", "organization_name", "email", "email_again", "auth_id"]


class NewPasswordForm(forms.Form):
    """A new password typed twice (FMT-2 is checked by the service, with the history)."""

    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("New password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = PasswordPolicy().get_help_text()

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error(
                "password_again",
                ValidationError(
                    _("The two passwords differ. Type the same password twice."),
                    code="mismatch",
                ),
            )
        return data


class ForgotPasswordForm(forms.Form):
    """ID-13: the auth ID and the registered e-mail address."""

    auth_id = forms.CharField(
        label=_("Auth ID"),
        max_length=20,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        label=_("Registered e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
