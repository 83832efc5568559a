"""Every page of the three roles, on a phone (390×844): no horizontal overflow, and no axe-core violation.

axe-core is vendored from npm (tests/browser/vendor/) and injected into each page after it loads; the
portal never serves it. One browser context per role keeps this fast: the pages are visited in a row.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from oauth2_provider.models import AccessToken
from playwright.sync_api import Browser, Page, expect

from portal.clients import grants
from portal.consent.services import consent_grant
from portal.teams.models import Membership
from portal.teams.selectors import invitation_token
from portal.teams.services import invitation_create, team_create
from tests.helpers.accounts import totp_add, totp_code_to_type
from tests.helpers.browser import AXE
from tests.helpers.consent import authorization_request
from tests.helpers.constants import PASSWORD
from tests.helpers.usage import usage_sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def check_page(page: Page, url: str, *, status: int = 200) -> list[str]:
    """Load `url`; return what a person on a phone or with an assistive technology would notice."""
    response = page.goto(url)
    problems = []
    if response is None or response.status != status:
        problems.append(f"{url}: status {response and response.status}, expected {status}")
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    if width > viewport:
        # Name the innermost elements that stick out, so the failure says what to fix.
        culprits = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                 .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                 .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 1))
                 .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""
        )
        problems.append(f"{url} is {width} px wide on a {viewport} px phone: {culprits}")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(
             v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')})`)"""
    )
    return problems + [f"{url}: {violation}" for violation in violations]


def phone(
    browser: Browser, base: str, username: str | None = None, *, totp_secret: str | None = None
) -> Page:
    # bypass_csp lets the test inject axe-core; the portal's own pages still load under their CSP.
    context = browser.new_context(viewport=PHONE, base_url=base, bypass_csp=True)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    if username:
        tab.goto("/accounts/login/")
        tab.get_by_placeholder("Username or email").fill(username)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in", exact=True).click()
        if totp_secret:  # staff: the staff pages need the second factor too
            tab.get_by_label("Code").fill(totp_code_to_type(totp_secret))
            tab.get_by_role("button", name="Sign In", exact=True).click()
        expect(tab.get_by_test_id("signed-in-as")).to_have_text(username)
    return tab


@pytest.fixture
def portal_data(alice, erin, sam, make_app, current_terms):
    """Alice's apps (one with tokens, a long name and long URLs), erin's consent, a pending app for staff."""
    from portal.terms.services import terms_accept

    terms_accept(user=alice, version=current_terms, request=None)
    trusted, _ = make_app(
        alice,
        name="Alice's Photo Printer with a rather long name",
        grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS, grants.DEVICE_CODE],
        homepage_url="https://photo-printer.example.com/a/very/long/path/to/the/homepage",
    )
    consent, _ = make_app(alice, name="Alice's Consent App", skip_authorization=False)
    pending, _ = make_app(
        alice, name="Alice's Pending App", review_status="pending", skip_authorization=False
    )
    for number in range(3):
        AccessToken.objects.create(
            user=erin,
            application=trusted,
            token=f"token-{number}-{trusted.pk}",
            scope="openid read",
            expires=timezone.now() + timedelta(hours=1),
        )
    consent_grant(user=erin, application=trusted, scopes=["openid", "read"], request=None)
    usage_sample(trusted)
    # Teams: alice owns Acme (erin is a member, one invitation waits); in erin's team alice only views.
    acme = team_create(user=alice, name="Acme Inc.", request=None)
    Membership.objects.create(team=acme, user=erin, role="developer")
    invitation = invitation_create(
        team=acme, email="new@example.com", role="viewer", actor=alice, request=None
    )
    erins = team_create(user=erin, name="Erin's team", request=None)
    Membership.objects.create(team=erins, user=alice, role="viewer")
    viewed, _ = make_app(erin, name="Erin's App", team=erins)
    # An invitation waits for alice on her team list (to her verified address).
    EmailAddress.objects.get_or_create(user=alice, email=alice.email, defaults={"verified": True})
    invitation_create(
        team=team_create(user=erin, name="Erin's studio", request=None),
        email=alice.email,
        role="developer",
        actor=erin,
        request=None,
    )
    return {
        "trusted": trusted,
        "consent": consent,
        "pending": pending,
        "acme": acme,
        "invitation": invitation_token(invitation),
        "viewed": viewed,
    }


def test_every_page_fits_a_phone_and_has_no_axe_violation(live_server, browser: Browser, portal_data):
    base = live_server.url
    trusted, consent, pending = portal_data["trusted"], portal_data["consent"], portal_data["pending"]

    problems: list[str] = []
    visitor = phone(browser, base)
    for url in ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        problems += check_page(visitor, url)
    problems += check_page(visitor, "/no-such-page/", status=404)
    unknown_client = "/o/authorize/?response_type=code&client_id=nobody&redirect_uri=x"
    problems += check_page(visitor, unknown_client, status=400)

    developer = phone(browser, base, "alice")
    for url in [
        "/developer/",
        "/developer/terms/",
        "/developer/apps/new/",
        f"/developer/apps/{trusted.pk}/",
        f"/developer/apps/{trusted.pk}/edit/",
        f"/developer/apps/{trusted.pk}/delete/",
        f"/developer/apps/{trusted.pk}/tokens/",
        f"/developer/apps/{trusted.pk}/usage/",
        f"/developer/apps/{trusted.pk}/usage/?days=7&part=errors&error=redirect_uri_mismatch",
        f"/developer/apps/{pending.pk}/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/developer/teams/",
        f"/developer/teams/{portal_data['acme'].pk}/",
        f"/developer/teams/{portal_data['acme'].pk}/audit/",
        f"/developer/apps/{trusted.pk}/transfer/",
        f"/developer/apps/{portal_data['viewed'].pk}/",
        f"/developer/invitations/{portal_data['invitation']}/",
    ]:
        problems += check_page(developer, url)
    problems += check_page(developer, f"/developer/apps/{trusted.pk + 1000}/", status=404)
    # A viewer asking for what their role does not allow: the 403 page says why.
    problems += check_page(developer, f"/developer/apps/{portal_data['viewed'].pk}/tokens/", status=403)

    # On a laptop the app list fits too (it was ~1370 px wide at 1280, names wrapping a word a line).
    developer.set_viewport_size({"width": 1280, "height": 800})
    developer.goto("/developer/")
    assert developer.evaluate("document.documentElement.scrollWidth <= innerWidth")
    name = developer.get_by_role("link", name=trusted.name)
    name_height = name.evaluate("e => e.getBoundingClientRect().height")
    assert name_height < 60, f"the app name wraps onto several lines ({name_height} px high)"

    from django.contrib.auth import get_user_model

    staff = phone(browser, base, "sam", totp_secret=totp_add(get_user_model().objects.get(username="sam")))
    for url in [
        "/staff/",
        "/staff/queue/",
        f"/staff/apps/{pending.pk}/",
        f"/staff/apps/{trusted.pk}/",
        "/staff/audit/",
    ]:
        problems += check_page(staff, url)

    person = phone(browser, base, "erin")
    problems += check_page(person, authorization_request(consent, scope="openid profile email read").url)
    problems += check_page(person, "/accounts/connected-apps/")

    assert not problems, "\n".join(problems)
