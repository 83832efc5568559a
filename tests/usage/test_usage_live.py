"""Usage insights over real HTTP: a real OAuth client (Authlib, requests) against the portal on a live port
makes good and failing requests, and its developer sees the counts, the chart data and the error log.
Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from urllib.parse import urlencode

import pytest
import requests
from django.core import serializers
from django.core.management import call_command

from portal import envconfig
from portal.clients import grants
from portal.usage import counters
from portal.usage.models import IntegrationError, Kind, UsageDaily
from tests.helpers.constants import LOOPBACK_CALLBACK, PASSWORD
from tests.helpers.oauth import sign_in, tokens_for

TOKEN = "/o/token/"


def _machine_token(base: str, client_id: str, secret: str, **extra) -> requests.Response:
    data = {"grant_type": "client_credentials", "scope": "read", **extra}
    return requests.post(f"{base}{TOKEN}", data=data, auth=(client_id, secret), timeout=10)


def _value(html: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">([^<]*)<', html).group(1).strip()


def _chart_values(html: str, slug: str) -> list[int]:
    """The per-day values the SVG chart draws (oldest first)."""
    figure = html.split(f'data-testid="chart-{slug}"', 1)[1].split("</svg>", 1)[0]
    return [int(value) for value in re.findall(r'data-value="(\d+)"', figure)]


@pytest.mark.django_db(transaction=True)
def test_good_and_failing_requests_show_as_counts_charts_and_error_log(live_server, alice, erin, make_app):
    base = live_server.url
    app, secret = make_app(
        alice,
        name="Counted App",
        grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS],
        skip_authorization=True,
    )
    # Good: a person signs in through the app (code + PKCE), the app refreshes, and gets two machine tokens.
    browser, oauth, token = tokens_for(base, app, secret, "erin")
    oauth.refresh_token(f"{base}{TOKEN}", refresh_token=token["refresh_token"])
    assert _machine_token(base, app.client_id, secret).status_code == 200
    assert _machine_token(base, app.client_id, secret).status_code == 200

    # Failing: a wrong secret, an unregistered redirect URI, a person's scope on a machine token, a grant the
    # app does not have, and a made-up code.
    assert _machine_token(base, app.client_id, "wrong-secret").status_code == 401
    unregistered = "https://attacker.example/cb"
    query = urlencode(
        {"response_type": "code", "client_id": app.client_id, "redirect_uri": unregistered, "scope": "read"}
    )
    refused = browser.get(f"{base}/o/authorize/?{query}", allow_redirects=False)
    assert refused.status_code == 400 and "attacker.example" not in refused.headers.get("Location", "")
    assert _machine_token(base, app.client_id, secret, scope="openid").json()["error"] == "invalid_scope"
    password_grant = requests.post(
        f"{base}{TOKEN}",
        data={"grant_type": "password", "username": "erin", "password": PASSWORD},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert password_grant.json()["error"] == "unauthorized_client"
    made_up = requests.post(
        f"{base}{TOKEN}",
        data={"grant_type": "authorization_code", "code": "made-up", "redirect_uri": LOOPBACK_CALLBACK},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert made_up.json()["error"] == "invalid_grant"

    # The developer sees it at once (unflushed counts are read from the cache) ...
    developer = sign_in(base, "alice")
    usage_url = f"{base}/developer/apps/{app.pk}/usage/"
    page = developer.get(usage_url, timeout=10).text
    expected = {"total-tokens": "4", "total-refreshes": "1", "total-errors": "5"}
    assert {key: _value(page, key) for key in expected} == expected
    assert _chart_values(page, "tokens")[-1] == 4 and len(_chart_values(page, "tokens")) == 30
    assert _chart_values(page, "people")[-1] == 1  # erin, once, although she got two tokens
    assert _chart_values(page, "errors")[-1] == 5
    assert "This redirect URI is not registered for the app" in page
    assert "https://attacker.example/cb" in page

    # ... and the same after `flush_usage` moved the counts into the database: nothing counted twice.
    call_command("flush_usage", verbosity=0)
    stored = {row.kind: row.count for row in UsageDaily.objects.filter(application=app)}
    assert stored == {
        Kind.TOKEN_AUTHORIZATION_CODE: 1,
        Kind.TOKEN_CLIENT_CREDENTIALS: 2,
        Kind.REFRESH: 1,
        Kind.PEOPLE: 1,
        Kind.ERROR_INVALID_CLIENT: 1,
        Kind.ERROR_REDIRECT_URI: 1,
        Kind.ERROR_INVALID_SCOPE: 1,
        Kind.ERROR_UNAUTHORIZED_CLIENT: 1,
        Kind.ERROR_INVALID_GRANT: 1,
    }
    page = developer.get(usage_url, timeout=10).text
    assert {key: _value(page, key) for key in expected} == expected

    logged = {(row.endpoint, row.code, row.value) for row in IntegrationError.objects.filter(application=app)}
    assert logged == {
        ("token", "invalid_client", ""),
        ("authorize", "redirect_uri_mismatch", unregistered),
        ("token", "invalid_scope", "openid"),
        ("token", "unauthorized_client", "grant_type=password"),
        ("token", "invalid_grant", ""),
    }

    # The error log filters by error, in place with htmx.
    only = developer.get(
        usage_url,
        params={"part": "errors", "error": "invalid_scope"},
        headers={"HX-Request": "true"},
        timeout=10,
    ).text
    assert "<html" not in only and only.count('data-testid="error-row"') == 1 and "Scope not allowed" in only

    # The 7-day switch answers the charts only, with 7 bars.
    week = developer.get(usage_url, params={"days": "7"}, headers={"HX-Request": "true"}, timeout=10).text
    assert "<html" not in week and len(_chart_values(week, "tokens")) == 7

    # The CSV has one row per day and a column per kind.
    exported = developer.get(f"{base}/developer/apps/{app.pk}/usage.csv?days=7", timeout=10)
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 7
    assert rows[-1]["token.client_credentials"] == "2" and rows[-1]["error.redirect_uri_mismatch"] == "1"
    assert sum(int(row["token.authorization_code"]) for row in rows) == 1


@pytest.mark.django_db(transaction=True)
def test_no_secret_code_or_token_lands_in_the_error_log(live_server, alice, erin, make_app):
    base = live_server.url
    app, secret = make_app(
        alice, grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS], skip_authorization=True
    )
    browser, oauth, token = tokens_for(base, app, secret, "erin")
    access, refresh = token["access_token"], token["refresh_token"]
    # A live code, to send where it does not belong.
    code_query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": LOOPBACK_CALLBACK,
            "scope": "read",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSwFrTA0",
            "code_challenge_method": "S256",
        }
    )
    location = browser.get(f"{base}/o/authorize/?{code_query}", allow_redirects=False).headers["Location"]
    code = re.search(r"code=([^&]+)", location).group(1)
    sensitive = [secret, code, access, refresh]

    post = requests.post
    # The secret and credentials in every field a failing request carries.
    post(
        f"{base}{TOKEN}",
        data={"grant_type": "client_credentials"},
        auth=(app.client_id, secret + "x"),
        timeout=10,
    )
    post(
        f"{base}{TOKEN}",
        data={"grant_type": "client_credentials", "scope": secret},
        auth=(app.client_id, secret),
        timeout=10,
    )
    post(f"{base}{TOKEN}", data={"grant_type": secret}, auth=(app.client_id, secret), timeout=10)
    post(
        f"{base}{TOKEN}",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"https://x.example/cb?t={access}",
        },
        auth=(app.client_id, secret),
        timeout=10,
    )
    post(
        f"{base}{TOKEN}",
        data={"grant_type": "refresh_token", "refresh_token": refresh + "x"},
        auth=(app.client_id, secret),
        timeout=10,
    )
    post(
        f"{base}{TOKEN}",
        data={"grant_type": "password", "username": "erin", "password": secret},
        auth=(app.client_id, secret),
        timeout=10,
    )
    for redirect in (
        f"https://x.example/{secret}",
        f"https://x.example/cb?code={code}#access_token={access}",
        f"https://{refresh}@x.example/",
    ):
        browser.get(
            f"{base}/o/authorize/",
            params={
                "response_type": "code",
                "client_id": app.client_id,
                "redirect_uri": redirect,
                "scope": "read",
            },
            allow_redirects=False,
            timeout=10,
        )
    browser.get(
        f"{base}/o/authorize/",
        params={
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": LOOPBACK_CALLBACK,
            "scope": f"read {access}",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSwFrTA0",
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=10,
    )

    rows = IntegrationError.objects.filter(application=app)
    assert rows.count() >= 7
    dumped = serializers.serialize("json", rows)
    for value in sensitive:
        assert value not in dumped
    assert json.loads(dumped)  # a real dump was searched
    # ... and the page that shows the log to the developer has none of them either.
    page = sign_in(base, "alice").get(f"{base}/developer/apps/{app.pk}/usage/", timeout=10).text
    assert 'data-testid="error-row"' in page
    for value in sensitive:
        assert value not in page
    # No person either: erin's name, email or id appear nowhere in the stored rows.
    assert "erin" not in dumped and erin.email not in dumped


@pytest.mark.django_db(transaction=True)
def test_a_refused_person_counts_as_a_denial(live_server, alice, erin, make_app):
    base = live_server.url
    app, _secret = make_app(alice, skip_authorization=False)
    browser = sign_in(base, "erin")
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": LOOPBACK_CALLBACK,
        "scope": "read",
        "state": secrets.token_urlsafe(8),
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSwFrTA0",
        "code_challenge_method": "S256",
    }
    screen = browser.get(f"{base}/o/authorize/", params=params, timeout=10).text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', screen))
    fields.pop("allow", None)
    answer = browser.post(
        f"{base}/o/authorize/?{urlencode(params)}", data=fields, allow_redirects=False, timeout=10
    )
    assert "error=access_denied" in answer.headers["Location"]
    assert counters.pending_counts(application_id=app.pk) == {(app.pk, counters.today(), Kind.DENIAL): 1}
    assert not IntegrationError.objects.filter(application=app).exists()


@pytest.mark.django_db(transaction=True)
def test_a_rate_limited_app_sees_its_429s(live_server, alice, make_app, settings):
    limits = dict(settings.PORTAL_RATE_LIMITS)
    limits["token_client"] = {**limits["token_client"], "rate": envconfig.parse_rate("token_client", "2/m")}
    settings.PORTAL_RATE_LIMITS = limits
    app, secret = make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    statuses = [_machine_token(live_server.url, app.client_id, secret).status_code for _ in range(5)]
    assert statuses == [200, 200, 429, 429, 429]
    pending = counters.pending_counts(application_id=app.pk)
    assert pending[(app.pk, counters.today(), Kind.ERROR_RATE_LIMITED)] == 3
    assert pending[(app.pk, counters.today(), Kind.TOKEN_CLIENT_CREDENTIALS)] == 2
    (row,) = IntegrationError.objects.filter(application=app)
    assert (row.code, row.count) == ("rate_limited", 3)
    page = sign_in(live_server.url, "alice").get(
        f"{live_server.url}/developer/apps/{app.pk}/usage/", timeout=10
    )
    assert "Too many requests" in page.text and "honour Retry-After" in page.text
