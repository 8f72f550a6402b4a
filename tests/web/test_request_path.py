"""What an API request costs around the engine (issue 16): its token read and its connection.

The token is read from the table on every request — two apps on one database stand for two
workers — so whatever one worker changes about a token or its user, the other refuses at once.
A pooled PostgreSQL connection is pinged only after it idled ``IDLE_PING_AFTER`` seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from flask import Flask
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine import models
from engine.db import make_engine
from engine.security import token_digest
from engine.uow import UnitOfWork
from web import create_app

from .accounts import PASSWORD, new_user
from .test_completion_cost import DECIDE, new_case


@pytest.fixture
def other_worker(database_url: str, sessions) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-key"})
    yield app
    app.extensions["onewindow.engine"].dispose()


def _token(app: Flask, username: str) -> dict[str, str]:
    issued = app.test_client().post(
        "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
    )
    assert issued.status_code == 200, issued.get_json()
    return {"Authorization": f"Bearer {issued.get_json()['token']}"}


def _me(app: Flask, bearer: dict[str, str]):
    return app.test_client().get("/api/v1/me", headers=bearer)


def _set_token(sessions: sessionmaker[Session], bearer: dict[str, str], **values) -> None:
    digest = token_digest(bearer["Authorization"].removeprefix("Bearer "))
    with UnitOfWork(sessions) as uow:
        uow.session.execute(
            update(models.ApiToken).where(models.ApiToken.token_hash == digest).values(**values)
        )


def test_the_token_brings_its_user_with_department_and_every_role(app: Flask, sessions) -> None:
    username = new_user(sessions, roles=("reviewer", "approver", "commissioner"))
    me = _me(app, _token(app, username))
    assert me.status_code == 200, me.get_json()
    body = me.get_json()
    assert body["username"] == username and body["department"] == "window"
    assert body["roles"] == ["approver", "commissioner", "reviewer"]


def test_a_token_revoked_on_one_worker_is_refused_on_the_other(
    app: Flask, other_worker: Flask, sessions
) -> None:
    bearer = _token(app, new_user(sessions))
    assert _me(other_worker, bearer).status_code == 200
    assert app.test_client().delete("/api/v1/auth/token", headers=bearer).status_code == 204
    refused = _me(other_worker, bearer)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "invalid_token"


def test_an_expired_or_unknown_token_is_refused(app: Flask, sessions) -> None:
    bearer = _token(app, new_user(sessions))
    assert _me(app, bearer).status_code == 200
    _set_token(sessions, bearer, expires_at=models.utcnow() - timedelta(seconds=1))
    assert _me(app, bearer).get_json()["error"]["code"] == "invalid_token"
    unknown = {"Authorization": "Bearer not-a-token-anyone-was-given"}
    assert _me(app, unknown).status_code == 401


def test_a_user_disabled_elsewhere_is_refused_at_once(
    app: Flask, other_worker: Flask, sessions
) -> None:
    username = new_user(sessions)
    bearer = _token(app, username)
    assert _me(other_worker, bearer).status_code == 200
    with UnitOfWork(sessions) as uow:
        uow.session.execute(
            update(models.User).where(models.User.username == username).values(active=False)
        )
    refused = _me(other_worker, bearer)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "invalid_token"


def _pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The pings the pool sends: SQLAlchemy's pre-ping and ours both go through ``do_ping``."""
    sent: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection) -> bool:
        sent.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return sent


def test_a_completion_sends_no_ping(app: Flask, api, backend: str, monkeypatch) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no connection to lose")
    pings = _pings(app.extensions["onewindow.engine"], monkeypatch)
    window = api("window1")
    case = window.post("/cases", json=new_case(window))
    [task] = case.get_json()["open_tasks"]
    pings.clear()
    done = window.post(f"/tasks/{task['id']}/complete", json={"data": DECIDE})
    assert done.status_code == 200, done.get_json()
    assert pings == []


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _backend_pids(engine: Engine) -> list[int]:
    """The server processes behind two connections of the pool, held at once."""
    with engine.connect() as first, engine.connect() as second:
        return [c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in (first, second)]


def _terminate(pid: int, postgres_server: str) -> None:
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.fixture
def pg_url(database_url: str, backend: str, sessions) -> str:
    if backend != "postgresql":
        pytest.skip("SQLite has no connection to lose")
    return database_url


def test_a_connection_cut_while_idle_is_replaced_before_use(
    pg_url: str, postgres_server: str, monkeypatch
) -> None:
    engine = make_engine(pg_url, ping_after=0.0)  # every connection counts as long idle
    try:
        pings = _pings(engine, monkeypatch)
        cut = _backend_pid(engine)
        _terminate(cut, postgres_server)
        assert _backend_pid(engine) != cut, "a new connection, and no error"
        assert pings, "found by the ping"
    finally:
        engine.dispose()


def test_a_connection_cut_right_after_use_fails_one_request_then_the_pool_recovers(
    pg_url: str, postgres_server: str
) -> None:
    """The trade-off of pinging only idle connections (engine/db.py): the server vanishing
    under a busy connection costs the one request that finds out; every older pooled
    connection is discarded with it."""
    engine = make_engine(pg_url, ping_after=3600.0)  # no connection counts as long idle
    try:
        pooled = _backend_pids(engine)
        for pid in pooled:
            _terminate(pid, postgres_server)
        with pytest.raises(OperationalError), engine.connect() as connection:
            connection.execute(select(1))
        assert not set(_backend_pids(engine)) & set(pooled)
    finally:
        engine.dispose()
