"""A photo upload survives its server being killed (SIGKILL) mid-upload, on SQLite and
PostgreSQL: a real `doorstep serve` is killed while a chunk is half sent, and at random moments
while a device sends chunk after chunk; a new server process on the same database and media folder
answers where to continue, the upload resumes from there, and the photo is whole. Nothing ever
lies under the photo's own name before it is complete."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from photo_files import CHUNK, content_range, jpeg, sha256

from server.testing import PostgresUnavailable, temporary_postgres

ROOT = Path(__file__).resolve().parent.parent
DOORSTEP = str(Path(sys.executable).parent / "doorstep")
PASSWORD = "crash-test-pw"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], scope="module"
)
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('crash') / 'doorstep.db'}"
        return
    try:
        with temporary_postgres("doorstep_photos") as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


class Server:
    """`doorstep serve` on a database and a media folder; started, killed, started again."""

    def __init__(self, database_url: str, media: Path) -> None:
        self.env = {
            **os.environ,
            "DOORSTEP_DATABASE_URL": database_url,
            "DOORSTEP_MEDIA_DIR": str(media),
            "DOORSTEP_PASSWORD_METHOD": "pbkdf2:sha256:1000",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def cli(self, *args: str) -> None:
        subprocess.run([DOORSTEP, *args], env=self.env, check=True, cwd=ROOT, capture_output=True)

    def start(self) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [DOORSTEP, "serve", "--port", str(self.port), "--threads", "4"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the server did not start within 60 s")
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None


@pytest.fixture(scope="module")
def town(database_url: str, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A server with an admin signed in, and a visit to attach photos to."""
    media = tmp_path_factory.mktemp("media")
    server = Server(database_url, media)
    server.cli("init-db")
    server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    server.start()
    try:
        login = requests.post(
            f"{server.url}/auth/login",
            json={"username": "admin", "password": PASSWORD, "device_id": "phone"},
            timeout=10,
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        quarter, household, visit = (str(uuid.uuid4()) for _ in range(3))
        ops = [
            ("quarters", quarter, {"code": "KP1", "name": "Khu phố 1"}),
            (
                "households",
                household,
                {"quarter_id": quarter, "address": "3 Lê Lợi", "head_name": "Trần Thị Bình"},
            ),
            (
                "visits",
                visit,
                {
                    "household_id": household,
                    "purpose": "outreach",
                    "visited_at": "2024-10-12T08:30:00+07:00",
                },
            ),
        ]
        pushed = requests.post(
            f"{server.url}/sync/push",
            headers=headers,
            timeout=30,
            json={
                "ops": [
                    {
                        "op_id": str(uuid.uuid4()),
                        "collection": c,
                        "id": i,
                        "base_rev": None,
                        "fields": f,
                    }
                    for c, i, f in ops
                ]
            },
        )
        assert [r["status"] for r in pushed.json()["results"]] == ["applied"] * 3
        yield {"server": server, "headers": headers, "visit": visit, "media": media}
    finally:
        if server.process is not None:
            server.kill()


def _put(town: dict[str, Any], photo_id: str, data: bytes, chunk: bytes, first: int | None):
    return requests.put(
        f"{town['server'].url}/photos/{photo_id}",
        params={"collection": "visits", "record_id": town["visit"], "sha256": sha256(data)},
        headers={
            **town["headers"],
            "Content-Range": content_range(first, len(chunk), len(data)),
            "Content-Type": "application/octet-stream",
        },
        data=chunk,
        timeout=30,
    )


def _where_to_continue(town: dict[str, Any], photo_id: str, data: bytes) -> int:
    answer = _put(town, photo_id, data, b"", None)
    assert answer.status_code == 200, answer.text
    return answer.json()["offset"]


def _finish(town: dict[str, Any], photo_id: str, data: bytes) -> None:
    offset = _where_to_continue(town, photo_id, data)
    while offset < len(data):
        answer = _put(town, photo_id, data, data[offset : offset + CHUNK], offset)
        assert answer.status_code == 200, answer.text
        offset = answer.json()["offset"]
    assert _put(town, photo_id, data, b"", None).json()["complete"] is True
    whole = requests.get(
        f"{town['server'].url}/photos/{photo_id}", headers=town["headers"], timeout=30
    )
    assert whole.status_code == 200
    assert whole.content == data


def _half_sent_chunk(town: dict[str, Any], photo_id: str, data: bytes, first: int) -> socket.socket:
    """Start a chunk's request and send only half its body, as a phone losing its signal does."""
    chunk = data[first : first + CHUNK]
    path = (
        f"/api/v1/photos/{photo_id}?collection=visits&record_id={town['visit']}"
        f"&sha256={sha256(data)}"
    )
    head = (
        f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {town['headers']['Authorization']}\r\n"
        f"Content-Range: {content_range(first, len(chunk), len(data))}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {len(chunk)}\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", town["server"].port))
    sock.sendall(head.encode() + chunk[: len(chunk) // 2])
    return sock


def test_server_killed_while_a_chunk_is_half_sent_resumes_where_it_stopped(town):
    data = jpeg(1600, 1200, seed=11)
    photo_id = str(uuid.uuid4())
    for first in (0, CHUNK):
        assert _put(town, photo_id, data, data[first : first + CHUNK], first).status_code == 200
    sock = _half_sent_chunk(town, photo_id, data, 2 * CHUNK)
    time.sleep(0.3)
    town["server"].kill()
    sock.close()
    assert not (town["media"] / "photos" / photo_id).exists()

    town["server"].start()
    assert _where_to_continue(town, photo_id, data) == 2 * CHUNK
    _finish(town, photo_id, data)


def _device(town: dict[str, Any], photo_id: str, data: bytes, acknowledged: list[int]) -> None:
    """Send chunk after chunk, noting each offset the server acknowledged, until the signal (the
    server) is gone."""
    with contextlib.suppress(requests.RequestException):
        offset = _where_to_continue(town, photo_id, data)
        while offset < len(data):
            answer = _put(town, photo_id, data, data[offset : offset + CHUNK], offset)
            offset = answer.json()["offset"]
            acknowledged.append(offset)
            time.sleep(0.02)


def test_server_killed_at_random_moments_of_an_upload_loses_nothing_acknowledged(town):
    data = jpeg(2000, 1500, seed=12)
    photo_id = str(uuid.uuid4())
    rng = random.Random(12)
    for _ in range(4):
        acknowledged = [0]
        sender = threading.Thread(target=_device, args=(town, photo_id, data, acknowledged))
        sender.start()
        time.sleep(rng.uniform(0.02, 0.15))
        town["server"].kill()
        sender.join(timeout=30)
        assert not (town["media"] / "photos" / photo_id).exists() or max(acknowledged) == len(data)
        town["server"].start()
        # What the server said it had, it still has.
        assert _where_to_continue(town, photo_id, data) >= max(acknowledged)
    _finish(town, photo_id, data)
