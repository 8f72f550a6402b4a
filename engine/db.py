"""Database engines and sessions.

SQLite is the embedded default. Its writing transactions start with ``BEGIN IMMEDIATE`` so two
writers queue up instead of failing half-way with "database is locked" on upgrade, while reads
(units of work opened with ``write=False``) start a plain ``BEGIN`` and run beside them under
WAL. PostgreSQL serialises writers per case with ``SELECT … FOR UPDATE``.

PostgreSQL connections are pinged before use only when they sat in the pool for
``IDLE_PING_AFTER`` seconds or more (not on every checkout, which cost a round trip per request).
A connection that idled that long is the one a firewall, a proxy or ``idle_session_timeout`` may
have cut; one used a moment ago is alive unless the server itself restarted since. Then the
first statement on it fails and that request answers an error; SQLAlchemy, seeing the disconnect,
discards every pooled connection opened before it. So a restart costs each process the requests
that find out (one per thread at most) besides, as before, those in flight when it went down.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_SQLITE = "instance/onewindow.sqlite3"
READONLY_OPTION = "onewindow_readonly"
IDLE_PING_AFTER = 10.0  # seconds in the pool after which a connection is pinged before use


def default_url(root: Path | None = None) -> str:
    """``ONEWINDOW_DATABASE_URL`` or a SQLite file under ``instance/``."""
    url = os.environ.get("ONEWINDOW_DATABASE_URL")
    if url:
        return url
    path = (root or Path.cwd()) / DEFAULT_SQLITE
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def make_engine(url: str, *, ping_after: float = IDLE_PING_AFTER) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _serialise_sqlite_writers(engine)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20)
    _ping_idle_connections(engine, ping_after)
    return engine


def _ping_idle_connections(engine: Engine, after: float) -> None:
    """``pool_pre_ping``, but only for a connection that idled ``after`` seconds or more.

    A dead one makes the pool invalidate every older connection and hand out a new one, as
    ``pool_pre_ping`` does: the request that checked it out never sees the failure.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < after:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError() from error
            raise


def _serialise_sqlite_writers(engine: Engine) -> None:
    """Take pysqlite's transaction control so every transaction is ``BEGIN IMMEDIATE``."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        readonly = conn.get_execution_options().get(READONLY_OPTION)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
