"""OpenID Connect's prompt and max_age on the authorization endpoint (Core 1.0, 3.1.2.1 and 3.1.2.6)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from portal.consent.models import Consent
from tests.helpers.consent import authorization_request, callback_params
from tests.helpers.constants import PASSWORD

pytestmark = pytest.mark.django_db


def _remember(erin, app, scopes):
    Consent.objects.create(user=erin, application=app, scopes=scopes)


@pytest.mark.parametrize("scope", ["openid read", "read"])
def test_prompt_none_signed_out_is_login_required(client, consent_app, scope):
    app, _secret = consent_app
    request = authorization_request(app, scope=scope, prompt="none")
    params = callback_params(client.get(request.url))
    assert params["error"] == "login_required"
    assert params["state"] == request.state
    assert params["iss"] == "http://testserver/o"


@pytest.mark.parametrize("scope", ["openid read", "read"])
def test_prompt_none_without_consent_is_consent_required_and_shows_no_page(client, erin, consent_app, scope):
    app, _secret = consent_app
    client.force_login(erin)
    request = authorization_request(app, scope=scope, prompt="none")
    params = callback_params(client.get(request.url))
    assert params["error"] == "consent_required"
    assert params["state"] == request.state


def test_prompt_none_asking_for_more_than_was_granted_is_consent_required(client, erin, consent_app):
    app, _secret = consent_app
    _remember(erin, app, ["openid", "read"])
    client.force_login(erin)
    params = callback_params(client.get(authorization_request(app, scope="openid email", prompt="none").url))
    assert params["error"] == "consent_required"


def test_prompt_none_with_remembered_consent_is_a_code(client, erin, consent_app):
    app, _secret = consent_app
    _remember(erin, app, ["openid", "read"])
    client.force_login(erin)
    params = callback_params(client.get(authorization_request(app, scope="openid read", prompt="none").url))
    assert "code" in params and "error" not in params


def test_prompt_none_for_a_trusted_app_is_a_code(client, erin, alice, make_app):
    app, _secret = make_app(alice, skip_authorization=True)
    client.force_login(erin)
    params = callback_params(client.get(authorization_request(app, prompt="none").url))
    assert "code" in params


def test_prompt_none_past_max_age_is_login_required(client, erin, consent_app):
    app, _secret = consent_app
    _remember(erin, app, ["openid", "read"])
    client.force_login(erin)
    erin.last_login = timezone.now() - timedelta(hours=2)
    erin.save()
    params = callback_params(client.get(authorization_request(app, prompt="none", max_age="3600").url))
    assert params["error"] == "login_required"


def test_prompt_none_with_another_prompt_is_invalid(client, erin, consent_app):
    app, _secret = consent_app
    client.force_login(erin)
    params = callback_params(client.get(authorization_request(app, prompt="none login").url))
    assert params["error"] == "invalid_request"


def test_prompt_none_for_an_unknown_client_never_redirects(client, erin, consent_app):
    app, _secret = consent_app
    url = authorization_request(app, prompt="none").url.replace(app.client_id, "no-such-client")
    for signed_in in (False, True):
        if signed_in:
            client.force_login(erin)
        response = client.get(url)
        assert response.status_code == 400
        assert "Location" not in response


def _reauthenticate_next_of(response) -> str:
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/reauthenticate/"
    return parse_qs(location.query)["next"][0]


def _reauthenticate(client) -> None:
    """What allauth records when the person types their password on its reauthentication page."""
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302


def test_prompt_login_asks_for_the_password_without_signing_out(client, erin, consent_app):
    app, _secret = consent_app
    _remember(erin, app, ["openid", "read"])
    client.force_login(erin)
    request = authorization_request(app, prompt="login consent")
    next_url = _reauthenticate_next_of(client.get(request.url))
    # Still signed in: a link on another site can make a person type their password, not sign them out.
    assert client.session["_auth_user_id"] == str(erin.pk)
    # The way back keeps every other parameter but no longer asks for a sign-in.
    query = parse_qs(urlsplit(next_url).query)
    assert query["prompt"] == ["consent"]
    assert query["state"] == [request.state]

    _reauthenticate(client)
    response = client.get(next_url)
    assert response.status_code == 200  # prompt=consent: the screen


def test_prompt_login_alone_is_dropped_on_the_way_back(client, erin, consent_app):
    app, _secret = consent_app
    client.force_login(erin)
    next_url = _reauthenticate_next_of(client.get(authorization_request(app, prompt="login").url))
    assert "prompt" not in parse_qs(urlsplit(next_url).query)


@pytest.mark.parametrize("max_age", ["0", "300"])
def test_max_age_exceeded_asks_for_the_password_again(client, erin, consent_app, max_age):
    app, _secret = consent_app
    _remember(erin, app, ["openid", "read"])
    client.force_login(erin)
    erin.last_login = timezone.now() - timedelta(minutes=10)
    erin.save()
    next_url = _reauthenticate_next_of(client.get(authorization_request(app, max_age=max_age).url))
    assert "max_age" not in parse_qs(urlsplit(next_url).query)  # or max_age=0 would loop
    assert client.session["_auth_user_id"] == str(erin.pk)

    _reauthenticate(client)
    assert "code" in callback_params(client.get(next_url))


def test_max_age_within_the_limit_goes_straight_on(client, erin, consent_app):
    app, _secret = consent_app
    _remember(erin, app, ["openid", "read"])
    client.force_login(erin)
    assert "code" in callback_params(client.get(authorization_request(app, max_age="300").url))


@pytest.mark.parametrize("max_age", ["-1", "abc", "1e3", "99999999999999999999999", "\u0663"])
@pytest.mark.parametrize("signed_in", [True, False])
def test_an_invalid_max_age_is_invalid_request_to_the_client(client, erin, consent_app, max_age, signed_in):
    app, _secret = consent_app
    if signed_in:
        client.force_login(erin)
    params = callback_params(client.get(authorization_request(app, max_age=max_age).url))
    assert params["error"] == "invalid_request"
    assert "max_age" in params["error_description"]
    if signed_in:
        assert client.session["_auth_user_id"] == str(erin.pk)


def test_a_nul_byte_in_max_age_is_refused_without_a_redirect_or_sign_out(client, erin, consent_app):
    # portal/request_guard.py refuses any NUL byte before the view runs (PostgreSQL cannot store one).
    app, _secret = consent_app
    client.force_login(erin)
    response = client.get(authorization_request(app, max_age="5\x00").url)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "NUL byte" in response.json()["error_description"]
    assert client.session["_auth_user_id"] == str(erin.pk)


def test_prompt_consent_shows_the_screen_even_for_a_trusted_app(client, erin, alice, make_app):
    app, _secret = make_app(alice, name="Trusted", skip_authorization=True)
    client.force_login(erin)
    assert "code" in callback_params(client.get(authorization_request(app).url))
    response = client.get(authorization_request(app, prompt="consent").url)
    assert response.status_code == 200
    assert response.templates[0].name == "consent/authorize.html"
    assert [scope.name for scope in response.context["asked"]] == ["openid", "read"]
