"""One transaction per use case: commit on success, roll back on any error."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from . import models
from .db import READONLY_OPTION
from .errors import Conflict, NotFound


class UnitOfWork:
    """A context manager around one session; services receive it and never commit themselves.

    A stale row version (another writer got there first) and a unique-key race both surface as
    ``Conflict`` so the API answers 409 instead of losing an update.
    """

    def __init__(self, session_factory: sessionmaker[Session], *, write: bool = True):
        self._factory = session_factory
        self._write = write
        self._after_commit: list[Callable[[], None]] = []
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        if not self._write:
            self.session.connection(execution_options={READONLY_OPTION: True})
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this unit of work has committed (never after a rollback)."""
        self._after_commit.append(callback)

    def commit(self) -> None:
        try:
            self.session.commit()
        except StaleDataError as error:
            self.session.rollback()
            raise Conflict("办件已被他人更新，请刷新后重试", code="stale") from error
        except IntegrityError as error:
            self.session.rollback()
            raise Conflict("数据冲突，请刷新后重试", code="integrity") from error
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def lock_case(self, case_no: str) -> models.Case:
        """Load a case holding its row lock, so writers to one case take turns.

        On PostgreSQL this is ``SELECT … FOR UPDATE``; SQLite already holds the database write
        lock from ``BEGIN IMMEDIATE``.
        """
        case = self.session.scalars(
            select(models.Case)
            .where(models.Case.case_no == case_no)
            .with_for_update(of=models.Case)
        ).one_or_none()
        if case is None:
            raise NotFound(f"办件 {case_no} 不存在", code="case_not_found")
        return case
