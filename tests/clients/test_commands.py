from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from oauth2_provider.models import get_application_model


@pytest.mark.django_db
def test_createapplication_makes_an_approved_app_with_a_hashed_secret(alice):
    out = io.StringIO()
    call_command(
        "createapplication",
        "confidential",
        "client-credentials",
        "--name",
        "Ops job",
        "--user",
        str(alice.pk),
        stdout=out,
    )
    app = get_application_model().objects.get(name="Ops job")
    assert app.review_status == "approved"
    printed_secret = out.getvalue().split("client_secret: ")[1].strip()
    assert check_password(printed_secret, app.client_secret)


@pytest.mark.django_db
def test_seed_demo_prints_working_sign_in_details_and_can_run_twice(settings):
    settings.DEBUG = True
    for _run in range(2):
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
    text = out.getvalue()
    users = get_user_model().objects
    assert users.get(username="staff").is_staff
    assert users.get(username="alice").check_password("portal-demo-2026")
    apps = get_application_model().objects
    trusted = apps.get(client_id="demo-trusted-app")
    assert trusted.is_approved and trusted.skip_authorization and trusted.user.username == "alice"
    assert apps.get(client_id="demo-pending-app").review_status == "pending"
    secret = text.split("client_secret=")[1].split()[0]
    assert check_password(secret, trusted.client_secret)
    assert "/o/authorize/?response_type=code&client_id=demo-trusted-app" in text
    assert "code_challenge_method=S256" in text


@pytest.mark.django_db
def test_seed_demo_refuses_to_create_known_passwords_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(Exception, match="--force"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="alice").exists()
