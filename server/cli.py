"""The command line (§9): init-db, create-user, seed-demo, serve, purge-tombstones, backups."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import Connection, func, inspect, select, update
from sqlalchemy.engine import URL

from sync.models import FeedState, Record

from .extensions import db
from .jsonio import GzipJSON
from .models import User
from .vocabulary import values


def register_commands(app: Flask) -> None:
    for command in (
        init_db,
        create_user,
        seed_demo,
        serve,
        purge_tombstones,
        backup,
        restore,
        import_households,
    ):
        app.cli.add_command(command)


def apply_migrations() -> None:
    """Create or migrate the schema (the feed's counter row included), in one transaction."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or migrate the database schema."""
    apply_migrations()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(values("role")), required=True)
@click.option(
    "--quarter", "quarters", multiple=True, help="Neighbourhood code, e.g. KP1 (repeatable)."
)
@click.option("--display-name", default=None)
@click.option("--password", default=None, help="Read from standard input when left out.")
@with_appcontext
def create_user(
    username: str,
    role: str,
    quarters: tuple[str, ...],
    display_name: str | None,
    password: str | None,
) -> None:
    """Create a user (the first admin, for instance)."""
    from .users import NEEDS_A_QUARTER, add_user, lacks_quarters

    if lacks_quarters(role, quarters):
        raise click.ClickException(f"{NEEDS_A_QUARTER} Give one with --quarter KP1.")
    if password is None:
        password = (
            click.prompt("Password", hide_input=True)
            if sys.stdin.isatty()
            else sys.stdin.readline()
        )
        password = password.rstrip("\n")
    if len(password) < 8:
        raise click.ClickException("The password needs at least 8 characters.")
    username = username.lower()
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise click.ClickException(f"User {username!r} already exists.")
    codes = {
        r.fields.get("code"): r.id
        for r in db.session.execute(
            select(Record).where(Record.collection == "quarters", Record.deleted.is_(False))
        ).scalars()
    }
    unknown = [c for c in quarters if c not in codes]
    if unknown:
        raise click.ClickException(f"Unknown neighbourhood code(s): {', '.join(unknown)}")
    add_user(
        db.session,
        username,
        password,
        role=role,
        display_name=display_name,
        quarters=[codes[c] for c in quarters],
    )
    db.session.commit()
    click.echo(f"Created {role} {username!r}.")


@click.command("seed-demo")
@click.option("--households", default=300, show_default=True, help="How many households to make.")
@click.option(
    "--seed",
    "random_seed",
    default=2024,
    show_default=True,
    help="Random seed, for repeatable data.",
)
@with_appcontext
def seed_demo(households: int, random_seed: int) -> None:
    """Neighbourhoods, the campaign of the seed plan, demo users and realistic households.

    Never on a real database: it makes `admin` with a published password. A database with
    users other than the demo's is refused.
    """
    from .demo import DEMO_PASSWORD, DEMO_UNITS, DEMO_USERS, NotADemoDatabase, seed

    try:
        made = seed(db.session, households=households, random_seed=random_seed)
    except NotADemoDatabase as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    if not made:
        click.echo("Demo data already present; nothing added.")
    else:
        click.echo(
            f"Demo data: {made['households']} households, {made['children']} visits and records."
        )
    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for username, role, codes, _ in DEMO_USERS:
        where = ", ".join(codes) or "all neighbourhoods"
        click.echo(f"  {username:<10} {role:<10} {where:<18} {DEMO_UNITS[username]}")


@click.command("import-households")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would happen; write nothing.")
@click.option("--update", is_flag=True, help="Update households already on the register.")
@click.option("--user", "username", default=None, help="The admin it is done as.")
@with_appcontext
def import_households(file: Path, dry_run: bool, update: bool, username: str | None) -> None:
    """Import a household register (XLSX or CSV), as the console's "Import households" does.

    Rows that match a household on the register are skipped (or updated with --update); rows
    with errors are listed and left out. Importing the same file again adds nothing.
    """
    from dataclasses import replace

    from .auth import actor_for, utcnow
    from .imports.apply import ApplyFailed, apply_preview
    from .imports.files import error_text
    from .imports.reading import FileProblem
    from .imports.register import preview_file
    from .schemas import catalogue

    admin = _import_admin(username)
    try:
        result = preview_file(db.session, file.read_bytes(), utcnow())
    except FileProblem as problem:
        raise click.ClickException(problem.message) from problem
    click.echo(
        f"{len(result.rows)} rows: {result.count('add')} to add, {result.count('match')} "
        f"already on the register ({result.changed} with changes), "
        f"{result.count('error')} with errors."
    )
    if result.unknown_columns:
        click.echo("Columns not imported: " + ", ".join(result.unknown_columns))
    for notice in result.notices:
        click.echo(notice)
    for plan in result.rows:
        if plan.errors:
            click.echo(error_text(plan.row, plan.errors))
    if dry_run:
        click.echo("Dry run: nothing written.")
        return
    actor = replace(actor_for(admin, None), device_id=f"import:{result.file_digest[:16]}")
    try:
        outcome = apply_preview(db.session, catalogue, actor, result, update=update, now=utcnow())
    except ApplyFailed as failed:
        db.session.rollback()
        raise click.ClickException(
            f"Nothing imported: {len(failed.rows)} rows were refused, e.g. {failed.rows[0]}"
        ) from failed
    db.session.commit()
    click.echo(
        f"Imported as {admin.username}: {outcome.added} added, {outcome.updated} updated, "
        f"{outcome.already_imported} already imported from this file, "
        f"{outcome.skipped + outcome.unchanged} left as they were, "
        f"{outcome.errors} rows with errors left out."
    )


def _import_admin(username: str | None) -> User:
    """The admin an import is done as: the one named, or the only active one."""
    query = select(User).where(User.role == "admin", User.active.is_(True))
    if username is not None:
        query = query.where(User.username == username.lower())
    admins = db.session.execute(query).scalars().all()
    if username is not None and not admins:
        raise click.ClickException(f"{username!r} is not an active admin.")
    if not admins:
        raise click.ClickException("There is no active admin; make one with create-user.")
    if len(admins) > 1:
        raise click.ClickException("Several admins: say which with --user.")
    return admins[0]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, threads: int) -> None:
    """Serve the API and the app with waitress (a production WSGI server)."""
    from waitress import serve as waitress_serve

    from .service import setup_problem

    with db.engine.connect() as connection:
        problem = setup_problem(connection)
    if problem:
        raise click.ClickException(f"Doorstep cannot serve this database. {problem}")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    click.echo(
        f"Doorstep is running at http://{shown}:{port}/  (API: http://{shown}:{port}/api/v1/health)"
    )
    sys.stdout.flush()
    waitress_serve(GzipJSON(app), host=host, port=port, threads=threads, ident="doorstep")


@click.command("purge-tombstones")
@click.option(
    "--days", default=None, type=int, help="Keep tombstones this many days (default: config)."
)
@with_appcontext
def purge_tombstones(days: int | None) -> None:
    """Drop records deleted longer ago than the retention; older cursors then get 410."""
    from datetime import timedelta

    from sync.tombstones import purge

    from .auth import utcnow

    keep = days if days is not None else current_app.config["TOMBSTONE_DAYS"]
    count = purge(db.session, utcnow() - timedelta(days=keep))
    db.session.commit()
    click.echo(f"Purged {count} tombstones older than {keep} days.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup(path: Path, force: bool) -> None:
    """Write a consistent copy of the database to PATH, while the server keeps serving.

    SQLite: the online backup API. PostgreSQL: `pg_dump --format=custom`.
    """
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists; choose another name or add --force.")
    partial = path.with_name(path.name + ".partial")
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        source = _sqlite_file(url)
        if not source.is_file():
            raise click.ClickException(f"There is no database at {source}: nothing to back up.")
        _copy_sqlite(source, partial)
    else:
        _run_pg("pg_dump", "--format=custom", f"--file={partial}", _libpq_url(url), url=url)
    partial.replace(path)  # a backup file is complete or absent, never half-written
    click.echo(f"Backed up {url.render_as_string(hide_password=True)} to {path}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore(path: Path, force: bool) -> None:
    """Put a backup made by `doorstep backup` into the configured (empty) database.

    The restored database is migrated to this version and gets a new feed epoch: every device's
    cursor then answers 410, and devices re-sync from the start with their outboxes kept.
    """
    url = db.engine.url
    with db.engine.connect() as connection:
        held = _data_held(connection)
    db.engine.dispose()
    if held and not force:
        raise click.ClickException(
            f"The database {url.render_as_string(hide_password=True)} already holds data "
            f"({held}); restoring would replace it. Back it up, then add --force."
        )
    if url.get_backend_name() == "sqlite":
        _restore_sqlite(path, _sqlite_file(url))
    else:
        _run_pg(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={_libpq_url(url)}",
            str(path),
            url=url,
        )
        _finish_restore()
    click.echo(f"Restored {path} into {url.render_as_string(hide_password=True)}")


def _restore_sqlite(backup_file: Path, database: Path) -> None:
    """Migrate and re-epoch a copy of the backup, then copy it into the database in one step."""
    from . import create_app

    try:
        with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as check:
            tables = {r[0] for r in check.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"{backup_file} is not a SQLite database: {exc}") from exc
    if not {"alembic_version", "feed_state"} <= tables:
        raise click.ClickException(f"{backup_file} is not a Doorstep database.")
    staging = database.with_name(database.name + ".restoring")
    staging.unlink(missing_ok=True)
    _copy_sqlite(backup_file, staging)
    staged = create_app({**current_app.config, "DATABASE_URL": f"sqlite:///{staging}"})
    with staged.app_context():
        _finish_restore()
        db.engine.dispose()
    _copy_sqlite(staging, database)
    staging.unlink()


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup API, in one step: one consistent snapshot, written under a lock."""
    with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)


def _finish_restore() -> None:
    """Bring the restored database to this version and start a new feed epoch.

    Devices may hold cursors past the restored feed, or into a history the restore took back; a new
    epoch sends every one of them back to the start (410), so none can miss a change.
    """
    apply_migrations()
    db.session.execute(update(FeedState).where(FeedState.id == 1).values(epoch=str(uuid.uuid4())))
    db.session.commit()


def _data_held(connection: Connection) -> str:
    """What the database holds, as "3 users, 120 records", or "" when it has none."""
    tables = set(inspect(connection).get_table_names())
    counts = {
        name: connection.execute(select(func.count()).select_from(model)).scalar_one()
        for name, model in (("users", User), ("records", Record))
        if model.__tablename__ in tables
    }
    return ", ".join(f"{n} {name}" for name, n in counts.items() if n)


def _sqlite_file(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise click.ClickException("An in-memory SQLite database has nothing to back up.")
    return Path(url.database)


def _libpq_url(url: URL) -> str:
    """The URL for pg_dump and pg_restore (libpq's spelling; the password goes by PGPASSWORD)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run_pg(program: str, *args: str, url: URL) -> None:
    """Run a PostgreSQL client program on `url`'s server; its errors become the command's."""
    if shutil.which(program) is None:
        raise click.ClickException(
            f"{program} is not installed (Debian/Ubuntu: apt-get install postgresql-client)."
        )
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    done = subprocess.run([program, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise click.ClickException(f"{program} failed: {done.stderr.strip()}")


def make_app() -> Flask:
    from . import create_app

    return create_app()


cli = FlaskGroup(create_app=make_app, add_default_commands=False, help="Doorstep sync server.")


def main() -> None:
    """Entry point of the `doorstep` console script."""
    cli.main(prog_name="doorstep")
