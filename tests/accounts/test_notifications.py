"""Security emails, sent after commit: a person when an app first gets access to their account, a developer
when a secret of their app is rotated or revoked and when a second factor is added or removed (allauth's)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from portal.clients.models import ClientSecret
from portal.consent.services import consent_grant
from tests.helpers.accounts import sign_in_recently_authenticated, totp_code_to_type

pytestmark = pytest.mark.django_db


def test_the_first_consent_tells_the_person_once(alice, erin, make_app, django_capture_on_commit_callbacks):
    app, _secret = make_app(alice, name="Photo Printer", skip_authorization=False)
    with django_capture_on_commit_callbacks(execute=True):
        consent_grant(user=erin, application=app, scopes=["openid", "read"], request=None)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["erin@example.com"]
    assert message.subject == "[OAuth Developer Portal] Photo Printer can now access your account"
    assert "(openid, read)" in message.body
    assert "/accounts/connected-apps/" in message.body

    # More scopes later, or the same again: no new "first access" email.
    with django_capture_on_commit_callbacks(execute=True):
        consent_grant(user=erin, application=app, scopes=["openid", "read", "email"], request=None)
        consent_grant(user=erin, application=app, scopes=["openid", "read", "email"], request=None)
    assert len(mail.outbox) == 1


def test_a_consent_that_is_rolled_back_sends_nothing(
    alice, erin, make_app, django_capture_on_commit_callbacks
):
    app, _secret = make_app(alice)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        consent_grant(user=erin, application=app, scopes=["read"], request=None)
    # The email waits for the commit; the test's transaction never commits, so nothing was sent.
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_rotating_and_revoking_a_secret_tell_the_developer(
    client, alice, make_app, current_terms, django_capture_on_commit_callbacks
):
    from portal.terms.services import terms_accept

    app, _secret = make_app(alice, name="Photo Printer")
    terms_accept(user=alice, version=current_terms, request=None)
    sign_in_recently_authenticated(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/developer/apps/{app.pk}/secrets/rotate/", {"grace": "3600"})
    assert len(mail.outbox) == 1
    rotated = mail.outbox[0]
    assert rotated.to == ["alice@example.com"]
    assert rotated.subject == "[OAuth Developer Portal] A new client secret was issued for Photo Printer"
    current = ClientSecret.objects.filter(application=app, expires_at__isnull=True).get()
    assert f"ending …{current.last_four}" in rotated.body
    assert f"http://testserver/developer/apps/{app.pk}/" in rotated.body

    previous = ClientSecret.objects.filter(application=app, expires_at__isnull=False).get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/developer/apps/{app.pk}/secrets/{previous.pk}/revoke/", {"confirmed": "yes"})
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "[OAuth Developer Portal] A client secret of Photo Printer was revoked"
    assert f"ending …{previous.last_four}" in mail.outbox[1].body


@pytest.mark.django_db(transaction=True)
def test_adding_and_removing_a_second_factor_tell_the_account_owner(client, alice):
    sign_in_recently_authenticated(client, alice)
    secret = client.get("/accounts/2fa/totp/activate/").context["form"].secret
    client.post("/accounts/2fa/totp/activate/", {"code": totp_code_to_type(secret)})
    client.post("/accounts/2fa/totp/deactivate/")
    subjects = [message.subject for message in mail.outbox if message.to == ["alice@example.com"]]
    assert any(re.search(r"Authenticator App Activated", subject, re.I) for subject in subjects), subjects
    assert any(re.search(r"Authenticator App Deactivated", subject, re.I) for subject in subjects), subjects
