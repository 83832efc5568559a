"""Logo uploads: validated with Pillow, then normalised into a 256×256 PNG under a random name.

Only raster formats (PNG, JPEG, GIF, WebP). SVG is refused because it can carry scripts. The decoded image
is rebuilt pixel by pixel, so metadata (EXIF, GPS, comments) and anything smuggled after the image data
are dropped. Every refusal says what to do instead.
"""

from __future__ import annotations

import io
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 1024 * 1024
MAX_SIDE = 4096
SIZE = 256
ALLOWED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _metadata_too_large() -> ValidationError:
    return _refuse(
        "The image carries far too much metadata. Export it again without metadata and upload the new file.",
        "metadata_too_large",
    )


def normalize_logo(upload: File) -> ContentFile:
    """Return the normalised PNG for `upload`, or raise ValidationError with a message a person can act on."""
    size = upload.size or 0
    if size > MAX_BYTES:
        raise _refuse(
            f"The logo is {size / 1024 / 1024:.1f} MiB; the limit is 1 MiB. Upload a smaller image.",
            "too_large",
        )
    data = upload.read(MAX_BYTES + 1)
    head = data[:512].lstrip().lower()
    if (upload.name or "").lower().endswith(".svg") or head.startswith((b"<svg", b"<?xml")):
        raise _refuse(
            "SVG logos are not accepted because they can contain scripts. Upload a PNG, JPEG, GIF or WebP.",
            "svg",
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, for canvases far beyond ours: both mean "too many pixels".
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(
            f"The image has too many pixels; at most {MAX_SIDE}×{MAX_SIDE} is accepted.", "too_many_pixels"
        ) from None
    except ValueError:
        # Pillow refuses text chunks (PNG zTXt/iTXt) that decompress beyond its limit: a compression bomb.
        raise _metadata_too_large() from None
    except (UnidentifiedImageError, OSError):
        raise _refuse(
            "This file is not an image we can read. Upload a PNG, JPEG, GIF or WebP.", "not_an_image"
        ) from None
    if image.format not in ALLOWED_FORMATS:
        raise _refuse(f"{image.format} images are not accepted. Upload a PNG, JPEG, GIF or WebP.", "format")
    width, height = image.size
    # Checked from the header, before any pixel is decoded: a small file can declare a huge canvas.
    if width > MAX_SIDE or height > MAX_SIDE:
        raise _refuse(
            f"The image is {width}×{height} pixels; at most {MAX_SIDE}×{MAX_SIDE} is accepted.",
            "too_many_pixels",
        )
    try:
        image.seek(0)  # an animated image keeps its first frame
        image.load()
    except ValueError:
        raise _metadata_too_large() from None  # the same bomb in a text chunk after the pixels
    except (OSError, SyntaxError, Image.DecompressionBombError):
        raise _refuse(
            "The image is damaged or incomplete. Export it again and upload the new file.", "damaged"
        ) from None
    return _to_square_png(image)


def _to_square_png(image: Image.Image) -> ContentFile:
    image = ImageOps.exif_transpose(image).convert("RGBA")
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    clean = Image.new("RGBA", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.png")
