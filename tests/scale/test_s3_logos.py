"""Logos on S3 through django-storages, against moto's S3 server over HTTP on loopback (no patched boto3)."""

from __future__ import annotations

import pytest
import requests
from django.core.files.storage import default_storage
from oauth2_provider.models import get_application_model
from PIL import Image

from tests.helpers.accounts import sign_in_recently_authenticated
from tests.helpers.developer import image_upload, registration

Application = get_application_model()


@pytest.fixture
def developer(client, alice, current_terms):
    from portal.terms.services import terms_accept

    terms_accept(user=alice, version=current_terms, request=None)
    sign_in_recently_authenticated(client, alice)
    return alice


@pytest.mark.django_db
def test_a_logo_is_uploaded_served_replaced_and_deleted_in_the_bucket(
    client, developer, moto, s3_logos, django_capture_on_commit_callbacks
):
    client.post("/developer/apps/new/", {**registration(), "logo": image_upload()})
    app = Application.objects.get()
    first = app.logo.name
    assert moto.keys(s3_logos) == [first]

    # The URL the pages show is the bucket's own, and it serves the normalised PNG.
    url = app.logo.url
    assert url == f"{moto.endpoint}/{s3_logos}/{first}"
    served = requests.get(url, timeout=10)
    assert served.status_code == 200
    assert served.content[:8] == b"\x89PNG\r\n\x1a\n"
    detail = client.get(f"/developer/apps/{app.pk}/")
    assert url in detail.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/developer/apps/{app.pk}/edit/", {**registration(), "logo": image_upload(fmt="JPEG")})
    app.refresh_from_db()
    assert app.logo.name != first
    assert moto.keys(s3_logos) == [app.logo.name]
    assert requests.get(f"{moto.endpoint}/{s3_logos}/{first}", timeout=10).status_code == 404
    with default_storage.open(app.logo.name) as stored:
        assert Image.open(stored).size == (256, 256)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/developer/apps/{app.pk}/delete/", {"name": app.name})
    assert moto.keys(s3_logos) == []


@pytest.mark.django_db
def test_readiness_covers_the_bucket(client, moto, s3_logos, settings):
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok", "cache": "ok", "storage": "ok"}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": "no-such-bucket"},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["storage"] == "unreachable"
