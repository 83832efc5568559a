"""What a POST kept through re-authentication costs and carries: the replay of a rotation counts once
against the rotation limit, and an app edit replayed after re-authentication keeps its uploaded logo."""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from portal import envconfig, reauth
from portal.clients import grants
from portal.clients.models import ClientSecret
from portal.terms.services import terms_accept
from tests.helpers.accounts import sign_in_password_only, sign_in_recently_authenticated
from tests.helpers.constants import PASSWORD
from tests.helpers.developer import image_upload, registration

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


def test_a_rotation_sent_back_to_accept_new_terms_is_not_counted(client, alice, current_terms, app, settings):
    settings.PORTAL_RATE_LIMITS = {
        **settings.PORTAL_RATE_LIMITS,
        "secret_rotate": {
            **settings.PORTAL_RATE_LIMITS["secret_rotate"],
            "rate": envconfig.parse_rate("secret_rotate", "1/h"),
        },
    }
    sign_in_recently_authenticated(client, alice)  # the current terms are not accepted yet
    path = f"/developer/apps/{app.pk}/secrets/rotate/"
    sent_back = client.post(path, {"grace": "3600"})
    assert sent_back.status_code == 302
    assert sent_back["Location"].startswith("/developer/terms/")
    assert client.post("/developer/terms/", {"accept": "yes"}).status_code == 302
    first = _current_secret(app)
    rotated = client.post(path, {"grace": "3600"})
    assert rotated.status_code == 302
    assert rotated["Location"] == f"/developer/apps/{app.pk}/"
    assert _current_secret(app) != first
    _refused(client, app, {"grace": "3600"})


# --- A logo uploaded with an edit that waits for re-authentication -------------------------------------

NEW_REDIRECT = "https://photos.example.com/new-callback"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def pending_app(alice, make_app):
    """Not yet approved: an edit applies at once (an approved app's would wait for staff review)."""
    return make_app(alice, review_status="pending", skip_authorization=False)[0]


def _edit(app, **overrides) -> dict:
    return registration(name=app.name, redirect_uris=NEW_REDIRECT, grant_types=app.grant_types, **overrides)


def _kept_files(media) -> list[str]:
    directory = media / reauth.KEPT_FILE_DIRECTORY
    return sorted(os.listdir(directory)) if directory.exists() else []


def _ask(client, app, data: dict):
    path = f"/developer/apps/{app.pk}/edit/"
    asked = client.post(path, data)
    assert asked.status_code == 302
    assert asked["Location"] == f"{REAUTH}?next={path.replace('/', '%2F')}"
    return asked["Location"]


def test_an_edit_replayed_after_re_authentication_keeps_its_logo(
    client, stale, pending_app, media, django_capture_on_commit_callbacks
):
    reauthenticate = _ask(client, pending_app, _edit(pending_app, logo=image_upload(size=(600, 300))))
    pending_app.refresh_from_db()
    assert not pending_app.logo and pending_app.redirect_uris != NEW_REDIRECT, "nothing applied yet"
    assert len(_kept_files(media)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reauthenticate, {"password": PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == f"/developer/apps/{pending_app.pk}/"
    pending_app.refresh_from_db()
    assert pending_app.redirect_uris == NEW_REDIRECT
    assert pending_app.logo.name.startswith("logos/")
    with default_storage.open(pending_app.logo.name) as stored:
        image = Image.open(io.BytesIO(stored.read()))
        assert (image.format, image.size) == ("PNG", (256, 256))
        assert image.convert("RGB").getpixel((128, 128)) == (200, 30, 30)
    assert _kept_files(media) == [], "the kept copy is deleted once used"
    page = client.get(done["Location"]).content.decode()
    assert "Saved." in page
    assert pending_app.logo.url in page


def test_an_approved_apps_logo_kept_through_re_authentication_waits_for_review(client, stale, app, media):
    reauthenticate = _ask(client, app, _edit(app, logo=image_upload()))
    assert client.post(reauthenticate, {"password": PASSWORD}).status_code == 302
    app.refresh_from_db()
    assert not app.logo
    assert app.proposed_changes["redirect_uris"] == NEW_REDIRECT
    assert default_storage.exists(app.proposed_changes["logo"])
    assert _kept_files(media) == []


def test_a_kept_logo_that_is_gone_is_asked_for_again_and_nothing_is_applied(
    client, stale, pending_app, media
):
    reauthenticate = _ask(client, pending_app, _edit(pending_app, logo=image_upload()))
    # The person comes back more than a day later: the daily cleanup deleted the kept file.
    for name in _kept_files(media):
        old = time.time() - 2 * 86400
        os.utime(media / reauth.KEPT_FILE_DIRECTORY / name, (old, old))
    call_command("cleartokens")
    assert _kept_files(media) == []

    refused = client.post(reauthenticate, {"password": PASSWORD})
    assert refused.status_code == 200
    assert "Choose the file again and save." in refused.content.decode()
    pending_app.refresh_from_db()
    assert pending_app.redirect_uris != NEW_REDIRECT and not pending_app.logo
    # What was typed is still in the form; choosing the file again saves the whole edit.
    assert NEW_REDIRECT in refused.content.decode()
    saved = client.post(f"/developer/apps/{pending_app.pk}/edit/", _edit(pending_app, logo=image_upload()))
    assert saved.status_code == 302
    pending_app.refresh_from_db()
    assert pending_app.redirect_uris == NEW_REDIRECT and pending_app.logo


def test_the_cleanup_keeps_a_file_kept_today(client, stale, pending_app, media):
    _ask(client, pending_app, _edit(pending_app, logo=image_upload()))
    call_command("cleartokens")
    assert len(_kept_files(media)) == 1


def test_a_kept_logo_goes_only_to_the_replay_it_was_kept_for(client, stale, alice, pending_app, media):
    _ask(client, pending_app, _edit(pending_app, logo=image_upload()))
    # A second try, with another logo, replaces the first kept file: one is kept at a time.
    _ask(client, pending_app, _edit(pending_app, logo=image_upload(fmt="JPEG")))
    assert len(_kept_files(media)) == 1
    # The person re-authenticates elsewhere (not through the replay), then saves an edit with no logo.
    assert client.post(f"{REAUTH}?next=/developer/", {"password": PASSWORD}).status_code == 302
    saved = client.post(f"/developer/apps/{pending_app.pk}/edit/", _edit(pending_app))
    assert saved.status_code == 302
    pending_app.refresh_from_db()
    assert pending_app.redirect_uris == NEW_REDIRECT
    assert not pending_app.logo, "an edit without a logo does not pick up a logo kept for another POST"


def test_a_replayed_edit_refused_after_all_asks_for_the_logo_again(client, stale, pending_app, media):
    pending_app.staff_allowed_grants = [grants.PASSWORD]
    pending_app.save()
    chosen = [grants.AUTHORIZATION_CODE, grants.PASSWORD]
    reauthenticate = _ask(
        client, pending_app, {**_edit(pending_app, logo=image_upload()), "grant_types": chosen}
    )
    # Meanwhile staff withdrew the deprecated grant the edit chose: the replayed form is refused.
    pending_app.staff_allowed_grants = []
    pending_app.save()
    refused = client.post(reauthenticate, {"password": PASSWORD})
    assert refused.status_code == 200
    assert "Choose the file again and save." in refused.content.decode()
    pending_app.refresh_from_db()
    assert not pending_app.logo and pending_app.redirect_uris != NEW_REDIRECT
    assert _kept_files(media) == []
