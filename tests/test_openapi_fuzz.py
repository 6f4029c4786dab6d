"""schemathesis over /api/v1/openapi.json (§8): whatever it sends, never a 500 (§7).

Runs against its own SQLite database with a signed-in admin (who may call everything) and a few
records, so that generated requests reach the code behind authentication.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import schemathesis
from conftest import ADMIN_PASSWORD, TEST_CONFIG
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error


def make_app():
    """The app on a SQLite file of its own. Creating it touches no database, so the schema can be
    loaded when the module is collected (schemathesis' lazy fixture schema does not run on
    pytest 9); the database is made by the `fuzz_app` fixture."""
    from server import create_app

    folder = Path(tempfile.mkdtemp(prefix="doorstep-fuzz-"))
    return create_app(
        {"DATABASE_URL": f"sqlite:///{folder / 'doorstep.db'}", **TEST_CONFIG}
    ), folder


APP, FOLDER = make_app()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


@pytest.fixture(scope="module")
def fuzz_app():
    from server.cli import apply_migrations
    from server.extensions import db
    from server.users import add_user

    with APP.app_context():
        apply_migrations()
        add_user(db.session, "admin", ADMIN_PASSWORD, role="admin", display_name="Văn phòng")
        db.session.commit()
    yield APP
    with APP.app_context():
        db.engine.dispose()
    shutil.rmtree(FOLDER, ignore_errors=True)


def sign_in(app) -> str:
    response = app.test_client().post(
        "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


@pytest.fixture(scope="module")
def admin_token(fuzz_app) -> str:
    token = sign_in(fuzz_app)
    quarter, household = str(uuid.uuid4()), str(uuid.uuid4())
    response = fuzz_app.test_client().post(
        "/api/v1/sync/push",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "ops": [
                {
                    "op_id": str(uuid.uuid4()),
                    "collection": "quarters",
                    "id": quarter,
                    "base_rev": None,
                    "fields": {"code": "KP1", "name": "Khu phố 1"},
                },
                {
                    "op_id": str(uuid.uuid4()),
                    "collection": "households",
                    "id": household,
                    "base_rev": None,
                    "fields": {"quarter_id": quarter, "address": "1 Lê Lợi", "head_name": "An"},
                },
            ]
        },
    )
    assert [r["status"] for r in response.get_json()["results"]] == ["applied", "applied"]
    return token


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_gets_a_server_error(case, fuzz_app, admin_token):
    # Signing out must not sign the fuzzer's admin out for the operations that follow.
    token = sign_in(fuzz_app) if case.path == "/auth/logout" else admin_token
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    case.validate_response(response, checks=[not_a_server_error])
