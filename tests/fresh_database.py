"""A database of one's own, for tests that need a day's first case, real server processes or a
scheduler pass over every case: the session database is shared by every other test
(tests/conftest.py)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from engine.db import make_engine, make_session_factory
from engine.schema import upgrade

from .conftest import create_pg_database, load_demo


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new database, migrated and with the demo loaded; dropped afterwards."""
    url, drop = create_pg_database(admin_url)
    try:
        engine = make_engine(url)
        upgrade(engine)
        load_demo(make_session_factory(engine))
        engine.dispose()
        yield url
    finally:
        drop()


@contextmanager
def fresh_postgres_sessions(admin_url: str) -> Iterator[tuple[str, sessionmaker[Session]]]:
    """A ``fresh_postgres`` database: its URL, for servers, and sessions on it, to set up and
    to look inside."""
    with fresh_postgres(admin_url) as url:
        engine = make_engine(url)
        try:
            yield url, make_session_factory(engine)
        finally:
            engine.dispose()


@contextmanager
def fresh_database(database_url: str) -> Iterator[str]:
    """A new database of the same backend as ``database_url``, migrated, with the demo."""
    if not database_url.startswith("sqlite"):
        with fresh_postgres(database_url.rsplit("/", 1)[0] + "/postgres") as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'own.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        load_demo(make_session_factory(engine))
        engine.dispose()
        yield url
