"""Use an adopted database as the old DOT server's clients and staff would: run with the portal's settings.

    DJANGO_SETTINGS_MODULE=portal.settings DATABASE_URL=... python -m tests.adoption.probe manifest.json

Presents every credential in the manifest (written by seed_stock_dot) to the portal's real endpoints through
Django's test client, against that real database, and prints what came back as JSON for the tests to judge.
Read-only checks run first: refreshing and redeeming codes consume credentials.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from html import unescape

import django


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _admin_rows(html: str) -> list[dict[str, str]]:
    """The changelist's rows as {column: text}, e.g. {"name": "Alice Web", "user": "alice", ...}."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = re.findall(r'<t[dh] class="field-(\w+)[^"]*"[^>]*>(.*?)</t[dh]>', row, re.S)
        if cells:
            rows.append({name: unescape(re.sub(r"<[^>]+>", "", text)).strip() for name, text in cells})
    return rows


def probe(manifest: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    apps = {app["pk"]: app for app in manifest["apps"]}
    out: dict = {}

    out["introspection"] = {
        token["pk"]: client.post(
            "/o/introspect/", {"token": token["token"]}, **_bearer(manifest["introspection_token"])
        ).json()
        for token in manifest["live_tokens"] + manifest["expired_tokens"]
    }
    out["api_me"] = {}
    for token in manifest["live_tokens"]:
        if token["user"]:
            response = client.get("/api/me", **_bearer(token["token"]))
            out["api_me"][token["pk"]] = {"status": response.status_code, "body": response.json()}

    out["client_credentials"] = {}
    request = {"grant_type": "client_credentials", "scope": "read"}
    for app in apps.values():
        if app["secret"]:
            response = client.post("/o/token/", request, **_basic(app["client_id"], app["secret"]))
            out["client_credentials"][app["pk"]] = {"status": response.status_code, "body": response.json()}
    # The control: a wrong secret is refused, so the answers above really come from checking the secret.
    # (Once: each check of a secret DOT hashed costs a quarter of a second.)
    web = next(app for app in apps.values() if app["name"] == "Alice Web")
    response = client.post("/o/token/", request, **_basic(web["client_id"], "not-" + web["secret"]))
    out["wrong_secret"] = {"status": response.status_code, "body": response.json()}

    from tests.helpers.accounts import sign_in_with_second_factor

    # Staff reach the admin only with a second factor used in the session (portal/mfa_gate.py).
    users = get_user_model().objects
    sign_in_with_second_factor(client, users.get(username="root"))
    out["admin_rows"] = _admin_rows(client.get("/admin/clients/application/").content.decode())
    out["admin_history"] = client.get(f"/admin/clients/application/{web['pk']}/history/").content.decode()
    sign_in_with_second_factor(client, users.get(username="sam"))
    out["staff_changelist_status"] = client.get("/admin/clients/application/").status_code
    client.logout()

    out["refresh"] = {}
    for token in manifest["refresh_tokens"]:
        app = apps[token["app"]]
        request = {"grant_type": "refresh_token", "refresh_token": token["token"]}
        if app["secret"]:
            response = client.post("/o/token/", request, **_basic(app["client_id"], app["secret"]))
        else:
            response = client.post("/o/token/", {**request, "client_id": app["client_id"]})
        result = {"status": response.status_code, "body": response.json()}
        if response.status_code == 200:
            result["api_me_status"] = client.get(
                "/api/me", **_bearer(result["body"]["access_token"])
            ).status_code
        out["refresh"][token["pk"]] = result

    out["code_exchange"] = {}
    for grant in manifest["grants"]:
        app = apps[grant["app"]]
        request = {
            "grant_type": "authorization_code",
            "code": grant["code"],
            "redirect_uri": app["redirect_uri"],
            "code_verifier": grant["verifier"],
        }
        if app["secret"]:
            response = client.post("/o/token/", request, **_basic(app["client_id"], app["secret"]))
        else:
            response = client.post("/o/token/", {**request, "client_id": app["client_id"]})
        out["code_exchange"][grant["pk"]] = {"status": response.status_code, "body": response.json()}

    # Connected apps: erin's adopted tokens have no portal consent record, yet she sees every app that
    # holds them and can take one's access back (last: it revokes credentials).
    client.force_login(users.get(username="erin"))
    page = client.get("/accounts/connected-apps/").content.decode()
    out["connected_apps"] = re.findall(r'data-app="([^"]+)"', page)
    revoked_app = next(token["app"] for token in manifest["live_tokens"] if token["user"] == "erin")
    response = client.post(f"/accounts/connected-apps/{revoked_app}/revoke/", {"confirmed": "yes"})
    client.logout()
    out["connected_app_revoke"] = {
        "app": revoked_app,
        "status": response.status_code,
        "api_me_after": [
            client.get("/api/me", **_bearer(token["token"])).status_code
            for token in manifest["live_tokens"]
            if token["user"] == "erin" and token["app"] == revoked_app
        ],
    }
    return out


if __name__ == "__main__":
    django.setup()
    with open(sys.argv[1]) as manifest_file:
        json.dump(probe(json.load(manifest_file)), sys.stdout)
