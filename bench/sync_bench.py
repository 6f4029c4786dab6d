"""The sync engine against pouchdb-server 4.2, and at a million records, over real HTTP.

    .venv/bin/python bench/sync_bench.py [--runs 3] [--quick] [--skip-postgres] [--skip-pouchdb]
                                         [--big 200000 | --million] [--only SECTION…] [--ids 7|4]

Everything goes to real server processes on this machine: `doorstep serve` (waitress, as the
README runs it; SQLite with the server's own durable settings, or PostgreSQL) and pouchdb-server
4.2 (its default durable leveldb store), which the bench installs from npm into a temporary
folder. Both get the same 10,000 household-sized documents (Faker vi_VN, fixed seed), with record
and op ids as the field app makes them: UUID v7, time-ordered (`--ids 4`: random v4 ids, whose
inserts land all over each index on ids: at a million records a push of 1,000 creates then
writes about three times the pages, 4,877 against 1,613 in one measure).

Sections (`--only` picks some):
- `pouchdb`: 10 batches of 1,000 creates (POST /api/v1/sync/push vs `_bulk_docs`), then a first
  sync in pages of 5,000 (GET /api/v1/sync/pull vs `_changes?include_docs=true&limit=5000`), each
  run on a fresh database; also the bytes of each pulled record on the wire, gzipped and not.
- `postgres`: the same 10,000 creates from 4 devices at once into 3 server processes on one
  PostgreSQL database, vs one device into one process on SQLite.
- `scale`: on one database (SQLite, then PostgreSQL), at 10k records and again at `--big`:
  a push of 1,000 creates; the first 5,000-record page of a field user with 2 of the 8
  neighbourhoods; GET /records/households?limit=50 (with `total`) and a rare `q=` search.
  The big size is reached by cloning the households of the 10k already pushed, with plain SQL
  (records, revisions and ops, new random ids and sequence numbers) while the server is stopped:
  minutes instead of an hour through the engine. The cloned ops keep their payload as sent (it
  names the original id); nothing measured reads them. The copies are counted for a list's
  `total` and indexed for `q` (SQLite's FTS5 table, by plain SQL as the engine does for the
  records it writes; PostgreSQL's pg_trgm index is an index like the others).

The households of KP1 and KP2 are each a quarter of all, so the field user's first page is a full
5,000 records at 10k too. Each figure is the median of `--runs` runs (fresh databases for
`pouchdb` and `postgres`, repeated requests for `scale`), with the spread (min–max); ratios are
printed beside. One request of each kind warms the server up first and is not counted. Prints
figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import requests
from faker import Faker
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.testing import ADMIN_URL, temporary_postgres  # noqa: E402

DOORSTEP = str(Path(sys.executable).parent / "doorstep")
POUCHDB_PACKAGE = "pouchdb-server@4.2.0"
PASSWORD = "bench-password"
QUARTERS = [f"KP{n}" for n in range(1, 9)]
# KP1 and KP2 hold a quarter of the households each; the other six share the rest.
QUARTER_WEIGHTS = [6, 6] + [2] * 6
RARE_NAME = "Ksor H'Bia"  # a Jrai name Faker's vi_VN never makes: the rare `q=` search
RARE_QUERY = "ksor"

Figure = list[float]  # one value per run


# ---------------------------------------------------------------- documents


class Documents:
    """Household fields as a phone sends them, the same for every server (fixed seed)."""

    def __init__(self, seed: int = 2024, id_version: int = 7) -> None:
        self.fake = Faker("vi_VN")
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)
        self.id_version = id_version
        # The phone's clock for v7 ids: the bench's documents are made a few ms apart, from the
        # day of `client_time`.
        self.clock_ms = FIRST_ID_MS

    def ids(self) -> str:
        """A record or op id as the field app makes one (`uuidv7` in pwa/src/text.js: 48 bits of
        milliseconds, then random bits), or a random v4 id with `--ids v4`."""
        bits = self.rng.getrandbits(128)
        if self.id_version == 4:
            return str(uuid.UUID(int=bits, version=4))
        self.clock_ms += self.rng.randint(0, 3)
        rand_a, rand_b = (bits >> 64) & 0xFFF, bits & ((1 << 62) - 1)
        return str(
            uuid.UUID(int=self.clock_ms << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b)
        )

    def household(self, quarter: str) -> dict[str, Any]:
        rng, fake = self.rng, self.fake
        given = fake.first_name_male() if rng.random() < 0.5 else fake.first_name_female()
        return {
            "quarter_id": quarter,
            "address": fake.street_address(),
            "head_name": f"{fake.last_name()} {fake.middle_name()} {given}",
            "phone": fake.numerify(rng.choice(["09########", "03########", "08########"]))
            if rng.random() < 0.8
            else None,
            "members_count": rng.randint(1, 7),
            "categories": rng.sample(
                ["policy_family", "meritorious", "poor", "near_poor", "hardship"],
                k=rng.choice([0, 0, 0, 1, 1, 2]),
            ),
            "notes": fake.sentence(nb_words=8) if rng.random() < 0.2 else None,
            "location": {
                "lat": round(rng.gauss(10.9247, 0.01), 6),
                "lon": round(rng.gauss(107.4044, 0.01), 6),
                "accuracy_m": float(rng.randint(5, 40)),
            }
            if rng.random() < 0.85
            else None,
        }

    def creates(self, quarter_ids: list[str], count: int) -> list[dict[str, Any]]:
        """`count` household create ops, spread over the quarters by QUARTER_WEIGHTS."""
        quarters = self.rng.choices(quarter_ids, weights=QUARTER_WEIGHTS, k=count)
        return [
            create_op(self.ids(), "households", self.household(q), self.ids()) for q in quarters
        ]


def documents(args: argparse.Namespace, server: Doorstep, count: int) -> tuple[list, list]:
    """10 warm-up creates, and `count` creates (the same every run), for the server's
    neighbourhoods, with `--ids` ids."""
    quarters = list(server.quarters.values())
    warm = Documents(seed=1, id_version=args.ids).creates(quarters, 10)
    return warm, Documents(id_version=args.ids).creates(quarters, count)


# 2024-10-12 08:30 +07:00, the `client_time` of every op below, in ms since the epoch.
FIRST_ID_MS = 1_728_696_600_000


def create_op(record_id: str, collection: str, fields: dict[str, Any], op_id: str) -> dict:
    return {
        "op_id": op_id,
        "collection": collection,
        "id": record_id,
        "base_rev": None,
        "fields": fields,
        "client_time": "2024-10-12T08:30:00+07:00",
    }


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited; see {log}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer; see {log}")


class Doorstep:
    """`doorstep serve` processes (one by default) on one database, with an admin signed in."""

    def __init__(self, url: str, workdir: Path, processes: int = 1) -> None:
        self.database_url, self.workdir, self.processes = url, workdir, processes
        self.env = {
            **os.environ,
            "DOORSTEP_DATABASE_URL": url,
            "DOORSTEP_PASSWORD_METHOD": "pbkdf2:sha256:1000",
            "DOORSTEP_SECRET_KEY": "bench-secret-bench-secret-bench-secret-0",
        }
        self.log_path = workdir / "doorstep.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in close()
        self.cli("init-db")
        self.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
        self.procs: list[subprocess.Popen] = []
        self.urls: list[str] = []
        self.start()
        self.session = requests.Session()
        self.headers = self.login("admin", "bench-admin")
        self.quarters: dict[str, str] = {}
        quarter_ops = []
        for code in QUARTERS:
            self.quarters[code] = str(uuid.uuid4())
            fields = {"code": code, "name": f"Khu phố {code[2:]}"}
            quarter_ops.append(
                create_op(self.quarters[code], "quarters", fields, str(uuid.uuid4()))
            )
        self.push(quarter_ops)
        self.cli("create-user", "field", "--role", "field", "--password", PASSWORD,
                 "--quarter", "KP1", "--quarter", "KP2")  # fmt: skip

    def cli(self, *args: str) -> None:
        subprocess.run(
            [DOORSTEP, *args], env=self.env, cwd=ROOT, check=True, stdout=self.log, stderr=self.log
        )

    def start(self) -> None:
        ports = [free_port() for _ in range(self.processes)]
        self.procs = [
            subprocess.Popen(
                # As the README (and `scripts/run`) serve it: waitress with its default threads.
                [DOORSTEP, "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=self.env,
                cwd=ROOT,
                stdout=self.log,
                stderr=self.log,
            )
            for port in ports
        ]
        self.urls = [f"http://127.0.0.1:{port}/api/v1" for port in ports]
        for proc, url in zip(self.procs, self.urls, strict=True):
            wait_healthy(f"{url}/health", proc, self.log_path)

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self.procs = []

    def close(self) -> None:
        self.stop()
        self.log.close()

    @property
    def url(self) -> str:
        return self.urls[0]

    def login(self, username: str, device: str, url: str | None = None) -> dict[str, str]:
        response = requests.post(
            f"{url or self.url}/auth/login",
            json={"username": username, "password": PASSWORD, "device_id": device},
            timeout=30,
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def push(
        self,
        ops: list[dict[str, Any]],
        headers: dict[str, str] | None = None,
        url: str | None = None,
        session: requests.Session | None = None,
    ) -> None:
        body = orjson.dumps({"ops": ops})
        response = (session or self.session).post(
            f"{url or self.url}/sync/push",
            data=body,
            headers={**(headers or self.headers), "Content-Type": "application/json"},
            timeout=600,
        )
        if response.status_code != 200:
            raise RuntimeError(f"push {response.status_code}: {response.text[:300]}")
        bad = [r for r in orjson.loads(response.content)["results"] if r["status"] != "applied"]
        if bad:
            raise RuntimeError(f"push not applied: {bad[:2]}")

    def pull_all(self, headers: dict[str, str] | None = None, limit: int = 5000) -> int:
        """A first sync; returns the number of changes received."""
        cursor, count = None, 0
        while True:
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            response = self.session.get(
                f"{self.url}/sync/pull", params=params, headers=headers or self.headers, timeout=600
            )
            response.raise_for_status()
            page = orjson.loads(response.content)
            count += len(page["changes"])
            cursor = page["cursor"]
            if not page["more"]:
                return count

    def first_page(self, headers: dict[str, str], limit: int = 5000) -> int:
        response = self.session.get(
            f"{self.url}/sync/pull", params={"limit": limit}, headers=headers, timeout=600
        )
        response.raise_for_status()
        return len(orjson.loads(response.content)["changes"])

    def count(self) -> int:
        response = self.session.get(
            f"{self.url}/records/households", params={"limit": 1}, headers=self.headers, timeout=600
        )
        response.raise_for_status()
        return response.json()["total"]


class PouchServer:
    """pouchdb-server with its default leveldb store in a folder of its own, one database."""

    def __init__(self, package_dir: Path, workdir: Path) -> None:
        self.workdir = workdir
        port = free_port()
        self.log_path = workdir / "pouchdb.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [
                str(package_dir / "node_modules" / ".bin" / "pouchdb-server"),
                "--port",
                str(port),
                "--dir",
                str(workdir / "data"),
                "--no-color",
            ],
            cwd=workdir,
            stdout=self.log,
            stderr=self.log,
        )
        self.url = f"http://127.0.0.1:{port}"
        wait_healthy(self.url, self.proc, self.log_path)
        self.session = requests.Session()
        self.session.put(f"{self.url}/bench", timeout=30).raise_for_status()

    def bulk_docs(self, docs: list[dict[str, Any]]) -> None:
        response = self.session.post(
            f"{self.url}/bench/_bulk_docs",
            data=orjson.dumps({"docs": docs}),
            headers={"Content-Type": "application/json"},
            timeout=600,
        )
        response.raise_for_status()
        bad = [r for r in response.json() if not r.get("ok")]
        if bad:
            raise RuntimeError(f"_bulk_docs: {bad[:2]}")

    def changes_all(self, limit: int = 5000) -> int:
        since, count = 0, 0
        while True:
            response = self.session.get(
                f"{self.url}/bench/_changes",
                params={"include_docs": "true", "limit": limit, "since": since},
                timeout=600,
            )
            response.raise_for_status()
            page = orjson.loads(response.content)
            count += len(page["results"])
            since = page["last_seq"]
            if len(page["results"]) < limit:
                return count

    def close(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


def install_pouchdb(folder: Path, reuse: Path | None) -> Path:
    """A folder with pouchdb-server installed: `reuse` if it has it, else a fresh npm install."""
    if reuse and (reuse / "node_modules" / ".bin" / "pouchdb-server").exists():
        print(f"using the pouchdb-server installed in {reuse}", flush=True)
        return reuse
    print(f"installing {POUCHDB_PACKAGE} from npm into {folder} …", flush=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", POUCHDB_PACKAGE],
        cwd=folder,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return folder


@contextmanager
def postgres(name: str) -> Iterator[str | None]:
    try:
        import psycopg

        psycopg.connect(ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # said on screen; the PostgreSQL figures are left out
        print(f"(PostgreSQL not reachable, skipped: {exc})")
        yield None
        return
    with temporary_postgres(name) as url:
        yield url


# ---------------------------------------------------------------- figures


def timed(action: Callable[..., Any], *args: Any) -> float:
    """Seconds that `action(*args)` takes.

    The bench's own heap (the documents of every run, tens of thousands of dicts) is moved out
    of the collector's reach first, for whichever server is measured: no phone holds it, and
    otherwise each full collection that the answers' allocations set off walks all of it (one
    took 75 ms while a push's answer of 1,000 records was read), counted as the server's time."""
    gc.collect()
    gc.freeze()
    try:
        started = time.perf_counter()
        action(*args)
        return time.perf_counter() - started
    finally:
        gc.unfreeze()


def push_batches(server: Doorstep, ops: list[dict[str, Any]], batch: int) -> None:
    for start in range(0, len(ops), batch):
        server.push(ops[start : start + batch])


def bulk_docs_batches(pouch: PouchServer, docs: list[dict[str, Any]], batch: int) -> None:
    for start in range(0, len(docs), batch):
        pouch.bulk_docs(docs[start : start + batch])


def shown(values: Figure, unit: str = "", digits: int = 0) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:,.{digits}f}{unit}"
    return f"{med:,.{digits}f}{unit} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


class Table:
    def __init__(self, title: str, columns: list[str]) -> None:
        self.title, self.columns, self.rows = title, columns, []

    def add(self, *cells: str) -> None:
        self.rows.append([str(c) for c in cells])

    def print(self) -> None:
        widths = [
            max(len(r[i]) for r in [self.columns, *self.rows]) for i in range(len(self.columns))
        ]
        print(f"\n## {self.title}\n")
        line = "| " + " | ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True))
        print(line + " |")
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for row in self.rows:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        sys.stdout.flush()


def ratio(ours: Figure, theirs: Figure) -> str:
    return f"{statistics.median(ours) / statistics.median(theirs):.2f}×"


def wire_bytes(server: Doorstep, gzipped: bool) -> tuple[float, int]:
    """Bytes per pulled record on the wire in a first sync (pages of 5,000), and the records."""
    cursor, count, size = None, 0, 0
    encoding = "gzip" if gzipped else "identity"
    while True:
        params: dict[str, Any] = {"limit": 5000}
        if cursor:
            params["cursor"] = cursor
        response = requests.get(
            f"{server.url}/sync/pull",
            params=params,
            headers={**server.headers, "Accept-Encoding": encoding},
            timeout=600,
            stream=True,
        )
        raw = response.raw.read(decode_content=False)
        size += len(raw)
        body = gzip.decompress(raw) if response.headers.get("Content-Encoding") == "gzip" else raw
        page = orjson.loads(body)
        count += len(page["changes"])
        cursor = page["cursor"]
        if not page["more"]:
            return size / count, count


def pouch_wire_bytes(pouch: PouchServer, gzipped: bool) -> float:
    since, count, size = 0, 0, 0
    while True:
        response = requests.get(
            f"{pouch.url}/bench/_changes",
            params={"include_docs": "true", "limit": 5000, "since": since},
            headers={"Accept-Encoding": "gzip" if gzipped else "identity"},
            timeout=600,
            stream=True,
        )
        raw = response.raw.read(decode_content=False)
        size += len(raw)
        body = gzip.decompress(raw) if response.headers.get("Content-Encoding") == "gzip" else raw
        page = orjson.loads(body)
        count += len(page["results"])
        since = page["last_seq"]
        if len(page["results"]) < 5000:
            return size / count


# ---------------------------------------------------------------- sections


def section_pouchdb(args: argparse.Namespace, tmp: Path) -> None:
    n, batch = args.records, args.batch
    package = install_pouchdb(
        Path(tempfile.mkdtemp(prefix="pouchdb-server-", dir=tmp)), args.pouchdb_dir
    )
    ours_push: Figure = []
    ours_pull: Figure = []
    theirs_push: Figure = []
    theirs_pull: Figure = []
    wire: dict[str, float] = {}
    for run in range(args.runs):
        print(f"  pouchdb section, run {run + 1}/{args.runs} …", flush=True)
        # Doorstep: the same documents every run (same seed), on a fresh SQLite database.
        work = Path(tempfile.mkdtemp(prefix="doorstep-", dir=tmp))
        server = Doorstep(f"sqlite:///{work / 'doorstep.db'}", work)
        try:
            warm, ops = documents(args, server, n)
            server.push(warm)
            server.first_page(server.headers, limit=10)
            ours_push.append(timed(push_batches, server, ops, batch))
            ours_pull.append(timed(server.pull_all))
            if run == 0:
                wire["ours_plain"], _ = wire_bytes(server, gzipped=False)
                wire["ours_gzip"], _ = wire_bytes(server, gzipped=True)
        finally:
            server.close()
            shutil.rmtree(work, ignore_errors=True)
        # pouchdb-server: the same documents as CouchDB documents.
        work = Path(tempfile.mkdtemp(prefix="pouchdb-", dir=tmp))
        pouch = PouchServer(package, work)
        try:
            pouch_docs = [{"_id": o["id"], "type": "households", **o["fields"]} for o in ops]
            pouch.bulk_docs([{"_id": str(uuid.uuid4()), "warm": True}])
            theirs_push.append(timed(bulk_docs_batches, pouch, pouch_docs, batch))
            theirs_pull.append(timed(pouch.changes_all))
            if run == 0:
                wire["theirs_gzip"] = pouch_wire_bytes(pouch, gzipped=True)
                wire["theirs_plain"] = pouch_wire_bytes(pouch, gzipped=False)
        finally:
            pouch.close()
            shutil.rmtree(work, ignore_errors=True)

    per_s = lambda seconds: [n / s for s in seconds]  # noqa: E731
    table = Table(
        f"Doorstep (SQLite) vs pouchdb-server 4.2 (leveldb): {n:,} households, "
        f"median of {args.runs} (min–max)",
        ["figure", "Doorstep", "pouchdb-server", "Doorstep ÷ pouchdb"],
    )
    table.add(
        f"push: {n // batch} batches of {batch:,} creates, records/s",
        shown(per_s(ours_push)),
        shown(per_s(theirs_push)),
        ratio(per_s(ours_push), per_s(theirs_push)),
    )
    table.add(
        "first-sync pull, pages of 5,000, records/s",
        shown(per_s(ours_pull)),
        shown(per_s(theirs_pull)),
        ratio(per_s(ours_pull), per_s(theirs_pull)),
    )
    table.add(
        "bytes per pulled record, gzip (first run)",
        f"{wire['ours_gzip']:.0f}",
        f"{wire['theirs_gzip']:.0f}",
        f"{wire['ours_gzip'] / wire['theirs_gzip']:.2f}×",
    )
    table.add(
        "bytes per pulled record, no gzip (first run)",
        f"{wire['ours_plain']:.0f}",
        f"{wire['theirs_plain']:.0f}",
        f"{wire['ours_plain'] / wire['theirs_plain']:.2f}×",
    )
    table.print()


def section_postgres(args: argparse.Namespace, tmp: Path) -> None:
    n, batch, devices = args.records, args.batch, 4
    sqlite: Figure = []
    pg: Figure = []
    with postgres("doorstep_bench_pg") as url:
        if url is None:
            return
        for run in range(args.runs):
            print(f"  postgres section, run {run + 1}/{args.runs} …", flush=True)
            work = Path(tempfile.mkdtemp(prefix="doorstep-", dir=tmp))
            server = Doorstep(f"sqlite:///{work / 'doorstep.db'}", work)
            try:
                warm, ops = documents(args, server, n)
                server.push(warm)
                sqlite.append(timed(push_batches, server, ops, batch))
            finally:
                server.close()
                shutil.rmtree(work, ignore_errors=True)
            reset_postgres(url)
            work = Path(tempfile.mkdtemp(prefix="doorstep-pg-", dir=tmp))
            server = Doorstep(url, work, processes=3)
            try:
                warm, ops = documents(args, server, n)
                server.push(warm)
                pg.append(timed(push_from_devices, server, ops, devices, batch))
            finally:
                server.close()
                shutil.rmtree(work, ignore_errors=True)
    per_s = lambda seconds: [n / s for s in seconds]  # noqa: E731
    table = Table(
        f"PostgreSQL, {devices} devices into 3 server processes, vs one device on SQLite: "
        f"{n:,} creates, median of {args.runs} (min–max)",
        ["figure", "PostgreSQL ×3", "SQLite ×1", "PostgreSQL ÷ SQLite"],
    )
    table.add(
        f"push records/s (batches of ≤ {batch:,})",
        shown(per_s(pg)),
        shown(per_s(sqlite)),
        ratio(per_s(pg), per_s(sqlite)),
    )
    table.print()


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def push_from_devices(server: Doorstep, ops: list[dict], devices: int, batch: int) -> None:
    """Each device pushes its share in batches, to the processes in turn, all at once."""
    share = math.ceil(len(ops) / devices)
    logins = [
        server.login("admin", f"device-{d}", server.urls[d % len(server.urls)])
        for d in range(devices)
    ]
    errors: list[BaseException] = []

    def device(d: int) -> None:
        session = requests.Session()
        mine = ops[d * share : (d + 1) * share]
        try:
            for i, start in enumerate(range(0, len(mine), batch)):
                url = server.urls[(d + i) % len(server.urls)]
                server.push(mine[start : start + batch], logins[d], url, session)
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=device, args=(d,)) for d in range(devices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def section_scale(args: argparse.Namespace, tmp: Path) -> None:
    databases: list[tuple[str, Callable[[], Any]]] = []

    @contextmanager
    def sqlite_db() -> Iterator[str]:
        work = Path(tempfile.mkdtemp(prefix="doorstep-scale-", dir=tmp))
        try:
            yield f"sqlite:///{work / 'doorstep.db'}"
        finally:
            shutil.rmtree(work, ignore_errors=True)

    databases.append(("SQLite", sqlite_db))
    if not args.skip_postgres:
        databases.append(("PostgreSQL", lambda: postgres("doorstep_bench_scale")))
    for label, database in databases:
        with database() as url:
            if url is None:
                continue
            work = Path(tempfile.mkdtemp(prefix="doorstep-scale-", dir=tmp))
            server = Doorstep(url, work)
            try:
                scale_on(args, label, server)
            finally:
                server.close()
                shutil.rmtree(work, ignore_errors=True)


def scale_on(args: argparse.Namespace, label: str, server: Doorstep) -> None:
    docs = Documents(id_version=args.ids)
    quarter_ids = list(server.quarters.values())
    ops = docs.creates(quarter_ids, args.records)
    print(f"  scale on {label}: pushing {args.records:,} …", flush=True)
    for i in range(0, len(ops), args.batch):
        server.push(ops[i : i + args.batch])
    field = server.login("field", "bench-field")
    small = measure_at(args, server, docs, quarter_ids, field)
    server.stop()
    print(f"  scale on {label}: cloning to {args.big:,} with plain SQL …", flush=True)
    started = time.perf_counter()
    clone_records(server.database_url, args.big)
    print(f"    done in {time.perf_counter() - started:.0f} s", flush=True)
    server.start()
    big = measure_at(args, server, docs, quarter_ids, field)

    table = Table(
        f"{label}: at {small['size']:,} vs {big['size']:,} records, median of {args.runs} "
        "(min–max), ms",
        ["figure", f"at {small['size']:,}", f"at {big['size']:,}", "big ÷ small"],
    )
    for key, name in (
        ("push", "push of 1,000 creates"),
        ("page", "first 5,000-record page, field user with 2 of 8 neighbourhoods"),
        ("list", "GET /records/households?limit=50 (with total)"),
        ("search", f"GET /records/households?limit=50&q={RARE_QUERY} (rare)"),
    ):
        table.add(
            name,
            shown(small[key], digits=0),
            shown(big[key], digits=0),
            ratio(big[key], small[key]),
        )
    table.add(
        "records in the field user's page / found by the search",
        f"{small['page_records']:,} / {small['found']}",
        f"{big['page_records']:,} / {big['found']}",
        "",
    )
    table.print()


def measure_at(
    args: argparse.Namespace,
    server: Doorstep,
    docs: Documents,
    quarter_ids: list[str],
    field: dict[str, str],
) -> dict[str, Any]:
    """Push, page, list and search times (ms) at the database's present size."""
    rare = create_op(docs.ids(), "households", {**docs.household(quarter_ids[2]),
                     "head_name": RARE_NAME}, docs.ids())  # fmt: skip
    server.push([rare])
    size = server.count()
    out: dict[str, Any] = {"size": size, "push": [], "page": [], "list": [], "search": []}
    server.push(docs.creates(quarter_ids, 100))  # warm-up, not counted
    for _ in range(args.runs):
        batch = docs.creates(quarter_ids, 1000)
        out["push"].append(timed(lambda b=batch: server.push(b)) * 1000)
    server.first_page(field, limit=100)
    for _ in range(args.runs):
        out["page"].append(timed(lambda: server.first_page(field)) * 1000)
    out["page_records"] = server.first_page(field)

    def records(params: dict[str, Any]) -> dict[str, Any]:
        response = server.session.get(
            f"{server.url}/records/households", params=params, headers=server.headers, timeout=600
        )
        response.raise_for_status()
        return response.json()

    for key, params in (
        ("list", {"limit": 50}),
        ("search", {"limit": 50, "q": RARE_QUERY}),
    ):
        records(params)
        for _ in range(args.runs):
            out[key].append(timed(lambda p=params: records(p)) * 1000)
    out["found"] = records({"limit": 50, "q": RARE_QUERY})["total"]
    return out


def clone_records(url: str, target: int, collections: tuple[str, ...] = ("households",)) -> None:
    """Grow `collections` to about `target` records by copying them with plain SQL.

    Copies their records, revisions and ops rows (whatever columns the schema has now), each copy
    with a new random v4 record id, new op ids and sequence numbers after the feed's head; then
    moves the feed's head past them. Copied child records keep their household. The server must
    be stopped.
    """
    engine = create_engine(url)
    postgres_db = engine.dialect.name == "postgresql"
    uuid_sql = (
        "gen_random_uuid()::text"
        if postgres_db
        else "lower(printf('%s-%s-4%s-%s%s-%s', hex(randomblob(4)), hex(randomblob(2)),"
        " substr(hex(randomblob(2)), 2), substr('89ab', 1 + abs(random()) % 4, 1),"
        " substr(hex(randomblob(2)), 2), hex(randomblob(6))))"
    )
    chosen = ", ".join(f"'{c}'" for c in collections)
    with engine.begin() as conn:
        existing = conn.execute(
            text(f"SELECT count(*) FROM records WHERE collection IN ({chosen})")
        ).scalar_one()
        copies = max(0, math.ceil((target - existing) / existing))
        span = conn.execute(text("SELECT max(seq) FROM records")).scalar_one() + 1
        conn.execute(text("CREATE TABLE bench_copies (k INTEGER PRIMARY KEY)"))
        conn.execute(
            text("INSERT INTO bench_copies (k) VALUES (:k)"),
            [{"k": k} for k in range(1, copies + 1)],
        )
        conn.execute(
            text(
                f"CREATE TABLE bench_ids AS SELECT r.id AS old_id, {uuid_sql} AS new_id, c.k AS k "
                f"FROM records r CROSS JOIN bench_copies c WHERE r.collection IN ({chosen})"
            )
        )
        conn.execute(text("CREATE INDEX bench_ids_old ON bench_ids (old_id)"))
        conn.execute(
            text(
                "CREATE TABLE bench_ops AS SELECT o.op_id AS old_op, m.k AS k, "
                f"{uuid_sql} AS new_op FROM ops o JOIN bench_ids m ON o.record_id = m.old_id "
                f"WHERE o.collection IN ({chosen}) AND o.op_id IS NOT NULL"
            )
        )
        conn.execute(text("CREATE INDEX bench_ops_old ON bench_ops (old_op, k)"))
        for table, key in (
            ("records", "t.id"),
            ("revisions", "t.record_id"),
            ("ops", "t.record_id"),
        ):
            _copy_table(conn, engine, table, key, span, chosen)
        conn.execute(
            text("UPDATE feed_state SET seq = (SELECT max(seq) FROM records) WHERE id = 1")
        )
        # The engine writes the counts and (SQLite) the search index with the records it writes:
        # for the copies, plain SQL does the same.
        conn.execute(text("DELETE FROM record_counts"))
        conn.execute(
            text(
                "INSERT INTO record_counts (collection, quarter_key, review_status, n) "
                "SELECT collection, coalesce(quarter_id, ''), review_status, count(*) "
                "FROM records WHERE NOT deleted "
                "GROUP BY collection, coalesce(quarter_id, ''), review_status"
            )
        )
        if not postgres_db:
            conn.execute(
                text(
                    "INSERT INTO records_search (rowid, search_text) SELECT seq, search_text "
                    f"FROM records WHERE seq >= {span} AND search_text <> ''"
                )
            )
        for table in ("bench_ops", "bench_ids", "bench_copies"):
            conn.execute(text(f"DROP TABLE {table}"))
    if postgres_db:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _copy_table(conn: Any, engine: Engine, table: str, key: str, span: int, chosen: str) -> None:
    columns = inspect(engine).get_columns(table)
    names = [c["name"] for c in columns]
    if "record_id" not in names and table != "records":
        print(f"    ({table} has no record_id: not copied)")
        return
    special = {
        "id": "m.new_id",
        "record_id": "m.new_id",
        "op_id": "(SELECT b.new_op FROM bench_ops b WHERE b.old_op = t.op_id AND b.k = m.k)",
        "seq": f"t.seq + m.k * {span}",
    }
    targets, values = [], []
    for name in names:
        if (table == "ops" and name == "pk") or (name == "id" and table != "records"):
            continue  # numbered by the database
        targets.append(name)
        values.append(special.get(name, f"t.{name}"))
    conn.execute(
        text(
            f"INSERT INTO {table} ({', '.join(targets)}) SELECT {', '.join(values)} "
            f"FROM {table} t JOIN bench_ids m ON {key} = m.old_id "
            f"WHERE t.collection IN ({chosen})"
        )
    )


# ---------------------------------------------------------------- main

SECTIONS = {"pouchdb": section_pouchdb, "postgres": section_postgres, "scale": section_scale}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=200_000, help="records for the scale figures")
    parser.add_argument("--million", action="store_true", help="--big 1000000")
    parser.add_argument("--quick", action="store_true", help="2,000 records, 1 run, --big 20000")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-pouchdb", action="store_true")
    parser.add_argument(
        "--pouchdb-dir",
        type=Path,
        help="a folder where `npm install pouchdb-server@4.2.0` was run already (else: a new one)",
    )
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), default=list(SECTIONS))
    parser.add_argument(
        "--ids",
        type=int,
        choices=(7, 4),
        default=7,
        help="record and op ids: v7 as the field app makes them (default), or random v4",
    )
    args = parser.parse_args()
    if args.million:
        args.big = 1_000_000
    if args.quick:
        args.records, args.runs, args.big = 2_000, 1, 20_000
    sections = [s for s in args.only if not (
        (s == "pouchdb" and args.skip_pouchdb) or (s == "postgres" and args.skip_postgres)
    )]  # fmt: skip
    print(
        f"sync_bench: {args.records:,} households, {args.runs} run(s), big = {args.big:,}, "
        f"v{args.ids} ids; "
        f"sections: {', '.join(sections)}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        for name in sections:
            started = time.perf_counter()
            print(f"{name} …", flush=True)
            SECTIONS[name](args, Path(tmp))
            print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
