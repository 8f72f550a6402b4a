"""Fresh bench databases: a SQLite file in a temp dir, or a new PostgreSQL database."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from engine import demo, models
from engine.db import make_engine, make_session_factory
from engine.schema import upgrade
from engine.uow import UnitOfWork

from .settings import MODEL, PASSWORD, PG_ADMIN, ROOT


@dataclass
class BenchDatabase:
    """A migrated database holding the demo, and an in-process engine on it."""

    backend: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    service_item: str  # the code of the benchmarked model's 事项


def postgres_problem(admin_url: str = PG_ADMIN) -> str | None:
    """Why PostgreSQL cannot be used, or ``None`` when it answers."""
    try:
        with psycopg.connect(admin_url, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return " ".join(str(error).split()) or error.__class__.__name__


@contextmanager
def sqlite_database() -> Iterator[BenchDatabase]:
    with (
        tempfile.TemporaryDirectory(prefix="onewindow-bench-") as folder,
        prepared("sqlite", f"sqlite:///{folder}/bench.sqlite3") as database,
    ):
        yield database


@contextmanager
def postgres_database(admin_url: str = PG_ADMIN) -> Iterator[BenchDatabase]:
    name = f"onewindow_bench_{uuid.uuid4().hex[:12]}"
    try:
        with prepared("postgresql", create_database(name, admin_url)) as database:
            yield database
    finally:
        drop_database(name, admin_url)


def database_url(name: str, admin_url: str = PG_ADMIN) -> str:
    """The URL of the database ``name`` on the admin URL's server."""
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def create_database(name: str, admin_url: str = PG_ADMIN) -> str:
    """A new, empty database ``name`` (one of that name is dropped first); its URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name, admin_url)


def drop_database(name: str, admin_url: str = PG_ADMIN) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def prepared(backend: str, url: str, load_demo: bool = True) -> Iterator[BenchDatabase]:
    """The database at ``url`` migrated to the newest schema, with the demo loaded into it
    (``load_demo``) or already there (a kept data set)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        if load_demo:
            _load_demo(sessions)
        yield BenchDatabase(backend, url, engine, sessions, bench_service_item(sessions))
    finally:
        engine.dispose()


def _load_demo(sessions: sessionmaker[Session]) -> None:
    with UnitOfWork(sessions) as uow:
        demo.load_all(uow, PASSWORD, ROOT / "workflows", ROOT / "bpmn")


def bench_service_item(sessions: sessionmaker[Session]) -> str:
    """The demo item that runs the benchmarked model."""
    with sessions() as session:
        return session.scalars(
            select(models.ServiceItem.code).where(models.ServiceItem.process_key == MODEL)
        ).one()
