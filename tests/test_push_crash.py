"""Exactly-once pushes when the server is killed mid-push (§4 "same op_id seen before").

Real `doorstep serve` processes (one on SQLite; three on one PostgreSQL database) receive pushes
from two devices that behave like the app's outbox: a batch is sent until an answer comes back,
with the same op ids every time. Meanwhile the server process a push was just sent to is killed
with SIGKILL 50 times and started again: half the time at a random moment while the push is
applied, half the time just after it committed (so that its answer is lost). Each device creates
households and edits its own ones (with the revision it was last told), so the state every record
must end in is known. Afterwards:

- nothing lost: every op the devices saw acknowledged is in the record's history, and every
  record has the fields of the device's last acknowledged change;
- nothing applied twice: each op id made exactly one revision, and the revisions of a record are
  numbered 1..rev with no gap;
- a retried op that had been applied before the kill answers its first result (`replayed`),
  naming the revision that op made;
- the feed and the records agree: a first sync returns exactly the stored records at their
  current revisions.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from server.testing import PostgresUnavailable, temporary_postgres

ROOT = Path(__file__).resolve().parent.parent
DOORSTEP = str(Path(sys.executable).parent / "doorstep")
PASSWORD = "crash-password"
KILLS = 50
DEVICES = 2
BATCH = 20

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Forks `doorstep serve` children from one interpreter that has already imported the server, so
# that each restart after a kill takes a fraction of a second. Reads a port per line, answers the
# child's pid. Children are reaped by the system (SIGCHLD ignored); the test kills them by pid.
FORKER = r"""
import os, signal, sys
from server import create_app
from server.cli import main

create_app({"DATABASE_URL": "sqlite://"})  # imports every module the server needs
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
for line in sys.stdin:
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        sys.argv = ["doorstep", "serve", "--host", "127.0.0.1", "--port", line.strip()]
        try:
            main()
        except SystemExit as done:
            os._exit(done.code or 0)
        os._exit(0)
    print(child, flush=True)
"""


class Servers:
    """`doorstep serve` processes on one database, each restartable on its own port."""

    def __init__(self, database_url: str, workdir: Path, count: int) -> None:
        self.env = {
            **os.environ,
            "DOORSTEP_DATABASE_URL": database_url,
            "DOORSTEP_PASSWORD_METHOD": "pbkdf2:sha256:1000",
            "DOORSTEP_SECRET_KEY": "crash-test-secret-crash-test-secret-0123",
        }
        self.log = open(workdir / "servers.log", "ab")  # noqa: SIM115 - closed in close()
        for args in (
            ["init-db"],
            ["create-user", "admin", "--role", "admin", "--password", PASSWORD],
        ):
            subprocess.run(
                [DOORSTEP, *args], env=self.env, cwd=ROOT, check=True, stdout=self.log,
                stderr=self.log,
            )  # fmt: skip
        self.forker = subprocess.Popen(
            [sys.executable, "-c", FORKER],
            env=self.env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.ports = [_free_port() for _ in range(count)]
        self.urls = [f"http://127.0.0.1:{port}/api/v1" for port in self.ports]
        self.pids = [0] * count
        for index in range(count):
            self.start(index)

    def start(self, index: int) -> None:
        assert self.forker.stdin and self.forker.stdout
        self.forker.stdin.write(f"{self.ports[index]}\n")
        self.forker.stdin.flush()
        self.pids[index] = int(self.forker.stdout.readline())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.urls[index]}/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.02)
        pytest.fail(f"server {index} did not start within 60 s")

    def kill(self, index: int) -> None:
        os.kill(self.pids[index], signal.SIGKILL)
        while _alive(self.pids[index]):
            time.sleep(0.005)

    def close(self) -> None:
        for pid in self.pids:
            if pid and _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if self.forker.stdin:
            self.forker.stdin.close()
        self.forker.wait(10)
        self.log.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """(database URL, number of server processes)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}", 1
        return
    pytest.importorskip("psycopg")
    try:
        with temporary_postgres("doorstep_crash") as url:
            yield url, 3
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


@dataclass
class Device:
    """An outbox: sends each batch until the server answers, with the same op ids."""

    name: str
    urls: list[str]
    rng: random.Random
    headers: dict[str, str] = field(default_factory=dict)
    # record id → (revision the device was last told, the fields it last had acknowledged)
    known: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)  # op id → result
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)  # op id → op
    retries: int = 0
    replayed: list[dict[str, Any]] = field(default_factory=list)
    # The server process a push was last sent to and the batch's first op id, set as it is sent.
    in_flight: tuple[int, str] = (0, "")
    sending: threading.Event = field(default_factory=threading.Event)

    def request(
        self, method: str, path: str, op_id: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """Like the app: on no answer (or 5xx), try again later, at any server process."""
        while True:
            index = self.rng.randrange(len(self.urls))
            url = self.urls[index]
            if op_id:
                self.in_flight = (index, op_id)
                self.sending.set()
            try:
                response = requests.request(method, f"{url}{path}", timeout=30, **kwargs)
            except requests.RequestException:
                response = None
            if response is not None and response.status_code < 500:
                return response
            self.retries += 1
            time.sleep(0.05)

    def login(self) -> None:
        response = self.request(
            "POST",
            "/auth/login",
            json={"username": "admin", "password": PASSWORD, "device_id": self.name},
        )
        assert response.status_code == 200, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['token']}"}

    def next_batch(self, quarter: str, serial: int) -> list[dict[str, Any]]:
        ops = []
        editable = list(self.known)
        for n in range(BATCH):
            if editable and self.rng.random() < 0.4:
                record_id = editable.pop(self.rng.randrange(len(editable)))
                rev, _ = self.known[record_id]
                fields = {"notes": f"{self.name} sửa lần {serial}-{n}"}
                ops.append(op(record_id, rev, fields))
            else:
                fields = {
                    "quarter_id": quarter,
                    "address": f"{serial}/{n} Hùng Vương",
                    "head_name": f"Nguyễn Văn {self.name} {serial} {n}",
                    "notes": "mới",
                }
                ops.append(op(str(uuid.uuid4()), None, fields))
        return ops

    def push(self, ops: list[dict[str, Any]]) -> None:
        while True:
            response = self.request(
                "POST", "/sync/push", ops[0]["op_id"], json={"ops": ops}, headers=self.headers
            )
            if response.status_code == 200:
                break
            assert response.status_code == 401, response.text  # a token lost with a kill
            self.login()
        results = response.json()["results"]
        assert len(results) == len(ops)
        for sent, result in zip(ops, results, strict=True):
            assert result["op_id"] == sent["op_id"]
            assert result["status"] == "applied", result
            self.sent[sent["op_id"]] = sent
            self.acknowledged[sent["op_id"]] = result
            if result.get("replayed"):
                self.replayed.append(result)
            _, before = self.known.get(sent["id"], (0, {}))
            self.known[sent["id"]] = (result["rev"], {**before, **sent["fields"]})


def op(record_id: str, base_rev: int | None, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "op_id": str(uuid.uuid4()),
        "collection": "households",
        "id": record_id,
        "base_rev": base_rev,
        "fields": fields,
        "client_time": "2024-10-12T08:30:00+07:00",
    }


def test_sigkill_during_pushes_loses_nothing_and_applies_nothing_twice(
    database: tuple[str, int], tmp_path: Path
) -> None:
    url, processes = database
    servers = Servers(url, tmp_path, processes)
    try:
        devices = [Device(f"phone-{n}", servers.urls, random.Random(n)) for n in range(DEVICES)]
        for device in devices:
            device.login()
        quarter = str(uuid.uuid4())
        made = devices[0].request(
            "POST",
            "/sync/push",
            headers=devices[0].headers,
            json={
                "ops": [
                    {
                        **op(quarter, None, {"code": "KP1", "name": "Khu phố 1"}),
                        "collection": "quarters",
                    }
                ]
            },
        )
        assert made.json()["results"][0]["status"] == "applied"

        stop = threading.Event()
        failures: list[BaseException] = []

        def work(device: Device) -> None:
            serial = 0
            try:
                while not stop.is_set():
                    serial += 1
                    device.push(device.next_batch(quarter, serial))
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(d,)) for d in devices]
        for thread in threads:
            thread.start()
        killer = random.Random(7)
        watch = create_engine(url)
        for kill in range(KILLS):
            assert not failures, failures[0]
            # The process a device is pushing to, killed either at a random moment while the push
            # is applied, or just after it committed (its answer is then lost, and the retry must
            # replay it).
            device = killer.choice(devices)
            device.sending.clear()
            assert device.sending.wait(60), "no push was sent for a minute"
            index, op_id = device.in_flight
            if kill % 2:
                time.sleep(killer.uniform(0, 0.1))
            else:
                wait_committed(watch, op_id)
            servers.kill(index)
            servers.start(index)
        watch.dispose()
        stop.set()
        for thread in threads:
            thread.join(120)
        assert not failures, failures[0]

        check_nothing_lost_nothing_twice(url, devices)
        check_feed_matches_records(url, devices[0])
        # The kills did land during pushes: some were retried, and some had been applied already.
        retries = sum(d.retries for d in devices)
        replayed = sum(len(d.replayed) for d in devices)
        print(f"{KILLS} kills: {len(acknowledged_ops(devices))} ops acknowledged, "
              f"{retries} requests retried, {replayed} results replayed")  # fmt: skip
        assert retries > 0
        assert replayed > 0
    finally:
        servers.close()


def acknowledged_ops(devices: list[Device]) -> set[str]:
    return {op_id for d in devices for op_id in d.acknowledged}


def wait_committed(engine: Any, op_id: str, seconds: float = 10) -> None:
    """Until the op is in the database (its batch has committed), or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            found = conn.execute(
                text("SELECT 1 FROM ops WHERE op_id = :op_id"), {"op_id": op_id}
            ).first()
            conn.rollback()  # the next look sees what committed since
            if found:
                return
            time.sleep(0.001)


def check_nothing_lost_nothing_twice(url: str, devices: list[Device]) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        revisions = conn.execute(
            text(
                "SELECT record_id, rev, op_id, fields FROM revisions "
                "WHERE collection = 'households' ORDER BY record_id, rev"
            )
        ).all()
        records = {
            row.id: row
            for row in conn.execute(
                text("SELECT id, rev, fields FROM records WHERE collection = 'households'")
            )
        }
    engine.dispose()

    by_op = Counter(r.op_id for r in revisions)
    twice = [op_id for op_id, n in by_op.items() if n > 1]
    assert not twice, f"{len(twice)} ops made more than one revision"
    revs: dict[str, list[int]] = {}
    made_by: dict[str, tuple[str, int]] = {}
    fields_at: dict[tuple[str, int], dict[str, Any]] = {}
    for r in revisions:
        revs.setdefault(r.record_id, []).append(r.rev)
        made_by[r.op_id] = (r.record_id, r.rev)
        fields_at[(r.record_id, r.rev)] = _as_dict(r.fields)
    for record_id, numbers in revs.items():
        assert numbers == list(range(1, len(numbers) + 1)), (record_id, numbers)
        assert records[record_id].rev == len(numbers)

    acknowledged = {op_id: r for d in devices for op_id, r in d.acknowledged.items()}
    lost = [op_id for op_id in acknowledged if op_id not in made_by]
    assert not lost, f"{len(lost)} acknowledged ops are not in any history"
    unknown = [op_id for op_id in made_by if op_id not in acknowledged]
    assert not unknown, f"{len(unknown)} revisions come from ops no device saw acknowledged"
    for op_id, result in acknowledged.items():
        assert made_by[op_id] == (result["id"], result["rev"]), "an answer names another revision"

    for device in devices:
        for record_id, (rev, fields) in device.known.items():
            stored = records[record_id]
            assert stored.rev == rev
            stored_fields = _as_dict(stored.fields)
            for name, value in fields.items():
                assert stored_fields.get(name) == value, (record_id, name)
        # A replay is the first result: the record as that op left it, not as it is now.
        for result in device.replayed:
            assert result["record"]["id"] == device.sent[result["op_id"]]["id"]
            assert result["record"]["rev"] == result["rev"]
            assert result["record"]["fields"] == fields_at[(result["id"], result["rev"])]


def _as_dict(value: Any) -> dict[str, Any]:
    """A JSON column as read with plain SQL: text on SQLite, already parsed on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def check_feed_matches_records(url: str, device: Device) -> None:
    pulled: dict[str, int] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 5000}
        if cursor:
            params["cursor"] = cursor
        response = device.request("GET", "/sync/pull", params=params, headers=device.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        for change in page["changes"]:
            if change["collection"] == "households":
                assert change["op"] == "upsert"
                pulled[change["id"]] = change["rev"]
        cursor = page["cursor"]
        if not page["more"]:
            break
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = dict(
            conn.execute(text("SELECT id, rev FROM records WHERE collection = 'households'")).all()
        )
    engine.dispose()
    assert pulled == stored
