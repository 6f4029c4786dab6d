"""Operating Doorstep: an honest `/health` (§8), a full disk (507, §7), backups and restores.

The full-disk tests put the database on a small file system of their own (a tmpfs mounted and
unmounted by the test); where mounting is not permitted they are skipped with a message.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
import requests
from conftest import ADMIN_PASSWORD, PASSWORD, TEST_CONFIG, Api, household_fields, login, op
from e2e.browser import ServerProcess
from faker import Faker
from sqlalchemy import text

from server import create_app
from server.cli import apply_migrations
from server.extensions import db
from server.jsonio import loads
from server.testing import ADMIN_URL, PostgresUnavailable, temporary_postgres
from server.users import add_user

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


# -- databases and apps of the tests' own -------------------------------------------------------


@contextmanager
def new_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a new, empty database: a SQLite file in `folder`, or a PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'{uuid.uuid4().hex[:8]}.db'}"
        return
    try:
        with temporary_postgres("doorstep_ops") as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(f"{exc}; skipping its tests")


@contextmanager
def doorstep(url: str, *, migrate: bool = True, **config) -> Iterator:
    """The app on `url` (migrated unless told otherwise); its connections closed afterwards."""
    app = create_app({"DATABASE_URL": url, **TEST_CONFIG, **config})
    try:
        if migrate:
            with app.app_context():
                apply_migrations()
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def sign_in_admin(app) -> Api:
    with app.app_context():
        add_user(db.session, "admin", ADMIN_PASSWORD, role="admin", display_name="Văn phòng")
        db.session.commit()
    return login(app.test_client(), "admin", ADMIN_PASSWORD, device_id="office")


def count(app, table: str) -> int:
    with app.app_context():
        return db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def households(quarter: str, n: int) -> list[dict]:
    """n household creations with Vietnamese names and addresses."""
    fake = Faker("vi_VN")
    return [
        op(
            "households",
            str(uuid.uuid4()),
            household_fields(quarter, head_name=fake.name(), address=fake.street_address()),
        )
        for _ in range(n)
    ]


# -- a small file system of the test's own ---------------------------------------------------


@contextmanager
def small_disk(megabytes: int = 3) -> Iterator[Path]:
    """A tmpfs of a few MB, mounted for the test (under /tmp, so PostgreSQL can reach it)."""
    folder = Path(tempfile.mkdtemp(prefix="doorstep-disk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(
            "cannot mount a small file system here (needs root or CAP_SYS_ADMIN): "
            f"{mounted.stderr.strip() or mounted.returncode}"
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)
        folder.rmdir()


def fill(folder: Path) -> Path:
    """Write a ballast file until the file system is full; returns it (delete it to free)."""
    ballast = folder / "ballast"
    with open(ballast, "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return ballast


@contextmanager
def postgres_on(folder: Path) -> Iterator[str]:
    """A PostgreSQL database whose tables live on `folder` (its default tablespace; the catalogs
    and the WAL stay where they are)."""
    try:
        shutil.chown(folder, "postgres")
    except LookupError:
        pytest.skip("no local `postgres` user: PostgreSQL is not on this machine's file systems")
    import psycopg

    tablespace = f"doorstep_small_{uuid.uuid4().hex[:8]}"
    with closing(psycopg.connect(ADMIN_URL, autocommit=True)) as admin:
        try:
            admin.execute(f"CREATE TABLESPACE {tablespace} LOCATION '{folder}'")
        except psycopg.Error as exc:
            pytest.skip(f"PostgreSQL cannot use a tablespace on {folder}: {exc}")
        try:
            with new_database("postgres", folder) as url:
                name = url.rsplit("/", 1)[1]
                admin.execute(f'ALTER DATABASE "{name}" SET default_tablespace = {tablespace}')
                yield url
        finally:
            admin.execute(f"DROP TABLESPACE IF EXISTS {tablespace}")


# -- /health -------------------------------------------------------------------------------------


def health(app) -> tuple[int, dict]:
    response = app.test_client().get("/api/v1/health")
    return response.status_code, response.get_json()


def test_health_is_ok_on_a_ready_database(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["version"]
    assert "details" not in body


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-folder/doorstep.db",
        pytest.param(
            "postgresql+psycopg://postgres@127.0.0.1:1/doorstep?connect_timeout=2",
            marks=pytest.mark.postgres,
        ),
    ],
    ids=["sqlite", "postgres"],
)
def test_health_is_degraded_when_the_database_is_unreachable(url):
    with doorstep(url, migrate=False) as app:
        status, body = health(app)
    assert status == 503
    assert body["status"] == "degraded" and body["database"] == "unreachable"
    assert body["details"]["database"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_health_is_degraded_when_the_schema_is_behind(backend, tmp_path):
    with new_database(backend, tmp_path) as url, doorstep(url, migrate=False) as app:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade(directory=app.extensions["migrate"].directory, revision="4fbc08086f4a")
        status, body = health(app)
    assert status == 503 and body["status"] == "degraded"
    assert "4fbc08086f4a" in body["details"]["schema"]
    assert "doorstep init-db" in body["details"]["schema"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_health_is_degraded_without_the_feed_row(backend, tmp_path):
    with new_database(backend, tmp_path) as url, doorstep(url) as app:
        with app.app_context():
            db.session.execute(text("DELETE FROM feed_state"))
            db.session.commit()
        status, body = health(app)
    assert status == 503
    assert "feed_state" in body["details"]["schema"]


def test_health_is_degraded_when_free_disk_is_below_the_threshold(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    with doorstep(url, MIN_FREE_MB=10**9) as app:  # more than any disk
        status, body = health(app)
    assert status == 503 and body["database"] == "ok"
    assert "below 1000000000 MB" in body["details"]["disk"]


def test_health_is_degraded_when_the_sqlite_file_system_is_read_only():
    with small_disk() as disk:
        with doorstep(f"sqlite:///{disk / 'd.db'}", MIN_FREE_MB=1) as app:
            assert health(app)[0] == 200
            with app.app_context():
                db.engine.dispose()  # files open for writing would keep the mount writable
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            status, body = health(app)
        assert status == 503 and body["database"] == "read_only", body
        assert "read-only" in body["details"]["database"]


@pytest.mark.postgres
def test_health_is_degraded_when_postgres_is_read_only(tmp_path):
    with new_database("postgres", tmp_path) as url:
        with doorstep(url) as app:
            assert health(app)[0] == 200
        import psycopg

        with closing(psycopg.connect(ADMIN_URL, autocommit=True)) as admin:
            name = url.rsplit("/", 1)[1]
            admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        with doorstep(url, migrate=False) as app:
            status, body = health(app)
    assert status == 503 and body["database"] == "read_only"


# -- a full disk during a push ------------------------------------------------------------------


@contextmanager
def database_on(backend: str, disk: Path) -> Iterator[str]:
    """A new database whose data lives on `disk`."""
    if backend == "sqlite":
        yield f"sqlite:///{disk / 'd.db'}"
        return
    (disk / "pg").mkdir()
    with postgres_on(disk / "pg") as url:
        yield url


@pytest.mark.parametrize("backend", BACKENDS)
def test_push_on_a_full_disk_is_507_applies_nothing_and_applies_once_when_retried(backend):
    with (
        small_disk() as disk,
        database_on(backend, disk) as url,
        doorstep(url, MIN_FREE_MB=1) as app,
    ):
        admin = sign_in_admin(app)
        quarter = str(uuid.uuid4())
        admin.push(op("quarters", quarter, {"code": "KP1", "name": "Khu phố 1"}))
        batch = households(quarter, 40)
        if backend == "sqlite":  # an emptied WAL: the push must grow it
            with app.app_context():
                db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        tables = ("records", "revisions", "ops")
        before = {table: count(app, table) for table in tables}
        ballast = fill(disk)

        full = admin.post("/sync/push", {"device_id": "office", "ops": batch})
        assert full.status_code == 507
        assert full.get_json()["error"]["code"] == "insufficient_storage"
        assert {table: count(app, table) for table in tables} == before
        if backend == "sqlite":  # PostgreSQL's disk is its server's to watch
            status, body = health(app)
            assert status == 503 and "disk" in body["details"]

        ballast.unlink()
        assert health(app)[0] == 200
        assert [r["status"] for r in admin.push(*batch)] == ["applied"] * 40
        assert all(r.get("replayed") for r in admin.push(*batch))
        assert count(app, "records") == before["records"] + 40


# -- backups and restores ----------------------------------------------------------------------


def run(app, *args: str | Path):
    """A `doorstep` command on the app's database."""
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def snapshot_figures(path: Path) -> dict[str, int]:
    """Figures that agree only in a consistent snapshot of a database where every op is a create:
    one op, one revision, one record at rev 1, one feed number each."""
    with closing(sqlite3.connect(path)) as backup:
        assert backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return {
            name: backup.execute(sql).fetchone()[0]
            for name, sql in {
                "ops": "SELECT count(*) FROM ops",
                "revisions": "SELECT count(*) FROM revisions",
                "records": "SELECT count(*) FROM records",
                "feed head": "SELECT seq FROM feed_state",
                "newest record": "SELECT max(seq) FROM records",
            }.items()
        }


def test_backup_of_a_live_sqlite_database_is_consistent(tmp_path):
    server = ServerProcess(tmp_path, households=None)
    with doorstep(server.env["DOORSTEP_DATABASE_URL"], migrate=False) as office:
        quarter = str(uuid.uuid4())
        sign_in_admin(office).push(op("quarters", quarter, {"code": "KP1", "name": "Khu phố 1"}))
    server.start()
    api = f"{server.url}/api/v1"
    try:
        signed_in = requests.post(
            f"{api}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=30
        ).json()
        headers = {"Authorization": f"Bearer {signed_in['token']}"}
        stop, answers = threading.Event(), []

        def push_all_along() -> None:
            while not stop.is_set():
                body = {"device_id": "office", "ops": households(quarter, 20)}
                answers.append(
                    requests.post(f"{api}/sync/push", json=body, headers=headers, timeout=60)
                )

        pusher = threading.Thread(target=push_all_along)
        pusher.start()
        try:
            with doorstep(server.env["DOORSTEP_DATABASE_URL"], migrate=False) as office:
                records = []
                for n in range(3):
                    pushed = len(answers)
                    deadline = time.monotonic() + 60
                    while len(answers) == pushed and time.monotonic() < deadline:
                        time.sleep(0.02)  # at least one more push between backups
                    made = run(office, "backup", tmp_path / f"backup-{n}.db")
                    assert made.exit_code == 0, made.output
                    figures = snapshot_figures(tmp_path / f"backup-{n}.db")
                    assert len(set(figures.values())) == 1, figures
                    records.append(figures["records"])
        finally:
            stop.set()
            pusher.join()
        assert all(answer.status_code == 200 for answer in answers)
        assert records == sorted(set(records)), "the server kept writing between backups"
    finally:
        server.stop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_restored_database_serves_the_backup_and_devices_sync_again_from_the_start(
    backend, tmp_path
):
    backup = tmp_path / "doorstep.backup"
    with new_database(backend, tmp_path) as url, doorstep(url) as office:
        admin = sign_in_admin(office)
        quarter = str(uuid.uuid4())
        admin.push(op("quarters", quarter, {"code": "KP1", "name": "Khu phố 1"}))
        made = admin.post(
            "/users",
            {
                "username": "canbo1",
                "password": PASSWORD,
                "display_name": "Cán bộ 1",
                "role": "field",
                "quarters": [quarter],
            },
        )
        assert made.status_code == 201
        phone = login(office.test_client(), "canbo1", PASSWORD, device_id="phone-1")
        phone.push(*households(quarter, 5))
        feed_at_backup, cursor_at_backup = phone.pull_all()
        assert run(office, "backup", backup).exit_code == 0
        phone.push(*households(quarter, 3))
        _, cursor_past_backup = phone.pull_all(cursor_at_backup)

    with new_database(backend, tmp_path) as url, doorstep(url, migrate=False) as restored:
        done = run(restored, "restore", backup)
        assert done.exit_code == 0, done.output
        # The phone keeps its sign-in and its outbox; its cursors point into a history the
        # restore took back, so each one sends it back to the start.
        phone = Api(restored.test_client(), phone.token, phone.user)
        for cursor in (cursor_past_backup, cursor_at_backup):
            answer = phone.get("/sync/pull", query_string={"cursor": cursor})
            assert answer.status_code == 410
            assert answer.get_json()["error"]["code"] == "cursor_expired"
        feed, _ = phone.pull_all()
        assert feed == feed_at_backup
        household = next(c["record"] for c in feed if c["collection"] == "households")
        waiting = op("households", household["id"], {"phone": "0987654321"}, base_rev=1)
        assert phone.push_one(waiting)["status"] == "applied", "the phone's outbox goes through"


def test_backup_of_no_database_says_so_and_writes_nothing(tmp_path):
    with doorstep(f"sqlite:///{tmp_path / 'never-made.db'}", migrate=False) as office:
        result = run(office, "backup", tmp_path / "backup.db")
    assert result.exit_code == 1 and "There is no database" in result.output
    assert not (tmp_path / "backup.db").exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_restore_refuses_a_database_that_holds_data_unless_forced(backend, tmp_path):
    backup = tmp_path / "doorstep.backup"

    def quarter_codes(app) -> list[str]:
        with app.app_context():
            rows = db.session.execute(text("SELECT fields FROM records")).scalars()
            return sorted(loads(f)["code"] if isinstance(f, str) else f["code"] for f in rows)

    with new_database(backend, tmp_path) as url, doorstep(url) as office:
        sign_in_admin(office).push(op("quarters", str(uuid.uuid4()), {"code": "KP1", "name": "1"}))
        assert run(office, "backup", backup).exit_code == 0
        refused = run(office, "backup", backup)
        assert refused.exit_code == 1 and "--force" in refused.output

    with new_database(backend, tmp_path) as url, doorstep(url) as other:
        sign_in_admin(other).push(op("quarters", str(uuid.uuid4()), {"code": "KP9", "name": "9"}))
        refused = run(other, "restore", backup)
        assert refused.exit_code == 1
        assert "already holds data (1 users, 1 records)" in refused.output
        assert quarter_codes(other) == ["KP9"]
        forced = run(other, "restore", "--force", backup)
        assert forced.exit_code == 0, forced.output
        assert quarter_codes(other) == ["KP1"]
