"""portal/statements.py writes the hot path's SELECT and INSERT once; what they give must be exactly what
the ORM gives, on SQLite and on PostgreSQL (the CI runs this file on both)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, set_token_value

from portal import statements


def _values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.mark.django_db
def test_get_by_gives_what_the_orm_gives(alice, make_app):
    app, _secret = make_app(alice, name="Alice's Reader")
    Application = get_application_model()
    fast = statements.get_by(Application, "client_id", app.client_id)
    slow = Application.objects.get(client_id=app.client_id)
    assert type(fast) is Application
    assert _values(fast) == _values(slow)
    # Dates come back as aware datetimes and booleans as booleans on both engines, as from the ORM.
    assert fast.created == slow.created and fast.created.tzinfo is not None
    assert fast.skip_authorization is True
    assert fast._state.adding is False and fast._state.db == "default"
    assert fast.is_usable(None) is True


@pytest.mark.django_db
def test_get_by_an_unknown_value_is_none_in_one_query(alice, make_app):
    make_app(alice)
    with CaptureQueriesContext(connection) as queries:
        assert statements.get_by(get_application_model(), "client_id", "no-such-client") is None
    assert len(queries.captured_queries) == 1


@pytest.mark.django_db
def test_insert_stores_what_save_would(alice, make_app):
    app, _secret = make_app(alice)
    AccessToken = get_access_token_model()
    expires = timezone.now() + timedelta(hours=1)

    def token(raw: str):
        made = AccessToken(
            user=alice, application=app, scope="read write", expires=expires, resource=["https://api.example"]
        )
        set_token_value(made, raw)
        return made

    fast, slow = token("fast-token"), token("slow-token")
    before = timezone.now()
    statements.insert(fast)
    slow.save()
    assert fast.pk is not None and fast.pk != slow.pk
    assert fast._state.adding is False
    stored = AccessToken.objects.get(pk=fast.pk)
    expected = _values(AccessToken.objects.get(pk=slow.pk))
    got = _values(stored)
    # The checksum is derived from the raw token by the field's pre_save, as in save(); the raw value is
    # not stored (DOT's hashed tokens).
    assert got.pop("token_checksum") != expected.pop("token_checksum")
    assert stored.token_checksum == fast.token_checksum
    assert AccessToken.objects.get(token_checksum=fast.token_checksum).pk == fast.pk
    for name in ("id", "created", "updated"):
        got.pop(name), expected.pop(name)
    assert got == expected
    # auto_now dates are set by the insert, like save() sets them.
    assert stored.created >= before and stored.updated >= before
    assert stored.resource == ["https://api.example"]
