"""/staff/ and /admin/ need a second factor used in this session; /developer/ too when the operator
says so."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import (
    sign_in_password_only,
    sign_in_with_second_factor,
    totp_add,
    totp_code_to_type,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/staff/", "/admin/"])
def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, sam, path):
    sign_in_password_only(client, sam)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"
    page = client.get("/accounts/2fa/").content.decode()
    assert "This page needs two-factor authentication: set up a second factor first." in page


@pytest.mark.parametrize("path", ["/staff/", "/admin/"])
def test_a_password_only_staff_session_is_asked_for_the_code_and_comes_back(client, sam, path):
    secret = totp_add(sam)
    sign_in_password_only(client, sam)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/2fa/reauthenticate/?next={path.replace('/', '%2F')}"

    wrong = client.post(response["Location"], {"code": "12345"})
    assert wrong.status_code == 200
    assert client.get(path).status_code == 302

    done = client.post(response["Location"], {"code": totp_code_to_type(secret)})
    assert done.status_code == 302
    assert done["Location"] == path
    assert client.get(path).status_code == 200


def test_an_htmx_request_is_led_to_the_challenge_page(client, sam):
    totp_add(sam)
    sign_in_password_only(client, sam)
    response = client.get("/staff/", {"q": "x"}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/2fa/reauthenticate/?next=%2Fstaff%2F"
    # From a page deeper in: back to that page afterwards.
    current = "http://testserver/staff/audit/?action=review.trusted"
    response = client.post("/staff/apps/1/trust/", headers={"HX-Request": "true", "HX-Current-URL": current})
    assert response.status_code == 204
    assert response["HX-Redirect"] == (
        "/accounts/2fa/reauthenticate/?next=%2Fstaff%2Faudit%2F%3Faction%3Dreview.trusted"
    )


def test_a_plain_post_comes_back_to_the_staff_start_page(client, sam):
    totp_add(sam)
    sign_in_password_only(client, sam)
    response = client.post("/staff/apps/1/trust/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fstaff%2F"


def test_staff_signed_in_with_a_second_factor_reach_both(client, sam):
    sign_in_with_second_factor(client, sam)
    assert client.get("/staff/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_others_still_find_nothing_at_staff(client, alice):
    sign_in_password_only(client, alice)
    assert client.get("/staff/").status_code == 404


def test_developers_need_a_second_factor_only_when_the_operator_requires_it(
    client, alice, settings, current_terms
):
    sign_in_password_only(client, alice)
    assert client.get("/developer/").status_code == 200
    settings.REQUIRE_MFA_FOR_DEVELOPERS = True
    response = client.get("/developer/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"
    sign_in_with_second_factor(client, alice)
    assert client.get("/developer/").status_code == 200
