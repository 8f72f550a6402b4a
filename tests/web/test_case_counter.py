"""The day's first cases, taken in at the same moment on PostgreSQL, all get their numbers
(issue 9, point 12: 3 of 50 once answered 500 on the counter's primary key)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from web import create_app

from ..fresh_database import fresh_postgres
from .conftest import Api, race
from .test_api_journey import ENTERPRISE, item_code

CLIENTS = 12


@pytest.fixture(scope="module")
def new_day_url(postgres_server: str) -> Iterator[str]:
    """A database without any case yet, so its counter has no row for today."""
    with fresh_postgres(postgres_server) as url:
        yield url


def test_concurrent_first_cases_of_a_day_all_get_numbers(new_day_url: str) -> None:
    app = create_app({"DATABASE_URL": new_day_url, "TESTING": True, "SECRET_KEY": "test-key"})
    try:
        window = Api(app.test_client(), "window1")
        body = {"service_item": item_code(window, "企业开办"), "applicant": ENTERPRISE}
        clients = [Api(app.test_client()) for _ in range(CLIENTS)]
        for client in clients:
            client.token = window.token
        statuses = race([lambda c=c: c.post("/cases", json=body) for c in clients])
        assert statuses == [201] * CLIENTS
        listed = window.get("/cases?per_page=200").get_json()["items"]
        sequence = sorted(int(case["case_no"][-5:]) for case in listed)
        assert sequence == list(range(1, CLIENTS + 1)), "one number each, none skipped"
    finally:
        app.extensions["onewindow.engine"].dispose()
