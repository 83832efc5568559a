"""Fixtures for staff review: apps in each state and tokens of every kind an app can hold."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_device_grant_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
    set_token_value,
)


@pytest.fixture
def pending_app(alice, make_app):
    app, _secret = make_app(alice, name="Pending App", review_status="pending", skip_authorization=False)
    app.submitted_at = timezone.now()
    app.save(update_fields=["submitted_at"])
    return app


@pytest.fixture
def approved_app(alice, make_app):
    return make_app(alice, name="Approved App", skip_authorization=False)[0]


@pytest.fixture
def issue_tokens():
    """Give `app` one of everything for `user`: access, refresh and ID token, code, device grant.
    Returns the raw access and refresh token values."""

    def issue(app, user, *, scope: str = "read openid") -> dict[str, str]:
        expires = timezone.now() + timedelta(hours=1)
        id_token = get_id_token_model().objects.create(
            user=user, application=app, expires=expires, scope=scope, jti=uuid.uuid4()
        )
        raw_access, raw_refresh = f"access-{uuid.uuid4().hex}", f"refresh-{uuid.uuid4().hex}"
        access = get_access_token_model()(
            user=user, application=app, scope=scope, expires=expires, id_token=id_token
        )
        set_token_value(access, raw_access)
        access.save()
        refresh = get_refresh_token_model()(user=user, application=app, access_token=access)
        set_token_value(refresh, raw_refresh)
        refresh.save()
        get_grant_model().objects.create(
            user=user,
            application=app,
            code=f"code-{uuid.uuid4().hex}",
            expires=expires,
            redirect_uri=app.redirect_uris.split()[0] if app.redirect_uris else "",
            scope=scope,
        )
        get_device_grant_model().objects.create(
            user=user,
            client_id=app.client_id,
            device_code=f"device-{uuid.uuid4().hex}",
            user_code=uuid.uuid4().hex[:8],
            expires=expires,
        )
        return {"access": raw_access, "refresh": raw_refresh}

    return issue
