"""Doorstep's sync server: the Flask app factory."""

from __future__ import annotations

import gc
import logging
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import checkpoint, config, errors
from .extensions import cors, db, migrate
from .jsonio import FastJSONProvider, dumps, loads

MIGRATIONS = str(Path(__file__).parent / "migrations")
MAX_BODY = 10 * 1024 * 1024  # §4: at most 10 MiB per body
# SQLite's UPDATE … RETURNING (the feed lock takes its counter so) came in 3.35; the search
# index's trigram tokenizer in 3.34.
SQLITE_AT_LEAST = (3, 35)
# Allocations between two young-generation collections (Python's default: 700).
GC_THRESHOLD = 50_000


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app: defaults, then `DOORSTEP_*` variables, then `test_config`."""
    Flask.json_provider_class = FastJSONProvider
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.from_mapping(config.defaults())
    app.config.update(config.from_environment())
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    url = app.config["DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'doorstep.db'}"
    app.config["DATABASE_URL"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(url)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config["MEDIA_DIR"] = app.config["MEDIA_DIR"] or str(Path(app.instance_path) / "media")
    logging.getLogger("server").setLevel(app.config["LOG_LEVEL"])

    db.init_app(app)
    with app.app_context():
        checkpoint.watch(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    origins = [o.strip() for o in app.config["CORS_ORIGINS"].split(",") if o.strip()]
    if origins:
        cors.init_app(app, resources={r"/api/*": {"origins": origins}})
    errors.register(app)

    from . import (
        account,
        admin,
        audit,
        auth,
        conflicts,
        imports,
        ops,
        photos,
        records,
        reports,
        service,
        sync,
    )
    from .service import AppPath

    app.url_map.converters["app_path"] = AppPath
    for module in (
        auth,
        account,
        sync,
        records,
        conflicts,
        ops,
        admin,
        audit,
        reports,
        imports,
        photos,
        service,
    ):
        app.register_blueprint(module.bp, url_prefix="/api/v1")
    app.register_blueprint(service.web)

    from .cli import register_commands

    register_commands(app)
    # Everything built so far lives as long as the process: move it out of the collector's reach,
    # so that a full collection no longer walks the whole startup heap (modules, schemas, routes).
    gc.collect()
    gc.freeze()
    # A push of 1,000 ops allocates a few hundred thousand containers that live until its answer
    # is sent, and frees nearly all of them without cycles: collecting every 700 allocations
    # walked them again and again for nothing (about a tenth of a push's CPU).
    gc.set_threshold(GC_THRESHOLD, 20, 100)
    return app


def engine_options(url: str) -> dict[str, Any]:
    """SQLite waits for the write lock instead of failing; PostgreSQL checks pooled connections."""
    options: dict[str, Any] = {"json_serializer": dumps, "json_deserializer": loads}
    if url.startswith("sqlite"):
        if sqlite3.sqlite_version_info < SQLITE_AT_LEAST:
            raise RuntimeError(
                f"Doorstep needs SQLite {'.'.join(map(str, SQLITE_AT_LEAST))} or newer; this "
                f"Python's is {sqlite3.sqlite_version}. Use a newer Python (3.11 on Debian 12 "
                "has 3.40), or PostgreSQL (DOORSTEP_DATABASE_URL)."
            )
        return {**options, "connect_args": {"timeout": 30}}
    # No server-side prepared statements: PostgreSQL could keep a generic plan made while a table
    # was small (a sequential scan) long after it has grown; each statement is planned fresh.
    return {**options, "pool_pre_ping": True, "connect_args": {"prepare_threshold": None}}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        checkpoint.configure(dbapi_connection)
