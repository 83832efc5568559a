"""The portal's list pages issue the same number of queries whatever the amount of data behind them.

Each page is rendered with a little data and with a lot more; the query counts must be equal, so no page
loads a row's relations one by one (N+1) or counts the same thing twice as the data grows.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.clients import grants
from portal.consent.models import Consent
from portal.terms.services import terms_accept
from tests.helpers.accounts import sign_in_with_second_factor


def _queries(client, url: str) -> int:
    # The first request of a session records it for the sessions page (allauth.usersessions, a few
    # writes once); every later one only updates "last seen". Measure a later one.
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _apps(make_app, owner, n: int, start: int, **options) -> list:
    return [make_app(owner, name=f"App {start + i}", **options)[0] for i in range(n)]


def _tokens(app, users, n: int) -> None:
    expires = timezone.now() + timedelta(hours=1)
    Token = get_access_token_model()
    start = Token.objects.count()
    Token.objects.bulk_create(
        Token(
            user=users[i % len(users)],
            application=app,
            scope="read",
            expires=expires,
            token="",
            token_checksum=f"{start + i:064x}",
        )
        for i in range(n)
    )


@pytest.fixture
def developer(client, alice, current_terms):
    terms_accept(user=alice, version=current_terms, request=None)
    client.force_login(alice)
    return alice


@pytest.mark.django_db
def test_developer_pages_cost_the_same_with_more_apps_and_tokens(client, developer, erin, sam, make_app):
    app = _apps(make_app, developer, 1, 0)[0]
    _apps(make_app, developer, 2, 1, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    _tokens(app, [erin], 3)
    urls = [
        "/developer/",
        f"/developer/apps/{app.pk}/",
        f"/developer/apps/{app.pk}/tokens/",
        f"/developer/apps/{app.pk}/tokens/?oldest=1",
    ]
    small = {url: _queries(client, url) for url in urls}
    _apps(make_app, developer, 20, 10, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    _tokens(app, [erin, sam], 300)
    large = {url: _queries(client, url) for url in urls}
    assert large == small
    older = client.get(f"/developer/apps/{app.pk}/tokens/").content.decode()
    cursor = older.split('href="?older=')[1].split('"')[0]
    assert _queries(client, f"/developer/apps/{app.pk}/tokens/?older={cursor}") == small[urls[2]]


@pytest.mark.django_db
def test_staff_dashboard_queue_and_audit_log_cost_the_same_with_more_rows(client, alice, sam, make_app):
    sign_in_with_second_factor(client, sam)
    _apps(make_app, alice, 2, 0, review_status="pending")
    for _ in range(3):
        audit_record(actor=alice, action=AuditEvent.Action.TOKEN_REVOKED)
    urls = [
        "/staff/",
        "/staff/queue/",
        "/staff/audit/",
        "/staff/audit/?oldest=1",
        "/staff/audit/?action=token.revoked",
    ]
    small = {url: _queries(client, url) for url in urls}
    _apps(make_app, alice, 30, 10, review_status="pending")
    AuditEvent.objects.bulk_create(
        AuditEvent(actor=alice, actor_label="alice", action=AuditEvent.Action.TOKEN_REVOKED)
        for _ in range(300)
    )
    large = {url: _queries(client, url) for url in urls}
    assert large == small


@pytest.mark.django_db
def test_connected_apps_cost_the_same_with_more_apps(client, alice, erin, make_app):
    client.force_login(erin)

    def connect(apps):
        for app in apps:
            Consent.objects.create(user=erin, application=app, scopes=["read"])
            _tokens(app, [erin], 2)

    connect(_apps(make_app, alice, 2, 0))
    small = _queries(client, "/accounts/connected-apps/")
    connect(_apps(make_app, alice, 20, 10))
    assert _queries(client, "/accounts/connected-apps/") == small


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["older=abc", "older=" + "9" * 40, "newer=-1", "older=1~2", "oldest=yes&older="]
)
def test_odd_page_cursors_give_a_page_not_an_error(client, developer, erin, sam, make_app, query):
    app = _apps(make_app, developer, 1, 0)[0]
    _tokens(app, [erin], 30)
    assert client.get(f"/developer/apps/{app.pk}/tokens/?{query}").status_code == 200
    sign_in_with_second_factor(client, sam)
    assert client.get(f"/staff/audit/?{query}").status_code == 200


@pytest.mark.django_db
def test_a_nul_byte_in_a_cursor_is_a_clear_400(client, developer, make_app):
    # portal/request_guard.py refuses NUL bytes in any query string before a view sees them.
    app = _apps(make_app, developer, 1, 0)[0]
    response = client.get(f"/developer/apps/{app.pk}/tokens/?older=%00")
    assert response.status_code == 400 and "NUL byte" in response.content.decode()
