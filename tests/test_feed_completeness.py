"""§1.3 "No missed changes", proven on PostgreSQL with several server processes.

Three `doorstep serve` processes share one PostgreSQL database. Writers push creates to all of
them at once while readers pull incrementally (small pages, from any process) with the cursors
they are given. When the writers are done and each reader has drained the feed, every reader must
have received every record that any push reported as applied: a cursor that passed a change
committing later (the classic out-of-order sequence problem) would make a reader miss it. (Readers
pull from any process with cursors another one signed: the processes share the secret.)

The same processes show that the sign-in throttle (§3) counts concurrent attempts one after
another, however they are spread over the processes.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

pytest.importorskip("psycopg")

from server.testing import PostgresUnavailable, temporary_postgres

ROOT = Path(__file__).resolve().parent.parent
DOORSTEP = str(Path(sys.executable).parent / "doorstep")
PASSWORD = "completeness-pw"
SERVERS = 3
WRITERS = 4
BATCHES = 25
BATCH = 12
READERS = 3

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    try:
        with temporary_postgres("doorstep_feed") as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def servers(database_url: str) -> Iterator[list[str]]:
    env = {
        **os.environ,
        "DOORSTEP_DATABASE_URL": database_url,
        "DOORSTEP_PASSWORD_METHOD": "pbkdf2:sha256:1000",
    }
    subprocess.run([DOORSTEP, "init-db"], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run(
        [DOORSTEP, "create-user", "admin", "--role", "admin", "--password", PASSWORD],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    processes, urls = [], []
    for _ in range(SERVERS):
        port = _free_port()
        processes.append(
            subprocess.Popen(
                [DOORSTEP, "serve", "--port", str(port), "--threads", "4"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}/api/v1")
    try:
        deadline = time.monotonic() + 60
        for url in urls:
            while not _healthy(url):
                if time.monotonic() > deadline:
                    pytest.fail(f"server at {url} did not start within 60 s")
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _login(url: str, device: str) -> dict[str, str]:
    response = requests.post(
        f"{url}/auth/login",
        json={"username": "admin", "password": PASSWORD, "device_id": device},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_concurrent_readers_on_several_processes_miss_no_change(servers: list[str]) -> None:
    headers = _login(servers[0], "setup")
    quarter = str(uuid.uuid4())
    created = requests.post(
        f"{servers[0]}/sync/push",
        headers=headers,
        timeout=30,
        json={
            "ops": [
                {
                    "op_id": str(uuid.uuid4()),
                    "collection": "quarters",
                    "id": quarter,
                    "base_rev": None,
                    "fields": {"code": "KP1", "name": "Khu phố 1"},
                },
            ]
        },
    )
    assert created.json()["results"][0]["status"] == "applied"

    applied: set[str] = set()
    applied_lock = threading.Lock()
    writers_done = threading.Event()
    failures: list[str] = []

    def write(writer: int) -> None:
        rng = random.Random(writer)
        auth = _login(servers[writer % SERVERS], f"writer-{writer}")
        for batch in range(BATCHES):
            ops = [
                {
                    "op_id": str(uuid.uuid4()),
                    "collection": "households",
                    "id": str(uuid.uuid4()),
                    "base_rev": None,
                    "fields": {
                        "quarter_id": quarter,
                        "address": f"{writer}-{batch}-{n} Hùng Vương",
                        "head_name": f"Nguyễn Văn {writer}{batch}{n}",
                    },
                }
                for n in range(BATCH)
            ]
            response = requests.post(
                f"{rng.choice(servers)}/sync/push", headers=auth, json={"ops": ops}, timeout=60
            )
            if response.status_code != 200:
                failures.append(f"push {response.status_code}: {response.text[:200]}")
                return
            with applied_lock:
                applied.update(
                    r["id"] for r in response.json()["results"] if r["status"] == "applied"
                )

    seen: list[set[str]] = [set() for _ in range(READERS)]

    def read(reader: int) -> None:
        rng = random.Random(100 + reader)
        auth = {url: _login(url, f"reader-{reader}-{i}") for i, url in enumerate(servers)}
        cursor: str | None = None
        drained_after_writers = False
        while not drained_after_writers:
            finished = writers_done.is_set()
            url = rng.choice(servers)
            params = {"limit": rng.choice([3, 7, 17])}
            if cursor:
                params["cursor"] = cursor
            response = requests.get(
                f"{url}/sync/pull", headers=auth[url], params=params, timeout=60
            )
            if response.status_code != 200:
                failures.append(f"pull {response.status_code}: {response.text[:200]}")
                return
            page = response.json()
            seen[reader].update(c["id"] for c in page["changes"] if c["collection"] == "households")
            cursor = page["cursor"]
            drained_after_writers = finished and not page["more"]

    readers = [threading.Thread(target=read, args=(r,)) for r in range(READERS)]
    writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    writers_done.set()
    for thread in readers:
        thread.join()

    assert not failures, failures[:3]
    assert len(applied) == WRITERS * BATCHES * BATCH
    for reader, ids in enumerate(seen):
        missed = applied - ids
        assert not missed, f"reader {reader} missed {len(missed)} of {len(applied)} applied records"


def test_the_sign_in_throttle_holds_across_processes(servers: list[str]) -> None:
    headers = _login(servers[0], "throttle-setup")
    # Field staff need a neighbourhood of their own.
    quarter = str(uuid.uuid4())
    pushed = requests.post(
        f"{servers[0]}/sync/push",
        headers=headers,
        timeout=30,
        json={
            "ops": [
                {
                    "op_id": str(uuid.uuid4()),
                    "collection": "quarters",
                    "id": quarter,
                    "base_rev": None,
                    "fields": {"code": "KP-TT", "name": "Khu phố thử"},
                }
            ]
        },
    )
    assert pushed.json()["results"][0]["status"] == "applied", pushed.text
    made = requests.post(
        f"{servers[0]}/users",
        headers=headers,
        timeout=30,
        json={
            "username": "canbo-throttle",
            "password": "the-right-password",
            "display_name": "Cán bộ",
            "role": "field",
            "quarters": [quarter],
        },
    )
    assert made.status_code == 201, made.text
    attempts = 30
    start = threading.Barrier(attempts)
    answers: list[tuple[int, str]] = []

    def guess(n: int) -> None:
        start.wait()
        response = requests.post(
            f"{servers[n % SERVERS]}/auth/login",
            json={"username": "canbo-throttle", "password": f"wrong-guess-{n}"},
            timeout=60,
        )
        answers.append((response.status_code, response.json()["error"]["code"]))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(answers) == {
        (401, "invalid_credentials"): 5,
        (429, "too_many_attempts"): attempts - 5,
    }
    right = requests.post(
        f"{servers[1]}/auth/login",
        json={"username": "canbo-throttle", "password": "the-right-password"},
        timeout=30,
    )
    assert right.status_code == 429
