"""The portal's allauth adapter: every password sign-in goes through allauth (the admin's login page
redirects here, portal/urls.py), so this is the one place that sees each attempt, and it writes the sign-in
events staff need to investigate an incident:

- `auth.login_failed` for a wrong login or password, with the login that was tried (never the password);
- `auth.rate_limited` when allauth's login-failure limit refuses an attempt, at most once per address per
  limit window, however many attempts follow;
- `auth.admin_login` when a staff account signs in (a staff session can use /admin/ and /staff/);
- `auth.reauth_failed` for a wrong password on the re-authentication page (a wrong code: see below);
- `auth.session_ended` for each session a person ends on the sessions page (PortalUserSessionsAdapter);
- `mfa.added`, `mfa.removed`, `mfa.recovery_codes`, and `auth.reauth_failed` for a wrong code, from
  allauth.mfa's signals (allauth has no adapter hook for them; connected in portal/pages/apps.py).

A person who confirms an address that a team invited, while signed in, is sent to the team list, where
the invitation waits for them (see also ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION in settings).

It also keeps a mail-server outage from becoming a 500: sign-up (verification is mandatory in production),
password reset and email changes send mail inside the request, and an unreachable SMTP server would
otherwise fail the whole request after the account was already saved. The person is told the email could
not be sent and can ask for it again (allauth resends the confirmation at the next sign-in).

The log cannot be flooded: allauth refuses attempts beyond its limit (10 a minute per address, 5 per five
minutes per login) before any password is checked, and a refused attempt writes nothing but that one
rate-limited event per window. The limits live in Django's cache, so they hold across processes once the
cache is shared (REDIS_URL).
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as request_context
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record, client_ip
from portal.teams.selectors import invitation_list_for_recipient

LOGIN_LABEL_LENGTH = 150
MAIL_NOT_SENT = "We could not send the email just now. Please try again in a few minutes."
# allauth's "we sent you an email" notice, which must not follow a failed send.
_SENT_NOTICES = frozenset({"account/messages/email_confirmation_sent.txt"})

logger = logging.getLogger(__name__)


def _tried_login(credentials: dict[str, Any]) -> str:
    return str(credentials.get("username") or credentials.get("email") or "")[:LOGIN_LABEL_LENGTH]


class PortalAccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            # Only allauth's login-failure limit raises here. One event per address and window: the key
            # expires with the window, so a new burst later is recorded again.
            window = getattr(settings, "ACCOUNT_LOGIN_ATTEMPTS_TIMEOUT", 300)  # allauth's default
            if cache.add(f"portal:audit:login-rate-limited:{client_ip(request)}", True, timeout=window):
                audit_record(
                    actor=None,
                    action=AuditEvent.Action.LOGIN_RATE_LIMITED,
                    changes={"login": _tried_login(credentials)},
                    request=request,
                )
            raise

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        super().authentication_failed(request, **credentials)
        audit_record(
            actor=None,
            action=AuditEvent.Action.LOGIN_FAILED,
            changes={"login": _tried_login(credentials)},
            request=request,
        )

    def login(self, request: HttpRequest, user) -> None:
        super().login(request, user)
        if user.is_staff or user.is_superuser:
            audit_record(
                actor=user,
                action=AuditEvent.Action.ADMIN_LOGIN,
                changes={"superuser": user.is_superuser},
                request=request,
            )

    def get_email_verification_redirect_url(self, email_address) -> str:
        # A signed-in person who just confirmed an address a team invited goes where they can accept it
        # (the team list's "Invitations waiting for you"); otherwise allauth's default.
        user = self.request.user
        if user.is_authenticated and invitation_list_for_recipient(user=user).exists():
            return reverse("developer:team_list")
        return super().get_email_verification_redirect_url(email_address)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError):
            # The template name says which email; the address is personal data and stays out of the log.
            logger.exception("Email %s could not be sent", template_prefix)
            request = request_context.request
            if request is not None:
                request.portal_mail_failed = True  # type: ignore[attr-defined]
                messages.error(request, MAIL_NOT_SENT)

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        if getattr(request, "portal_mail_failed", False) and message_template in _SENT_NOTICES:
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    def reauthenticate(self, user, password: str) -> bool:
        ok = super().reauthenticate(user, password)
        if not ok:
            audit_record(
                actor=user,
                action=AuditEvent.Action.REAUTH_FAILED,
                changes={"method": "password"},
                request=request_context.request,
            )
        return ok


class PortalUserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions) -> None:
        request = request_context.request
        for session in sessions:
            session.end()
            # Where the ended session was (never its key): enough to recognise "the laptop at home".
            audit_record(
                actor=request.user,
                action=AuditEvent.Action.SESSION_ENDED,
                changes={"ip": session.ip, "user_agent": session.user_agent[:200]},
                request=request,
            )


_MFA_ACTIONS = {
    "added": AuditEvent.Action.MFA_ADDED,
    "removed": AuditEvent.Action.MFA_REMOVED,
    "reset": AuditEvent.Action.MFA_RECOVERY_CODES,
}


def _mfa_event(kind: str):
    def receiver(sender, request, user, authenticator, **kwargs) -> None:
        audit_record(
            actor=user,
            action=_MFA_ACTIONS[kind],
            changes={"type": str(authenticator.type)},
            request=request,
        )

    return receiver


def _mfa_failed(sender, request, user, authenticator, reauthentication: bool = False, **kwargs) -> None:
    if reauthentication:
        audit_record(
            actor=user,
            action=AuditEvent.Action.REAUTH_FAILED,
            changes={"method": str(authenticator.type)},
            request=request,
        )


def connect_mfa_audit() -> None:
    from allauth.mfa import signals

    signals.authenticator_added.connect(_mfa_event("added"), dispatch_uid="portal-mfa-added", weak=False)
    signals.authenticator_removed.connect(
        _mfa_event("removed"), dispatch_uid="portal-mfa-removed", weak=False
    )
    signals.authenticator_reset.connect(_mfa_event("reset"), dispatch_uid="portal-mfa-reset", weak=False)
    signals.authentication_failed.connect(_mfa_failed, dispatch_uid="portal-mfa-failed", weak=False)
