"""Emails to a developer about a staff decision. Texts live in templates/review/email/."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from portal.review.decisions import DECISIONS

# One email per decision that tells the developer (portal/review/decisions.py).
KINDS = frozenset(decision.email for decision in DECISIONS if decision.email)


def _app_url(application, request: HttpRequest | None) -> str:
    path = reverse("developer:application_detail", kwargs={"pk": application.pk})
    return request.build_absolute_uri(path) if request is not None else path


def notify_developer(*, application, kind: str, request: HttpRequest | None = None) -> None:
    """Send after the surrounding transaction commits: no mail about a decision that was rolled back, and
    a mail server that is down does not undo the decision (the developer also sees it on the app page)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown review email {kind!r}.")
    owner = application.user
    if owner is None or not owner.email:
        return
    context = {
        "application": application,
        "reason": application.review_reason,
        "developer": owner,
        "site_name": settings.SITE_NAME,
        "app_url": _app_url(application, request),
    }
    subject = render_to_string(f"review/email/{kind}_subject.txt", context).strip()
    body = render_to_string(f"review/email/{kind}_message.txt", context)
    recipient = owner.email

    def send() -> None:
        send_mail(f"[{settings.SITE_NAME}] {subject}", body, None, [recipient])

    transaction.on_commit(send, robust=True)
