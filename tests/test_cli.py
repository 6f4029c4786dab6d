"""The command line of §9: init-db, create-user, seed-demo, and serve's schema check."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from server import create_app
from server.extensions import db
from server.models import User
from server.service import setup_problem
from sync.models import Record


@pytest.fixture
def app(tmp_path):
    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "PASSWORD_METHOD": "pbkdf2:sha256:1000",
        }
    )


def run(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_serve_refuses_a_database_that_is_not_migrated(app):
    result = run(app, "serve", "--port", "0")
    assert result.exit_code == 1
    assert "doorstep init-db" in result.output


def test_serve_refuses_a_database_without_the_feed_row(app):
    assert run(app, "init-db").exit_code == 0
    with app.app_context():
        db.session.execute(text("DELETE FROM feed_state"))
        db.session.commit()
    result = run(app, "serve", "--port", "0")
    assert result.exit_code == 1
    assert "feed_state" in result.output and "every push and pull would fail" in result.output


def test_init_db_gives_a_database_left_without_its_feed_row_one(app):
    """Before a migration made the row, a kill just after the schema's commit left none."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="98afd0b0ba79")
    assert run(app, "init-db").exit_code == 0
    with app.app_context():
        rows = db.session.execute(text("SELECT seq, purged_seq FROM feed_state")).all()
    assert rows == [(0, 0)]
    with app.app_context(), db.engine.connect() as connection:
        assert setup_problem(connection) is None  # so `serve` starts


def test_seed_demo_makes_the_town_and_prints_the_sign_ins(app):
    assert run(app, "init-db").exit_code == 0
    result = run(app, "seed-demo", "--households", "24")
    assert result.exit_code == 0, result.output
    assert "canbo1" in result.output and "doorstep2024" in result.output
    with app.app_context():
        count = select(func.count()).where(Record.collection == "households")
        assert db.session.execute(count).scalar_one() == 24
        codes = db.session.execute(
            select(Record.fields).where(Record.collection == "quarters")
        ).scalars()
        assert sorted(f["code"] for f in codes) == [f"KP{n}" for n in range(1, 9)]
    again = run(app, "seed-demo")
    assert "already present" in again.output


def test_seed_demo_refuses_a_database_with_people_of_its_own(app):
    run(app, "init-db")
    made = run(app, "create-user", "chutich", "--role", "admin", "--password", "mat-khau-that")
    assert made.exit_code == 0, made.output
    result = run(app, "seed-demo", "--households", "8")
    assert result.exit_code == 1
    assert "never on a real one" in result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Record)).scalar_one() == 0
        users = db.session.execute(select(User.username)).scalars().all()
        assert users == ["chutich"], "no demo admin with a published password"


def test_create_user_reads_the_password_from_standard_input(app):
    run(app, "init-db")
    run(app, "seed-demo", "--households", "8")
    result = run(
        app, "create-user", "hoa", "--role", "field", "--quarter", "KP2", input="mat-khau-123\n"
    )
    assert result.exit_code == 0, result.output
    login = app.test_client().post(
        "/api/v1/auth/login", json={"username": "hoa", "password": "mat-khau-123"}
    )
    assert login.status_code == 200
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "hoa")).scalar_one()
        kp2 = db.session.execute(
            select(Record.id).where(
                Record.collection == "quarters", Record.fields["code"].as_string() == "KP2"
            )
        ).scalar_one()
        assert user.quarters == [kp2]


def test_create_user_refuses_an_unknown_neighbourhood(app):
    run(app, "init-db")
    result = run(
        app, "create-user", "lan", "--role", "field", "--quarter", "KP9", "--password", "12345678"
    )
    assert result.exit_code != 0
    assert "KP9" in result.output


def test_create_user_refuses_field_staff_without_a_neighbourhood(app):
    run(app, "init-db")
    result = run(app, "create-user", "lan", "--role", "field", "--password", "12345678")
    assert result.exit_code == 1
    assert "at least one neighbourhood" in result.output
    with app.app_context():
        assert db.session.execute(select(User.id).where(User.username == "lan")).first() is None
