"""Client secrets under a keyed HMAC-SHA-256: fast to verify, rotatable keys, older hashes upgraded on use."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password, make_password

from portal.clients import grants, secrets
from portal.clients.models import ClientSecret
from portal.clients.services import application_rotate_secret
from tests.helpers.keys import rsa_private_key_pem

ROOT = Path(__file__).resolve().parents[2]
NEW_KEY = "n" * 40
OLD_KEY = "o" * 40


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _token(client, app, secret: str) -> int:
    return client.post(
        "/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=_basic(app.client_id, secret)
    ).status_code


@pytest.fixture
def machine(alice, make_app):
    return make_app(alice, name="Cron", grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])


def _store(app, secret: str, hasher: str) -> str:
    """Make `secret` the app's current secret as an older version of the portal (or DOT) stored it."""
    encoded = make_password(secret, hasher=hasher)
    type(app).objects.filter(pk=app.pk).update(client_secret=encoded)
    ClientSecret.objects.filter(application=app).update(secret_hash=encoded)
    return encoded


@pytest.mark.django_db
def test_a_new_secret_is_an_hmac_under_the_current_key_and_gets_a_token(client, machine, settings):
    app, secret = machine
    app.refresh_from_db()
    algorithm, key_id, digest = app.client_secret.split("$")
    assert (algorithm, key_id) == ("client_secret_hmac_sha256", next(iter(settings.CLIENT_SECRET_HMAC_KEYS)))
    assert len(digest) == 64 and secret not in app.client_secret
    assert _token(client, app, secret) == 200
    assert _token(client, app, secret[:-1] + ("x" if secret[-1] != "x" else "y")) == 401


@pytest.mark.django_db
@pytest.mark.parametrize("hasher", ["client_secret_pbkdf2_sha256", "pbkdf2_sha256"])
def test_an_older_hash_still_works_and_is_rehashed_on_first_use(client, machine, settings, hasher):
    # The portal's earlier 10,000-round PBKDF2, and Django's default (1,000,000 rounds) that adopted DOT
    # installs keep: each verifies once more, then never costs that much again.
    settings.PASSWORD_HASHERS = [
        *settings.PASSWORD_HASHERS,
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    app, secret = machine
    old = _store(app, secret, hasher)
    assert _token(client, app, secret) == 200
    app.refresh_from_db()
    row = ClientSecret.objects.get(application=app)
    assert app.client_secret.startswith("client_secret_hmac_sha256$")
    assert row.secret_hash == app.client_secret != old
    assert _token(client, app, secret) == 200


@pytest.mark.django_db
def test_rehashing_waits_while_an_old_dot_deployment_shares_the_database(client, machine, settings):
    settings.CLIENT_SECRET_REHASH = False
    app, secret = machine
    old = _store(app, secret, "client_secret_pbkdf2_sha256")
    assert _token(client, app, secret) == 200
    app.refresh_from_db()
    assert app.client_secret == old


@pytest.mark.django_db
def test_the_hmac_key_rotates_with_its_id_in_the_hash(client, machine, settings):
    app, secret = machine
    settings.CLIENT_SECRET_HMAC_KEYS = {"2025": OLD_KEY}
    under_old = _store(app, secret, "client_secret_hmac_sha256")
    assert under_old.startswith("client_secret_hmac_sha256$2025$")
    # A new key goes first; the old one stays listed, so its hashes verify and move to the new key.
    settings.CLIENT_SECRET_HMAC_KEYS = {"2026": NEW_KEY, "2025": OLD_KEY}
    assert _token(client, app, secret) == 200
    app.refresh_from_db()
    assert app.client_secret.startswith("client_secret_hmac_sha256$2026$")
    assert ClientSecret.objects.get(application=app).secret_hash == app.client_secret
    # A key taken out of the list: what was hashed under it stops working.
    _store(app, secret, "client_secret_hmac_sha256")
    settings.CLIENT_SECRET_HMAC_KEYS = {"2027": "k" * 40}
    assert _token(client, app, secret) == 401


@pytest.mark.django_db
def test_the_previous_secret_of_a_rotation_works_and_is_rehashed(client, machine, alice):
    app, old_secret = machine
    _store(app, old_secret, "client_secret_pbkdf2_sha256")
    app.refresh_from_db()
    new_secret = application_rotate_secret(
        application=app, grace=timedelta(hours=1), actor=alice, request=None
    )
    previous = ClientSecret.objects.get(application=app, expires_at__isnull=False)
    assert previous.secret_hash.startswith("client_secret_pbkdf2_sha256$")
    assert _token(client, app, old_secret) == 200
    previous.refresh_from_db()
    assert previous.secret_hash.startswith("client_secret_hmac_sha256$")
    assert _token(client, app, old_secret) == 200
    assert _token(client, app, new_secret) == 200
    assert ClientSecret.objects.filter(application=app).count() == 2


@pytest.mark.django_db
def test_two_workers_rehashing_the_previous_secret_at_once_keep_it(machine, alice):
    # Worker A and worker B both read the previous secret's row (old hash) and verify it; A writes the new
    # hash first, then B writes from what it read. The writes are conditional UPDATEs on the old hash, so
    # B's matches nothing and the row survives (deleting and recreating it could lose it).
    app, old_secret = machine
    _store(app, old_secret, "client_secret_pbkdf2_sha256")
    app.refresh_from_db()
    application_rotate_secret(application=app, grace=timedelta(hours=1), actor=alice, request=None)
    app.refresh_from_db()
    current = app.client_secret
    old_hash = ClientSecret.objects.get(application=app, expires_at__isnull=False).secret_hash
    assert secrets.check_client_secret(old_secret, current, fallback=check_password)  # worker A
    secrets._rehash(old_secret, old_hash, is_current=False)  # worker B, from the row it read before
    previous = ClientSecret.objects.get(application=app, expires_at__isnull=False)
    assert previous.secret_hash.startswith("client_secret_hmac_sha256$")
    assert check_password(old_secret, previous.secret_hash)
    assert ClientSecret.objects.filter(application=app).count() == 2
    app.refresh_from_db()
    assert app.client_secret == current  # the rehash of the previous secret never touches the current one
    assert secrets.check_client_secret(old_secret, current, fallback=check_password)


def test_the_client_secret_hashers_are_never_first_for_passwords():
    import portal.settings as portal_settings

    hashers = portal_settings.PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert "portal.clients.hashers.ClientSecretHMACHasher" in hashers


def _load_settings(**env) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("CLIENT_SECRET_HMAC_KEYS", "DEBUG", "SECRET_KEY")
    }
    return subprocess.run(
        [sys.executable, "-c", "import portal.settings as s; print(list(s.CLIENT_SECRET_HMAC_KEYS))"],
        cwd=ROOT,
        env={**clean, "OIDC_RSA_PRIVATE_KEY": rsa_private_key_pem(), "SECRET_KEY": "s" * 50, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_needs_its_own_hmac_keys():
    missing = _load_settings(DEBUG="0")
    assert missing.returncode != 0
    assert "CLIENT_SECRET_HMAC_KEYS is not set" in missing.stderr
    short = _load_settings(DEBUG="0", CLIENT_SECRET_HMAC_KEYS="a:short")
    assert "shorter than 32 characters" in short.stderr
    good = _load_settings(DEBUG="0", CLIENT_SECRET_HMAC_KEYS=f"2026:{NEW_KEY}, 2025:{OLD_KEY}")
    assert good.stdout.split() == ["['2026',", "'2025']"], good.stderr
