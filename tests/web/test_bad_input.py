"""Bad input answers 4xx in the error shape of API.md, never 500 (issue 9, point 13)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import DEMO_PASSWORD, Api
from .test_api_journey import ENTERPRISE, item_code

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = str(2**70)


def assert_client_error(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in (statuses or range(400, 500)), response.get_data(as_text=True)[
        :300
    ]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def post_raw(api: Api, path: str, body: str) -> Any:
    headers = {"Content-Type": "application/json", **api._headers()}
    return api.client.post(f"/api/v1{path}", data=body.encode("utf-8"), headers=headers)


def case_body(api: Api, **applicant: str) -> dict[str, Any]:
    return {
        "service_item": item_code(api, "企业开办"),
        "applicant": {**ENTERPRISE, **applicant},
        "data": {},
    }


@pytest.mark.parametrize("path", ["/auth/token", "/cases"])
def test_deeply_nested_json_is_400(api, path: str) -> None:
    error = assert_client_error(post_raw(api("window1"), path, DEEP), 400)
    assert error["code"] == "invalid_json"


def test_integers_past_python_digit_limit_are_400(api) -> None:
    body = '{"username": "window1", "password": ' + "9" * 5000 + "}"
    assert_client_error(post_raw(api(), "/auth/token", body), 400)
    body = '{"service_item": "x", "applicant": {}, "data": {"n": ' + "9" * 5000 + "}}"
    assert_client_error(post_raw(api("window1"), "/cases", body), 400)


@pytest.mark.parametrize(
    "path",
    [
        f"/cases?page={HUGE}",
        f"/tasks?page={HUGE}",
        f"/cc?page={HUGE}",
        f"/notifications?page={HUGE}",
        f"/cases?page={'9' * 5000}",
    ],
)
def test_page_numbers_beyond_64_bits_are_400(api, path: str) -> None:
    assert_client_error(api("window1").get(path), 400)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/cc/{HUGE}/read"),
        ("POST", f"/notifications/{HUGE}/read"),
        ("GET", f"/process-models/individual_business/versions/{HUGE}/files/x.bpmn"),
        ("GET", f"/tasks/{HUGE}"),
        ("GET", f"/cases/{HUGE}"),
        ("POST", f"/cc/{2**31}/read"),  # past PostgreSQL's INTEGER, within 64 bits
    ],
)
def test_ids_beyond_64_bits_are_404(api, method: str, path: str) -> None:
    window = api("window1")
    response = window.client.open(f"/api/v1{path}", method=method, headers=window._headers())
    assert_client_error(response, 404)


@pytest.mark.parametrize(
    "name",
    ["\\ud800", "a\\udfffb", "x\\u0000y"],
    ids=["lone-high-surrogate", "lone-low-surrogate", "nul"],
)
def test_lone_surrogates_and_nul_bytes_are_400(api, name: str) -> None:
    window = api("window1")
    code = item_code(window, "企业开办")
    body = (
        f'{{"service_item": "{code}", "data": {{}}, "applicant": {{"kind": "enterprise", '
        f'"name": "{name}", "id_type": "身份证", "id_number": "330101199001011238"}}}}'
    )
    assert_client_error(post_raw(window, "/cases", body), 400)
    password = f'{{"username": "window1", "password": "{name}"}}'
    assert_client_error(post_raw(api(), "/auth/token", password), 400)


def test_surrogates_in_paths_and_queries_are_not_500(api) -> None:
    window = api("window1")
    assert_client_error(window.get("/cases/%ED%A0%80"), 404)
    assert window.get("/cases?q=%ED%A0%80").status_code == 200


@pytest.mark.parametrize(
    "applicant",
    [
        {"name": "长" * 5000},
        {"id_type": "护照", "id_number": "1" * 5000},
        {"phone": "1" * 5000},
    ],
    ids=["name", "id_number", "phone"],
)
def test_over_long_fields_are_refused_on_postgresql(
    api, backend, applicant: dict[str, str]
) -> None:
    """SQLite stores any length; PostgreSQL refuses what exceeds the column: 422, not 500."""
    window = api("window1")
    response = window.post("/cases", json=case_body(window, **applicant))
    if backend == "postgresql":
        assert assert_client_error(response, 422)["code"] == "invalid_value"
    else:
        assert response.status_code == 201


def test_a_crlf_in_next_is_not_500(client) -> None:
    response = client.post(
        "/login?next=/tasks%0d%0aSet-Cookie:%20evil=1",
        data={"username": "window1", "password": DEMO_PASSWORD},
    )
    assert response.status_code < 500
    assert "evil" not in response.headers.get("Set-Cookie", "")
    assert "\n" not in response.headers.get("Location", "")


@pytest.mark.parametrize(
    ("id_type", "id_number"),
    [("统一社会信用代码", "91339901MA2H7K3Q06"), ("居民身份证", "330102199001011235")],
)
def test_a_mistyped_check_digit_is_400(api, id_type: str, id_number: str) -> None:
    window = api("window1")
    response = window.post("/cases", json=case_body(window, id_type=id_type, id_number=id_number))
    error = assert_client_error(response, 400)
    assert error["code"] == "invalid_applicant"
    assert "applicant.id_number" in error["details"]["fields"]
