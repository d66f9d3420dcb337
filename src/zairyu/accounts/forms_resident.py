"""Forms for residents' own accounts: registration (ID-1) and re-notification (ID-12).

Forms only parse: they normalise what was typed (FMT-3 name, FMT-5 card number, full-width
digits in dates) and record each conversion so the page can show it; the rules (card match,
eligibility, password policy) live in ``registration``.

A value that looks like a My Number (002 Q2-8) is refused and blanked before the page is shown
again, so the number never comes back in a response. Passwords are never shown again either.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from zairyu.core.forms import TypedDateField
from zairyu.core.validators import (
    AuthIdValidator,
    DateNotInFuture,
    PasswordPolicy,
    ResidenceCardNumber,
    RomanName,
    RomanNameForm,
    contains_my_number,
    conversion_notice,
)
from zairyu.reference.selectors import nationality_field_choices

from .registration import CardFace

# Password fields are hashed, never stored or shown as typed: they are not checked for a My
# Number (a 12-digit number alone is no valid password anyway).
_PASSWORD_FIELDS = frozenset({"password", "password_again", "new_password", "new_password_again"})


# The one typed-date field (core.forms); the old name is kept for the forms that import it.
CardDateField = TypedDateField


class CardFaceForm(forms.Form):
    """The card-face fields (001 Q33: as printed on the residence card)."""

    number = forms.CharField(
        label=_("Residence card number"),
        max_length=40,
        help_text=_("12 characters at the top right of the card, e.g. AB12345678CD."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    roman_name = forms.CharField(
        label=_("Name (roman letters)"),
        max_length=200,
        help_text=_(
            "As printed on the card, the parts separated by spaces, e.g. HOUMU TAROU. Lower "
            "case, commas and full-width letters are converted."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    nationality = forms.ChoiceField(
        label=_("Nationality or region"),
        help_text=_("Listed in alphabetical order of the English name."),
    )
    birth_date = TypedDateField(
        label=_("Date of birth"),
        help_text=_("As printed on the card, e.g. 1990-04-01."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        validators=[DateNotInFuture(field=_("Date of birth"), birth=True)],
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=[("", "—"), ("M", _("Male (M)")), ("F", _("Female (F)"))],
    )

    def __init__(self, data=None, *args, **kwargs):
        self.my_number_fields: list[str] = []
        self.conversions: list[str] = []
        if data is not None:
            data = data.copy()
            for name in self.base_fields:
                if name in _PASSWORD_FIELDS or name not in data:
                    continue
                values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
                if any(isinstance(v, str) and contains_my_number(v) for v in values):
                    self.my_number_fields.append(name)
                    data[name] = ""  # never shown again
        super().__init__(data, *args, **kwargs)
        self.fields["nationality"].choices = nationality_field_choices(
            blank=_("Choose"), order="english", language=get_language()
        )

    def _normalised(self, name: str, validator) -> str:
        result = validator.clean(self.cleaned_data[name])
        notice = conversion_notice(result, field=str(self.fields[name].label))
        if notice:
            self.conversions.append(notice)
            self.data[name] = result.value  # the page shows the converted value
        return result.value

    def clean_number(self) -> str:
        return self._normalised("number", ResidenceCardNumber(field=_("Residence card number")))

    def clean_roman_name(self) -> str:
        return self._normalised(
            "roman_name", RomanName(RomanNameForm.SPACES, field=_("Name (roman letters)"))
        )

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

    def card_face(self) -> CardFace:
        data = self.cleaned_data
        return CardFace(
            number=data["number"],
            roman_name=data["roman_name"],
            nationality=data["nationality"],
            birth_date=data["birth_date"],
            sex=data["sex"],
        )

    def _same(self, first: str, second: str, message, *, fold: bool = False) -> None:
        a, b = self.cleaned_data.get(first), self.cleaned_data.get(second)
        if fold and a and b:
            a, b = a.casefold(), b.casefold()
        if a and a != b and second not in self.errors:
            self.add_error(second, ValidationError(message, code="mismatch"))


def _password_help() -> str:
    return PasswordPolicy().get_help_text()


class ResidentRegistrationForm(CardFaceForm):
    """ID-1: card data, e-mail (twice), auth ID, password (twice), language for mails."""

    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("Mails from this system go here. Use an address you can read."),
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
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    language = forms.ChoiceField(
        label=_("Language for mails"),
        choices=[(code, get_language_info(code)["name_local"]) for code, _n in settings.LANGUAGES],
    )

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        language = (get_language() or settings.LANGUAGE_CODE).lower()
        codes = [code for code, _label in settings.LANGUAGES]
        self.fields["language"].initial = language if language in codes else "ja"
        self.fields["password"].help_text = _password_help()

    def clean(self):
        data = super().clean()
        self._same(
            "email",
            "email_again",
            _("The two e-mail addresses differ. Type the same address twice."),
            fold=True,
        )
        self._same(
            "password",
            "password_again",
            _("The two passwords differ. Type the same password twice."),
        )
        return data


class RenotificationForm(CardFaceForm):
    """ID-12: card data and, optionally, a new password (twice)."""

    new_password = forms.CharField(
        label=_("New password (optional)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password (again)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.fields["new_password"].help_text = _(
            "Leave empty to receive only your auth ID. To set a new password (for example when "
            "it expired, was forgotten or the auth ID is locked): %(rule)s"
        ) % {"rule": _password_help()}

    def clean(self):
        data = super().clean()
        if data.get("new_password_again") and not data.get("new_password"):
            self.add_error(
                "new_password",
                ValidationError(
                    _("Type the new password here too, or leave both fields empty."),
                    code="mismatch",
                ),
            )
        self._same(
            "new_password",
            "new_password_again",
            _("The two new passwords differ. Type the same password twice."),
        )
        return data
