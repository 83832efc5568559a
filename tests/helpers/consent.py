"""Driving the authorization endpoint with Django's test client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.helpers.constants import LOOPBACK_CALLBACK


@dataclass
class AuthorizationRequest:
    url: str
    verifier: str
    state: str


def authorization_request(app, *, scope: str = "openid read", **extra: str) -> AuthorizationRequest:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(8)
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": LOOPBACK_CALLBACK,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return AuthorizationRequest(f"/o/authorize/?{urlencode(params)}", verifier, state)


def callback_params(response) -> dict[str, str]:
    """The query of a redirect to the client's callback, one value per name."""
    assert response.status_code == 302, response.content[:500]
    location = response["Location"]
    assert location.startswith(LOOPBACK_CALLBACK), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def consent_form_data(response, *, allow: bool = True, untick: tuple[str, ...] = ()) -> dict:
    """What the browser posts from the consent screen: optional scopes ticked unless `untick` names them."""
    form = response.context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data["granted_scopes"] = [
        scope.name for scope in response.context["asked"] if not scope.required and scope.name not in untick
    ]
    if allow:
        data["allow"] = "true"
    return data


def exchange(client, app, secret: str, code: str, verifier: str) -> dict:
    basic = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    response = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": LOOPBACK_CALLBACK,
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200, response.content
    return response.json()
