"""Service A self-registration (ID-3, ID-4, ID-6), re-binding a renewed My Number certificate
(ID-3 [B]), filing-agent certificate renewal (ID-4) and the forgotten password (ID-13).

The one import path of service A's account services; they live in:

- ``service_a_links``: the one-time links (registration: ``REGISTRATION_LINK_LIFETIME``, 24
  hours; reset: ``RESET_LINK_LIFETIME``, 1 hour) and who a link is for;
- ``service_a_common``: what every self-registration shares — the categories, pending
  registrations and their removal when the link expired (``service_a_pending_prune``), the
  auth-ID checks, creating the user with its registration mail, the refusals;
- ``service_a_holders``: My Number card holders (ID-3) — the certificate and the proof that the
  card is present (``certificate_check``, ``certificate_prove``), registration
  (``service_a_register_holder``) and re-binding (``identity_certificate_rebind``);
- ``service_a_agents``: filing agents (ID-4, ``filing_agent_register``,
  ``filing_agent_certificate_renew``) and COE e-delivery recipients (ID-6,
  ``coe_recipient_register``);
- ``service_a_passwords``: the initial password from the registration link (002 Q2-5) and the
  forgotten password (ID-13, Q12-4);
- ``attempts``: the rate limit per client address (SEC-5, ``RateLimited``).

Audit actions: account.service_a_registered, account.service_a_registration_refused,
account.certificate_refused, account.possession_refused, account.password_initial,
account.service_a_registration_completed, account.registration_expired,
account.password_reset_requested, account.password_reset_unmatched, account.password_reset,
account.certificate_rebound, account.certificate_rebind_refused,
accounts.filingagentcertificate.renewed.
Mails: service_a_registered, service_a_completed, service_a_password_reset, password_changed,
identity_certificate_rebound, filing_agent_validity_changed.
"""

from __future__ import annotations

from .attempts import RATE_WINDOW, RateLimited
from .attempts import count_service_a_registration_attempt as count_registration_attempt
from .models import fold_name, holder_identity_text
from .service_a_agents import (
    coe_recipient_register,
    filing_agent_certificate_renew,
    filing_agent_register,
)
from .service_a_common import (
    ID3_CATEGORIES,
    SELF_REGISTRATION_CATEGORIES,
    service_a_pending_prune,
)
from .service_a_holders import (
    certificate_check,
    certificate_prove,
    identity_certificate_rebind,
    service_a_register_holder,
)
from .service_a_links import (
    LINK_URL_NAMES,
    LINKS,
    REGISTRATION_LINK_LIFETIME,
    RESET_LINK_LIFETIME,
    _LinkTokens,
    link_url,
    link_user,
)
from .service_a_passwords import (
    RESET_MAILS_PER_AUTH_ID,
    link_invalid_message,
    service_a_initial_password_set,
    service_a_password_reset,
    service_a_password_reset_request,
)

__all__ = [
    "ID3_CATEGORIES",
    "LINKS",
    "LINK_URL_NAMES",
    "RATE_WINDOW",
    "REGISTRATION_LINK_LIFETIME",
    "RESET_LINK_LIFETIME",
    "RESET_MAILS_PER_AUTH_ID",
    "SELF_REGISTRATION_CATEGORIES",
    "RateLimited",
    "_LinkTokens",
    "certificate_check",
    "certificate_prove",
    "coe_recipient_register",
    "count_registration_attempt",
    "filing_agent_certificate_renew",
    "filing_agent_register",
    "fold_name",
    "holder_identity_text",
    "identity_certificate_rebind",
    "link_invalid_message",
    "link_url",
    "link_user",
    "service_a_initial_password_set",
    "service_a_password_reset",
    "service_a_password_reset_request",
    "service_a_pending_prune",
    "service_a_register_holder",
]
