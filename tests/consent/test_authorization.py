"""The authorization endpoint: who is asked, what they see, what the tokens carry, what is remembered."""

from __future__ import annotations

import pytest
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from portal.audit.models import AuditEvent
from portal.consent.models import Consent
from tests.helpers.consent import authorization_request, callback_params, consent_form_data, exchange
from tests.helpers.constants import LOOPBACK_CALLBACK

pytestmark = pytest.mark.django_db


def _allow(client, request, response, **kwargs):
    return client.post(request.url, consent_form_data(response, **kwargs))


def test_the_consent_screen_says_who_asks_for_what_and_where_you_go(client, erin, consent_app):
    app, _secret = consent_app
    client.force_login(erin)
    response = client.get(authorization_request(app, scope="openid email read").url)
    assert response.status_code == 200
    assert response.templates[0].name == "consent/authorize.html"
    page = response.content.decode()
    assert "Photo Printer wants to use your account" in page
    assert "Alice Example" in page  # the developer
    assert 'href="https://printer.example.com/privacy"' in page
    assert 'href="https://printer.example.com/terms"' in page
    assert 'href="https://printer.example.com/"' in page
    for description in (
        "Sign you in with your account",
        "See your email address",
        "Read your account details",
    ):
        assert description in page
    assert "127.0.0.1:8765" in page  # the redirect host
    assert 'data-testid="verified"' in page
    # No logo uploaded: the placeholder initial stands in.
    assert 'class="app-logo placeholder large"' in page
    # openid cannot be unticked; the others can.
    assert 'name="granted_scopes" value="email"' in page
    assert 'name="granted_scopes" value="openid"' not in page


def test_allowing_issues_a_code_remembers_the_consent_and_audits_it(client, erin, consent_app):
    app, secret = consent_app
    client.force_login(erin)
    request = authorization_request(app, scope="openid email read")
    params = callback_params(_allow(client, request, client.get(request.url)))
    assert params["state"] == request.state
    assert params["iss"] == "http://testserver/o"
    token = exchange(client, app, secret, params["code"], request.verifier)
    assert set(token["scope"].split()) == {"openid", "email", "read"}

    consent = Consent.objects.get(user=erin, application=app)
    assert consent.scopes == ["openid", "email", "read"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONSENT_GIVEN)
    assert event.actor == erin and event.application_id == app.pk
    assert event.changes["scopes"] == [[], ["openid", "email", "read"]]


def test_remembered_consent_outlives_the_tokens(client, erin, consent_app):
    app, secret = consent_app
    client.force_login(erin)
    first = authorization_request(app, scope="openid read")
    params = callback_params(_allow(client, first, client.get(first.url)))
    exchange(client, app, secret, params["code"], first.verifier)
    # DOT's own "auto" approval would ask again once no live token remains (its issue #753).
    get_access_token_model().objects.all().delete()
    get_refresh_token_model().objects.all().delete()

    again = authorization_request(app, scope="read")  # a subset is covered too
    params = callback_params(client.get(again.url))
    token = exchange(client, app, secret, params["code"], again.verifier)
    assert token["scope"] == "read"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONSENT_GIVEN).count() == 1


def test_asking_for_more_shows_only_what_is_new(client, erin, consent_app):
    app, secret = consent_app
    client.force_login(erin)
    first = authorization_request(app, scope="openid read")
    callback_params(_allow(client, first, client.get(first.url)))

    wider = authorization_request(app, scope="openid read groups")
    response = client.get(wider.url)
    assert response.status_code == 200
    assert [scope.name for scope in response.context["asked"]] == ["groups"]
    assert [scope.name for scope in response.context["already_granted"]] == ["openid", "read"]
    params = callback_params(_allow(client, wider, response))
    token = exchange(client, app, secret, params["code"], wider.verifier)
    assert set(token["scope"].split()) == {"openid", "read", "groups"}
    assert Consent.objects.get(user=erin, application=app).scopes == ["openid", "read", "groups"]


def test_an_unticked_scope_is_not_in_the_token_and_not_remembered(client, erin, consent_app):
    app, secret = consent_app
    client.force_login(erin)
    request = authorization_request(app, scope="openid email read")
    params = callback_params(_allow(client, request, client.get(request.url), untick=("email",)))
    token = exchange(client, app, secret, params["code"], request.verifier)
    assert set(token["scope"].split()) == {"openid", "read"}
    assert Consent.objects.get(user=erin, application=app).scopes == ["openid", "read"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONSENT_GIVEN)
    assert event.changes["declined"] == ["email"]
    # The app asks for email again next time: the refusal is not taken for consent.
    response = client.get(authorization_request(app, scope="openid email read").url)
    assert [scope.name for scope in response.context["asked"]] == ["email"]


def test_unticking_everything_is_a_refusal(client, erin, consent_app):
    app, _secret = consent_app
    client.force_login(erin)
    request = authorization_request(app, scope="read email")
    params = callback_params(_allow(client, request, client.get(request.url), untick=("read", "email")))
    assert params["error"] == "access_denied"
    assert not Consent.objects.exists()


def test_a_person_cannot_grant_a_scope_the_app_did_not_ask_for(client, erin, consent_app):
    app, secret = consent_app
    client.force_login(erin)
    request = authorization_request(app, scope="read")
    response = client.get(request.url)
    data = consent_form_data(response)
    data["granted_scopes"] = ["read", "write"]
    params = callback_params(client.post(request.url, data))
    assert exchange(client, app, secret, params["code"], request.verifier)["scope"] == "read"


def test_deny_sends_access_denied_to_the_client(client, erin, consent_app):
    app, _secret = consent_app
    client.force_login(erin)
    request = authorization_request(app)
    params = callback_params(
        client.post(request.url, consent_form_data(client.get(request.url), allow=False))
    )
    assert params["error"] == "access_denied"
    assert params["state"] == request.state
    assert params["iss"] == "http://testserver/o"  # RFC 9207: errors name the issuer too
    assert not Consent.objects.exists()


def test_prompt_consent_asks_again_for_everything(client, erin, consent_app):
    app, _secret = consent_app
    client.force_login(erin)
    first = authorization_request(app, scope="openid read email")
    callback_params(_allow(client, first, client.get(first.url)))

    again = authorization_request(app, scope="openid read email", prompt="consent")
    response = client.get(again.url)
    assert response.status_code == 200
    assert [scope.name for scope in response.context["asked"]] == ["openid", "email", "read"]
    callback_params(_allow(client, again, response, untick=("email",)))
    assert Consent.objects.get(user=erin, application=app).scopes == ["openid", "read"]


def test_a_trusted_app_gets_a_code_without_a_screen_and_is_remembered(client, erin, alice, make_app):
    app, secret = make_app(alice, name="In-house", skip_authorization=True)
    client.force_login(erin)
    request = authorization_request(app, scope="openid profile")
    params = callback_params(client.get(request.url))
    assert set(exchange(client, app, secret, params["code"], request.verifier)["scope"].split()) == {
        "openid",
        "profile",
    }
    # Remembered, so it is listed under connected apps and can be revoked; once only.
    assert Consent.objects.get(user=erin, application=app).scopes == ["openid", "profile"]
    callback_params(client.get(authorization_request(app, scope="openid profile").url))
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONSENT_GIVEN).count() == 1


@pytest.mark.parametrize(
    ("status", "title"),
    [
        ("pending", "This application is not available yet"),
        ("rejected", "This application was not approved"),
        ("suspended", "This application has been suspended"),
    ],
)
def test_an_unapproved_app_never_gets_a_code_even_when_trusted(client, erin, alice, make_app, status, title):
    app, _secret = make_app(alice, review_status=status, skip_authorization=True)
    client.force_login(erin)
    response = client.get(authorization_request(app).url)
    assert response.status_code == 401
    assert "Location" not in response
    page = response.content.decode()
    assert title in page and "Nothing from your account was shared" in page


def test_an_app_suspended_while_the_screen_is_open_gets_no_code(client, erin, consent_app):
    app, _secret = consent_app
    client.force_login(erin)
    request = authorization_request(app)
    response = client.get(request.url)
    app.review_status = "suspended"
    app.save()
    response = client.post(request.url, consent_form_data(response))
    assert response.status_code == 401
    assert "This application has been suspended" in response.content.decode()
    assert not Consent.objects.exists()


def test_an_unknown_app_is_explained_before_signing_in(client, consent_app):
    app, _secret = consent_app
    url = authorization_request(app).url.replace(app.client_id, "no-such-client")
    response = client.get(url)
    assert response.status_code == 400
    assert "Location" not in response
    assert "Unknown application" in response.content.decode()


def test_an_unregistered_redirect_uri_is_never_followed(client, erin, consent_app):
    app, _secret = consent_app
    client.force_login(erin)
    # Another path (a loopback URI may change its port, RFC 8252 7.3, but nothing else).
    url = authorization_request(app).url.replace("%2Fcallback", "%2Felsewhere")
    response = client.get(url)
    assert response.status_code == 400
    assert "Location" not in response
    assert "This sign-in link is not safe to follow" in response.content.decode()


def test_signing_in_first_then_coming_back(client, erin, consent_app):
    app, _secret = consent_app
    request = authorization_request(app)
    response = client.get(request.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_tampered_form_is_an_error_page_not_a_crash(client, erin, consent_app):
    app, _secret = consent_app
    client.force_login(erin)
    request = authorization_request(app)
    data = consent_form_data(client.get(request.url))
    data["client_id"] = "no-such-client"
    response = client.post(request.url, data)
    assert response.status_code == 400
    del data["client_id"]
    assert client.post(request.url, data).status_code == 400
    assert LOOPBACK_CALLBACK not in client.post(request.url, data).get("Location", "")
