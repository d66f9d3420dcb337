"""Back-office account pages (BO-3): register organization accounts from the paper form (ID-2),
search and view accounts, and act on paper requests: mail a forgotten auth ID (ID-13), set a
temporary password (004 Q31, Q33), unlock (ID-14), suspend / resume / delete (ID-19), re-issue a
void organization auth ID (ID-8), remove a lost authenticator (ID-17).

Thin: parse → service → redirect (POST-redirect-GET). Permissions and jurisdiction come only from
``access`` (``officer_required``, ``access_account_by_id``, ``accounts_in_jurisdiction``): a
missing account and one outside the officer's jurisdiction give the same 404. Every page that
shows an account is audited (``account.viewed``; each page of results ``account.listed``);
search criteria (names, e-mail addresses) travel in the POST body and the session, never in the
URL.

``registration_form_download`` is the one public page here: the blank paper form.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zairyu.accounts import organizations, otp, rules
from zairyu.accounts import services as account_services
from zairyu.accounts.models import AccountState, Category, OrganizationAccount, TemporaryPassword
from zairyu.audit.models import AuditEvent
from zairyu.audit.services import audit_record
from zairyu.core import clock

from . import accounts_forms as forms
from .access import (
    access_account_by_id,
    access_organization_by_id,
    accounts_in_jurisdiction,
    bureau_for_new_address,
    is_officer,
    officer_required,
    organizations_in_jurisdiction,
)
from .forms import add_service_errors

SEARCH_SESSION_KEY = "backoffice.account_search"
PAGE_SIZE = 25


def _context(request: HttpRequest, **context) -> dict:
    context.setdefault("can_change", is_officer(request.user, "change"))
    context.setdefault("can_create", is_officer(request.user, "create"))
    context.setdefault("can_change_accounts", is_officer(request.user, "accounts_change"))
    context.setdefault("can_register_accounts", is_officer(request.user, "accounts_register"))
    return context


def _detail(account) -> HttpResponse:
    return redirect("backoffice:account_detail", account_id=account.pk)


# --- Search and view -------------------------------------------------------------------------


@officer_required("accounts_lookup")  # helpdesk too (access.BACK_OFFICE_ROLES)
@require_http_methods(["GET", "POST"])
def account_search(request: HttpRequest) -> HttpResponse:
    """Search accounts by auth ID, name, e-mail or category; each page of results is audited."""
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(SEARCH_SESSION_KEY, None)
            return redirect("backoffice:account_search")
        form = forms.AccountSearchForm(request.POST)
        if form.is_valid():
            request.session[SEARCH_SESSION_KEY] = form.criteria()
            return redirect("backoffice:account_search")
        return render(request, "backoffice/accounts/search.html", _context(request, form=form))
    criteria = request.session.get(SEARCH_SESSION_KEY)
    form = forms.AccountSearchForm(initial=criteria or {})
    page = None
    if criteria:
        results = organizations.account_search(accounts_in_jurisdiction(request.user), **criteria)
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
        audit_record(
            action="account.listed",
            request=request,
            object_type="accounts.user",
            after={
                "criteria": criteria,
                "page": page.number,
                "accounts": [account.pk for account in page.object_list],
            },
        )
    return render(
        request,
        "backoffice/accounts/search.html",
        _context(request, form=form, page=page, criteria=criteria),
    )


@officer_required("accounts_lookup")  # helpdesk too (access.BACK_OFFICE_ROLES)
@require_GET
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access_account_by_id(request.user, account_id, "accounts_lookup")
    audit_record(action="account.viewed", obj=account, request=request)
    today = clock.today()
    valid_until = rules.auth_id_valid_until(account)
    link = (
        OrganizationAccount.objects.filter(user=account)
        .select_related("organization__bureau", "organization__prefecture")
        .first()
    )
    history = (
        AuditEvent.objects.filter(object_type="accounts.user", object_id=str(account.pk))
        .exclude(action="account.viewed")
        .order_by("-id")[:30]
    )
    is_organization = account.category == Category.ORGANIZATION
    state = account.state
    return render(
        request,
        "backoffice/accounts/detail.html",
        _context(
            request,
            account=account,
            link=link,
            valid_until=valid_until,
            void=valid_until is not None and valid_until < today,
            password_valid_until=rules.password_valid_until(account),
            locked=rules.is_locked(account),
            temporary_password=TemporaryPassword.objects.filter(user=account).first(),
            second_factor=otp.confirmed_device(account),
            is_organization=is_organization,
            may_suspend=AccountState.SUSPENDED in account.TRANSITIONS[state],
            may_resume=AccountState.ACTIVE in account.TRANSITIONS[state],
            may_delete=AccountState.DELETED in account.TRANSITIONS[state],
            deleted=state == AccountState.DELETED,
            history=history,
        ),
    )


@officer_required("accounts_view")
@require_GET
def organization_search(request: HttpRequest) -> HttpResponse:
    """Find the organization named on a paper form (organization names are not personal data,
    so the criteria may stay in the URL)."""
    form = forms.OrganizationSearchForm(request.GET or None)
    results = None
    if request.GET and form.is_valid():
        found = organizations.organization_search(
            organizations_in_jurisdiction(request.user),
            corporate_number=form.cleaned_data["corporate_number"],
            name=form.cleaned_data.get("name") or "",
        )
        page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
        results = [
            (organization, organizations.organization_active_account(organization))
            for organization in page.object_list
        ]
        form_page = page
    else:
        form_page = None
    return render(
        request,
        "backoffice/accounts/organization_search.html",
        _context(request, form=form, results=results, page=form_page),
    )


# --- Registration (ID-2) ---------------------------------------------------------------------


def _registered(request: HttpRequest, user) -> HttpResponse:
    mail_at = organizations.completion_mail_at(clock.today())
    messages.success(
        request,
        _(
            "Auth ID %(auth_id)s is registered. The completion mail goes out on %(when)s "
            "(the next day)."
        )
        % {"auth_id": user.username, "when": date_format(mail_at, "Y-m-d H:i")},
    )
    return _detail(user)


@officer_required("accounts_register")
@require_http_methods(["GET", "POST"])
def account_register(request: HttpRequest) -> HttpResponse:
    """A new organization and its account, from the paper form 利用者情報登録届出書."""
    form = forms.OrganizationAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, bureau = bureau_for_new_address(request.user, form.cleaned_data["prefecture"].pk)
        if not allowed:
            form.add_error(
                "prefecture",
                _(
                    "This address is in the jurisdiction of %(bureau)s. The form is submitted "
                    "to the bureau with jurisdiction over the organization's address."
                )
                % {"bureau": bureau.name_ja},
            )
        else:
            try:
                user = organizations.organization_account_register(
                    actor=request.user,
                    registration=form.registration(),
                    organization_data=form.organization_data(),
                    request=request,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _registered(request, user)
    return render(
        request,
        "backoffice/accounts/register.html",
        _context(request, form=form, organization=None),
    )


@officer_required("accounts_register")
@require_http_methods(["GET", "POST"])
def account_register_for(request: HttpRequest, organization_id: int) -> HttpResponse:
    """An account for an organization already in the registry."""
    organization = access_organization_by_id(request.user, organization_id)
    existing = organizations.organization_active_account(organization)
    form = forms.ExistingOrganizationAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = organizations.organization_account_register(
                actor=request.user,
                registration=form.registration(),
                organization=organization,
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _registered(request, user)
    return render(
        request,
        "backoffice/accounts/register.html",
        _context(request, form=form, organization=organization, existing=existing),
    )


# --- Actions on one account (BO-3) ---------------------------------------------------------


def _account_action(
    request: HttpRequest,
    account_id: int,
    *,
    form_class,
    title: str,
    intro: str,
    button: str,
    act,
    done,
    organization_only: bool = False,
) -> HttpResponse:
    """The shape every action shares: GET form, POST → service → detail page (PRG).

    ``done`` is the confirmation shown on the detail page, or a function of the account
    returning it."""
    account = access_account_by_id(request.user, account_id, "accounts_change")
    if organization_only and account.category != Category.ORGANIZATION:
        raise Http404
    # An action with nothing to type posts an empty body: bind it all the same.
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            act(account, form)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done(account) if callable(done) else done)
            return _detail(account)
    return render(
        request,
        "backoffice/accounts/action.html",
        _context(request, form=form, account=account, title=title, intro=intro, button=button),
    )


@officer_required("accounts_change")
@require_http_methods(["GET", "POST"])
def account_password_reissue(request: HttpRequest, account_id: int) -> HttpResponse:
    def act(account, form):
        organizations.organization_password_reissue(
            actor=request.user,
            user=account,
            password=form.cleaned_data["password"],
            paper=form.paper(),
            request=request,
        )

    return _account_action(
        request,
        account_id,
        form_class=forms.PasswordReissueForm,
        title=_("Set a new password from a paper request"),
        intro=_(
            "Type the password written on the request form (認証ID・パスワード確認等申出書). It "
            "is temporary: the organization must choose its own at the next sign-in. Setting it "
            "also lifts a lock-out. The organization is told by mail; the password is never "
            "mailed."
        ),
        button=_("Set the temporary password"),
        act=act,
        done=_("The temporary password is set; the organization has been told by mail."),
        organization_only=True,
    )


@officer_required("accounts_change")
@require_http_methods(["GET", "POST"])
def account_auth_id_notify(request: HttpRequest, account_id: int) -> HttpResponse:
    def act(account, form):
        organizations.organization_auth_id_notify(
            actor=request.user, user=account, paper=form.paper(), request=request
        )

    return _account_action(
        request,
        account_id,
        form_class=forms.StaffIdCheckForm,
        title=_("Mail a forgotten auth ID"),
        intro=_(
            "The auth ID is mailed to the address registered for the organization. "
            "If the submitter asked for it, you may also write it on a copy of the request."
        ),
        button=_("Mail the auth ID"),
        act=act,
        done=lambda account: (
            _("Auth ID %(auth_id)s has been mailed to %(email)s.")
            % {"auth_id": account.username, "email": account.email}
        ),
        organization_only=True,
    )


@officer_required("accounts_change")
@require_http_methods(["GET", "POST"])
def account_auth_id_reissue(request: HttpRequest, account_id: int) -> HttpResponse:
    def act(account, form):
        organizations.organization_auth_id_reissue(
            actor=request.user,
            user=account,
            password=form.cleaned_data["password"],
            paper=form.paper(),
            request=request,
        )

    return _account_action(
        request,
        account_id,
        form_class=forms.PasswordReissueForm,
        title=_("Re-issue a void auth ID"),
        intro=_(
            "The organization re-submitted the registration form because its auth ID became "
            "void. Type the password written on the form; the auth ID is valid again "
            "from today, and the mail goes out the next day."
        ),
        button=_("Re-issue the auth ID"),
        act=act,
        done=_("The auth ID is valid again from today."),
        organization_only=True,
    )


@officer_required("accounts_change")
@require_http_methods(["GET", "POST"])
def account_unlock(request: HttpRequest, account_id: int) -> HttpResponse:
    return _account_action(
        request,
        account_id,
        form_class=forms.ConfirmForm,
        title=_("Lift the lock"),
        intro=_(
            "The auth ID is locked for 24 hours after five wrong passwords or codes. "
            "Organizations cannot lift a lock themselves."
        ),
        button=_("Lift the lock"),
        act=lambda account, form: account_services.unlock(
            user=account, actor=request.user, request=request
        ),
        done=_("The lock is lifted."),
    )


STATE_ACTIONS = {
    "suspend": (
        AccountState.SUSPENDED,
        forms.ReasonForm,
        _("Suspend the account"),
        _("The user cannot sign in until the account is resumed, and is told by mail."),
        _("The account is suspended; the user has been told by mail."),
    ),
    "resume": (
        AccountState.ACTIVE,
        forms.OptionalReasonForm,
        _("Resume the account"),
        _("The user can sign in again, and is told by mail."),
        _("The account is active again; the user has been told by mail."),
    ),
    "delete": (
        AccountState.DELETED,
        forms.ReasonForm,
        _("Delete the account"),
        _(
            "The auth ID can never be used again (records made with it are kept). An "
            "organization may then register again. The user is told by mail."
        ),
        _("The account is deleted; the user has been told by mail."),
    ),
}


@officer_required("accounts_change")
@require_http_methods(["GET", "POST"])
def account_state(request: HttpRequest, account_id: int, action: str) -> HttpResponse:
    """ID-19: suspend, resume or delete (e.g. when credentials leaked, 001 Q51, 004 Q34)."""
    if action not in STATE_ACTIONS:
        raise Http404
    to, form_class, title, intro, done = STATE_ACTIONS[action]
    return _account_action(
        request,
        account_id,
        form_class=form_class,
        title=title,
        intro=intro,
        button=title,
        act=lambda account, form: organizations.account_state_change(
            actor=request.user,
            user=account,
            to=to,
            reason=form.cleaned_data.get("reason") or "",
            request=request,
        ),
        done=done,
    )


@officer_required("accounts_change")
@require_http_methods(["GET", "POST"])
def account_second_factor_reset(request: HttpRequest, account_id: int) -> HttpResponse:
    def act(account, form):
        if not otp.second_factor_reset(
            user=account, actor=request.user, reason=form.cleaned_data["reason"], request=request
        ):
            raise ValidationError(
                _("This account has no authenticator to remove."), code="no_device"
            )

    return _account_action(
        request,
        account_id,
        form_class=forms.ReasonForm,
        title=_("Remove the authenticator"),
        intro=_(
            "For a user who lost the phone with the authenticator app (on a request checked "
            "like a password request). They sign in with the password alone and may set up a "
            "new one; they are told by mail."
        ),
        button=_("Remove the authenticator"),
        act=act,
        done=_("The authenticator is removed; the user has been told by mail."),
    )


# --- The paper form (public) -----------------------------------------------------------------


@require_GET
def registration_form_download(request: HttpRequest) -> HttpResponse:
    """ID-2 (001 Q33): the blank 利用者情報登録届出書 as an .xlsx, for anyone to download."""
    response = HttpResponse(
        forms.registration_form_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="organization-registration-form.xlsx"'
    return response


def account_url(account) -> str:
    return reverse("backoffice:account_detail", kwargs={"account_id": account.pk})
