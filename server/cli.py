"""The command line (§9): init-db, create-user, seed-demo, serve, purge-tombstones."""

from __future__ import annotations

import secrets
import sys
import uuid

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from sync.feed import ensure_feed_state
from sync.models import Record, User

from .extensions import db


def register_commands(app: Flask) -> None:
    for command in (init_db, create_user, seed_demo, serve, purge_tombstones):
        app.cli.add_command(command)


def apply_migrations() -> None:
    """Create or migrate the schema, then the feed's counter row."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)
    ensure_feed_state(db.session, epoch=str(uuid.uuid4()), secret=secrets.token_urlsafe(32))
    db.session.commit()


def schema_is_current() -> bool:
    """True when the database is at the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or migrate the database schema."""
    apply_migrations()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["field", "supervisor", "admin"]), required=True)
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
    from .users import add_user

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
    """Neighbourhoods, the campaign of the seed plan, demo users and realistic households."""
    from .demo import DEMO_PASSWORD, DEMO_USERS, seed

    made = seed(db.session, households=households, random_seed=random_seed)
    db.session.commit()
    if not made:
        click.echo("Demo data already present; nothing added.")
    else:
        click.echo(
            f"Demo data: {made['households']} households, {made['children']} visits and records."
        )
    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for username, role, codes, _ in DEMO_USERS:
        click.echo(f"  {username:<10} {role:<10} {', '.join(codes) or 'all neighbourhoods'}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, threads: int) -> None:
    """Serve the API and the app with waitress (a production WSGI server)."""
    from waitress import serve as waitress_serve

    if not schema_is_current():
        raise click.ClickException(
            "The database schema is not the one this version needs: run `doorstep init-db` first."
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    click.echo(
        f"Doorstep is running at http://{shown}:{port}/  (API: http://{shown}:{port}/api/v1/health)"
    )
    sys.stdout.flush()
    waitress_serve(app, host=host, port=port, threads=threads, ident="doorstep")


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


def make_app() -> Flask:
    from . import create_app

    return create_app()


cli = FlaskGroup(create_app=make_app, add_default_commands=False, help="Doorstep sync server.")


def main() -> None:
    """Entry point of the `doorstep` console script."""
    cli.main(prog_name="doorstep")
