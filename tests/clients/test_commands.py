from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from oauth2_provider.models import get_application_model

from portal.usage.models import IntegrationError, UsageDaily


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
    # A month of demo usage for the trusted app, added once although seed_demo ran twice.
    days = UsageDaily.objects.filter(application=trusted, kind="people").values_list("day", flat=True)
    assert len(days) == len(set(days)) == 30
    assert IntegrationError.objects.filter(application=trusted).count() == 3


@pytest.mark.django_db
def test_seed_demo_refuses_to_create_known_passwords_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(Exception, match="--force"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="alice").exists()


@pytest.mark.django_db
def test_seed_demo_run_again_keeps_the_demo_apps_and_rotates_only_the_printed_secrets(settings, erin):
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model
    from oauth2_provider.oauth2_validators import set_token_value

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    apps = get_application_model().objects
    first_pks = set(apps.values_list("pk", flat=True))
    trusted = apps.get(client_id="demo-trusted-app")
    token = get_access_token_model()(
        user=erin, application=trusted, scope="read", expires=timezone.now() + timedelta(hours=1)
    )
    set_token_value(token, "kept-token")
    token.save()

    out = io.StringIO()
    call_command("seed_demo", "--base-url", "http://127.0.0.1:8123", stdout=out)
    text = out.getvalue()
    assert set(apps.values_list("pk", flat=True)) == first_pks
    assert get_access_token_model().objects.filter(pk=token.pk).exists()
    trusted_secret, consent_secret = [part.split()[0] for part in text.split("client_secret=")[1:3]]
    assert check_password(trusted_secret, apps.get(client_id="demo-trusted-app").client_secret)
    assert check_password(consent_secret, apps.get(client_id="demo-consent-app").client_secret)
    assert "http://127.0.0.1:8123/accounts/login/" in text
