"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each backend gets a database of its own, created here and dropped afterwards (the shared
``test`` database may hold leftovers of other runs). Under ``CI=true`` a missing PostgreSQL fails
the run; elsewhere its tests are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import demo, security
from engine.db import make_engine, make_session_factory
from engine.schema import upgrade
from engine.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("ONEWINDOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DEMO_PASSWORD = "onewindow-demo"
# The suite logs in thousands of times; at production cost each log-in is a 128 MiB, ~0.4 s
# scrypt. tests/web/test_security_auth.py checks the production cost itself.
TEST_SCRYPT_N = 2**10
security.set_cost(TEST_SCRYPT_N)


def _pg_available() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    problem = _pg_available()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable ({problem}); its tests are skipped outside CI")
    return PG_ADMIN


def create_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"onewindow_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'onewindow.sqlite3'}"
        return
    url, drop = create_pg_database(request.getfixturevalue("postgres_server"))
    try:
        yield url
    finally:
        drop()


def load_demo(factory: sessionmaker[Session]) -> None:
    with UnitOfWork(factory) as uow:
        demo.load_all(uow, DEMO_PASSWORD, ROOT / "workflows", ROOT / "bpmn")


@pytest.fixture(scope="session")
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A migrated database with the demo organisation, catalogue and models."""
    engine = make_engine(database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    load_demo(factory)
    yield factory
    engine.dispose()


@pytest.fixture
def uow(sessions: sessionmaker[Session]) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(sessions)


@pytest.fixture
def backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"
