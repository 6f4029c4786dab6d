"""Photos for tests, made with Pillow, and their upload in chunks as a device sends them."""

from __future__ import annotations

import hashlib
import io
import random

from PIL import Image

CHUNK = 256 * 1024


def jpeg(width: int = 1200, height: int = 900, *, seed: int = 1, quality: int = 95) -> bytes:
    """A noisy JPEG (noise compresses badly, so it spans several chunks)."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def png(width: int, height: int) -> bytes:
    """A plain PNG: tiny on disk whatever its size in pixels."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def webp(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 240)).save(out, "WEBP")
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_range(first: int | None, data_size: int, size: int) -> str:
    """The header of a chunk of `data_size` bytes at `first`, or the question `bytes */size`."""
    if first is None:
        return f"bytes */{size}"
    return f"bytes {first}-{first + data_size - 1}/{size}"
