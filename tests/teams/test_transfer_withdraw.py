"""Withdrawing a transfer that waits for staff review: the team's admins and owners may (the same
permission as proposing it), a developer may not, even the one who proposed it before being made
developer. Other changes waiting with it stay."""

from __future__ import annotations

import pytest

from portal.audit.models import AuditEvent
from portal.review import services as review_services
from portal.review.selectors import application_list_for_review
from portal.teams.models import Membership
from portal.teams.services import team_create
from portal.terms.services import terms_accept
from tests.helpers.accounts import sign_in_recently_authenticated
from tests.helpers.teams import team_with_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(client, alice, make_app, current_terms):
    """Acme's approved app, whose move to Other Co (where bob is admin too) bob proposed as Acme's admin."""
    acme, members = team_with_roles(alice)
    other = team_create(user=members["admin"], name="Other Co", request=None)
    app, _secret = make_app(alice, name="Live App", team=acme)
    for user in members.values():
        terms_accept(user=user, version=current_terms, request=None)
    sign_in_recently_authenticated(client, members["admin"])
    response = client.post(f"/developer/apps/{app.pk}/transfer/", {"team": str(other.pk)}, follow=True)
    assert b"waits for staff review" in response.content
    app.refresh_from_db()
    assert app.proposed_changes == {"team": other.pk}
    return app, acme, other, members


def _withdraw(client, app):
    return client.post(f"/developer/apps/{app.pk}/transfer/withdraw/", follow=True)


@pytest.mark.parametrize("who", ["admin", "owner"])
def test_an_admin_or_owner_withdraws_the_transfer(client, proposed, who):
    app, acme, other, members = proposed
    client.force_login(members[who])
    page = client.get(f"/developer/apps/{app.pk}/").content.decode()
    assert "Change waiting for staff review" in page and "Withdraw the transfer" in page
    response = _withdraw(client, app)
    assert b"The transfer is withdrawn; Live App stays with Acme Inc." in response.content
    assert b"Withdraw the transfer" not in response.content
    app.refresh_from_db()
    assert app.team == acme and app.proposed_changes == {}
    event = AuditEvent.objects.get(action="app.transfer_withdrawn", application=app)
    assert event.actor == members[who] and event.changes == {"team": [other.pk, acme.pk], "to": "Other Co"}
    # The staff queue no longer holds it (it was an approved app with nothing else waiting).
    assert app not in list(application_list_for_review())
    # The team's owner reads it in the team's trail.
    client.force_login(members["owner"])
    assert b"Transfer withdrawn" in client.get(f"/developer/teams/{acme.pk}/audit/").content
    # A second withdrawal finds nothing to take back and changes nothing.
    client.force_login(members[who])
    assert b"No transfer of Live App was waiting for review." in _withdraw(client, app).content
    assert AuditEvent.objects.filter(action="app.transfer_withdrawn").count() == 1


def test_other_changes_waiting_with_the_transfer_stay(client, proposed):
    app, _acme, other, members = proposed
    type(app).objects.filter(pk=app.pk).update(proposed_changes={"team": other.pk, "name": "Renamed App"})
    client.force_login(members["admin"])
    _withdraw(client, app)
    app.refresh_from_db()
    assert app.proposed_changes == {"name": "Renamed App"}


@pytest.mark.parametrize("who", ["developer", "viewer"])
def test_a_developer_or_viewer_cannot_withdraw_it(client, proposed, who):
    app, _acme, other, members = proposed
    client.force_login(members[who])
    assert b"Withdraw the transfer" not in client.get(f"/developer/apps/{app.pk}/").content
    response = client.post(f"/developer/apps/{app.pk}/transfer/withdraw/")
    assert response.status_code == 403
    assert b"Only a team admin or owner can transfer an app or withdraw its transfer." in response.content
    app.refresh_from_db()
    assert app.proposed_changes == {"team": other.pk}


def test_the_proposer_made_developer_can_no_longer_withdraw_it_but_the_owner_can(client, proposed):
    app, acme, other, members = proposed
    bob = members["admin"]
    Membership.objects.filter(team=acme, user=bob).update(role="developer")
    client.force_login(bob)
    assert client.post(f"/developer/apps/{app.pk}/transfer/withdraw/").status_code == 403
    app.refresh_from_db()
    assert app.proposed_changes == {"team": other.pk}
    # The team's owner (or any admin) still can.
    client.force_login(members["owner"])
    _withdraw(client, app)
    app.refresh_from_db()
    assert app.proposed_changes == {}


def test_staff_cannot_approve_a_withdrawn_transfer(client, proposed, sam):
    app, acme, _other, members = proposed
    version = app.review_version()
    client.force_login(members["admin"])
    _withdraw(client, app)
    app.refresh_from_db()
    with pytest.raises(review_services.ReviewError):
        review_services.application_approve_change(application=app, reviewer=sam, version=version)
    app.refresh_from_db()
    assert app.team == acme
