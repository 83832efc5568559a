"""How an event's `changes` read in a template: in people's words, never as stored Python values.

{"skip_authorization": [False, True]} reads "Trusted: no → yes"; grant lists read "Authorization code,
Client credentials"; {"revoked": {"access_tokens": 3, ...}} reads "Revoked: 3 access tokens"; a logo's
stored file name becomes a thumbnail (`before_image`/`after_image`) instead of a path.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.files.storage import default_storage
from django.template.defaultfilters import pluralize

from portal.clients import grants

register = template.Library()

LABELS = {
    "skip_authorization": "Trusted",
    "review_status": "Status",
    "review_reason": "Reason",
    "grant_types": "Grant types",
    "authorization_grant_type": "Grant type",
    "staff_allowed_grants": "Deprecated grants staff allowed",
    "redirect_uris": "Redirect URIs",
    "post_logout_redirect_uris": "Post-logout redirect URIs",
    "allowed_origins": "Allowed origins",
    "client_type": "Client type",
    "client_id": "Client ID",
    "homepage_url": "Homepage",
    "privacy_policy_url": "Privacy policy",
    "terms_of_service_url": "Terms of service",
    "proposed_changes": "Proposed change",
    "previous_secret_valid_for_seconds": "Grace period of the previous secret",
    "token_id": "Token",
    "via": "Through",
}

# What revoke_everything_of counts, in words; shown as one "Revoked" line.
COUNTED = {
    "access_tokens": "access token",
    "refresh_tokens": "refresh token",
    "authorization_codes": "authorization code",
    "id_tokens": "ID token",
    "device_grants": "device code",
}

_DURATIONS = [(7 * 86400, "day"), (86400, "day"), (3600, "hour"), (60, "minute")]


def _label(field: str) -> str:
    return LABELS.get(field, field.replace("_", " ").capitalize())


def _seconds(value: int) -> str:
    if not value:
        return "none (it stopped at once)"
    for size, unit in _DURATIONS[1:]:
        if value % size == 0:
            count = value // size
            return f"{count} {unit}{pluralize(count)}"
    return f"{value} seconds"


def _counts(counts: dict) -> str:
    parts = [
        f"{number} {COUNTED.get(key, key.replace('_', ' '))}{pluralize(number)}"
        for key, number in counts.items()
        if isinstance(number, int) and number
    ]
    return ", ".join(parts) or "nothing (none were active)"


def humanize(field: str, value: Any) -> str:
    """One stored value as a person reads it."""
    if value is None or value == "" or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field == "previous_secret_valid_for_seconds" and isinstance(value, int):
        return _seconds(value)
    if field == "review_status" and isinstance(value, str):
        return value.capitalize()
    if isinstance(value, list):
        return ", ".join(
            grants.LABELS.get(item, str(item)) if isinstance(item, str) else str(item) for item in value
        )
    if isinstance(value, dict):
        if value and all(key in COUNTED for key in value):
            return _counts(value)
        return "; ".join(f"{_label(key)}: {humanize(key, item)}" for key, item in value.items())
    if isinstance(value, str) and field.endswith("grant_type"):
        return grants.LABELS.get(value, value)
    if field == "token_id":
        return f"#{value}"
    return str(value)


def _logo_url(name: Any) -> str | None:
    # A replaced logo's file is deleted, so only files still stored get a thumbnail.
    if not name or not isinstance(name, str):
        return None
    try:
        return default_storage.url(name) if default_storage.exists(name) else None
    except (OSError, ValueError):
        return None


@register.filter
def change_rows(changes) -> list[dict]:
    rows = []
    counted = {key: value for key, value in (changes or {}).items() if key in COUNTED}
    for key, value in (changes or {}).items():
        if key in COUNTED:
            continue
        pair = (
            isinstance(value, list) and len(value) == 2 and key not in ("grant_types", "scopes", "declined")
        )
        if key in ("scopes", "grant_types") and isinstance(value, list) and len(value) == 2:
            pair = all(item is None or isinstance(item, list) for item in value)
        row = {"field": _label(key), "key": key, "pair": pair}
        if pair:
            row["before"], row["after"] = humanize(key, value[0]), humanize(key, value[1])
            if key == "logo":
                row["before_image"], row["after_image"] = _logo_url(value[0]), _logo_url(value[1])
                row["before"] = "previous logo" if value[0] else "none"
                row["after"] = "new logo" if value[1] else "removed"
        elif key == "revoked" and isinstance(value, dict):
            row["after"] = _counts(value)
        else:
            row["after"] = humanize(key, value)
        rows.append(row)
    if counted:
        rows.append({"field": "Revoked", "key": "revoked", "pair": False, "after": _counts(counted)})
    return rows
