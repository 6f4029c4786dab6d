"""Photos on disk, under the media folder (`DOORSTEP_MEDIA_DIR`):

    uploads/<id>.<sha256>.part   what has arrived of a photo so far (its size is the next offset)
    photos/<id>                  a complete photo, whose SHA-256 was checked
    thumbs/<id>.jpg              its thumbnail

A photo reaches its own name only by a rename of a complete file whose SHA-256 matches, after an
fsync, so a server killed at any moment leaves either a partial upload (resumed from its size) or
the whole photo, never a half photo under the photo's name. Each upload holds an exclusive lock
on its partial file, so two processes never append to one photo at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class HashMismatch(Exception):
    """The bytes received do not have the SHA-256 the device announced."""


def photo_path(root: Path, photo_id: str) -> Path:
    return root / "photos" / photo_id


def thumb_path(root: Path, photo_id: str) -> Path:
    return root / "thumbs" / f"{photo_id}.jpg"


def digest(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    sha = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


class Upload:
    """A photo's partial file, held under an exclusive lock."""

    def __init__(self, root: Path, path: Path, fd: int) -> None:
        self.root, self.path, self.fd = root, path, fd

    @property
    def offset(self) -> int:
        """How many bytes have arrived: where the next chunk starts."""
        return os.fstat(self.fd).st_size

    def append(self, data: bytes) -> int:
        """Write a chunk at the end and make it durable; the new offset."""
        os.lseek(self.fd, 0, os.SEEK_END)
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        os.fsync(self.fd)
        return self.offset

    def discard(self) -> None:
        """Forget what arrived (a file that is not a photo, or not the one announced)."""
        self.path.unlink(missing_ok=True)

    def keep(self, photo_id: str, sha256: str, thumbnail: bytes) -> None:
        """Give the complete file the photo's name, with its thumbnail, once its SHA-256 is the
        one announced (else `HashMismatch`, and the partial file is gone)."""
        if digest(self.path) != sha256:
            self.discard()
            raise HashMismatch
        write_atomically(thumb_path(self.root, photo_id), thumbnail)
        os.replace(self.path, photo_path(self.root, photo_id))
        _sync_dir(photo_path(self.root, photo_id).parent)


@contextmanager
def upload(root: Path, photo_id: str, sha256: str) -> Iterator[Upload]:
    """The partial file of this photo (made empty if new), locked while the caller works on it."""
    for folder in ("uploads", "photos", "thumbs"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    path = root / "uploads" / f"{photo_id}.{sha256}.part"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
        fcntl.flock(fd, fcntl.LOCK_EX)
        # Another process may have finished (renamed) or discarded the file while this one
        # waited for the lock: then the lock is on a file no longer at this path; start again.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield Upload(root, path, fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file under a temporary name, fsync it, then rename it to its own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with temporary.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
