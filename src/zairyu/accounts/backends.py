"""Every password sign-in — the portal, the back office and the Django admin — goes through
``services.login_attempt``, so the lock-out (ID-14), the per-address limit (SEC-5) and the
validity rules apply everywhere."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import services
from .models import User


class LockoutBackend(ModelBackend):
    def get_user(self, user_id):
        """The signed-in user of a request, with what every page of theirs reads next (the
        organization an organization account files for, the resident's person) in one query."""
        user = (
            User.objects.select_related("organization_account__organization", "person")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        try:
            return services.login_attempt(auth_id=username, password=password, request=request)
        except services.LoginRefused as refused:
            # Stop here: no later backend may accept a password this one refused.
            raise PermissionDenied(refused.code) from refused
