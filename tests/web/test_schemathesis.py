"""schemathesis over the OpenAPI document (issue 9, Must show 2): generated requests, valid and
invalid, never meet a server error, and every response — its status, content type and body —
is one the document describes. Bounded: a few examples per operation, derandomized, on a
database of its own (an administrator's random writes must not reach the other tests)."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from pathlib import Path

import hypothesis.strategies as st
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.db import make_engine, make_session_factory
from engine.schema import upgrade
from web import create_app

from ..conftest import DEMO_PASSWORD, load_demo
from ..fresh_database import fresh_postgres

EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
REVOKES_THE_TOKEN = "DELETE /api/v1/auth/token"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed_app(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'fuzz.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        load_demo(make_session_factory(engine))
        engine.dispose()
        yield _app(url, folder)
        return
    with fresh_postgres(request.getfixturevalue("postgres_server")) as url:
        yield _app(url, folder)


def _app(url: str, folder: Path) -> Flask:
    return create_app(
        {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "fuzz", "UPLOAD_DIR": str(folder)}
    )


def test_generated_requests_meet_no_server_error_and_no_undocumented_response(
    fuzzed_app: Flask,
) -> None:
    client = fuzzed_app.test_client()
    login = {"username": "admin", "password": DEMO_PASSWORD}
    token = client.post("/api/v1/auth/token", json=login).get_json()["token"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: operation.label == REVOKES_THE_TOKEN,
    )
    failures: collections.Counter[str] = collections.Counter()
    for operation in operations:
        strategy = st.one_of(operation.as_strategy(generation_mode=mode) for mode in GenerationMode)

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case) -> None:
            try:
                case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
            except (AssertionError, FailureGroup) as failure:
                failures[f"{case.operation.label}: {_first_lines(failure)}"] += 1

        check()
    assert not failures, "\n".join(f"{n}× {text}" for text, n in failures.items())
    fuzzed_app.extensions["onewindow.engine"].dispose()


def _first_lines(failure: BaseException) -> str:
    lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
    return " | ".join(lines[1:6])
