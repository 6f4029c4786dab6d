"""Settings: defaults, then `DOORSTEP_*` environment variables, then the test config."""

from __future__ import annotations

import sqlite3

import pytest

from server import create_app


def test_environment_overrides_defaults_and_test_config_overrides_both(monkeypatch, tmp_path):
    monkeypatch.setenv("DOORSTEP_REPORT_SIGNER", "Nguyễn Văn Chủ Tịch")
    monkeypatch.setenv("DOORSTEP_TOKEN_DAYS", "7")
    monkeypatch.setenv("DOORSTEP_TOWN_NAME", "Thị trấn Mẫu")
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "TOWN_NAME": "Thị trấn Thử"}
    )
    assert app.config["REPORT_SIGNER"] == "Nguyễn Văn Chủ Tịch"
    assert app.config["TOKEN_DAYS"] == 7
    assert app.config["TOWN_NAME"] == "Thị trấn Thử"
    assert app.config["REPORT_RECIPIENT"] == "Phòng Nội vụ huyện"


def test_the_database_defaults_to_a_sqlite_file_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DOORSTEP_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/doorstep.db")


def test_a_sqlite_too_old_for_the_engine_is_refused_with_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    with pytest.raises(RuntimeError) as refused:
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}"})
    message = str(refused.value)
    assert "SQLite 3.35 or newer" in message and "3.34.1" in message
    assert "DOORSTEP_DATABASE_URL" in message
    # PostgreSQL does not depend on the Python's SQLite.
    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
