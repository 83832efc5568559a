"""The 500s of the security review (finding 7), each now a 4xx with a message and nothing stored, and the
request body cap (finding 10). tests/security/test_hostile_input.py scans every URL the same way."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, get_grant_model
from PIL import Image

from portal.audit.models import AuditEvent
from portal.clients import grants
from tests.helpers.accounts import sign_in_with_second_factor
from tests.helpers.constants import LOOPBACK_CALLBACK
from tests.helpers.developer import registration

NUL_MESSAGE = "NUL byte (%00)"


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def app(alice, make_app):
    app, secret = make_app(alice, grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS])
    app.secret = secret
    return app


def _authorize_query(app, **overrides) -> dict:
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": LOOPBACK_CALLBACK,
        "scope": "openid read",
        "state": "xyz",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        **overrides,
    }


def _assert_oauth_refusal(response, where: str) -> None:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["error"] == "invalid_request"
    assert f"{NUL_MESSAGE} in {where}" in body["error_description"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"grant_type": "client_credentials", "client_id": "a\x00b", "client_secret": "x"},
        {"grant_type": "authorization_code", "code": "\x00", "redirect_uri": LOOPBACK_CALLBACK},
        {"grant_type": "refresh_token", "refresh_token": "r\x00"},
    ],
    ids=["client_id", "code", "refresh_token"],
)
def test_a_nul_byte_in_the_token_request_is_an_oauth_error(client, app, data):
    response = client.post("/o/token/", data, HTTP_AUTHORIZATION=_basic(app.client_id, app.secret))
    _assert_oauth_refusal(response, "the form")
    assert not get_access_token_model().objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/o/token/", "/o/introspect/", "/o/revoke_token/"])
def test_a_nul_byte_in_basic_auth_client_credentials_is_an_oauth_error(client, app, path):
    response = client.post(
        path,
        {"grant_type": "client_credentials", "token": "t"},
        HTTP_AUTHORIZATION=_basic("a\x00b", app.secret),
    )
    _assert_oauth_refusal(response, "the Authorization header")


@pytest.mark.django_db
def test_a_percent_encoded_nul_in_basic_auth_is_refused_too(client, app):
    # RFC 6749 2.3.1: oauthlib form-decodes the Basic credentials, so "%00" there becomes a NUL byte.
    response = client.post(
        "/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=_basic("a%00b", app.secret)
    )
    _assert_oauth_refusal(response, "the Authorization header")


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["client_id", "nonce", "code_challenge", "redirect_uri", "state"])
def test_a_nul_byte_in_an_authorization_request_is_refused_and_nothing_stored(client, erin, app, param):
    client.force_login(erin)
    query = _authorize_query(app, **{param: "a\x00b"})
    _assert_oauth_refusal(client.get("/o/authorize/", query), "the query string")
    _assert_oauth_refusal(client.post("/o/authorize/", {**query, "allow": "true"}), "the form")
    assert not get_grant_model().objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("param", "limit"), [("nonce", 255), ("code_challenge", 128)])
def test_an_overlong_parameter_the_grant_stores_is_refused_and_nothing_stored(
    client, erin, app, param, limit
):
    # PostgreSQL refused the grant row (a 500); SQLite stored the value whole.
    client.force_login(erin)
    query = _authorize_query(app, **{param: "x" * (limit + 1)})
    for response in (
        client.get("/o/authorize/", query),
        client.post("/o/authorize/", {**query, "allow": "1"}),
    ):
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_request",
            "error_description": f"The {param} parameter is longer than {limit} characters, "
            "the most this server accepts.",
        }
    assert not get_grant_model().objects.exists()


@pytest.mark.django_db
def test_a_nul_byte_in_a_portal_form_or_path_is_a_plain_400(client, alice):
    client.force_login(alice)
    response = client.get("/staff/audit/", {"app": "\x00"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "NUL byte (%00) in the query string" in response.content.decode()
    response = client.get("/accounts/confirm-email/a%00b/")
    assert response.status_code == 400
    assert "in the address" in response.content.decode()
    # The portal's forms say it beside the field instead.
    response = Client().post("/accounts/login/", {"login": "alice\x00", "password": "x"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


@pytest.mark.django_db
def test_a_cookie_with_a_nul_byte_is_ignored(client):
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    response = client.get("/developer/")
    assert response.status_code == 302  # to sign in: an anonymous visitor, not a 500 from the session lookup
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_a_huge_application_filter_in_the_audit_log_is_ignored(client, sam):
    sign_in_with_second_factor(client, sam)
    response = client.get("/staff/audit/", {"application": "99999999999999999999"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_huge_id_in_a_form_the_portal_does_not_own_is_a_400(client, django_user_model):
    # Django's admin: the group form's permission ids reach the database unbounded (SQLite overflows).
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    sign_in_with_second_factor(client, admin)
    response = client.post("/admin/auth/group/add/", {"name": "g", "permissions": ["99999999999999999999"]})
    # On SQLite the overflow is refused with a 400; PostgreSQL compares the number and the form says
    # "Select a valid choice" (200). Either way no group is created.
    assert response.status_code == (400 if connection.vendor == "sqlite" else 200)
    assert not Group.objects.exists()


@pytest.mark.django_db
def test_client_credentials_cannot_ask_for_openid(client, app):
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "openid read"},
        HTTP_AUTHORIZATION=_basic(app.client_id, app.secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_userinfo_with_a_client_credentials_token_is_invalid_token(client, app):
    # The token endpoint no longer issues such a token (scope rules), but one adopted from a stock DOT
    # install, where client credentials could carry `openid`, still reaches /o/userinfo/.
    token = get_access_token_model().objects.create(
        application=app,
        user=None,
        token="adopted-client-credentials-token",
        scope="openid read",
        expires=timezone.now() + timedelta(hours=1),
    )
    response = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token.token}")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert "not issued for a person" in response["WWW-Authenticate"]


@pytest.mark.django_db
def test_the_admins_view_on_site_link_opens_the_review_page(client, app, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    sign_in_with_second_factor(client, admin)
    app_type = get_application_model()._meta
    content_type = ContentType.objects.get(app_label=app_type.app_label, model=app_type.model_name)
    response = client.get(f"/admin/r/{content_type.pk}/{app.pk}/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/staff/apps/{app.pk}/")


# --- The request body cap ----------------------------------------------------------------------


class _Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise AssertionError("the body of a refused request was read")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/developer/apps/new/", "/o/token/", "/accounts/login/"])
def test_a_200_mib_body_is_refused_with_413_without_being_read(alice, path):
    client = Client()
    client.force_login(alice)
    response = client.generic(
        "POST",
        path,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
        **{"wsgi.input": _Unreadable()},
    )
    assert response.status_code == 413
    assert "larger than 2 MiB" in response.content.decode()


# --- Logos whose metadata is a compression bomb ------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_with_text_bomb(kind: bytes, *, after_pixels: bool) -> bytes:
    """A valid 32×32 PNG with a zTXt or iTXt chunk that inflates to 8 MiB (Pillow's limit is 1 MiB)."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 200)).save(buffer, format="PNG")
    png = buffer.getvalue()
    bomb = zlib.compress(b"A" * (8 * 1024 * 1024), 9)
    if kind == b"zTXt":
        text = _chunk(b"zTXt", b"Comment\x00\x00" + bomb)
    else:
        text = _chunk(b"iTXt", b"Comment\x00\x01\x00\x00\x00" + bomb)
    at = png.index(b"IEND") - 4 if after_pixels else png.index(b"IDAT") - 4
    return png[:at] + text + png[at:]


@pytest.fixture
def developer(client, alice, current_terms, settings, tmp_path):
    from portal.terms.services import terms_accept

    settings.MEDIA_ROOT = tmp_path
    terms_accept(user=alice, version=current_terms, request=None)
    client.force_login(alice)
    return alice


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [b"zTXt", b"iTXt"], ids=["zTXt", "iTXt"])
@pytest.mark.parametrize("after_pixels", [False, True], ids=["before-pixels", "after-pixels"])
def test_a_logo_with_a_text_chunk_bomb_is_refused_with_a_form_error(
    client, developer, tmp_path, kind, after_pixels
):
    data = _png_with_text_bomb(kind, after_pixels=after_pixels)
    assert len(data) < 64 * 1024
    upload = SimpleUploadedFile("logo.png", data, content_type="image/png")
    response = client.post("/developer/apps/new/", {**registration(), "logo": upload})
    assert response.status_code == 200
    assert "The image carries far too much metadata." in response.content.decode()
    assert not get_application_model().objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.APP_CREATED).exists()
    assert not any(tmp_path.rglob("*.*"))
