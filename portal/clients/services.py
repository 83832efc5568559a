"""Writes to OAuth clients. Views and commands call these; nothing else saves an Application."""

from __future__ import annotations

from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from portal.clients import grants


@transaction.atomic
def application_create(
    *,
    owner,
    name: str,
    client_type: str,
    grant_types: list[str],
    redirect_uris: list[str],
    review_status: str,
    skip_authorization: bool = False,
    client_id: str | None = None,
    description: str = "",
    homepage_url: str = "",
) -> tuple[object, str]:
    """Create an app and return it with its client secret in clear text, the only time it exists as such.

    The first grant in `grant_types` becomes DOT's `authorization_grant_type` (the one DOT's own code
    reads); the others are honoured through `Application.allows_grant_type`.
    """
    Application = get_application_model()
    secret = generate_client_secret()
    app = Application(
        user=owner,
        name=name,
        description=description,
        homepage_url=homepage_url,
        client_type=client_type,
        authorization_grant_type=grant_types[0],
        grant_types=list(grant_types),
        redirect_uris=" ".join(redirect_uris),
        review_status=review_status,
        skip_authorization=skip_authorization,
        client_secret=secret,
        hash_client_secret=True,
        algorithm=Application.RS256_ALGORITHM if grants.AUTHORIZATION_CODE in grant_types else "",
    )
    if client_id:
        app.client_id = client_id
    app.full_clean()
    app.save()
    return app, secret
