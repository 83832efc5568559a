"""A person sees their signed-in sessions and ends the others (audited); second factors added, removed,
recovery codes regenerated and failed re-authentications are in the audit log."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.test import Client

from portal.audit.models import AuditEvent
from tests.helpers.accounts import sign_in_recently_authenticated, totp_add, totp_code_to_type
from tests.helpers.constants import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in(user_agent: str, address: str) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_person_sees_their_sessions_and_ends_the_others(alice, erin):
    laptop = _sign_in("Laptop Firefox", "10.0.0.1")
    phone = _sign_in("Phone Safari", "10.0.0.2")
    page = laptop.get("/accounts/sessions/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Laptop Firefox" in html
    assert "Phone Safari" in html
    assert "10.0.0.2" in html

    ended = laptop.post("/accounts/sessions/")
    assert ended.status_code == 302
    # The phone is signed out; the laptop is not.
    assert phone.get("/accounts/sessions/").status_code == 302
    assert laptop.get("/accounts/sessions/").status_code == 200
    assert list(UserSession.objects.filter(user=alice).values_list("user_agent", flat=True)) == [
        "Laptop Firefox"
    ]
    event = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_ENDED)
    assert event.actor == alice
    assert event.changes == {"ip": "10.0.0.2", "user_agent": "Phone Safari"}


@pytest.mark.django_db(transaction=True)
def test_second_factor_changes_are_audited(client, alice):
    sign_in_recently_authenticated(client, alice)
    page = client.get("/accounts/2fa/totp/activate/")
    secret = page.context["form"].secret
    # allauth announces these after the transaction commits (hence a transactional test).
    assert client.post("/accounts/2fa/totp/activate/", {"code": totp_code_to_type(secret)}).status_code == 302
    added = AuditEvent.objects.filter(action=AuditEvent.Action.MFA_ADDED, actor=alice)
    assert sorted(event.changes["type"] for event in added) == ["recovery_codes", "totp"]

    assert client.post("/accounts/2fa/recovery-codes/generate/").status_code == 302
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MFA_RECOVERY_CODES, actor=alice).count() == 1

    assert client.post("/accounts/2fa/totp/deactivate/").status_code == 302
    assert not Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
    # The recovery codes go with the last second factor.
    removed = AuditEvent.objects.filter(action=AuditEvent.Action.MFA_REMOVED, actor=alice)
    assert sorted(event.changes["type"] for event in removed) == ["recovery_codes", "totp"]


def test_failed_re_authentication_is_audited(client, alice):
    totp_add(alice)
    client.force_login(alice)
    assert client.post("/accounts/reauthenticate/", {"password": "wrong"}).status_code == 200
    assert client.post("/accounts/2fa/reauthenticate/", {"code": "000001"}).status_code == 200
    methods = sorted(
        event.changes["method"] for event in AuditEvent.objects.filter(action=AuditEvent.Action.REAUTH_FAILED)
    )
    assert methods == ["password", "totp"]
