"""好差评 over HTTP: the public rating endpoints, rating links and the pad, the progress page,
notices' QR codes, the ratings list and settings, and who may see or do what (API.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import Api, csrf_token, login
from .test_api_journey import receive_materials

APPLICANT = {
    "kind": "person",
    "name": "李评价",
    "id_type": "居民身份证",
    "id_number": "330182199001011236",
    "phone": "13900001111",
}
INSTANT = {"decision": "approve", "operator_name": "李评价", "credit_code": "92339901MA2H7K3Q0X"}
STAFF = (
    "window1",
    "window2",
    "amr1",
    "amr_chief",
    "psb1",
    "office1",
    "monitor1",
    "designer1",
    "admin",
    "commissioner1",
)


def instant_case(client: FlaskClient) -> tuple[str, str]:
    """个体工商户设立登记 taken in and finished on the spot by window1: (case_no, password)."""
    window = Api(client, "window1")
    items = window.get("/service-items?per_page=200").get_json()["items"]
    code = next(i["code"] for i in items if i["name"] == "个体工商户设立登记")
    created = window.post("/cases", json={"service_item": code, "applicant": APPLICANT})
    assert created.status_code == 201, created.get_json()
    case_no = created.get_json()["case_no"]
    receive_materials(window, case_no)
    [task] = window.open_tasks(case_no)
    done = window.post(f"/tasks/{task['id']}/complete", json={"data": INSTANT})
    assert done.get_json()["case"]["status"] == "finished", done.get_json()
    return case_no, created.get_json()["query_password"]


def public_rate(client: FlaskClient, case_no: str, body: dict, headers: dict | None = None):
    return client.post(f"/api/v1/public/cases/{case_no}/ratings", json=body, headers=headers or {})


@dataclass
class World:
    client: FlaskClient
    case_no: str
    password: str
    rating_id: int


@pytest.fixture(scope="module")
def world(app: Flask) -> World:
    """One case rated 5 at acceptance (its handling waits at the window's 回访)."""
    client = app.test_client()
    case_no, password = instant_case(client)
    body = {"password": password, "stage": "acceptance", "level": 5, "comment": "等了很久"}
    response = public_rate(client, case_no, body)
    assert response.status_code == 201, response.get_json()
    return World(client, case_no, password, response.get_json()["id"])


# ---- the applicant ------------------------------------------------------------------------------


def test_the_applicant_rates_with_the_case_number_and_password(client):
    case_no, password = instant_case(client)
    body = {"password": password, "stage": "acceptance", "level": 1, "reasons": ["一次办成"]}
    response = public_rate(client, case_no, body)
    assert response.status_code == 201, response.get_json()
    rating = response.get_json()
    assert {"id", "case_no", "service_item", "stage", "level", "bad", "reasons", "comment"} <= set(
        rating
    )
    assert {"channel", "rated_at", "default", "departments", "clerks", "handling"} <= set(rating)
    assert rating["bad"] is False and rating["handling"] is None and rating["channel"] == "web"
    assert rating["clerks"] == ["window1"] and rating["departments"] == ["window"]
    assert "client_address" not in rating

    again = public_rate(client, case_no, body)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_rated"
    bare = public_rate(client, case_no, {"password": password, "stage": "finish", "level": 4})
    assert bare.status_code == 422
    assert bare.get_json()["error"]["code"] == "bad_rating_needs_reason"
    wrong = public_rate(client, case_no, {**body, "password": "x", "stage": "finish"})
    unknown = public_rate(client, "339901000000000000000", {**body, "stage": "finish"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_json()["error"] == unknown.get_json()["error"]
    assert public_rate(client, case_no, {**body, "level": 9}).status_code == 422
    assert public_rate(client, case_no, {**body, "stage": "later"}).status_code == 422


def test_a_staff_member_cannot_rate_by_token_or_session(client):
    case_no, password = instant_case(client)
    body = {"password": password, "stage": "finish", "level": 1}
    window = Api(client, "window1")
    by_token = public_rate(client, case_no, body, {"Authorization": f"Bearer {window.token}"})
    assert by_token.status_code == 403 and by_token.get_json()["error"]["code"] == (
        "staff_cannot_rate"
    )
    login(client, "amr1")
    assert public_rate(client, case_no, body).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/tasks").get_data(True))})
    assert public_rate(client, case_no, body).status_code == 201


def test_a_rating_link_for_the_pad_rates_once(client):
    case_no, _password = instant_case(client)
    window1, window2 = Api(client, "window1"), Api(client, "window2")
    refused = window2.post(f"/cases/{case_no}/rating-links", json={"stage": "finish"})
    assert refused.status_code == 403
    assert Api(client).post(f"/cases/{case_no}/rating-links", json={}).status_code == 401
    issued = window1.post(f"/cases/{case_no}/rating-links", json={"stage": "finish"})
    assert issued.status_code == 201, issued.get_json()
    link = issued.get_json()
    assert link["url"].endswith(f"/pad/{link['token']}") and link["expires_at"]

    shown = client.get(f"/api/v1/public/ratings/{link['token']}").get_json()
    assert shown["stage"] == "finish" and shown["open"] and "applicant" not in shown
    rated = client.post(f"/api/v1/public/ratings/{link['token']}", json={"level": 2})
    assert rated.status_code == 201 and rated.get_json()["channel"] == "pad"
    used = client.post(f"/api/v1/public/ratings/{link['token']}", json={"level": 1})
    assert used.status_code == 409
    gone = client.post("/api/v1/public/ratings/no-such-token", json={"level": 1})
    assert gone.status_code == 404


def test_the_pad_page_works_without_login_and_refuses_staff(client):
    case_no, _password = instant_case(client)
    token = (
        Api(client, "window1")
        .post(f"/cases/{case_no}/rating-links", json={"stage": "acceptance"})
        .get_json()["token"]
    )
    page = client.get(f"/pad/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert html.count('name="level"') == 5 and "非常不满意" in html and "态度恶劣" in html
    assert 'src="/static/js/rating-form.js"' in html
    assert "Service rating" in client.get(f"/pad/{token}?lang=en").get_data(as_text=True)
    client.get(f"/pad/{token}?lang=zh")
    form = {"csrf_token": csrf_token(html), "level": "5", "comment": ""}
    assert client.post(f"/pad/{token}", data=form).status_code == 422

    login(client, "window1")
    html = client.get(f"/pad/{token}").get_data(as_text=True)
    staff = client.post(
        f"/pad/{token}", data={**form, "csrf_token": csrf_token(html), "comment": "慢"}
    )
    assert staff.status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/tasks").get_data(True))})

    html = client.get(f"/pad/{token}").get_data(as_text=True)
    done = client.post(
        f"/pad/{token}", data={**form, "csrf_token": csrf_token(html), "comment": "慢"}
    )
    assert done.status_code == 200 and "感谢您的评价" in done.get_data(as_text=True)
    assert client.get(f"/pad/{token}").status_code == 409
    assert client.get("/pad/no-such-token").status_code == 404


def test_the_progress_page_offers_the_open_stages(client):
    case_no, password = instant_case(client)
    token = csrf_token(client.get("/public/track").get_data(as_text=True))
    form = {"csrf_token": token, "case_no": case_no, "password": password}
    html = client.post("/public/track", data=form).get_data(as_text=True)
    assert html.count('class="rating-form"') == 2, "acceptance and finish are both open"
    rated = client.post(
        "/public/track", data={**form, "stage": "finish", "level": "2", "reasons": "服务规范"}
    )
    html = rated.get_data(as_text=True)
    assert rated.status_code == 200 and "感谢您对办结服务的评价" in html
    assert html.count('class="rating-form"') == 1 and "办结评价：满意" in html
    wrong = client.post("/public/track", data={**form, "password": "x", "stage": "acceptance"})
    assert wrong.status_code == 404


def test_notices_print_a_rating_qr_code(client):
    case_no, _password = instant_case(client)
    login(client, "window1")
    page = client.get(f"/cases/{case_no}/notices/acceptance").get_data(as_text=True)
    assert "<svg" in page and "扫描二维码" in page
    assert "<svg" in client.get(f"/cases/{case_no}/notices/decision").get_data(as_text=True)
    pdf = client.get(f"/cases/{case_no}/notices/decision.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert Api(client, "admin").get("/ratings?per_page=200").status_code == 200


# ---- the bad-rating loop through the ordinary task API ------------------------------------------


def test_a_bad_rating_is_worked_through_the_task_api(client):
    case_no, password = instant_case(client)
    body = {"password": password, "stage": "finish", "level": 4, "reasons": ["多次跑腿"]}
    rating = public_rate(client, case_no, body).get_json()
    handling = rating["handling"]
    assert handling["state"] == "open" and handling["light"] in ("green", "yellow")
    window = Api(client, "window1")
    [callback] = window.open_tasks(handling["case_no"])
    assert callback["name"] == "差评回访" and callback["due_date"]
    steps = [
        {"contacted": "reached", "callback_note": "已回访"},
        {"decision": "rectify", "finding": "属实"},
        {"measures": "简化流程", "feedback": "已告知"},
    ]
    for data in steps:
        [task] = window.open_tasks(handling["case_no"])
        response = window.post(f"/tasks/{task['id']}/complete", json={"data": data})
        assert response.status_code == 200, response.get_json()
    view = window.get(f"/ratings/{rating['id']}").get_json()
    assert view["handling"]["state"] == "closed" and view["handling"]["outcome"] == "rectify"
    assert [e["action"] for e in view["history"]].count("complete") == 3
    again = {"password": password, "stage": "rectification", "level": 2}
    assert public_rate(client, case_no, again).status_code == 201
    assert public_rate(client, case_no, again).status_code == 409


# ---- who sees what ------------------------------------------------------------------------------

# window1 served it, window2 works in the window that calls the applicant back (回访), and
# the center and the monitor read every rating.
SEES = {"window1", "window2", "office1", "monitor1", "admin"}


@pytest.mark.parametrize("username", STAFF)
def test_who_sees_a_rating(world: World, username: str) -> None:
    caller = Api(world.client, username)
    listed = caller.get("/ratings?per_page=200").get_json()["items"]
    assert (world.rating_id in {r["id"] for r in listed}) == (username in SEES)
    status = caller.get(f"/ratings/{world.rating_id}").status_code
    assert status == (200 if username in SEES else 404)


def test_ratings_need_a_token(world: World) -> None:
    anonymous = Api(world.client)
    for path in ("/ratings", f"/ratings/{world.rating_id}", "/ratings/settings"):
        assert anonymous.get(path).status_code == 401


def test_the_list_filters(world: World) -> None:
    office = Api(world.client, "office1")

    def ids(query: str) -> set[int]:
        response = office.get(f"/ratings?per_page=200&{query}")
        assert response.status_code == 200, response.get_json()
        return {r["id"] for r in response.get_json()["items"]}

    assert world.rating_id in ids("level=5&bad=true&department=window&clerk=window1")
    assert world.rating_id not in ids("bad=false")
    assert world.rating_id not in ids("clerk=amr1")
    assert world.rating_id not in ids("from=2020-01-01&to=2020-01-31")
    assert office.get("/ratings?level=x").status_code == 400
    assert office.get("/ratings?from=yesterday").status_code == 400


@pytest.mark.parametrize(
    ("username", "expected"),
    [("admin", 200), ("office1", 403), ("window1", 403), ("monitor1", 403)],
)
def test_only_administrators_change_the_settings(world: World, username: str, expected: int):
    caller = Api(world.client, username)
    current = caller.get("/ratings/settings")
    assert current.status_code == 200
    assert current.get_json()["default_rating"]["after_days"] is None
    response = world.client.put(
        "/api/v1/ratings/settings",
        json={"callback_working_days": 1},
        headers={"Authorization": f"Bearer {caller.token}"},
    )
    assert response.status_code == expected


def test_invalid_settings_name_the_field(world: World):
    admin = Api(world.client, "admin")
    response = world.client.put(
        "/api/v1/ratings/settings",
        json={"rectification_working_days": 0},
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert response.status_code == 422
    assert "rectification_working_days" in response.get_json()["error"]["details"]["fields"]


@pytest.mark.parametrize(("username", "expected"), [("office1", 200), ("amr_chief", 403)])
def test_the_address_report(world: World, username: str, expected: int):
    response = Api(world.client, username).get("/ratings/frequent-addresses?min_cases=1")
    assert response.status_code == expected
    if expected == 200:
        assert any(r["cases"] >= 1 for r in response.get_json()["items"])


# ---- the center's pages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "listed"),
    [("office1", True), ("window1", True), ("amr_chief", False), ("psb1", False)],
)
def test_the_ratings_page(app: Flask, world: World, username: str, listed: bool) -> None:
    client = app.test_client()
    login(client, username)
    # the list is newest first and other tests keep rating cases: look through its pages
    pages = [client.get(f"/ratings/?page={n}").get_data(as_text=True) for n in range(1, 11)]
    assert any(world.case_no in html for html in pages) == listed
    detail = client.get(f"/ratings/{world.rating_id}")
    assert detail.status_code == (200 if listed else 404)
    if listed:
        page = detail.get_data(as_text=True)
        assert "差评回访" in page and "等了很久" in page
    english = client.get("/ratings/?lang=en").get_data(as_text=True)
    assert "Ratings" in english


def test_the_window_opens_the_pad_from_its_page(app: Flask, world: World) -> None:
    client = app.test_client()
    login(client, "window1")
    html = client.get("/ratings/pad-link").get_data(as_text=True)
    issued = client.post(
        "/ratings/pad-link",
        data={"csrf_token": csrf_token(html), "case_no": world.case_no, "stage": "finish"},
    )
    page = issued.get_data(as_text=True)
    assert issued.status_code == 200 and "<svg" in page
    assert re.search(r"/pad/[\w-]+", page)
    assert client.get("/ratings/addresses").status_code == 403


def test_the_openapi_document_lists_the_ratings_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/public/cases/{case_no}/ratings",
        "/api/v1/public/ratings/{token}",
        "/api/v1/cases/{case_no}/rating-links",
        "/api/v1/ratings",
        "/api/v1/ratings/{rating_id}",
        "/api/v1/ratings/settings",
    ):
        assert path in paths, path
