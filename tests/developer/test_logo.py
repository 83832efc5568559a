"""Logo uploads are validated with Pillow and normalised; a refused upload changes nothing."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from oauth2_provider.models import get_application_model
from PIL import Image

from tests.helpers.developer import image_upload, registration

Application = get_application_model()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny valid PNG header declaring a huge canvas (a decompression bomb's calling card)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", len(idat))
        + b"IDAT"
        + idat
        + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
        + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


def _truncated_png() -> bytes:
    data = image_upload(size=(400, 400)).read()
    return data[: len(data) // 2]


def _too_large() -> bytes:
    # Noise does not compress: a valid PNG just over 1 MiB.
    import os

    image = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    assert buffer.tell() > 1024 * 1024
    return buffer.getvalue()


REJECTIONS = [
    ("notes.png", b"just some text, not an image", "not an image we can read"),
    ("truncated.png", None, "damaged or incomplete"),
    ("big.png", None, "the limit is 1 MiB"),
    ("bomb.png", None, "at most 4096×4096 is accepted"),
    ("tall.png", None, "The image is 5000×10 pixels; at most 4096×4096 is accepted"),
    (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "SVG logos are not accepted",
    ),
    ("sneaky.png", b"<html><script>alert(1)</script></html>", "not an image we can read"),
    ("icon.bmp", None, "BMP images are not accepted"),
]


def _content(name: str, data: bytes | None) -> bytes:
    if data is not None:
        return data
    return {
        "truncated.png": _truncated_png,
        "big.png": _too_large,
        "bomb.png": lambda: _png_header_only(50_000, 50_000),
        "tall.png": lambda: image_upload(size=(5000, 10)).read(),
        "icon.bmp": lambda: image_upload(fmt="BMP").read(),
    }[name]()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "data", "message"), REJECTIONS, ids=[row[0] for row in REJECTIONS])
def test_a_refused_logo_is_explained_and_nothing_is_stored(client, developer, tmp_path, name, data, message):
    upload = SimpleUploadedFile(name, _content(name, data), content_type="image/png")
    response = client.post("/developer/apps/new/", {**registration(), "logo": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Application.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_a_logo_is_squared_resized_and_stored_as_png_under_a_random_name(client, developer, fmt):
    upload = image_upload(name=f"My Logo.{fmt.lower()}", fmt=fmt, size=(640, 320))
    client.post("/developer/apps/new/", {**registration(), "logo": upload})
    app = Application.objects.get()
    assert app.logo.name.startswith("logos/") and app.logo.name.endswith(".png")
    assert "My Logo" not in app.logo.name
    with default_storage.open(app.logo.name) as stored:
        image = Image.open(stored)
        assert image.format == "PNG" and image.size == (256, 256)


@pytest.mark.django_db
def test_metadata_is_stripped_and_animation_reduced_to_the_first_frame(client, developer):
    frames = [Image.new("RGB", (64, 64), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], comment=b"secret location")
    client.post(
        "/developer/apps/new/", {**registration(), "logo": SimpleUploadedFile("a.gif", buffer.getvalue())}
    )
    with default_storage.open(Application.objects.get().logo.name) as stored:
        raw = stored.read()
        image = Image.open(io.BytesIO(raw))
        assert b"secret location" not in raw
        assert getattr(image, "n_frames", 1) == 1
        assert image.convert("RGB").getpixel((128, 128)) == (255, 0, 0)


@pytest.mark.django_db
def test_replacing_a_logo_deletes_the_old_file_and_a_refused_one_keeps_it(
    client, developer, django_capture_on_commit_callbacks
):
    client.post("/developer/apps/new/", {**registration(), "logo": image_upload()})
    app = Application.objects.get()
    first = app.logo.name
    edit = {**registration(), "logo": SimpleUploadedFile("x.png", b"not an image")}
    client.post(f"/developer/apps/{app.pk}/edit/", edit)
    app.refresh_from_db()
    assert app.logo.name == first and default_storage.exists(first)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/developer/apps/{app.pk}/edit/", {**registration(), "logo": image_upload(fmt="JPEG")})
    app.refresh_from_db()
    assert app.logo.name != first
    assert default_storage.exists(app.logo.name) and not default_storage.exists(first)


@pytest.mark.django_db
def test_deleting_an_app_deletes_its_logo(client, developer, django_capture_on_commit_callbacks):
    client.post("/developer/apps/new/", {**registration(), "logo": image_upload()})
    app = Application.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/developer/apps/{app.pk}/delete/", {"name": app.name})
    assert not Application.objects.exists()
    assert not default_storage.exists(app.logo.name)
