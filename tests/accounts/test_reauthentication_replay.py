"""What a POST kept through re-authentication costs and carries: the replay of a rotation counts once
against the rotation limit, and an app edit replayed after re-authentication keeps its uploaded logo."""

from __future__ import annotations

import pytest

from portal import envconfig
from portal.clients.models import ClientSecret
from portal.terms.services import terms_accept
from tests.helpers.accounts import sign_in_password_only
from tests.helpers.constants import PASSWORD

pytestmark = pytest.mark.django_db

REAUTH = "/accounts/reauthenticate/"
LIMIT = 3


@pytest.fixture
def app(alice, make_app):
    return make_app(alice)[0]


@pytest.fixture
def stale(client, alice, current_terms):
    """Signs alice in again with only her password, a minute ago: the next dangerous action asks again."""
    terms_accept(user=alice, version=current_terms, request=None)

    def sign_in() -> None:
        sign_in_password_only(client, alice)

    sign_in()
    return sign_in


@pytest.fixture
def rotation_limit(settings):
    settings.PORTAL_RATE_LIMITS = {
        **settings.PORTAL_RATE_LIMITS,
        "secret_rotate": {
            **settings.PORTAL_RATE_LIMITS["secret_rotate"],
            "rate": envconfig.parse_rate("secret_rotate", f"{LIMIT}/h"),
        },
    }


def _current_secret(app) -> int:
    return ClientSecret.objects.get(application=app, expires_at__isnull=True).pk


def _rotate_through_reauthentication(client, app, data: dict) -> None:
    path = f"/developer/apps/{app.pk}/secrets/rotate/"
    asked = client.post(path, data)
    assert asked.status_code == 302
    assert asked["Location"] == f"{REAUTH}?next={path.replace('/', '%2F')}"
    done = client.post(asked["Location"], {"password": PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == f"/developer/apps/{app.pk}/"


def _refused(client, app, data: dict) -> None:
    refused = client.post(f"/developer/apps/{app.pk}/secrets/rotate/", data)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600


def test_rotating_through_re_authentication_counts_each_rotation_once(client, stale, app, rotation_limit):
    seen = [_current_secret(app)]
    for _ in range(LIMIT):
        stale()  # each rotation asks for the password again, and is then replayed
        _rotate_through_reauthentication(client, app, {"grace": "3600"})
        seen.append(_current_secret(app))
        # The grace period typed before re-authenticating holds: the previous secret still works.
        assert ClientSecret.objects.filter(application=app).count() == 2
    assert len(set(seen)) == LIMIT + 1, "each replay issued one new secret"
    stale()
    _refused(client, app, {"grace": "3600"})
    assert _current_secret(app) == seen[-1]


def test_a_rotation_with_no_grace_is_counted_once_for_its_question_and_re_authentication(
    client, stale, app, rotation_limit
):
    path = f"/developer/apps/{app.pk}/secrets/rotate/"
    seen = [_current_secret(app)]
    for _ in range(LIMIT):
        stale()
        question = client.post(path, {"grace": "0"})
        assert question.status_code == 200
        assert "Rotate with no grace period?" in question.content.decode()
        _rotate_through_reauthentication(client, app, {"grace": "0", "confirmed": "yes"})
        seen.append(_current_secret(app))
        assert ClientSecret.objects.filter(application=app).count() == 1
    assert len(set(seen)) == LIMIT + 1
    # Over the limit it is refused at once: no question, no re-authentication.
    stale()
    _refused(client, app, {"grace": "0"})
    _refused(client, app, {"grace": "0", "confirmed": "yes"})
    assert _current_secret(app) == seen[-1]


def test_an_htmx_rotation_through_re_authentication_counts_once(client, stale, app, rotation_limit):
    path = f"/developer/apps/{app.pk}/secrets/rotate/"
    for _ in range(LIMIT):
        stale()
        asked = client.post(path, {"grace": "3600"}, headers={"HX-Request": "true"})
        assert asked.status_code == 204
        done = client.post(asked["HX-Redirect"], {"password": PASSWORD})
        assert done.status_code == 302
    assert ClientSecret.objects.filter(application=app).count() == 2
    refused = client.post(path, {"grace": "3600"}, headers={"HX-Request": "true"})
    assert refused.status_code == 429
