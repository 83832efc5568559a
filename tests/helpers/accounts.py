"""Signing test users in the way the portal now expects of them.

`sign_in_with_second_factor` is the one helper the staff tests use instead of `client.force_login(sam)`:
after it, the session looks exactly as after a real sign-in with password and authenticator code, followed
by a fresh re-authentication (allauth's own session records), so the second-factor gate and the
re-authentication checks pass as they would for a person who just did both.
"""

from __future__ import annotations

import time

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value

# allauth's private key naming whose records these are (allauth/account/internal/flows/login.py).
_RECORDS_USER_KEY = "account_authentication_methods_user"


def totp_add(user) -> str:
    """Give `user` an authenticator app; returns its secret (base32), as the set-up page shows it."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, *, at: float | None = None) -> str:
    """RFC 6238 code for `secret` now (30-second steps, 6 digits), through allauth's own HOTP function."""
    counter = int(at if at is not None else time.time()) // 30
    return f"{hotp_value(secret, counter):06d}"


def totp_code_to_type(secret: str, *, margin: float = 5.0) -> str:
    """A code that stays valid for at least `margin` seconds: a browser needs a moment to send it, and
    allauth accepts only the current 30-second step."""
    if 30 - time.time() % 30 < margin:
        time.sleep(30 - time.time() % 30 + 0.1)
    return totp_code(secret)


def _record(client, user, records: list[dict]) -> None:
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session[_RECORDS_USER_KEY] = str(user.pk)
    session.save()


def sign_in_with_second_factor(client, user) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        totp_add(user)
    client.force_login(user)
    now = time.time()
    _record(
        client,
        user,
        [
            {"method": "password", "at": now, "username": user.get_username()},
            {"method": "mfa", "at": now, "type": "totp", "reauthenticated": True},
        ],
    )


def sign_in_recently_authenticated(client, user) -> None:
    """A password sign-in followed by a fresh re-authentication (for the dangerous developer actions)."""
    client.force_login(user)
    now = time.time()
    _record(
        client,
        user,
        [
            {"method": "password", "at": now, "username": user.get_username()},
            {"method": "password", "at": now, "reauthenticated": True},
        ],
    )


def sign_in_password_only(client, user) -> None:
    """A session that used the password and nothing else, a minute ago (no recent re-authentication)."""
    client.force_login(user)
    _record(client, user, [{"method": "password", "at": time.time() - 60, "username": user.get_username()}])


def browser_sign_in(page, base: str, username: str, password: str, *, totp_secret: str | None = None) -> None:
    """Sign in through the real pages (Playwright); with `totp_secret`, answer the code challenge too."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_placeholder("Username or email").fill(username)
    page.get_by_label("Password:").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    if totp_secret is not None:
        page.get_by_label("Code").fill(totp_code_to_type(totp_secret))
        page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_test_id("signed-in-as").wait_for()


def browser_reauthenticate(page, base: str, password: str) -> None:
    """Confirm the password again (allauth's re-authentication page), as dangerous actions ask."""
    page.goto(f"{base}/accounts/reauthenticate/")
    page.get_by_label("Password:").fill(password)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_test_id("signed-in-as").wait_for()


def sign_in_with_second_factor_long_ago(client, user) -> None:
    """Signed in with password and code ten minutes ago, never re-authenticated since: the staff pages
    open, but decisions that trust, suspend or approve ask for the password or code again."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        totp_add(user)
    client.force_login(user)
    then = time.time() - 600
    _record(
        client,
        user,
        [
            {"method": "password", "at": then, "username": user.get_username()},
            {"method": "mfa", "at": then, "type": "totp"},
        ],
    )
