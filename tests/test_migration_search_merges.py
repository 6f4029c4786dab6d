"""The search index's merge setting (SQLite's FTS5 `automerge`) follows the migrations both ways."""

from __future__ import annotations

from pathlib import Path

from conftest import TEST_CONFIG
from sqlalchemy import text

BEFORE = "6c1e9a3f2d70"


def automerge(session) -> int | None:
    row = session.execute(
        text("SELECT v FROM records_search_config WHERE k = 'automerge'")
    ).scalar_one_or_none()
    return None if row is None else int(row)


def test_search_index_merges_eight_segments_at_a_time(tmp_path: Path) -> None:
    from flask_migrate import downgrade, upgrade

    from server import create_app
    from server.extensions import db

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}",
            "MEDIA_DIR": str(tmp_path),
            **TEST_CONFIG,
        }
    )
    directory = app.extensions["migrate"].directory
    with app.app_context():
        session = db.session
        upgrade(directory=directory)
        assert automerge(session) == 8
        downgrade(directory=directory, revision=BEFORE)
        assert automerge(session) == 4
        upgrade(directory=directory)
        assert automerge(session) == 8
        db.engine.dispose()
