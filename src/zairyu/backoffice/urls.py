"""Back-office URLs (mounted at /backoffice/). Card pages use the database id, never the card
number, so no personal data appears in URLs or access logs."""

from django.urls import path

from . import (
    accounts_views,
    audit_views,
    filings_views,
    maillog_views,
    notices_views,
    staff_views,
    views,
)

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.OfficerLoginView.as_view(), name="login"),
    path("logout/", views.OfficerLogoutView.as_view(), name="logout"),
    path("cards/", views.card_search, name="card_search"),
    path("cards/new/", views.card_create, name="card_create"),
    path("cards/<int:card_id>/", views.card_detail, name="card_detail"),
    path("cards/<int:card_id>/renew/", views.card_renew, name="card_renew"),
    path("cards/<int:card_id>/invalidate/", views.card_invalidate, name="card_invalidate"),
    path("cards/<int:card_id>/departure/", views.card_departure, name="card_departure"),
    path("cards/<int:card_id>/return/", views.card_return, name="card_return"),
    path("cards/<int:card_id>/moving-in/", views.card_moving_in, name="card_moving_in"),
    # Accounts (BO-3, ID-2, ID-8, ID-13, ID-17, ID-19); ids only, no auth IDs in URLs
    path("accounts/", accounts_views.account_search, name="account_search"),
    path(
        "accounts/organizations/",
        accounts_views.organization_search,
        name="organization_search",
    ),
    path(
        "accounts/organizations/register/",
        accounts_views.account_register,
        name="account_register",
    ),
    path(
        "accounts/organizations/<int:organization_id>/register/",
        accounts_views.account_register_for,
        name="account_register_for",
    ),
    path("accounts/<int:account_id>/", accounts_views.account_detail, name="account_detail"),
    path(
        "accounts/<int:account_id>/password/",
        accounts_views.account_password_reissue,
        name="account_password_reissue",
    ),
    path(
        "accounts/<int:account_id>/auth-id-notice/",
        accounts_views.account_auth_id_notify,
        name="account_auth_id_notify",
    ),
    path(
        "accounts/<int:account_id>/reissue/",
        accounts_views.account_auth_id_reissue,
        name="account_auth_id_reissue",
    ),
    path("accounts/<int:account_id>/unlock/", accounts_views.account_unlock, name="account_unlock"),
    path(
        "accounts/<int:account_id>/second-factor/reset/",
        accounts_views.account_second_factor_reset,
        name="account_second_factor_reset",
    ),
    path(
        "accounts/<int:account_id>/<slug:action>/",
        accounts_views.account_state,
        name="account_state",
    ),
    # Service N filings (BO-4): error queue, search, withdrawals; ids only in URLs
    path("filings/", filings_views.filing_search, name="filing_search"),
    path("filings/errors/", filings_views.filing_errors, name="filing_errors"),
    path("filings/withdrawn/", filings_views.filing_withdrawals, name="filing_withdrawals"),
    path("filings/<int:filing_id>/", filings_views.filing_detail, name="filing_detail"),
    path(
        "filings/<int:filing_id>/withdraw/",
        filings_views.filing_withdraw,
        name="filing_withdraw",
    ),
    path("filings/<int:filing_id>/retry/", filings_views.filing_retry, name="filing_retry"),
    path("filings/<int:filing_id>/review/", filings_views.filing_review, name="filing_review"),
    # Staff requests for use, periodic reports, resignation and changes (ID-5, ID-10, ID-11)
    path("staff/", staff_views.staff_queue, name="staff_queue"),
    path("staff/requests/new/", staff_views.request_record, name="staff_request_record"),
    path("staff/requests/<int:request_id>/", staff_views.request_detail, name="staff_request"),
    path(
        "staff/requests/<int:request_id>/documents/<int:document_id>/",
        staff_views.request_document,
        name="staff_request_document",
    ),
    path("staff/reports/<int:report_id>/", staff_views.report_detail, name="staff_report"),
    path("staff/changes/<int:change_id>/", staff_views.change_detail, name="staff_change"),
    path(
        "staff/organizations/<int:organization_id>/",
        staff_views.organization_staff,
        name="staff_organization",
    ),
    path(
        "staff/accounts/<int:account_id>/resign/",
        staff_views.account_resign,
        name="staff_account_resign",
    ),
    path(
        "staff/accounts/<int:account_id>/clients/",
        staff_views.account_client_add,
        name="staff_account_client",
    ),
    # Notices on the top page (BO-7), audit trail (BO-8, SEC-6), mail log (BO-9)
    path("notices/", notices_views.notice_list, name="notices"),
    path("notices/new/", notices_views.notice_create, name="notice_create"),
    path("notices/<int:notice_id>/", notices_views.notice_edit, name="notice_edit"),
    path("notices/<int:notice_id>/end/", notices_views.notice_end, name="notice_end"),
    path("audit/", audit_views.audit_list, name="audit"),
    path("audit/export/", audit_views.audit_export, name="audit_export"),
    path("audit/verify/", audit_views.audit_verify_chain, name="audit_verify"),
    path("audit/<int:event_id>/", audit_views.audit_detail, name="audit_detail"),
    path("mails/", maillog_views.mail_list, name="maillog"),
    path("mails/<int:mail_id>/", maillog_views.mail_detail, name="maillog_detail"),
    path("mails/<int:mail_id>/requeue/", maillog_views.mail_requeue_view, name="maillog_requeue"),
]
