"""What a person notices after acting: a repeated form creates nothing, one-click actions that cannot be
undone ask first (a page without JavaScript, a dialog with htmx), in-place updates keep counts and pages
right, and Back/Forward gets whole pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.oauth2_validators import set_token_value

from portal.clients.models import ClientSecret
from portal.consent.models import Consent
from portal.consent.services import consent_grant
from tests.helpers.accounts import sign_in_with_second_factor
from tests.helpers.developer import registration

pytestmark = pytest.mark.django_db


def _tokens(app, user, count: int) -> list:
    made = []
    for n in range(count):
        token = get_access_token_model()(
            user=user, application=app, scope="read", expires=timezone.now() + timedelta(hours=1)
        )
        set_token_value(token, f"feedback-{app.pk}-{n}")
        token.save()
        made.append(token)
    return made


def test_sending_the_registration_form_twice_registers_one_app(client, developer):
    form = client.get("/developer/apps/new/").content.decode()
    submission = re.search(r'name="submission" value="([^"]+)"', form).group(1)
    data = registration(submission=submission)
    first = client.post("/developer/apps/new/", data)
    second = client.post("/developer/apps/new/", data)
    assert get_application_model().objects.filter(user=developer).count() == 1
    app = get_application_model().objects.get(user=developer)
    assert first.status_code == 302 and second.status_code == 302
    assert second["Location"] == f"/developer/apps/{app.pk}/"
    assert "sent twice" in client.get(second["Location"]).content.decode()
    # A new form (a new token) registers another app, as it should.
    again = re.search(
        r'name="submission" value="([^"]+)"', client.get("/developer/apps/new/").content.decode()
    )
    client.post("/developer/apps/new/", registration(name="Second", submission=again.group(1)))
    assert get_application_model().objects.filter(user=developer).count() == 2


def test_a_refused_registration_can_be_fixed_and_sent_again(client, developer):
    form = client.get("/developer/apps/new/").content.decode()
    submission = re.search(r'name="submission" value="([^"]+)"', form).group(1)
    refused = client.post("/developer/apps/new/", registration(name="", submission=submission))
    assert refused.status_code == 200
    fixed = client.post("/developer/apps/new/", registration(submission=submission))
    assert fixed.status_code == 302
    assert get_application_model().objects.filter(user=developer).count() == 1


def test_rotating_with_no_grace_period_asks_first_and_says_production_breaks(client, developer, make_app):
    app, _secret = make_app(developer)
    before = list(ClientSecret.objects.filter(application=app).values_list("pk", flat=True))
    page = client.post(f"/developer/apps/{app.pk}/secrets/rotate/", {"grace": "0"})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="confirm-page"' in html
    assert (
        "production" in html and 'name="grace" value="0"' in html and 'name="confirmed" value="yes"' in html
    )
    assert list(ClientSecret.objects.filter(application=app).values_list("pk", flat=True)) == before
    # A grace period needs no confirmation: nothing breaks at once.
    assert client.post(f"/developer/apps/{app.pk}/secrets/rotate/", {"grace": "3600"}).status_code == 302


def test_revoking_one_token_without_javascript_asks_on_a_page(client, developer, make_app, erin):
    app, _secret = make_app(developer)
    token = _tokens(app, erin, 1)[0]
    page = client.post(f"/developer/apps/{app.pk}/tokens/{token.pk}/revoke/", {"cursor": ""})
    assert 'data-testid="confirm-page"' in page.content.decode()
    assert get_access_token_model().objects.filter(pk=token.pk).exists()
    done = client.post(
        f"/developer/apps/{app.pk}/tokens/{token.pk}/revoke/", {"cursor": "", "confirmed": "yes"}
    )
    assert done.status_code == 302 and not get_access_token_model().objects.filter(pk=token.pk).exists()


def test_revoking_a_token_keeps_the_page_and_an_emptied_page_shows_the_newest(
    client, developer, make_app, erin
):
    app, _secret = make_app(developer)
    tokens = _tokens(app, erin, 27)  # 25 a page: the page after the newest holds the two oldest
    first = client.get(f"/developer/apps/{app.pk}/tokens/").content.decode()
    cursor = re.search(r'href="\?(older=\d+)"', first).group(1)
    older = client.get(f"/developer/apps/{app.pk}/tokens/?{cursor}").content.decode()
    assert older.count('data-testid="token-row"') == 2 and f'name="cursor" value="{cursor}"' in older

    response = client.post(
        f"/developer/apps/{app.pk}/tokens/{tokens[0].pk}/revoke/",
        {"cursor": cursor, "confirmed": "yes"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.count('data-testid="token-row"') == 1 and "26 tokens" in html
    assert response["HX-Replace-Url"] == f"/developer/apps/{app.pk}/tokens/?{cursor}"

    response = client.post(
        f"/developer/apps/{app.pk}/tokens/{tokens[1].pk}/revoke/",
        {"cursor": cursor, "confirmed": "yes"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.count('data-testid="token-row"') == 25 and "25 tokens" in html
    assert response["HX-Replace-Url"] == f"/developer/apps/{app.pk}/tokens/"


def test_revoke_every_token_is_offered_only_when_there_are_tokens(client, developer, make_app, erin):
    app, _secret = make_app(developer)
    assert 'data-testid="revoke-all"' not in client.get(f"/developer/apps/{app.pk}/tokens/").content.decode()
    _tokens(app, erin, 1)
    assert 'data-testid="revoke-all"' in client.get(f"/developer/apps/{app.pk}/tokens/").content.decode()
    done = client.post(f"/developer/apps/{app.pk}/tokens/revoke-all/", {"name": app.name}, follow=True)
    assert "Revoked 1 access token and" in done.content.decode()


def test_revoking_an_apps_access_asks_first(client, erin, alice, make_app):
    app, _secret = make_app(alice, name="Photo Printer", skip_authorization=False)
    consent = consent_grant(user=erin, application=app, scopes=["openid", "read"], request=None)
    client.force_login(erin)
    asked = client.post(
        f"/accounts/connected-apps/{app.pk}/revoke/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"connection-{app.pk}",
    )
    html = asked.content.decode()
    assert asked["HX-Retarget"] == "body" and asked["HX-Reswap"] == "beforeend"
    assert "<dialog" in html and "Revoke the access of Photo Printer?" in html
    assert Consent.objects.filter(pk=consent.pk).exists()


def test_a_staff_decision_updates_the_navigation_count(client, sam, alice, make_app):
    app, _secret = make_app(alice, name="Waiting", review_status="pending", skip_authorization=False)
    make_app(alice, name="Also waiting", review_status="pending", skip_authorization=False)
    sign_in_with_second_factor(client, sam)
    response = client.post(
        reverse("staff:application_approve", kwargs={"pk": app.pk}),
        {"approve-version": app.review_version()},  # what the review page shows (issue 9, finding 4)
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert '"reviewCountChanged": {"label": "Staff review (1)"}' in response["HX-Trigger"]


@pytest.mark.parametrize("url", ["/staff/queue/?q=alice", "/staff/audit/?actor=alice"])
def test_history_restore_gets_the_whole_page_with_its_filters(client, sam, url):
    sign_in_with_second_factor(client, sam)
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode() and "HX-Request" in fragment["Vary"]
    restored = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    html = restored.content.decode()
    assert "<html" in html and 'value="alice"' in html and "data-url-filters" in html


def test_a_developer_with_no_apps_is_not_told_their_apps_keep_working(client, alice, current_terms):
    client.force_login(alice)
    html = client.get("/developer/").content.decode()
    assert "keep working" not in html and "Register your first app" in html
