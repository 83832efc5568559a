"""Fill a stock DOT database the way a real DOT project would have: run with the stock settings.

    DJANGO_SETTINGS_MODULE=tests.adoption.stock_dot_settings DATABASE_URL=... \
        python -m tests.adoption.seed_stock_dot manifest.json

Everything goes through DOT's own built-in models, so client secrets are hashed by Django's default hasher
and tokens are stored the way DOT 3.4.1 stores them by default. The manifest records what a client of the
old server holds (clear secrets, tokens, codes) so the tests can present them to the adopted portal.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sys
import uuid
from datetime import timedelta

import django


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def seed() -> dict:
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth.models import Permission, User
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application, DeviceGrant, Grant, IDToken, RefreshToken

    now = timezone.now()
    users = {}
    for username in ("alice", "bob", "erin", "sam", "root"):
        user = User(username=username, email=f"{username}@example.com", is_staff=username in ("sam", "root"))
        user.is_superuser = username == "root"
        user.set_unusable_password()  # the probe signs in with force_login; no slow password hashing
        user.save()
        users[username] = user
    # sam may review apps in the old DOT admin; after adoption that same grant must open the portal's.
    users["sam"].user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="oauth2_provider", content_type__model="application"
        )
    )

    # (owner, name, client type, grant, hash the secret?) -- one app per grant type DOT knows, plus the
    # shapes real installs accumulate: a secret stored in clear, and an app with no owner.
    specs = [
        ("alice", "Alice Web", "confidential", "authorization-code", True),
        ("alice", "Alice Cron", "confidential", "client-credentials", True),
        ("alice", "Alice Legacy Mobile", "confidential", "password", True),
        ("bob", "Bob SPA", "public", "authorization-code", True),
        ("bob", "Bob Widget", "public", "implicit", True),
        ("bob", "Bob Hybrid", "confidential", "openid-hybrid", True),
        ("bob", "Bob TV", "public", "urn:ietf:params:oauth:grant-type:device_code", True),
        ("bob", "Bob Plain Secret", "confidential", "client-credentials", False),
        (None, "Resource Server", "confidential", "client-credentials", True),
    ]
    apps, tokens, expired, refresh, grants = [], [], [], [], []
    for owner, name, client_type, grant_type, hashed in specs:
        secret = secrets.token_urlsafe(40)
        slug = name.lower().replace(" ", "-")
        app = Application.objects.create(
            user=users[owner] if owner else None,
            name=name,
            client_type=client_type,
            authorization_grant_type=grant_type,
            redirect_uris=f"https://{slug}.example/callback",
            client_secret=secret,
            hash_client_secret=hashed,
            algorithm="RS256" if grant_type in ("authorization-code", "openid-hybrid") else "",
        )
        apps.append(
            {
                "pk": app.pk,
                "client_id": app.client_id,
                "name": name,
                "owner": owner,
                "client_type": client_type,
                "grant": grant_type,
                "secret": secret if client_type == "confidential" else None,
                "redirect_uri": f"https://{slug}.example/callback",
            }
        )
        user = None if grant_type == "client-credentials" else users["erin"]
        scope = "introspection" if name == "Resource Server" else "read write"
        live = AccessToken.objects.create(
            user=user,
            application=app,
            token=secrets.token_urlsafe(30),
            expires=now + timedelta(days=1),
            scope=scope,
        )
        old = AccessToken.objects.create(
            user=user,
            application=app,
            token=secrets.token_urlsafe(30),
            expires=now - timedelta(hours=1),
            scope=scope,
        )
        tokens.append({"pk": live.pk, "token": live.token, "app": app.pk, "user": user and user.username})
        expired.append({"pk": old.pk, "token": old.token, "app": app.pk})
        if grant_type == "authorization-code" or grant_type == "openid-hybrid":
            id_token = IDToken.objects.create(user=user, application=app, expires=now + timedelta(hours=1))
            live.id_token = id_token
            live.save(update_fields=["id_token"])
        if user is not None and grant_type != "implicit":
            # The refresh token belongs to the expired access token: the client refreshes because it expired.
            # Refresh tokens issued before DOT 3.0 have no family; Bob's SPA keeps one like that.
            rt = RefreshToken.objects.create(
                user=user,
                application=app,
                token=secrets.token_urlsafe(30),
                access_token=old,
                token_family=None if name == "Bob SPA" else uuid.uuid4(),
            )
            refresh.append({"pk": rt.pk, "token": rt.token, "app": app.pk})
        if grant_type == "authorization-code":
            verifier = secrets.token_urlsafe(48)
            code = Grant.objects.create(
                user=users["erin"],
                application=app,
                code=secrets.token_urlsafe(30),
                expires=now + timedelta(hours=1),
                redirect_uri=f"https://{slug}.example/callback",
                scope="read",
                code_challenge=_s256(verifier),
                code_challenge_method="S256",
            )
            grants.append({"pk": code.pk, "code": code.code, "verifier": verifier, "app": app.pk})
        if grant_type == "urn:ietf:params:oauth:grant-type:device_code":
            DeviceGrant.objects.create(
                client_id=app.client_id,
                device_code=secrets.token_urlsafe(20),
                user_code="WDJB-MJHT",
                expires=now + timedelta(minutes=10),
            )

    web = Application.objects.get(name="Alice Web")
    LogEntry.objects.create(
        user=users["root"],
        content_type=ContentType.objects.get_for_model(Application),
        object_id=str(web.pk),
        object_repr=web.name,
        action_flag=CHANGE,
        change_message="Rotated the redirect URI (before the portal existed)",
    )
    return {
        "users": {name: user.pk for name, user in users.items()},
        "apps": apps,
        "live_tokens": tokens,
        "expired_tokens": expired,
        "refresh_tokens": refresh,
        "grants": grants,
        "introspection_token": next(t["token"] for t in tokens if t["app"] == apps[-1]["pk"]),
    }


if __name__ == "__main__":
    django.setup()
    with open(sys.argv[1], "w") as out:
        json.dump(seed(), out, indent=2)
