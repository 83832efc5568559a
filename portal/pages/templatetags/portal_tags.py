"""Small display helpers shared by the portal's templates: grant names, "just now", counts in words."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from portal.clients import grants
from portal.clients.selectors import application_find_by_client_id

register = template.Library()


@register.filter
def grant_label(value: str) -> str:
    """`urn:ietf:params:oauth:grant-type:device_code` reads "Device code", as in the registration form."""
    return grants.LABELS.get(value, value)


@register.filter
def ago(value: datetime | None) -> str:
    """ "just now" under a minute (timesince would say "0 minutes"), else "5 minutes ago"."""
    if not value:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value)} ago"


# A proposed change's keys as the registration form names them.
_FIELD_LABELS = {
    "redirect_uris": "Redirect URIs",
    "grant_types": "Grant types",
    "client_type": "Client type",
    "authorization_grant_type": "Grant type",
    "post_logout_redirect_uris": "Post-logout redirect URIs",
    "allowed_origins": "Allowed origins",
}


@register.filter
def proposed_rows(changes) -> list[dict]:
    """{"redirect_uris": "a b", "grant_types": [...]} as rows of a label and readable values."""
    rows = []
    for field, value in (changes or {}).items():
        if isinstance(value, list):
            values = [grants.LABELS.get(item, item) if isinstance(item, str) else item for item in value]
        elif isinstance(value, str) and field.endswith(("_uris", "_origins")):
            values = value.split()
        else:
            values = [value] if value not in (None, "") else []
        label = _FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
        rows.append({"label": label, "values": values})
    return rows


@register.simple_tag
def app_asking(next_url: str | None):
    """The approved app whose authorization request sent the person to sign in, from `?next=`."""
    if not next_url or len(next_url) > 4000:
        return None
    parts = urlsplit(next_url)
    if parts.netloc or parts.path != reverse("oauth2_provider:authorize"):
        return None
    client_id = (parse_qs(parts.query).get("client_id") or [""])[0]
    app = application_find_by_client_id(client_id=client_id) if client_id else None
    return app if app is not None and app.is_approved else None


@register.filter
def duration_words(value: timedelta | None) -> str:
    """A duration as "2 days, 3 hours" ("under a minute" below one)."""
    if value is None:
        return ""
    if value < timedelta(minutes=1):
        return "under a minute"
    now = timezone.now()
    return timesince(now - value, now)
