"""Database engines and sessions.

SQLite is the embedded default. Its writing transactions start with ``BEGIN IMMEDIATE`` so two
writers queue up instead of failing half-way with "database is locked" on upgrade, while reads
(units of work opened with ``write=False``) start a plain ``BEGIN`` and run beside them under
WAL. PostgreSQL serialises writers per case with ``SELECT … FOR UPDATE``.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_SQLITE = "instance/onewindow.sqlite3"
READONLY_OPTION = "onewindow_readonly"


def default_url(root: Path | None = None) -> str:
    """``ONEWINDOW_DATABASE_URL`` or a SQLite file under ``instance/``."""
    url = os.environ.get("ONEWINDOW_DATABASE_URL")
    if url:
        return url
    path = (root or Path.cwd()) / DEFAULT_SQLITE
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _serialise_sqlite_writers(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


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
