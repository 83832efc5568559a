"""Teams in Chromium: Ann creates the team Acme and invites Ben (the email is read from the outbox of the
live server, which runs in this process), Ben accepts; as a developer Ben edits the app but has no rotate
button, and a forged rotate POST is refused (403); Ann makes Ben an admin and Ben rotates the secret; Ann
removes Ben, and Ben's very next request to the app is a 404. And Ben answers the invitations waiting on
his team list."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from portal.teams.models import Team
from portal.teams.services import invitation_create, team_create
from portal.terms.services import terms_accept
from tests.helpers.accounts import browser_reauthenticate, browser_sign_in
from tests.helpers.constants import PASSWORD
from tests.helpers.teams import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORGED_ROTATE = """async (url) => {
  const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
  const body = new URLSearchParams({csrfmiddlewaretoken: token, grace: "0", confirmed: "yes"});
  const response = await fetch(url, {method: "POST", body});
  return [response.status, await response.text()];
}"""


def test_ann_and_ben_manage_an_app_together(
    live_server, browser: Browser, page: Page, current_terms, make_app
):
    base = live_server.url
    ann, ben = make_user("ann"), make_user("ben")
    for person in (ann, ben):
        terms_accept(user=person, version=current_terms, request=None)

    # Ann creates the team Acme.
    browser_sign_in(page, base, "ann", PASSWORD)
    page.goto(f"{base}/developer/teams/")
    page.get_by_label("Team name").fill("Acme Inc.")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Acme Inc.", level=1)).to_be_visible()
    expect(page.get_by_text("Team Acme Inc. is created")).to_be_visible()
    acme = Team.objects.get(name="Acme Inc.")
    app, _secret = make_app(ann, name="Acme Photos", team=acme)
    app_url = f"{base}/developer/apps/{app.pk}/"

    # Ann invites Ben as a developer; the link arrives by email.
    page.get_by_label("Email address").fill("ben@example.com")
    page.locator("#invitations").get_by_label("Role").select_option("developer")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_test_id("invitations-notice")).to_contain_text("Invitation sent to ben@example.com")
    expect(page.get_by_test_id("pending-invitations")).to_contain_text("ben@example.com")
    [message] = [m for m in mail.outbox if m.to == ["ben@example.com"]]
    link = re.search(r"https?://\S+/developer/invitations/\S+/", message.body).group(0)
    assert link.startswith(base)

    # Ben, in his own browser, accepts.
    ben_context = browser.new_context(viewport={"width": 1280, "height": 900})
    ben_context.set_default_timeout(10_000)
    ben_page = ben_context.new_page()
    try:
        browser_sign_in(ben_page, base, "ben", PASSWORD)
        ben_page.goto(link)
        expect(ben_page.get_by_text("as developer")).to_be_visible()
        ben_page.get_by_role("button", name="Accept the invitation").click()
        expect(ben_page.get_by_text("You joined Acme Inc. as developer.")).to_be_visible()

        # As a developer Ben edits the app, sees no rotate button, and a forged rotate is refused.
        ben_page.get_by_role("link", name="Acme Photos").click()
        expect(ben_page.get_by_test_id("member-role")).to_have_text("Developer")
        expect(ben_page.get_by_role("button", name="Rotate secret")).to_have_count(0)
        expect(ben_page.get_by_test_id("secrets-role-note")).to_be_visible()
        ben_page.get_by_role("link", name="Edit", exact=True).click()
        ben_page.get_by_label("Description").fill("Photos for the whole of Acme.")
        ben_page.get_by_role("button", name="Save changes").click()
        expect(ben_page.get_by_text("Saved.")).to_be_visible()
        expect(ben_page.get_by_text("Photos for the whole of Acme.")).to_be_visible()
        status, body = ben_page.evaluate(FORGED_ROTATE, f"/developer/apps/{app.pk}/secrets/rotate/")
        assert status == 403
        assert "Only a team admin or owner can rotate" in body

        # Ann makes Ben an admin.
        page.reload()
        ben_row = page.get_by_test_id("member-row").filter(has_text="ben@example.com")
        ben_row.get_by_label("Role of ben").select_option("admin")
        ben_row.get_by_role("button", name="Change role").click()
        expect(page.get_by_text("ben is now admin of Acme Inc.")).to_be_visible()

        # Now Ben rotates (after confirming his password, as for any rotation).
        browser_reauthenticate(ben_page, base, PASSWORD)
        ben_page.goto(app_url)
        expect(ben_page.get_by_test_id("member-role")).to_have_text("Admin")
        ben_page.get_by_role("button", name="Rotate secret").click()
        expect(ben_page.get_by_test_id("client-secret")).to_be_visible()

        # Ann removes Ben; his next request to the app is a 404.
        page.get_by_test_id("member-row").filter(has_text="ben@example.com").get_by_role(
            "button", name="Remove ben"
        ).click()
        page.get_by_test_id("confirm").click()
        expect(page.get_by_text("ben is no longer a member of Acme Inc.")).to_be_visible()
        response = ben_page.goto(app_url)
        assert response is not None and response.status == 404
        expect(ben_page.get_by_test_id("error-404")).to_be_visible()
    finally:
        ben_context.close()


def test_ben_answers_the_invitations_waiting_on_his_team_list(live_server, page: Page):
    """Two invitations wait for Ben: he declines one and accepts the other from his team list (htmx swaps
    the list in place: the invitation goes, the joined team appears, the outcome is said)."""
    base = live_server.url
    ann, ben = make_user("ann"), make_user("ben")
    for name in ("Acme Inc.", "Spam Co"):
        team = team_create(user=ann, name=name, request=None)
        invitation_create(team=team, email="ben@example.com", role="developer", actor=ann, request=None)
    browser_sign_in(page, base, "ben", PASSWORD)
    page.goto(f"{base}/developer/teams/")
    waiting = page.get_by_test_id("invitations-waiting")
    expect(waiting.get_by_test_id("waiting-invitation")).to_have_count(2)
    # A swap in place, not a new page: a marker set on the window survives it.
    page.evaluate("window.stillHere = true")

    page.get_by_role("button", name="Decline the invitation to Spam Co").click()
    expect(page.get_by_test_id("teams-notice")).to_have_text(
        "You declined the invitation to Spam Co; its link no longer works."
    )
    expect(waiting.get_by_test_id("waiting-invitation")).to_have_count(1)

    page.get_by_role("button", name="Accept and join Acme Inc.").click()
    expect(page.get_by_test_id("teams-notice")).to_have_text("You joined Acme Inc. as developer.")
    expect(page.get_by_test_id("invitations-waiting")).to_have_count(0)
    expect(page.get_by_test_id("team-row").filter(has_text="Acme Inc.")).to_contain_text("Developer")
    assert page.evaluate("window.stillHere") is True
    assert Team.objects.get(name="Acme Inc.").memberships.filter(user=ben, role="developer").exists()
