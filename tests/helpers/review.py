"""Staff review: an htmx request's header and what tokens an app holds."""

from __future__ import annotations

from oauth2_provider.models import (
    get_access_token_model,
    get_device_grant_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def token_counts(app) -> dict[str, int]:
    return {
        "access": get_access_token_model().objects.filter(application=app).count(),
        "refresh": get_refresh_token_model().objects.filter(application=app).count(),
        "id": get_id_token_model().objects.filter(application=app).count(),
        "codes": get_grant_model().objects.filter(application=app).count(),
        "device": get_device_grant_model().objects.filter(client_id=app.client_id).count(),
    }
