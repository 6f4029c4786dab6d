"""Sync throughput on SQLite and PostgreSQL, side by side, with the plain-SQL ceiling.

    .venv/bin/python bench/sync_throughput.py [--records 10000] [--big 200000] [--skip-postgres]

For each database: push N household creates through the HTTP API (Flask's in-process client:
JSON, auth, validation, the engine and the database, no sockets) in batches of 500; pull them back
from no cursor in pages of 1,000 and of 5,000; then insert the same rows with plain SQL in one
transaction (the ceiling). Then the time of one 100-change pull page after N records exist and
after `--big` records exist. Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from server import create_app
from server.cli import apply_migrations
from server.extensions import db
from server.schemas import catalogue
from server.testing import ADMIN_URL, temporary_postgres
from server.users import add_user
from sync.actor import Actor
from sync.models import Record
from sync.push import push
from sync.text import fold

PASSWORD = "bench-password"
BATCH = 500


def postgres_database() -> AbstractContextManager[str] | None:
    """A throwaway PostgreSQL database, or None (said on screen) when none is reachable."""
    try:
        import psycopg

        psycopg.connect(ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # reported, and the PostgreSQL column is left out
        print(f"(PostgreSQL not reachable, skipped: {exc})")
        return None
    return temporary_postgres("doorstep_bench")


class Bench:
    """One database under test."""

    def __init__(self, label: str, url: str) -> None:
        self.label = label
        self.app = create_app({"DATABASE_URL": url, "PASSWORD_METHOD": "pbkdf2:sha256:1000"})
        self.client = self.app.test_client()
        with self.app.app_context():
            apply_migrations()
            self.admin_id = add_user(db.session, "bench", PASSWORD, role="admin").id
            db.session.commit()
        token = self.client.post(
            "/api/v1/auth/login",
            json={"username": "bench", "password": PASSWORD, "device_id": "bench"},
        ).json["token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        self.quarter = str(uuid.uuid4())
        self.push_ops([op("quarters", self.quarter, {"code": "KP1", "name": "Khu phố 1"})])

    def push_ops(self, ops: list[dict[str, Any]]) -> None:
        response = self.client.post(
            "/api/v1/sync/push", json={"device_id": "bench", "ops": ops}, headers=self.headers
        )
        assert response.status_code == 200, response.data[:300]
        bad = [r for r in response.json["results"] if r["status"] != "applied"]
        assert not bad, bad[:2]

    def pull_all(self, limit: int) -> tuple[int, int, float, str]:
        """Pull everything from no cursor; (records, bytes, seconds, last cursor)."""
        cursor, count, size = None, 0, 0
        started = time.perf_counter()
        while True:
            url = f"/api/v1/sync/pull?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            response = self.client.get(url, headers=self.headers)
            body = response.get_data()
            size += len(body)
            page = orjson.loads(body)
            count += len(page["changes"])
            cursor = page["cursor"]
            if not page["more"]:
                break
        return count, size, time.perf_counter() - started, cursor


def op(collection: str, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "op_id": str(uuid.uuid4()),
        "collection": collection,
        "id": record_id,
        "base_rev": None,
        "fields": fields,
        "client_time": "2024-10-12T08:30:00+07:00",
    }


def household(quarter: str, n: int) -> dict[str, Any]:
    return {
        "quarter_id": quarter,
        "address": f"{n} Hùng Vương, Khu phố 1",
        "head_name": f"Nguyễn Văn {n}",
        "phone": "0912345678",
        "members_count": 1 + n % 6,
        "categories": ["poor"] if n % 7 == 0 else [],
    }


def measure(bench: Bench, records: int, big: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    ops = [op("households", str(uuid.uuid4()), household(bench.quarter, n)) for n in range(records)]
    started = time.perf_counter()
    for start in range(0, len(ops), BATCH):
        bench.push_ops(ops[start : start + BATCH])
    push_s = time.perf_counter() - started
    figures["push ops/s"] = records / push_s
    for limit in (1000, 5000):
        count, size, seconds, _ = bench.pull_all(limit)
        figures[f"pull {limit}/page records/s"] = count / seconds
        figures[f"pull {limit}/page bytes/record"] = size / count
    # The ceiling: the same rows with plain SQL, one transaction.
    with bench.app.app_context():
        now = datetime.now(UTC)
        rows = [
            {
                "collection": "households",
                "id": str(uuid.uuid4()),
                "rev": 1,
                "deleted": False,
                "fields": o["fields"],
                "quarter_id": bench.quarter,
                "household_id": None,
                "seq": 10_000_000 + i,
                "created_at": now,
                "created_by": bench.admin_id,
                "updated_at": now,
                "updated_by": bench.admin_id,
                "review_status": "pending",
                "open_conflicts": 0,
                "search_text": fold(o["fields"]["head_name"] + " " + o["fields"]["address"]),
            }
            for i, o in enumerate(ops)
        ]
        started = time.perf_counter()
        db.session.execute(insert(Record), rows)
        db.session.commit()
        ceiling_s = time.perf_counter() - started
        db.session.execute(Record.__table__.delete().where(Record.seq >= 10_000_000))
        db.session.commit()
    figures["plain SQL rows/s (ceiling)"] = records / ceiling_s
    figures["push / ceiling"] = figures["push ops/s"] / figures["plain SQL rows/s (ceiling)"]
    figures[f"100-change page after {records:,} (ms)"] = page_of_100(bench)
    grow(bench, big - records)
    figures[f"100-change page after {big:,} (ms)"] = page_of_100(bench)
    return figures


def page_of_100(bench: Bench) -> float:
    """Median time of a pull that returns exactly 100 new changes after a caught-up cursor."""
    *_, cursor = bench.pull_all(5000)
    times = []
    for _ in range(5):
        bench.push_ops(
            [op("households", str(uuid.uuid4()), household(bench.quarter, n)) for n in range(100)]
        )
        started = time.perf_counter()
        response = bench.client.get(
            f"/api/v1/sync/pull?limit=500&cursor={cursor}", headers=bench.headers
        )
        times.append((time.perf_counter() - started) * 1000)
        assert len(response.json["changes"]) == 100
        cursor = response.json["cursor"]
    return statistics.median(times)


def grow(bench: Bench, count: int) -> None:
    """Add `count` more records through the engine directly (no HTTP), to reach the big size."""
    with bench.app.app_context():
        actor = Actor(bench.admin_id, "admin", None, "bench")
        for start in range(0, count, 1000):
            ops = [
                op("households", str(uuid.uuid4()), household(bench.quarter, n))
                for n in range(min(1000, count - start))
            ]
            push(db.session, catalogue, actor, ops, datetime.now(UTC))
            db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=200_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite … ({args.records:,} creates, then {args.big:,} records)", flush=True)
        results["SQLite"] = measure(
            Bench("SQLite", f"sqlite:///{tmp}/bench.db"), args.records, args.big
        )
    if not args.skip_postgres and (database := postgres_database()):
        with database as url:
            print("PostgreSQL …", flush=True)
            bench = Bench("PostgreSQL", url)
            results["PostgreSQL"] = measure(bench, args.records, args.big)
            with bench.app.app_context():
                db.engine.dispose()

    labels = list(next(iter(results.values())))
    columns = list(results)
    width = max(len(label) for label in labels) + 2
    print("\n" + "".rjust(width) + "".join(c.rjust(14) for c in columns))
    for label in labels:
        cells = []
        for column in columns:
            value = results[column].get(label)
            cells.append((f"{value:,.2f}" if value < 10 else f"{value:,.0f}").rjust(14))
        print(label.ljust(width) + "".join(cells))


if __name__ == "__main__":
    main()
