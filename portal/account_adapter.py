"""The portal's allauth adapter: every password sign-in goes through allauth (the admin's login page
redirects here, portal/urls.py), so this is the one place that sees each attempt, and it writes the sign-in
events staff need to investigate an incident:

- `auth.login_failed` for a wrong login or password, with the login that was tried (never the password);
- `auth.rate_limited` when allauth's login-failure limit refuses an attempt, at most once per address per
  limit window, however many attempts follow;
- `auth.admin_login` when a staff account signs in (a staff session can use /admin/ and /staff/).

The log cannot be flooded: allauth refuses attempts beyond its limit (10 a minute per address, 5 per five
minutes per login) before any password is checked, and a refused attempt writes nothing but that one
rate-limited event per window. The limits live in Django's cache, so they hold across processes once the
cache is shared (REDIS_URL).
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record, client_ip

LOGIN_LABEL_LENGTH = 150


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
