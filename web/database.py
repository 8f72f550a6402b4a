"""The app's database: one engine per app, one unit of work per request."""

from __future__ import annotations

from flask import Flask, current_app

from engine.db import make_engine, make_session_factory
from engine.schema import upgrade
from engine.uow import UnitOfWork


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["onewindow.engine"] = engine
    app.extensions["onewindow.sessions"] = make_session_factory(engine)


def unit_of_work(*, write: bool = True) -> UnitOfWork:
    return UnitOfWork(current_app.extensions["onewindow.sessions"], write=write)


def migrate(app: Flask) -> None:
    upgrade(app.extensions["onewindow.engine"])
