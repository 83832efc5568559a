"""Another developer's app is a 404 everywhere: pages, actions and htmx requests (alice owns, charlie
sees nothing). Anonymous visitors are sent to sign in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.oauth2_validators import set_token_value

from portal.clients.models import ClientSecret
from portal.terms.services import terms_accept

URLS = [
    ("get", "/developer/apps/{app}/"),
    ("get", "/developer/apps/{app}/edit/"),
    ("post", "/developer/apps/{app}/edit/"),
    ("get", "/developer/apps/{app}/delete/"),
    ("post", "/developer/apps/{app}/delete/"),
    ("post", "/developer/apps/{app}/secrets/rotate/"),
    ("post", "/developer/apps/{app}/secrets/{secret}/revoke/"),
    ("get", "/developer/apps/{app}/tokens/"),
    ("post", "/developer/apps/{app}/tokens/{token}/revoke/"),
    ("post", "/developer/apps/{app}/tokens/revoke-all/"),
]


@pytest.fixture
def alices_app(alice, make_app, erin):
    app, _secret = make_app(alice, name="Alice's App")
    ClientSecret.objects.create(
        application=app, secret_hash="x", last_four="abcd", expires_at=timezone.now() + timedelta(days=1)
    )
    token = get_access_token_model()(
        user=erin, application=app, scope="read", expires=timezone.now() + timedelta(hours=1)
    )
    set_token_value(token, "alices-token")
    token.save()
    return app


def _url(template: str, app) -> str:
    secret = ClientSecret.objects.filter(application=app).first()
    token = get_access_token_model().objects.filter(application=app).first()
    return template.format(app=app.pk, secret=secret.pk, token=token.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("method", "template"), URLS)
def test_another_developers_app_is_404(client, charlie, alices_app, current_terms, method, template, htmx):
    terms_accept(user=charlie, version=current_terms, request=None)
    client.force_login(charlie)
    before = get_application_model().objects.filter(pk=alices_app.pk).values().get()
    secrets_before = ClientSecret.objects.filter(application=alices_app).count()
    data = {"name": "Alice's App", "grace": "0"} if method == "post" else None
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = getattr(client, method)(_url(template, alices_app), data, **headers)
    assert response.status_code == 404
    assert get_application_model().objects.filter(pk=alices_app.pk).values().get() == before
    assert get_access_token_model().objects.filter(application=alices_app).count() == 1
    assert ClientSecret.objects.filter(application=alices_app).count() == secrets_before


@pytest.mark.django_db
def test_the_list_shows_only_ones_own_apps(client, charlie, alices_app):
    client.force_login(charlie)
    assert b"Alice&#x27;s App" not in client.get("/developer/").content


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "template"), URLS)
def test_anonymous_visitors_are_asked_to_sign_in(client, alices_app, method, template):
    response = getattr(client, method)(_url(template, alices_app))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/developer/apps/{app}/secrets/rotate/", "/developer/apps/{app}/tokens/revoke-all/"]
)
def test_writes_refuse_get(client, alice, alices_app, path):
    client.force_login(alice)
    assert client.get(path.format(app=alices_app.pk)).status_code == 405


@pytest.mark.django_db
def test_writes_need_the_csrf_token(alice, alices_app):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    response = strict.post(f"/developer/apps/{alices_app.pk}/tokens/revoke-all/", {"name": "Alice's App"})
    assert response.status_code == 403
    assert get_access_token_model().objects.filter(application=alices_app).count() == 1
