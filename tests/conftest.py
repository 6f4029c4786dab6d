"""Shared fixtures: the app on SQLite and on PostgreSQL, signed-in users, and record builders.

Nothing here is autouse. Each database is migrated once per session; `client` empties every table
before its test, so each test starts from an empty database with the feed at zero.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from sqlalchemy import text

ADMIN_PASSWORD = "admin-password"
PASSWORD = "secret-password"
TEST_CONFIG = {
    "TESTING": True,
    "PASSWORD_METHOD": "pbkdf2:sha256:1000",  # fast; production uses scrypt
    "SCHEMA_VERSION": 2,
    "MIN_SCHEMA": 2,  # so that `X-Doorstep-Schema: 1` is too old (§5a)
}


def new_id() -> str:
    return str(uuid.uuid4())


# -- databases -----------------------------------------------------------------------------


def _sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'doorstep.db'}"


def _postgres_url() -> Iterator[str]:
    pytest.importorskip("psycopg")
    from server.testing import PostgresUnavailable, temporary_postgres

    try:
        with temporary_postgres() as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(f"{exc}; skipping its tests")


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A fresh database per session: a SQLite file, or a PostgreSQL database made and dropped."""
    if request.param == "sqlite":
        yield from _sqlite_url(tmp_path_factory)
    else:
        yield from _postgres_url()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own for one test (a migration's, say): a SQLite file, or a
    PostgreSQL database made and dropped."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        yield from _postgres_url()


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    """The app on that database (and a media folder of its own), migrated once."""
    from server import create_app
    from server.cli import apply_migrations
    from server.extensions import db

    media = tmp_path_factory.mktemp("media")
    application = create_app({"DATABASE_URL": database_url, "MEDIA_DIR": str(media), **TEST_CONFIG})
    with application.app_context():
        apply_migrations()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def empty_database(app) -> None:
    """Delete every row (the schema and the feed's epoch stay); the feed starts again at zero."""
    from server.extensions import db
    from server.models import METADATAS

    with app.app_context():
        for metadata in METADATAS:
            for table in reversed(metadata.sorted_tables):
                if table.name != "feed_state":
                    db.session.execute(table.delete())
        db.session.execute(text("UPDATE feed_state SET seq = 0, purged_seq = 0"))
        if db.engine.dialect.name == "sqlite":
            # The search index (FTS5, no table of the metadata), which the engine writes.
            db.session.execute(
                text("INSERT INTO records_search (records_search) VALUES ('delete-all')")
            )
        db.session.commit()


@pytest.fixture
def client(app):
    """A Flask test client on an empty database."""
    empty_database(app)
    return app.test_client()


@pytest.fixture
def is_postgres(app) -> bool:
    return app.config["DATABASE_URL"].startswith("postgresql")


@pytest.fixture
def sql(app) -> Callable[..., list[Any]]:
    """Run one SQL statement against the test database; returns the rows (if any)."""
    from server.extensions import db

    def run(statement: str, **params: Any) -> list[Any]:
        with app.app_context():
            result = db.session.execute(text(statement), params)
            rows = list(result) if result.returns_rows else []
            db.session.commit()
            return rows

    return run


# -- talking to the API --------------------------------------------------------------------


class Api:
    """A signed-in (or anonymous) caller of `/api/v1`."""

    def __init__(self, client, token: str | None = None, user: dict | None = None) -> None:
        self.client = client
        self.token = token
        self.user = user or {}

    @property
    def id(self) -> str:
        return self.user["id"]

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def call(self, method: str, path: str, *, json: Any = None, headers=None, **kwargs):
        return self.client.open(
            "/api/v1" + path, method=method, json=json, headers=self.headers(headers), **kwargs
        )

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs):
        return self.call("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs):
        return self.call("PATCH", path, json=json, **kwargs)

    def push(self, *ops: dict[str, Any], device_id: str | None = None) -> list[dict[str, Any]]:
        """Push ops; returns the results (the push itself must answer 200)."""
        response = self.post("/sync/push", {"device_id": device_id, "ops": list(ops)})
        assert response.status_code == 200, response.get_json()
        results = response.get_json()["results"]
        assert len(results) == len(ops)
        return results

    def push_one(self, op: dict[str, Any], **kwargs) -> dict[str, Any]:
        return self.push(op, **kwargs)[0]

    def pull(self, cursor: str | None = None, limit: int | None = None) -> dict[str, Any]:
        """One pull page (must answer 200)."""
        params = {}
        if cursor is not None:
            params["cursor"] = cursor
        if limit is not None:
            params["limit"] = limit
        response = self.get("/sync/pull", query_string=params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def pull_all(self, cursor: str | None = None, limit: int = 500):
        """Every page until `more` is false: (all changes in order, the last cursor)."""
        changes: list[dict[str, Any]] = []
        for _ in range(1000):
            page = self.pull(cursor, limit)
            changes += page["changes"]
            cursor = page["cursor"]
            if not page["more"]:
                return changes, cursor
        raise AssertionError("the feed never ended")

    def record(self, collection: str, record_id: str) -> dict[str, Any]:
        response = self.get(f"/records/{collection}/{record_id}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()


def login(client, username: str, password: str, device_id: str | None = None) -> Api:
    response = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, "device_id": device_id},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return Api(client, body["token"], body["user"])


@pytest.fixture
def anonymous(client) -> Api:
    return Api(client)


@pytest.fixture
def admin(app, client) -> Api:
    """The first admin, made as the CLI would (there is no one yet to call POST /users)."""
    from server.extensions import db
    from server.users import add_user

    with app.app_context():
        add_user(db.session, "admin", ADMIN_PASSWORD, role="admin", display_name="Văn phòng")
        db.session.commit()
    return login(client, "admin", ADMIN_PASSWORD, device_id="admin-desktop")


# -- records -------------------------------------------------------------------------------


def op(
    collection: str,
    record_id: str,
    fields: dict[str, Any] | None = None,
    *,
    base_rev: int | None = None,
    delete: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """One push op with a fresh op_id."""
    built: dict[str, Any] = {
        "op_id": new_id(),
        "collection": collection,
        "id": record_id,
        "base_rev": base_rev,
    }
    if delete:
        built["delete"] = True
    if fields is not None:
        built["fields"] = fields
    built.update(extra)
    return built


def stored_results(session) -> dict[str, dict[str, Any]]:
    """Each op's result as the op log keeps it, by op id (the row itself, not a replay)."""
    rows = session.execute(text("SELECT op_id, result FROM ops")).all()
    return {op_id: orjson.loads(r) if isinstance(r, str) else r for op_id, r in rows}


def household_fields(quarter_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "quarter_id": quarter_id,
        "address": "12 Hùng Vương",
        "head_name": "Nguyễn Văn An",
        "phone": "0912345678",
        **overrides,
    }


def visit_fields(household_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "household_id": household_id,
        "visited_at": "2024-10-12T08:30:00+07:00",
        "purpose": "outreach",
        **overrides,
    }


@pytest.fixture
def build() -> SimpleNamespace:
    """Builders: build.op(...), build.id(), build.household(quarter), build.visit(household)."""
    return SimpleNamespace(op=op, id=new_id, household=household_fields, visit=visit_fields)


@pytest.fixture
def quarters(admin: Api) -> dict[str, str]:
    """Neighbourhoods KP1, KP2, KP3 made by an admin push: code → id."""
    ids = {code: new_id() for code in ("KP1", "KP2", "KP3")}
    results = admin.push(
        *(
            op("quarters", qid, {"code": code, "name": f"Khu phố {code[2:]}"})
            for code, qid in ids.items()
        )
    )
    assert [r["status"] for r in results] == ["applied"] * 3
    return ids


@pytest.fixture
def make_user(client, admin: Api, quarters: dict[str, str]) -> Callable[..., Api]:
    """Create a user through POST /users and sign them in: make_user("field", ["KP1"])."""
    count = 0

    def make(
        role: str, codes: list[str] = (), *, username: str | None = None, device_id=None
    ) -> Api:
        nonlocal count
        count += 1
        username = username or f"{role}{count}"
        response = admin.post(
            "/users",
            {
                "username": username,
                "password": PASSWORD,
                "display_name": f"Cán bộ {username}",
                "role": role,
                "quarters": [quarters[c] for c in codes],
            },
        )
        assert response.status_code == 201, response.get_json()
        return login(client, username, PASSWORD, device_id=device_id or f"phone-{username}")

    return make


@pytest.fixture
def field(make_user) -> Api:
    """Field staff of KP1."""
    return make_user("field", ["KP1"], username="canbo1")


@pytest.fixture
def supervisor(make_user) -> Api:
    """Supervisor of KP1."""
    return make_user("supervisor", ["KP1"], username="giamsat1")


@pytest.fixture
def household(field: Api, quarters: dict[str, str]) -> dict[str, Any]:
    """A household of KP1 created by the field user (the result's record)."""
    result = field.push_one(op("households", new_id(), household_fields(quarters["KP1"])))
    assert result["status"] == "applied", result
    return result["record"]


# -- reading back everything stored --------------------------------------------------------

REPORT_SUFFIXES = ("", ".csv", ".xlsx", ".pdf", ".docx")


def _parsed(response, kind: str) -> Any:
    """A file as a test reads it: JSON as data, CSV as rows of text, XLSX as rows of
    (value, data type) over every sheet, PDF as its text, DOCX as its paragraphs and then its
    tables' rows of cell text."""
    import csv
    import io

    from docx import Document
    from openpyxl import load_workbook
    from pypdf import PdfReader

    data = response.get_data()
    if kind == "json":
        return response.get_json()
    if kind == "csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    if kind == "xlsx":
        book = load_workbook(io.BytesIO(data))
        return [[(c.value, c.data_type) for c in row] for ws in book for row in ws.iter_rows()]
    if kind == "docx":
        word = Document(io.BytesIO(data))
        return [p.text for p in word.paragraphs] + [
            [cell.text for cell in row.cells] for table in word.tables for row in table.rows
        ]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def read_back_everything(api: Api, campaign_ids: list[str], **report_params: Any) -> dict:
    """Read, as `api` (a supervisor or admin), every record list, every raw export (CSV, XLSX),
    each campaign's report (JSON, CSV, XLSX, PDF, DOCX), and for an admin the conflicts, users and
    audit log: each must answer 200 and parse. Returns what was read, by path."""
    from sync.catalogue import SCOPES

    def ok(path: str, **params: Any):
        response = api.get(path, query_string=params)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
        return response

    read: dict[str, Any] = {}
    for collection in SCOPES:
        path = f"/records/{collection}"
        read[path] = ok(path, limit=500).get_json()
        for kind in ("csv", "xlsx"):
            path = f"/exports/{collection}.{kind}"
            read[path] = _parsed(ok(path), kind)
    for campaign_id in campaign_ids:
        for suffix in REPORT_SUFFIXES:
            path = f"/reports/campaign/{campaign_id}{suffix}"
            read[path] = _parsed(ok(path, **report_params), suffix[1:] or "json")
    if api.user.get("role") == "admin":
        for path in ("/conflicts", "/users", "/audit"):
            read[path] = ok(path).get_json()
    return read
