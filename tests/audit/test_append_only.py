"""The audit log is append-only: no edit or delete, from code or from the admin."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record, diff
from tests.helpers.accounts import sign_in_with_second_factor


@pytest.fixture
def event(alice, make_app):
    app, _secret = make_app(alice)
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    request.user = alice
    return audit_record(
        actor=alice,
        action=AuditEvent.Action.APP_CHANGED,
        application=app,
        changes=diff(
            {"name": "Old", "homepage_url": "https://a.example"},
            {"name": "New", "homepage_url": "https://a.example"},
        ),
        request=request,
    )


@pytest.mark.django_db
def test_an_event_records_actor_app_changes_and_address(event, alice):
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == alice and stored.actor_label == "alice"
    assert stored.changes == {"name": ["Old", "New"]}
    # The address the connection came from, not the one a client claims in X-Forwarded-For.
    assert stored.ip_address == "203.0.113.9"
    assert stored.client_id == event.application.client_id


@pytest.mark.django_db
def test_events_cannot_be_changed_or_deleted(event):
    event.action = AuditEvent.Action.APP_DELETED
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="app.deleted")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == AuditEvent.Action.APP_CHANGED


@pytest.mark.django_db
def test_the_event_outlives_its_app(event):
    event.application.delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.application is None
    assert stored.application_label == "Alice's App"


@pytest.mark.django_db
def test_the_admin_is_read_only_even_for_superusers(client, event, sam):
    sam.is_superuser = True
    sam.save()
    sign_in_with_second_factor(client, sam)
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
