"""Second factors through allauth.mfa, in the portal's layout: an authenticator app is set up with a code
computed from the secret the page shows, recovery codes come with it, and passkey sign-in is offered."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.helpers.accounts import sign_in_recently_authenticated, totp_code_to_type
from tests.helpers.constants import PASSWORD

pytestmark = pytest.mark.django_db


def _shown_secret(html: str) -> str:
    match = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', html) or re.search(
        r"secret=([A-Z2-7]+)", html
    )
    assert match, "the set-up page shows no secret"
    return match.group(1)


def test_setting_up_an_authenticator_app_with_the_shown_secret(client, alice):
    sign_in_recently_authenticated(client, alice)
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    html = page.content.decode()
    # The portal's layout (header with the signed-in user), and the QR code as an inline SVG image.
    assert 'data-testid="signed-in-as"' in html
    assert "data:image/svg+xml;base64," in html
    secret = _shown_secret(html)

    wrong = client.post(
        "/accounts/2fa/totp/activate/", {"code": "000000" if totp_code_to_type(secret) != "000000" else "1"}
    )
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()

    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code_to_type(secret)})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/2fa/recovery-codes/"
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
    codes = client.get("/accounts/2fa/recovery-codes/")
    assert codes.status_code == 200
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.RECOVERY_CODES).exists()


def test_setting_up_a_second_factor_asks_for_the_password_first(client, alice):
    client.force_login(alice)
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    again = client.post(response["Location"], {"password": PASSWORD})
    assert again.status_code == 302
    assert again["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200


def test_sign_in_page_offers_passkeys_and_the_security_page_lists_every_kind(client, alice):
    login = client.get("/accounts/login/").content.decode()
    assert 'id="passkey_login"' in login
    client.force_login(alice)
    security = client.get("/accounts/2fa/")
    assert security.status_code == 200
    html = security.content.decode()
    for kind in ("Authenticator App", "Security Keys", "Recovery Codes"):
        assert kind in html
    # The account pages share one sub-navigation, which leads to the sessions page.
    assert '<nav aria-label="Account security"' in html
    assert 'href="/accounts/sessions/"' in html
    assert 'data-testid="signed-in-as"' in html


def _insecure_origin_allowed(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings as s; print(s.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN)"],
        cwd=Path(__file__).resolve().parents[2],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_webauthn_over_plain_http_is_allowed_only_while_debugging():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert _insecure_origin_allowed(DEBUG="1") == "True"
    production = {
        "SECRET_KEY": "s" * 50,
        "OIDC_RSA_PRIVATE_KEY": pem,
        "CLIENT_SECRET_HMAC_KEYS": "t:" + "h" * 40,
    }
    assert _insecure_origin_allowed(DEBUG="0", **production) == "False"
