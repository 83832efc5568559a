"""Only staff reach /staff/: for everyone else every page and action is a 404, whatever the method or the
HX-Request header. Staff actions need the CSRF token."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers.accounts import sign_in_with_second_factor
from tests.helpers.review import HTMX, audit_events_but_personal_teams

PAGES = [
    ("staff:application_usage", True),
    ("staff:application_usage_csv", True),
    ("staff:dashboard", False),
    ("staff:review_queue", False),
    ("staff:application_review", True),
    ("staff:audit_log", False),
]
ACTIONS = [
    "staff:application_approve",
    "staff:application_reject",
    "staff:application_approve_change",
    "staff:application_reject_change",
    "staff:application_trust",
    "staff:application_untrust",
    "staff:application_suspend",
    "staff:application_reinstate",
    "staff:application_allow_grant",
    "staff:application_introspection",
]
ACTION_DATA = {
    "reject-reason": "no",
    "reject_change-reason": "no",
    "suspend-reason": "abuse",
    "grant-grant": "password",
    "grant-justification": "legacy",
}


def _url(name: str, app, needs_pk: bool = True) -> str:
    return reverse(name, kwargs={"pk": app.pk}) if needs_pk else reverse(name)


def _every_url(app) -> list[tuple[str, str]]:
    urls = [("get", _url(name, app, needs_pk)) for name, needs_pk in PAGES]
    urls += [("post", _url(name, app, needs_pk)) for name, needs_pk in PAGES]  # 404, not 405
    urls += [(method, _url(name, app)) for name in ACTIONS for method in ("post", "get")]
    return urls


def test_the_matrix_covers_every_staff_url():
    from portal.review.urls import urlpatterns

    names = {f"staff:{pattern.name}" for pattern in urlpatterns}
    assert names == {name for name, _ in PAGES} | set(ACTIONS)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "alice", "alice_htmx", "anonymous_htmx", "inactive_staff"])
def test_everyone_but_staff_gets_404_everywhere(client, who, alice, sam, pending_app):
    headers = HTMX if who.endswith("_htmx") else {}
    if who.startswith("alice"):
        client.force_login(alice)
    if who == "inactive_staff":
        sam.is_active = False
        sam.save()
        sign_in_with_second_factor(client, sam)
    for method, url in _every_url(pending_app):
        response = getattr(client, method)(url, ACTION_DATA, **headers)
        assert response.status_code == 404, (who, method, url, response.status_code)
    pending_app.refresh_from_db()
    assert pending_app.review_status == "pending"
    assert not audit_events_but_personal_teams().exists()


@pytest.mark.django_db
def test_the_owner_of_the_app_is_no_exception(client, alice, pending_app):
    client.force_login(alice)
    assert client.get(_url("staff:application_review", pending_app)).status_code == 404
    assert client.post(_url("staff:application_approve", pending_app)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "needs_pk"), PAGES)
def test_staff_see_every_page(client, sam, pending_app, name, needs_pk):
    sign_in_with_second_factor(client, sam)
    assert client.get(_url(name, pending_app, needs_pk)).status_code == 200
    assert client.get(_url(name, pending_app, needs_pk), **HTMX).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", ACTIONS)
def test_staff_actions_are_post_only(client, sam, pending_app, name):
    sign_in_with_second_factor(client, sam)
    assert client.get(_url(name, pending_app)).status_code == 405


@pytest.mark.django_db
def test_a_staff_action_without_the_csrf_token_is_refused(sam, pending_app):
    browser = Client(enforce_csrf_checks=True)
    sign_in_with_second_factor(browser, sam)
    response = browser.post(_url("staff:application_approve", pending_app), **HTMX)
    assert response.status_code == 403
    pending_app.refresh_from_db()
    assert pending_app.review_status == "pending"


@pytest.mark.django_db
def test_an_unknown_app_is_404_for_staff_too(client, sam):
    sign_in_with_second_factor(client, sam)
    assert client.get(reverse("staff:application_review", kwargs={"pk": 999999})).status_code == 404
    assert client.post(reverse("staff:application_approve", kwargs={"pk": 999999})).status_code == 404


@pytest.mark.django_db
def test_the_navigation_shows_staff_the_queue_with_its_count(client, sam, alice, pending_app):
    sign_in_with_second_factor(client, sam)
    page = client.get("/").content.decode()
    assert 'href="/staff/queue/"' in page and "Staff review (1)" in page
    assert 'href="/staff/"' in page and ">Dashboard<" in page
    client.force_login(alice)
    assert 'href="/staff/' not in client.get("/").content.decode()
