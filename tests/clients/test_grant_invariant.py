"""One rule keeps DOT's single `authorization_grant_type` (and the ID-token algorithm) in step with the
portal's list of grant types: Application.set_grant_types, used by every writer."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from oauth2_provider.models import get_application_model

from portal.clients import grants
from portal.review import services as review
from portal.terms.services import terms_accept
from tests.helpers.constants import LOOPBACK_CALLBACK
from tests.helpers.developer import registration

Application = get_application_model()


def _app(**fields) -> Application:
    return Application(name="Rules", client_type=Application.CLIENT_CONFIDENTIAL, **fields)


def test_the_list_is_kept_in_dots_order_without_repeats():
    app = _app()
    app.set_grant_types([grants.DEVICE_CODE, grants.AUTHORIZATION_CODE, grants.DEVICE_CODE])
    assert app.grant_types == [grants.AUTHORIZATION_CODE, grants.DEVICE_CODE]
    assert app.authorization_grant_type == grants.AUTHORIZATION_CODE


def test_the_main_grant_stays_while_it_is_still_chosen():
    app = _app(authorization_grant_type=grants.CLIENT_CREDENTIALS)
    app.set_grant_types([grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS])
    assert app.authorization_grant_type == grants.CLIENT_CREDENTIALS


def test_a_main_grant_no_longer_chosen_becomes_the_first_chosen():
    app = _app(authorization_grant_type=grants.AUTHORIZATION_CODE, algorithm=Application.RS256_ALGORITHM)
    app.set_grant_types([grants.CLIENT_CREDENTIALS, grants.DEVICE_CODE])
    assert (
        app.authorization_grant_type
        == app.grant_types[0]
        == grants.ORDER[grants.ORDER.index(grants.DEVICE_CODE)]
    )
    assert grants.ORDER.index(grants.DEVICE_CODE) < grants.ORDER.index(grants.CLIENT_CREDENTIALS)
    # A person still signs in on the device, which may ask for an ID token: the algorithm stays.
    assert app.algorithm == Application.RS256_ALGORITHM
    # No grant through which a person signs in: no ID-token algorithm.
    app.set_grant_types([grants.CLIENT_CREDENTIALS])
    assert app.algorithm == Application.NO_ALGORITHM


def test_a_device_sign_in_gets_rs256_too():
    # The device grant gives an ID token when the person approves `openid` (portal.clients.oidc_server).
    app = _app()
    app.set_grant_types([grants.DEVICE_CODE])
    assert app.algorithm == Application.RS256_ALGORITHM


def test_a_browser_sign_in_gets_rs256_unless_an_operator_chose_otherwise():
    app = _app()
    app.set_grant_types([grants.AUTHORIZATION_CODE])
    assert app.algorithm == Application.RS256_ALGORITHM
    chosen = _app(algorithm=Application.HS256_ALGORITHM)
    chosen.set_grant_types([grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS])
    assert chosen.algorithm == Application.HS256_ALGORITHM


def test_no_grant_at_all_is_refused():
    with pytest.raises(ValueError, match="at least one grant"):
        _app().set_grant_types([])


def test_registered_grants_include_dots_own_field():
    app = _app(authorization_grant_type=grants.CLIENT_CREDENTIALS, grant_types=[])
    assert app.registered_grant_types() == [grants.CLIENT_CREDENTIALS]


@pytest.mark.django_db
def test_staff_allowing_a_deprecated_grant_follows_the_same_rule(alice, sam, make_app):
    app, _secret = make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[LOOPBACK_CALLBACK])
    assert app.algorithm == Application.NO_ALGORITHM
    review.application_allow_deprecated_grant(
        application=app,
        reviewer=sam,
        grant=grants.IMPLICIT,
        justification="Old SPA.",
        version=app.review_version(),
    )
    assert app.grant_types == [grants.IMPLICIT, grants.CLIENT_CREDENTIALS]
    assert app.authorization_grant_type == grants.CLIENT_CREDENTIALS
    assert app.algorithm == Application.RS256_ALGORITHM


@pytest.mark.django_db
def test_an_app_made_by_createapplication_shows_its_grant_and_can_be_saved(client, alice, current_terms):
    call_command(
        "createapplication",
        "confidential",
        "authorization-code",
        "--name",
        "Ops app",
        "--user",
        str(alice.pk),
        "--redirect-uris",
        LOOPBACK_CALLBACK,
        stdout=io.StringIO(),
    )
    app = Application.objects.get(name="Ops app")
    assert app.grant_types == []  # DOT's command knows only its own field
    terms_accept(user=alice, version=current_terms, request=None)
    client.force_login(alice)

    form = client.get(f"/developer/apps/{app.pk}/edit/").context["form"]
    assert form["grant_types"].value() == [grants.AUTHORIZATION_CODE]
    page = client.get(f"/developer/apps/{app.pk}/edit/").content.decode()
    assert (
        'value="authorization-code"' in page and "checked" in page.split('value="authorization-code"')[1][:40]
    )

    # Saving it unchanged but for the description is not a grant change waiting for review.
    data = registration(
        name="Ops app",
        homepage_url="",
        description="Nightly job.",
        redirect_uris=LOOPBACK_CALLBACK,
        grant_types=[grants.AUTHORIZATION_CODE],
    )
    response = client.post(f"/developer/apps/{app.pk}/edit/", data)
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.description == "Nightly job." and app.proposed_changes == {}


def test_an_unknown_grant_is_refused_before_anything_changes():
    app = _app(authorization_grant_type=grants.AUTHORIZATION_CODE)
    with pytest.raises(ValueError, match="not-a-grant"):
        app.set_grant_types(["not-a-grant"])
    assert app.authorization_grant_type == grants.AUTHORIZATION_CODE and app.grant_types == []
