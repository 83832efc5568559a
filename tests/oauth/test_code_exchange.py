"""The authorization-code exchange at /o/token/, case by case: the validator reads the grant once per
request (PortalOAuth2Validator._exchange_grant) and every check DOT makes on it must still refuse what it
refused when it read the row in each hook."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model

from tests.helpers.constants import LOOPBACK_CALLBACK

VERIFIER = "a" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def _basic(app, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()


def _grant(app, user, *, code: str = "the-code", expires_in: int = 60, **fields):
    values = {
        "redirect_uri": LOOPBACK_CALLBACK,
        "scope": "read",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **fields,
    }
    return get_grant_model().objects.create(
        user=user,
        application=app,
        code=code,
        expires=timezone.now() + timedelta(seconds=expires_in),
        **values,
    )


def _exchange(client, app, secret, *, code: str = "the-code", **fields):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": LOOPBACK_CALLBACK,
        "code_verifier": VERIFIER,
        **fields,
    }
    data = {key: value for key, value in data.items() if value is not None}
    return client.post("/o/token/", data, HTTP_AUTHORIZATION=_basic(app, secret))


@pytest.fixture
def web(alice, make_app):
    return make_app(alice, name="Web")


@pytest.mark.django_db
def test_a_code_gives_a_token_for_its_person_and_scope_once(client, web, erin):
    app, secret = web
    _grant(app, erin)
    response = _exchange(client, app, secret)
    assert response.status_code == 200, response.content
    token = get_access_token_model().objects.get()
    assert (token.user, token.application, token.scope) == (erin, app, "read")
    assert not get_grant_model().objects.exists()

    again = _exchange(client, app, secret)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


@pytest.mark.django_db
def test_an_expired_code_is_refused(client, web, erin):
    app, secret = web
    _grant(app, erin, expires_in=-1)
    response = _exchange(client, app, secret)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not get_access_token_model().objects.exists()


@pytest.mark.django_db
def test_another_clients_code_is_refused_and_stays_usable_by_its_own(client, web, alice, erin, make_app):
    app, secret = web
    other, other_secret = make_app(alice, name="Other")
    _grant(app, erin)
    response = _exchange(client, other, other_secret)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not get_access_token_model().objects.exists()
    assert _exchange(client, app, secret).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("verifier", "error"),
    [("b" * 64, "invalid_grant"), (None, "invalid_request")],
    ids=["wrong verifier", "no verifier"],
)
def test_a_failed_pkce_check_is_refused(client, web, erin, verifier, error):
    app, secret = web
    _grant(app, erin)
    response = _exchange(client, app, secret, code_verifier=verifier)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert not get_access_token_model().objects.exists()


@pytest.mark.django_db
def test_a_code_issued_without_a_challenge_is_refused(client, web, erin):
    # PKCE is required: a grant stored without a challenge (before the rule) cannot be exchanged.
    app, secret = web
    _grant(app, erin, code_challenge="", code_challenge_method="")
    response = _exchange(client, app, secret)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Challenge not found"}


@pytest.mark.django_db
def test_a_redirect_uri_other_than_the_authorization_requests_is_refused(client, web, erin):
    app, secret = web
    _grant(app, erin)
    response = _exchange(client, app, secret, redirect_uri="http://127.0.0.1:8765/elsewhere")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"] == "Mismatching redirect URI."
    assert not get_access_token_model().objects.exists()


@pytest.mark.django_db
def test_the_token_inherits_the_grants_resource_and_cannot_widen_it(client, web, erin):
    app, secret = web
    _grant(app, erin, resource=["https://api.example.com/"])
    widened = _exchange(client, app, secret, resource="https://other.example.com/")
    assert widened.status_code == 400
    # Raised past oauthlib's endpoint (while saving the token), which DOT answered as text/html: the
    # portal labels it as the JSON it is, like every other error (the test client's json() checks that).
    assert widened["Content-Type"] == "application/json"
    assert widened["Cache-Control"] == "no-store"
    assert widened.json()["error"] == "invalid_target"
    assert not get_access_token_model().objects.exists()

    _grant(app, erin, code="second-code", resource=["https://api.example.com/"])
    response = _exchange(client, app, secret, code="second-code")
    assert response.status_code == 200, response.content
    assert get_access_token_model().objects.get().resource == ["https://api.example.com/"]


@pytest.mark.django_db
def test_an_openid_code_gives_an_id_token_with_its_nonce_and_claims(client, web, erin):
    app, secret = web
    _grant(
        app,
        erin,
        scope="openid read",
        nonce="the-nonce",
        claims=json.dumps({"id_token": {"email": {"essential": True}}}),
    )
    response = _exchange(client, app, secret)
    assert response.status_code == 200, response.content
    payload = response.json()["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["nonce"] == "the-nonce"
    assert claims["sub"] == str(erin.pk)
    assert claims["aud"] == app.client_id
    # The access token is tied to that ID token (userinfo and RP-initiated logout find it through it).
    assert str(get_access_token_model().objects.get().id_token.jti) == claims["jti"]
