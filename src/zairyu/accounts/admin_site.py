"""The Django admin behind the second factor (ID-17, SEC-2).

``/admin/`` opens for a session that is staff *and* verified with a TOTP code: django-otp's
``OTPAdminSite.has_permission`` says so on every admin view. What a session lacks is asked for
on the project's own pages, the same as for the back office:

- the password: the admin's log-in page, Django's password form. Its user name and password go
  through ``accounts.backends.LockoutBackend`` like every other sign-in (ID-14). The code is
  not asked there: django-otp's admin form would check it outside the project's lock-out
  count (a wrong code counts like a wrong password, ``accounts.otp``), so the site keeps
  Django's form and template;
- the code, or an authenticator to set up first: every admin view, the log-in page included,
  sends a signed-in staff session that is not verified to ``accounts:otp_verify`` or
  ``accounts:otp_setup`` (``otp.second_factor_step``), carrying where it was going. The sign-in
  gate (``otp.SignInGateMiddleware``) does the same before any view; this check stands on its
  own, so that a session the gate once let through (before an account became staff, say) is
  still held here.

Installed as the default admin site by ``accounts.admin_apps.AdminConfig`` (INSTALLED_APPS), so
``admin.site`` and every ``admin.register`` use it.
"""

from __future__ import annotations

from functools import update_wrapper

from django.contrib.admin.forms import AdminAuthenticationForm
from django_otp.admin import OTPAdminSite

from . import otp


def _staff_step(request) -> str | None:
    """The second-factor step a signed-in staff session still needs before any admin page."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return None  # Django's own answer: the log-in page says the account may not enter
    return otp.second_factor_step(request)


class SecondFactorAdminSite(OTPAdminSite):
    """``OTPAdminSite`` whose second step is the project's TOTP pages (module docstring)."""

    login_form = AdminAuthenticationForm
    login_template = None  # Django's admin log-in template (no code field)

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def admin_view(self, view, cacheable=False):
        guarded = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            step = _staff_step(request)
            if step is not None:
                return otp.step_redirect(request, step)
            return guarded(request, *args, **kwargs)

        return update_wrapper(inner, guarded)

    def login(self, request, extra_context=None):
        step = _staff_step(request)
        if step is not None:
            return otp.step_redirect(request, step)
        return super().login(request, extra_context)
