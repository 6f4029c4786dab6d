"""The campaign report on 100k records: report and export times on SQLite and PostgreSQL.

    .venv/bin/python bench/report_bench.py [--records 100000] [--skip-postgres]

For each database: 8 neighbourhoods and a campaign, then households with their visits,
registrations, support and assessments (about 1 household in 5 of the records) pushed through the
sync engine (`sync.push.push`, batches of 500, as the admin), until `--records` records exist.
Then, through the HTTP API (Flask's in-process client), the time of: the JSON report, its CSV,
XLSX, PDF and DOCX, and the raw CSV and XLSX export of the largest collection (visits). Prints
figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server import create_app
from server.cli import apply_migrations
from server.extensions import db
from server.schemas import catalogue
from server.testing import ADMIN_URL, temporary_postgres
from server.users import add_user
from sync.actor import Actor
from sync.push import push

PASSWORD = "bench-password"
BATCH = 500
START = date(2024, 10, 12)


def postgres_database() -> AbstractContextManager[str] | None:
    """A throwaway PostgreSQL database, or None (said on screen) when none is reachable."""
    try:
        import psycopg

        psycopg.connect(ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # reported, and the PostgreSQL column is left out
        print(f"(PostgreSQL not reachable, skipped: {exc})")
        return None
    return temporary_postgres("doorstep_report_bench")


def op(collection: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "op_id": str(uuid.uuid4()),
        "collection": collection,
        "id": str(uuid.uuid4()),
        "base_rev": None,
        "fields": fields,
    }


def town_ops(rng: random.Random, quarters: list[str], campaign: str, records: int):
    """Batches of ops: households first, then their children, until `records` records."""
    made = 0
    while made < records:
        households, children = [], []
        for _ in range(BATCH // 5):
            h = op(
                "households",
                {
                    "quarter_id": rng.choice(quarters),
                    "address": f"{rng.randint(1, 300)} Hùng Vương",
                    "head_name": rng.choice(["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]),
                    "members_count": rng.randint(1, 7),
                    "categories": rng.sample(["policy_family", "poor", "near_poor"], k=1)
                    if rng.random() < 0.3
                    else [],
                },
            )
            households.append(h)
            hid = h["id"]
            day = (START + timedelta(days=rng.randint(0, 12))).isoformat()
            children += [
                op(
                    "visits",
                    {
                        "household_id": hid,
                        "visited_at": f"{day}T09:00:00+07:00",
                        "purpose": "outreach",
                        "campaign_id": campaign if rng.random() < 0.7 else None,
                        "follow_up_needed": rng.random() < 0.1,
                    },
                ),
                op(
                    "visits",
                    {
                        "household_id": hid,
                        "visited_at": f"{day}T15:00:00+07:00",
                        "purpose": "registration",
                    },
                ),
                op(
                    "registrations",
                    {
                        "household_id": hid,
                        "kind": rng.choice(["health_insurance", "waste_collection", "clean_water"]),
                        "status": "registered",
                        "persons": rng.randint(1, 5),
                        "registered_on": day,
                        "campaign_id": campaign,
                    },
                ),
                op(
                    "support",
                    {
                        "household_id": hid,
                        "kind": "gift",
                        "value_vnd": 500_000,
                        "given_on": day,
                        "campaign_id": campaign,
                    },
                )
                if rng.random() < 0.6
                else op("assessments", {"household_id": hid, "year": 2024, "result": "model"}),
            ]
        yield households
        for start in range(0, len(children), BATCH):
            yield children[start : start + BATCH]
        made += len(households) + len(children)


def timed(label: str, action: Callable[[], Any]) -> Any:
    """Run `action`, print its time, the size of the answer and the process's peak memory."""
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    size = len(result.data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"  {label:<28} {elapsed:8.2f} s   {size / 2**20:7.2f} MiB   peak RSS {peak:6.0f} MiB")
    return result


def run(url: str, records: int) -> None:
    app = create_app({"DATABASE_URL": url, "PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    rng = random.Random(5)
    with app.app_context():
        apply_migrations()
        now = datetime.now(UTC)
        admin_id = add_user(db.session, "admin", PASSWORD, role="admin").id
        db.session.commit()
        admin = Actor(admin_id, "admin", None, "bench")
        quarter_ops = [
            op("quarters", {"code": f"KP{n}", "name": f"Khu phố {n}"}) for n in range(1, 9)
        ]
        campaign_op = op(
            "campaigns",
            {
                "name": "Dân vận đợt 2/2024",
                "starts_on": "2024-10-12",
                "ends_on": "2024-10-24",
                "report_due_on": "2024-10-25",
            },
        )
        push(db.session, catalogue, admin, [*quarter_ops, campaign_op], now)
        db.session.commit()
        quarters = [o["id"] for o in quarter_ops]
        started = time.perf_counter()
        count = 0
        for batch in town_ops(rng, quarters, campaign_op["id"], records):
            results = push(db.session, catalogue, admin, batch, now)
            db.session.commit()
            count += sum(r["status"] == "applied" for r in results)
        print(
            f"  {'pushed records':<28} {time.perf_counter() - started:8.2f} s   ({count} records)"
        )
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    report = f"/api/v1/reports/campaign/{campaign_op['id']}"
    for label, path in (
        ("report JSON", report),
        ("report JSON, approved only", report + "?review=approved"),
        ("report CSV", report + ".csv"),
        ("report XLSX", report + ".xlsx"),
        ("report PDF", report + ".pdf"),
        ("report DOCX", report + ".docx"),
        ("raw export visits CSV", "/api/v1/exports/visits.csv"),
        ("raw export visits XLSX", "/api/v1/exports/visits.xlsx"),
    ):
        answer = timed(label, lambda path=path: client.get(path, headers=headers))
        assert answer.status_code == 200, answer.data[:300]
        if label == "raw export visits CSV":
            print(f"  {'':<28} rows: {answer.headers['X-Doorstep-Rows']}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"SQLite, {args.records} records")
        run(f"sqlite:///{Path(folder) / 'bench.db'}", args.records)
    if not args.skip_postgres:
        database = postgres_database()
        if database:
            with database as url:
                print(f"PostgreSQL, {args.records} records")
                run(url, args.records)


if __name__ == "__main__":
    main()
