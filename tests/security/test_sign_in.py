"""Every password sign-in goes through allauth, with its login-failure limits (finding 8), and sign-in
events reach the audit log without letting an attacker flood it (finding 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from portal.audit.models import AuditEvent
from tests.helpers.accounts import totp_add, totp_code_to_type
from tests.helpers.constants import PASSWORD
from tests.helpers.keys import rsa_private_key_pem

ROOT = Path(__file__).resolve().parents[2]
LIMIT_MESSAGE = "Too many failed login attempts. Try again later."


@pytest.fixture(autouse=True)
def _fresh_limits():
    # allauth keeps its counters in Django's cache; start and end each test with none.
    cache.clear()
    yield
    cache.clear()


def _sign_in(client, login: str, password: str, **extra):
    return client.post("/accounts/login/", {"login": login, "password": password}, **extra)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_the_admin_login_page_sends_people_to_the_portal_sign_in(client):
    response = client.get("/admin/login/?next=/admin/clients/application/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fclients%2Fapplication%2F"


@pytest.mark.django_db
def test_the_admin_login_form_no_longer_checks_passwords(client, sam):
    # Before: 30 wrong passwords at /admin/login/, then the right one signed in. Now no password posted
    # there is ever checked, so there is nothing to guess against.
    for attempt in range(30):
        client.post("/admin/login/", {"username": "sam", "password": f"wrong-{attempt}"})
    response = client.post("/admin/login/", {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not _signed_in(client)


@pytest.mark.django_db
def test_after_the_limit_even_the_right_password_is_refused(client, sam):
    for attempt in range(5):
        response = _sign_in(client, "sam", f"wrong-{attempt}")
        assert response.status_code == 200
        assert LIMIT_MESSAGE not in response.content.decode()
    response = _sign_in(client, "sam", PASSWORD)
    assert response.status_code == 200
    assert LIMIT_MESSAGE in response.content.decode()
    assert not _signed_in(client)


@pytest.mark.django_db
def test_a_staff_member_reaches_the_admin_through_the_portal_sign_in(client, sam):
    secret = totp_add(sam)
    response = _sign_in(client, "sam", PASSWORD, QUERY_STRING="next=/admin/")
    assert response.status_code == 302
    # Staff have a second factor: the password leads to the code, and the code to the admin.
    assert response["Location"] == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code_to_type(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.ADMIN_LOGIN)
    assert event.actor == sam
    assert event.ip_address == "127.0.0.1"


@pytest.mark.django_db
def test_a_non_staff_sign_in_is_not_an_admin_sign_in(client, alice):
    assert _sign_in(client, "alice", PASSWORD).status_code == 302
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_LOGIN).exists()
    assert client.get("/admin/login/").status_code == 403


@pytest.mark.django_db
def test_a_failed_sign_in_is_audited_without_the_password(client, erin):
    _sign_in(client, "erin", "guess-one")
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert event.changes == {"login": "erin"}
    assert event.actor is None
    assert event.ip_address == "127.0.0.1"
    assert "guess-one" not in str(event.changes)


@pytest.mark.django_db
def test_a_brute_force_writes_a_bounded_number_of_events(client, erin):
    responses = [_sign_in(client, "erin", f"guess-{attempt}") for attempt in range(40)]
    # Other accounts from the same address are refused too, and write nothing more.
    responses += [_sign_in(client, f"someone-{attempt}", "guess") for attempt in range(10)]
    failed = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED)
    limited = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_RATE_LIMITED)
    # allauth's limits: 5 failures per login per 5 minutes, then its message; 30 posts a minute per address,
    # then HTTP 429 with Retry-After.
    assert list(failed.values_list("changes__login", flat=True)) == ["erin"] * 5
    assert limited.count() == 1
    assert limited.get().changes == {"login": "erin"}
    assert [response.status_code for response in responses[:30]] == [200] * 30
    assert {response.status_code for response in responses[30:]} == {429}
    assert int(responses[-1]["Retry-After"]) > 0


def _sign_up(client, email: str, username: str):
    password = "a-long-unguessable-passphrase"
    return client.post(
        "/accounts/signup/",
        {"email": email, "username": username, "password1": password, "password2": password},
    )


def test_production_requires_email_verification_by_default():
    # What makes the enumeration prevention below hold; development keeps "optional" for convenience.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCOUNT_", "DATABASE_URL"))}
    # The key is checked at start-up, so it must be a real one.
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 50,
        OIDC_RSA_PRIVATE_KEY=rsa_private_key_pem(),
        CLIENT_SECRET_HMAC_KEYS="test:" + "k" * 40,
    )
    code = "import portal.settings as s; print(s.ACCOUNT_EMAIL_VERIFICATION, s.ACCOUNT_PREVENT_ENUMERATION)"
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["mandatory", "True"]


@pytest.mark.django_db
def test_sign_up_does_not_say_whether_an_email_address_has_an_account(client, settings, erin, mailoutbox):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"  # the production default
    taken = _sign_up(client, "erin@example.com", "not-erin")
    fresh = _sign_up(Client(), "new@example.com", "newcomer")
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"] == "/accounts/confirm-email/"
    assert not get_user_model().objects.filter(username="not-erin").exists()
    # The owner of the address learns that someone tried; the newcomer gets a confirmation link.
    assert [message.to for message in mailoutbox] == [["erin@example.com"], ["new@example.com"]]
    assert "already" in mailoutbox[0].body


@pytest.mark.django_db
def test_a_taken_username_is_still_named_at_sign_up(client, settings, erin):
    # Documented limit: a username must be unique and chosen by the person, so sign-up has to say it is
    # taken (allauth's enumeration prevention covers email addresses only). The sign-up rate limit
    # (20 a minute per address) bounds how fast usernames can be probed.
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = _sign_up(client, "other@example.com", "erin")
    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
