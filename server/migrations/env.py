import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from server.models import METADATAS

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging, leaving the loggers made before it (the server's
# own, in a process that migrates and then serves, or in tests) working.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    # The engine's tables and the server's, each with their own metadata.
    return list(METADATAS)


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()
    if connectable.dialect.name == "sqlite":
        connectable = sqlite_engine_with_transactional_ddl(connectable)
        conf_args["transactional_ddl"] = True

    try:
        with connectable.connect() as connection:
            context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

            # One transaction for the whole upgrade, on SQLite as on PostgreSQL: a process killed
            # at any moment leaves the database at the revision it started from.
            with context.begin_transaction():
                context.run_migrations()
    finally:
        if connectable is not get_engine():
            connectable.dispose()


def sqlite_engine_with_transactional_ddl(engine: Engine) -> Engine:
    """A private engine on the same SQLite file whose transactions really begin, DDL included.

    pysqlite only begins a transaction before DML and commits before DDL, so Alembic's transaction
    would cover nothing. SQLAlchemy's pysqlite recipe ("Serializable isolation / Savepoints /
    Transactional DDL"): turn pysqlite's handling off and emit BEGIN ourselves. IMMEDIATE takes the
    write lock at once, so two concurrent `init-db` wait for each other instead of failing.
    The app's own engine keeps pysqlite's behaviour.
    """
    private = create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(private, "connect")
    def no_implicit_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(private, "begin")
    def begin_immediate(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return private


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
