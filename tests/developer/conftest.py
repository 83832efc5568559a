from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portal.terms.services import terms_accept
from tests.helpers.accounts import sign_in_recently_authenticated


@pytest.fixture
def developer(client, alice, current_terms):
    """alice, signed in (and re-authenticated just now), with the current developer terms accepted."""
    terms_accept(user=alice, version=current_terms, request=None)
    sign_in_recently_authenticated(client, alice)
    return alice


def image_upload(name="logo.png", fmt="PNG", size=(300, 200), **save_options) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt, **save_options)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def registration(**overrides) -> dict:
    data = {
        "name": "Alice's Photo App",
        "description": "Prints your photos.",
        "homepage_url": "https://photos.example.com",
        "client_type": "confidential",
        "grant_types": ["authorization-code"],
        "redirect_uris": "https://photos.example.com/callback\nhttp://127.0.0.1:8765/callback",
    }
    data.update(overrides)
    return data
