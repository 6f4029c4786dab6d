"""What an uploaded photo is, read from its bytes (never from its name), and its thumbnail."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

MAX_PIXELS = 40_000_000
THUMB_SIDE = 320
# Pillow's format name → the media type the photo is served with.
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class ImageProblem(Exception):
    """Bytes that are not a photo this server keeps: an HTTP status, a code and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def looks_like_photo(head: bytes) -> bool:
    """True when the first bytes are those of a JPEG, PNG or WebP file."""
    return (
        head.startswith(b"\xff\xd8\xff")
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    )


@dataclass(frozen=True)
class Facts:
    """What a complete photo is: its media type, its size in pixels and its thumbnail (JPEG)."""

    content_type: str
    width: int
    height: int
    thumbnail: bytes


def examine(path: Path) -> Facts:
    """Decode the whole file (a truncated one fails here) and make its thumbnail; a file that is
    not a JPEG, PNG or WebP, or decodes to more than `MAX_PIXELS`, is an `ImageProblem`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=list(FORMATS)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _too_many_pixels(width, height)
                content_type = FORMATS[image.format or ""]
                image.draft("RGB", (THUMB_SIDE * 2, THUMB_SIDE * 2))
                image.load()
                thumbnail = _thumbnail(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageProblem(422, "validation", f"The image has too many pixels: {exc}") from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageProblem(
            415, "unsupported_media_type", "This file is not a JPEG, PNG or WebP image."
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageProblem(
            422, "validation", f"The image cannot be read whole (damaged or cut short): {exc}"
        ) from exc
    return Facts(content_type, width, height, thumbnail)


def _too_many_pixels(width: int, height: int) -> ImageProblem:
    return ImageProblem(
        422,
        "validation",
        f"The image is {width}×{height} pixels; at most {MAX_PIXELS // 1_000_000} megapixels.",
    )


def _thumbnail(image: Image.Image) -> bytes:
    """A JPEG at most `THUMB_SIDE` pixels on its longest side, turned upright."""
    small = ImageOps.exif_transpose(image).convert("RGB")
    small.thumbnail((THUMB_SIDE, THUMB_SIDE))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=78, optimize=True)
    return out.getvalue()
