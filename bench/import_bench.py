"""Importing the household register: preview and apply of a 10,000-row file, SQLite and PostgreSQL.

    .venv/bin/python bench/import_bench.py [--rows 10000] [--existing 0] [--skip-postgres]

For each database: 8 neighbourhoods with 6 groups each (and `--existing` households already on the
register, pushed through the engine). The register is an XLSX made with Faker's vi_VN names and
addresses, with the neighbourhood written as a code, a name or a number, and a few rows with
errors; the same rows are also saved as a CSV. Then, through the HTTP API (Flask's
in-process client, the upload included), the time of: the XLSX preview, its apply (which reads and
previews the file again, then pushes every row in one transaction), the preview of the same file
again (every row now a match), the errors workbook, and the CSV's preview. Prints figures; never
passes or fails on time.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faker import Faker
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server import create_app
from server.cli import apply_migrations
from server.extensions import db
from server.imports.preview import COLUMNS
from server.schemas import catalogue
from server.testing import ADMIN_URL, temporary_postgres
from server.users import add_user
from sync.actor import Actor
from sync.push import push

PASSWORD = "bench-password"
TITLES = [column.title for column in COLUMNS]
CATEGORIES = ["", "", "Hộ nghèo", "Hộ cận nghèo", "Gia đình chính sách, Người có công", ""]


def postgres_database() -> AbstractContextManager[str] | None:
    """A throwaway PostgreSQL database, or None (said on screen) when none is reachable."""
    try:
        import psycopg

        psycopg.connect(ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # reported, and the PostgreSQL figures are left out
        print(f"(PostgreSQL not reachable, skipped: {exc})")
        return None
    return temporary_postgres("doorstep_import_bench")


def op(collection: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "op_id": str(uuid.uuid4()),
        "collection": collection,
        "id": str(uuid.uuid4()),
        "base_rev": None,
        "fields": fields,
    }


def full_name(fake: Faker) -> str:
    given = fake.first_name_female() if fake.boolean() else fake.first_name_male()
    return f"{fake.last_name()} {fake.middle_name()} {given}"


def register_rows(count: int) -> list[list[Any]]:
    """A town's register: one row in 500 with a mistake (an unknown neighbourhood)."""
    fake = Faker("vi_VN")
    fake.seed_instance(14)
    rng = random.Random(14)
    rows = []
    for n in range(count):
        k = rng.randint(1, 8)
        quarter = rng.choice([f"KP{k}", f"Khu phố {k}", str(k)]) if n % 500 else "KP99"
        rows.append(
            [
                quarter,
                str(rng.randint(1, 6)),
                full_name(fake),
                fake.street_address(),
                "09" + fake.numerify("########"),
                rng.randint(1, 7),
                rng.choice(CATEGORIES),
                None,
            ]
        )
    return rows


def as_xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    ws = book.create_sheet("Danh sách hộ")
    ws.append(TITLES)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_csv(rows: list[list[Any]]) -> bytes:
    """The same rows as Excel's "CSV UTF-8": with a BOM."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TITLES)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def timed(label: str, action: Callable[[], Any]) -> Any:
    """Run `action`, print its time, the size of the answer and the process's peak memory."""
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    assert result.status_code == 200, result.data[:300]
    size = len(result.data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"  {label:<34} {elapsed:7.2f} s   {size / 2**20:6.2f} MiB   peak RSS {peak:5.0f} MiB")
    return result


def run(url: str, rows: list[list[Any]], existing: int) -> None:
    app = create_app({"DATABASE_URL": url, "PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        apply_migrations()
        now = datetime.now(UTC)
        admin = Actor(add_user(db.session, "admin", PASSWORD, role="admin").id, "admin", None)
        db.session.commit()
        quarters = [op("quarters", {"code": f"KP{n}", "name": f"Khu phố {n}"}) for n in range(1, 9)]
        groups = [
            op("groups", {"quarter_id": q["id"], "name": f"Tổ {g}"})
            for q in quarters
            for g in range(1, 7)
        ]
        push(db.session, catalogue, admin, [*quarters, *groups], now)
        fake = Faker("vi_VN")
        fake.seed_instance(5)
        for start in range(0, existing, 500):
            batch = [
                op(
                    "households",
                    {
                        "quarter_id": random.choice(quarters)["id"],
                        "address": fake.street_address(),
                        "head_name": full_name(fake),
                    },
                )
                for _ in range(min(500, existing - start))
            ]
            push(db.session, catalogue, admin, batch, now)
        db.session.commit()
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"}
    base = "/api/v1/imports/households"

    def post(path: str, data: bytes) -> Any:
        return client.post(base + path, data=data, headers=headers)

    xlsx, csv_file = as_xlsx(rows), as_csv(rows)
    sizes = f"XLSX {len(xlsx) / 2**20:.2f} MiB, CSV {len(csv_file) / 2**20:.2f} MiB"
    print(f"  file: {len(rows)} rows, {sizes}")
    preview = timed("preview XLSX", lambda: post("/preview", xlsx)).json
    print(f"  {'':<34} {preview['counts']}")
    applied = timed(
        "apply XLSX (re-read, preview, push)",
        lambda: post(f"/apply?digest={preview['digest']}", xlsx),
    )
    print(f"  {'':<34} {applied.json}")
    again = timed("preview the same XLSX again", lambda: post("/preview", xlsx)).json
    print(f"  {'':<34} {again['counts']}")
    timed("errors workbook", lambda: post("/errors.xlsx", xlsx))
    timed("preview CSV (UTF-8)", lambda: post("/preview", csv_file))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=0, help="Households already there.")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    rows = register_rows(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        print(f"SQLite, {args.existing} households on the register")
        run(f"sqlite:///{Path(folder) / 'bench.db'}", rows, args.existing)
    if not args.skip_postgres:
        database = postgres_database()
        if database:
            with database as url:
                print(f"PostgreSQL, {args.existing} households on the register")
                run(url, rows, args.existing)


if __name__ == "__main__":
    main()
