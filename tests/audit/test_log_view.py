"""The staff audit log (/staff/audit/): newest first, filters, htmx fragment, paging, and no way to change
an event from the log or the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.audit import views as audit_views
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.review import services
from tests.helpers.accounts import sign_in_with_second_factor
from tests.helpers.review import HTMX

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(alice, sam, make_app):
    app_a, _ = make_app(alice, name="App A")
    app_b, _ = make_app(alice, name="App B")
    audit_record(actor=alice, action=AuditEvent.Action.APP_CREATED, application=app_a)
    audit_record(actor=alice, action=AuditEvent.Action.SECRET_ROTATED, application=app_b)
    services.application_untrust(application=app_a, reviewer=sam, version=app_a.review_version())
    services.application_suspend(
        application=app_b, reviewer=sam, version=app_b.review_version(), reason="Abuse"
    )
    return {"a": app_a, "b": app_b}


def _event_actions(client, **params) -> list[str]:
    response = client.get(reverse("staff:audit_log"), params)
    assert response.status_code == 200
    return [event.action for event in response.context["page"].object_list]


def test_audit_log_lists_everything_newest_first(staff_client, events):
    assert _event_actions(staff_client) == [
        "review.suspended",
        "review.untrusted",
        "secret.rotated",
        "app.created",
        "team.created",  # alice's personal team, made for her first app
    ]


def test_audit_log_filters_by_app_actor_and_action(staff_client, events):
    assert _event_actions(staff_client, app="App A") == ["review.untrusted", "app.created"]
    assert _event_actions(staff_client, app=events["b"].client_id) == ["review.suspended", "secret.rotated"]
    assert _event_actions(staff_client, application=events["b"].pk) == ["review.suspended", "secret.rotated"]
    assert _event_actions(staff_client, actor="sam") == ["review.suspended", "review.untrusted"]
    assert _event_actions(staff_client, actor="alice", action="secret.rotated") == ["secret.rotated"]
    assert _event_actions(staff_client, action="review.approved") == []


def test_a_malformed_filter_is_dropped_on_its_own(staff_client, events):
    assert _event_actions(staff_client, application="abc", actor="sam") == [
        "review.suspended",
        "review.untrusted",
    ]


def test_audit_log_shows_actor_address_and_before_after(staff_client, events):
    body = staff_client.get(reverse("staff:audit_log"), {"action": "review.suspended"}).content.decode()
    assert "sam" in body and "Abuse" in body
    assert "<strong>Status</strong>: <del>Approved</del> → <ins>Suspended</ins>" in body


def test_audit_log_htmx_gets_only_the_events(staff_client, events):
    body = staff_client.get(reverse("staff:audit_log"), {"actor": "sam"}, **HTMX).content.decode()
    assert "<html" not in body and body.lstrip().startswith('<section id="events"')


def test_the_audit_log_view_offers_no_way_to_change_it(staff_client, events):
    assert staff_client.post(reverse("staff:audit_log"), {"action": "x"}).status_code == 405
    body = staff_client.get(reverse("staff:audit_log")).content.decode()
    assert 'method="post"' not in body.split('id="main"')[1]


@pytest.mark.django_db
def test_audit_log_pages_keep_the_filter(staff_client, alice, make_app, monkeypatch):
    monkeypatch.setattr(audit_views, "PAGE_SIZE", 2)
    app, _secret = make_app(alice)
    for _n in range(5):
        audit_record(actor=alice, action=AuditEvent.Action.TOKEN_REVOKED, application=app)
    audit_record(actor=alice, action=AuditEvent.Action.APP_CHANGED, application=app)
    first = staff_client.get("/staff/audit/", {"action": "token.revoked"}).content.decode()
    assert first.count('data-testid="event-row"') == 2 and "5 events" in first
    assert 'href="?action=token.revoked&amp;older=' in first and ">Newer</a>" not in first
    last = staff_client.get("/staff/audit/", {"action": "token.revoked", "oldest": 1}).content.decode()
    assert last.count('data-testid="event-row"') == 2
    assert 'href="?action=token.revoked&amp;newer=' in last and ">Older</a>" not in last


def test_the_admin_cannot_change_or_delete_events_even_with_its_bulk_action(client, sam, events):
    sam.is_superuser = True
    sam.save()
    sign_in_with_second_factor(client, sam)
    count = AuditEvent.objects.count()
    response = client.post(
        "/admin/audit/auditevent/",
        {
            "action": "delete_selected",
            "_selected_action": list(AuditEvent.objects.values_list("pk", flat=True)),
        },
    )
    # The read-only admin offers no delete action: Django shows the list again and deletes nothing.
    assert response.status_code == 200
    event = AuditEvent.objects.first()
    assert client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "x"}).status_code == 403
    assert AuditEvent.objects.count() == count
    assert AuditEvent.objects.get(pk=event.pk).action == event.action
