"""The plans of the SQL a service call sends: what ``EXPLAIN`` says the database does with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event

Statement = tuple[str, Any]


def selects_of(engine: Engine, call: Callable[[], Any]) -> list[Statement]:
    """The SELECT statements (with their parameters) ``call`` sends through ``engine``."""
    sent: list[Statement] = []

    def keep(_conn, _cursor, statement: str, parameters: Any, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return sent


def explain(connection: Connection, statement: Statement, analyze: bool = False) -> str:
    """The plan, as the database prints it; with ``analyze`` (PostgreSQL) it runs the query
    and adds real times and buffer counts."""
    sql, parameters = statement
    if connection.dialect.name == "postgresql":
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
        rows = connection.exec_driver_sql(prefix + sql, parameters).all()
        return "\n".join(row[0] for row in rows)
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters).all()
    return "\n".join(str(row[-1]) for row in rows)
