"""The counters' flush (moved, not copied; one flusher at a time; put back when the database write fails), the
error log's bounds under a flood, counting switched off, and who may see an app's usage."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from oauth2_provider.models import get_access_token_model

from portal.clients import grants
from portal.teams.models import Membership
from portal.teams.roles import Role
from portal.usage import charts, counters, errorlog, services
from portal.usage.models import IntegrationError, Kind, UsageDaily


def _stored(app) -> dict[str, int]:
    return {row.kind: row.count for row in UsageDaily.objects.filter(application=app)}


@pytest.mark.django_db
def test_a_flush_moves_counts_and_keeps_what_arrives_meanwhile(alice, make_app, monkeypatch):
    app, _secret = make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    for _ in range(3):
        counters.token_issued(application_id=app.pk, grant_type="client_credentials", user_id=None)
    # An increment that lands between the flush's read and its decrement stays for the next flush.

    class RacingCache:
        def __getattr__(self, name):
            return getattr(cache, name)

        def decr(self, key, delta=1, version=None):
            counters.count(application_id=app.pk, kind=Kind.TOKEN_CLIENT_CREDENTIALS)
            return cache.decr(key, delta, version=version)

    monkeypatch.setattr(services, "cache", RacingCache())
    assert services.usage_flush().events == 3
    monkeypatch.undo()
    assert _stored(app) == {Kind.TOKEN_CLIENT_CREDENTIALS: 3}
    assert counters.pending_counts(application_id=app.pk) == {
        (app.pk, counters.today(), Kind.TOKEN_CLIENT_CREDENTIALS): 1
    }
    call_command("flush_usage", verbosity=0)
    call_command("flush_usage", verbosity=0)  # nothing left: idempotent
    assert _stored(app) == {Kind.TOKEN_CLIENT_CREDENTIALS: 4}
    assert counters.pending_counts(application_id=app.pk) == {}


@pytest.mark.django_db(transaction=True)
def test_a_token_whose_transaction_rolls_back_is_not_counted(client, alice, make_app):
    app, secret = make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    auth = "Basic " + base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    with pytest.raises(RuntimeError), transaction.atomic():
        response = client.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=auth)
        assert response.status_code == 200
        raise RuntimeError("the transaction around the request fails after the token was issued")
    assert get_access_token_model().objects.filter(application=app).count() == 0
    assert counters.pending_counts(application_id=app.pk) == {}
    response = client.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200
    assert counters.pending_counts(application_id=app.pk) == {
        (app.pk, counters.today(), Kind.TOKEN_CLIENT_CREDENTIALS): 1
    }


@pytest.mark.django_db
def test_a_second_flusher_waits_for_the_first(alice, make_app, capsys):
    app, _secret = make_app(alice)
    counters.count(application_id=app.pk, kind=Kind.DENIAL)
    cache.add(services.FLUSH_LOCK_KEY, "another instance", timeout=60)
    call_command("flush_usage")
    assert "Another flush_usage holds the lock" in capsys.readouterr().out
    assert _stored(app) == {}
    cache.delete(services.FLUSH_LOCK_KEY)
    call_command("flush_usage")
    assert _stored(app) == {Kind.DENIAL: 1}


@pytest.mark.django_db(transaction=True)
def test_a_failed_database_write_puts_the_counts_back(alice, make_app, monkeypatch):
    app, _secret = make_app(alice)
    counters.count(application_id=app.pk, kind=Kind.ERROR_INVALID_GRANT, amount=5)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_add_to_row", broken)
    with pytest.raises(RuntimeError):
        services.usage_flush()
    assert counters.pending_counts(application_id=app.pk) == {
        (app.pk, counters.today(), Kind.ERROR_INVALID_GRANT): 5
    }
    monkeypatch.undo()
    services.usage_flush()
    assert _stored(app) == {Kind.ERROR_INVALID_GRANT: 5}


@pytest.mark.django_db
def test_a_flood_of_errors_is_counted_but_stored_within_bounds(alice, make_app):
    app, _secret = make_app(alice)
    for number in range(100):
        errorlog.error_record(
            application_id=app.pk,
            endpoint="authorize",
            code="redirect_uri_mismatch",
            value=f"https://x.example/{number}",
        )
    assert IntegrationError.objects.filter(application=app).count() == errorlog.WRITES_PER_MINUTE
    assert counters.pending_counts(application_id=app.pk) == {
        (app.pk, counters.today(), Kind.ERROR_REDIRECT_URI): 100
    }


@pytest.mark.django_db
def test_the_same_error_is_one_row_and_an_app_keeps_its_newest_rows(alice, make_app, monkeypatch):
    app, _secret = make_app(alice)
    for _ in range(3):
        errorlog.error_record(application_id=app.pk, endpoint="token", code="invalid_grant")
    (row,) = IntegrationError.objects.filter(application=app)
    assert row.count == 3
    monkeypatch.setattr(errorlog, "WRITES_PER_MINUTE", 1000)
    monkeypatch.setattr(errorlog, "KEEP_PER_APP", 10)
    for number in range(15):
        errorlog.error_record(
            application_id=app.pk, endpoint="token", code="invalid_scope", value=f"s{number}"
        )
    kept = list(
        IntegrationError.objects.filter(application=app).order_by("id").values_list("value", flat=True)
    )
    assert kept == [f"s{number}" for number in range(5, 15)]


@pytest.mark.django_db
def test_old_errors_are_pruned_by_flush_usage(alice, make_app):
    app, _secret = make_app(alice)
    errorlog.error_record(application_id=app.pk, endpoint="token", code="invalid_grant")
    IntegrationError.objects.update(last_seen="2020-01-01T00:00:00Z")
    call_command("flush_usage", verbosity=0)
    assert not IntegrationError.objects.exists()


def test_values_are_cleaned_and_truncated():
    assert errorlog.clean("a\x00b\nc") == "a\ufffdb\ufffdc"
    assert len(errorlog.clean("x" * 5000)) == errorlog.VALUE_MAX
    assert errorlog.safe_uri("https://user:pw@app.example:8443/cb?code=abc#frag") == (
        "https://app.example:8443/cb (query removed)"
    )
    assert errorlog.safe_uri("http://[::1") == ""
    assert errorlog.scope_names(["read", "x" * 80, "<script>"]) == (
        "read (a 80-character value) (a 8-character value)"
    )


@pytest.mark.django_db
def test_nothing_is_counted_with_counting_off(alice, make_app, settings):
    settings.USAGE_COUNTING = False
    app, _secret = make_app(alice)
    counters.token_issued(application_id=app.pk, grant_type="client_credentials", user_id=1)
    errorlog.error_record(application_id=app.pk, endpoint="token", code="invalid_grant")
    assert counters.pending_counts() == {}
    assert not IntegrationError.objects.exists()


@pytest.mark.django_db
def test_only_the_owner_sees_an_apps_usage(client, developer, charlie, make_app):
    app, _secret = make_app(developer)
    errorlog.error_record(application_id=app.pk, endpoint="token", code="invalid_grant")
    assert "Code or refresh token refused" in client.get(f"/developer/apps/{app.pk}/usage/").content.decode()
    client.force_login(charlie)
    for url in (f"/developer/apps/{app.pk}/usage/", f"/developer/apps/{app.pk}/usage.csv"):
        assert client.get(url).status_code == 404
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404


@pytest.mark.django_db
def test_a_viewer_of_the_team_sees_the_usage_but_no_person(client, developer, charlie, make_app):
    app, _secret = make_app(developer)
    Membership.objects.create(team=app.team, user=charlie, role=Role.VIEWER)
    counters.token_issued(application_id=app.pk, grant_type="authorization_code", user_id=developer.pk)
    errorlog.error_record(application_id=app.pk, endpoint="token", code="invalid_grant")
    client.force_login(charlie)
    page = client.get(f"/developer/apps/{app.pk}/usage/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Code or refresh token refused" in text
    assert developer.username not in text.split("<main", 1)[1] and developer.email not in text
    csv = client.get(f"/developer/apps/{app.pk}/usage.csv")
    assert csv.status_code == 200 and developer.username not in csv.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("days", ["0", "-7", "7 ", "9" * 40, "abc"])
def test_a_hostile_period_shows_thirty_days(client, developer, make_app, days):
    app, _secret = make_app(developer)
    page = client.get(f"/developer/apps/{app.pk}/usage/", {"days": days, "error": "<script>" * 3})
    assert page.status_code == 200 and "Last 30 days" in page.content.decode()


@pytest.mark.django_db
def test_the_usage_page_costs_the_same_queries_with_many_errors(
    client, developer, make_app, django_assert_num_queries
):
    app, _secret = make_app(developer)
    url = f"/developer/apps/{app.pk}/usage/"
    client.get(url)
    # The session, the user, the app with the member's role, then the codes, the daily counts and the log.
    with django_assert_num_queries(6) as first:
        client.get(url)
    for number in range(15):
        errorlog.error_record(
            application_id=app.pk, endpoint="token", code="invalid_scope", value=f"s{number}"
        )
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


def test_chart_axes_are_whole_numbers_and_bars_scale_to_them():
    chart = charts.bar_chart(
        slug="x",
        title="X",
        unit="things",
        series=[(date(2026, 1, day), value) for day, value in [(1, 0), (2, 3), (3, 5)]],
    )
    assert [tick.value for tick in chart.ticks] == [0, 3, 6]
    assert [bar.height for bar in chart.bars][0] == 0 and chart.bars[2].height > chart.bars[1].height
    assert chart.summary == "8 things in 3 days; the busiest day was 2026-01-03 with 5."
    assert [
        tick.value
        for tick in charts.bar_chart(slug="y", title="Y", unit="u", series=[(date(2026, 1, 1), 1)]).ticks
    ] == [0, 1]
    empty = charts.bar_chart(slug="z", title="Z", unit="errors", series=[(date(2026, 1, 1), 0)])
    assert empty.summary == "No errors in these 1 days."


@pytest.mark.django_db(transaction=True)
def test_an_error_of_an_app_deleted_meanwhile_is_dropped(alice, make_app):
    app, _secret = make_app(alice)
    assert errorlog.application_id_for_client(app.client_id) == app.pk  # remembered for a while
    app_id = app.pk
    app.delete()
    errorlog.error_record(
        application_id=errorlog.application_id_for_client(app.client_id),
        endpoint="token",
        code="invalid_grant",
    )
    assert not IntegrationError.objects.exists()
    services.usage_flush()  # its counts go with it
    assert not UsageDaily.objects.filter(application_id=app_id).exists()
