"""Connected apps over real HTTP (issue 9, finding 11): an app holding a person's tokens without a consent
record (as tokens adopted from a stock DOT install are) is listed, and revoking it there takes them back."""

from __future__ import annotations

import re

import pytest
import requests

from portal.consent.models import Consent
from tests.oauth.http import csrf_of, tokens_for


@pytest.fixture(autouse=True)
def _allow_plain_http_to_the_test_server(monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.mark.django_db(transaction=True)
def test_tokens_without_a_consent_record_can_be_taken_back(live_server, alice, erin, make_app):
    base = live_server.url
    app, secret = make_app(alice, name="Old Integration", skip_authorization=True)
    browser, oauth, token = tokens_for(base, app, secret, "erin", scope="openid read")
    # As after adopting a stock DOT install: the tokens are there, the portal's consent record is not.
    Consent.objects.filter(application=app).delete()

    page = browser.get(f"{base}/accounts/connected-apps/")
    assert page.status_code == 200
    assert re.findall(r'data-app="([^"]+)"', page.text) == [app.client_id]
    action = f"/accounts/connected-apps/{app.pk}/revoke/"
    assert f'action="{action}"' in page.text

    revoked = browser.post(
        f"{base}{action}",
        data={"csrfmiddlewaretoken": csrf_of(page.text), "confirmed": "yes"},
        headers={"Referer": f"{base}/accounts/connected-apps/"},
        allow_redirects=False,
    )
    assert revoked.status_code == 302
    assert oauth.get(f"{base}/api/me").status_code == 401
    refresh = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert refresh.status_code == 400
    after = browser.get(f"{base}/accounts/connected-apps/")
    assert 'data-testid="no-connected-apps"' in after.text
