"""Helpers for the security tests: accounts of their own, an app whose clock the test moves, and
log-ins from a chosen client address (so the shared rate-limit rows never meet other tests')."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import models
from engine.security import hash_password
from engine.uow import UnitOfWork
from web import create_app

from .conftest import csrf_token

PASSWORD = "correct horse battery staple"


class Clock:
    """The app's ``CLOCK``: now, until the test moves it."""

    def __init__(self) -> None:
        self.now = models.utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@contextmanager
def clocked_app(database_url: str, **config: Any) -> Iterator[tuple[Flask, Clock]]:
    clock = Clock()
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "test-key",
            "CLOCK": clock,
            **config,
        }
    )
    try:
        yield app, clock
    finally:
        app.extensions["onewindow.engine"].dispose()


def new_user(
    sessions: sessionmaker[Session],
    roles: tuple[str, ...] = ("window",),
    department: str = "window",
    password_hash: str | None = None,
) -> str:
    """A fresh account (its own rate-limit keys and audit rows); returns the username."""
    username = f"sec_{uuid.uuid4().hex[:10]}"
    with UnitOfWork(sessions) as uow:
        dept = uow.session.scalars(
            select(models.Department).where(models.Department.code == department)
        ).one()
        role_rows = uow.session.scalars(select(models.Role).where(models.Role.code.in_(roles)))
        uow.session.add(
            models.User(
                username=username,
                display_name=f"安全测试 {username}",
                password_hash=password_hash or hash_password(PASSWORD),
                department=dept,
                roles=list(role_rows),
            )
        )
    return username


def address(tag: str) -> dict[str, dict[str, str]]:
    """Test-client kwargs for a client address of the test's own."""
    return {"environ_base": {"REMOTE_ADDR": tag}}


def unique_address() -> str:
    value = uuid.uuid4().int
    return f"10.{value % 250}.{(value >> 8) % 250}.{(value >> 16) % 250 + 1}"


def page_login(
    client: FlaskClient,
    username: str,
    password: str = PASSWORD,
    from_address: str = "127.0.0.1",
    next_path: str | None = None,
):
    """POST /login as a browser would (CSRF token first); returns the response."""
    token = csrf_token(client.get("/login", **address(from_address)).get_data(as_text=True))
    path = "/login" if next_path is None else f"/login?next={next_path}"
    return client.post(
        path,
        data={"username": username, "password": password, "csrf_token": token},
        **address(from_address),
    )
