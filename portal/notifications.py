"""Security emails the portal sends itself (allauth sends its own for passwords, email addresses and second
factors: ACCOUNT_EMAIL_NOTIFICATIONS). Texts live in templates/notifications/<kind>_subject.txt and
<kind>_message.txt.

Sent after the surrounding transaction commits: no mail about a change that was rolled back, and a mail
server that is down does not undo the change (robust=True logs the failure instead).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

KINDS = frozenset({"app_connected", "secret_rotated", "secret_revoked"})


def _absolute(path_name: str, request: HttpRequest | None, **kwargs) -> str:
    path = reverse(path_name, kwargs=kwargs or None)
    return request.build_absolute_uri(path) if request is not None else path


def notify(*, user, kind: str, context: dict, request: HttpRequest | None) -> None:
    if kind not in KINDS:
        raise ValueError(f"Unknown notification {kind!r}.")
    if user is None or not user.email:
        return
    context = {"person": user, "site_name": settings.SITE_NAME, **context}
    subject = render_to_string(f"notifications/{kind}_subject.txt", context).strip()
    body = render_to_string(f"notifications/{kind}_message.txt", context)
    recipient = user.email

    def send() -> None:
        send_mail(f"[{settings.SITE_NAME}] {subject}", body, None, [recipient])

    transaction.on_commit(send, robust=True)


def notify_app_connected(*, user, application, scopes: list[str], request: HttpRequest | None) -> None:
    """To a person, the first time an app gets access to their account (GitHub sends the same)."""
    notify(
        user=user,
        kind="app_connected",
        context={
            "application": application,
            "scopes": scopes,
            "connected_apps_url": _absolute("connected_apps", request),
        },
        request=request,
    )


def notify_secret_changed(*, application, kind: str, last_four: str, request: HttpRequest | None) -> None:
    """To the app's developer, whoever did it (a teammate, staff, or someone with a stolen session)."""
    notify(
        user=application.user,
        kind=kind,
        context={
            "application": application,
            "last_four": last_four,
            "app_url": _absolute("developer:application_detail", request, pk=application.pk),
        },
        request=request,
    )
