"""The public pages and API: the 办事指南 catalogue, the diagram, and the progress lookup."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import select, update

from engine import models
from engine.services import public as public_service
from engine.uow import UnitOfWork

from .conftest import csrf_token, race
from .test_api_journey import complete, receive_materials

ENTERPRISE_ITEM = "11339901MB1622039G4000120010000001"  # 企业开办
INDIVIDUAL_ITEM = "11339901MB1622039G4000120110000001"  # 个体工商户设立登记
APPLICANT = {
    "kind": "person",
    "name": "李公开测试",
    "id_type": "居民身份证",
    "id_number": "330102199001011234",
    "phone": "13900001111",
}
SECRET_DATA = "绝密经营范围XYZ"


def ip(tag: int) -> dict[str, dict[str, str]]:
    """A client address of its own per test, so the shared rate-limit rows never interfere."""
    return {"environ_base": {"REMOTE_ADDR": f"10.77.{tag}.1"}}


def start_case(api) -> tuple[str, str]:
    """A new 企业开办 case through the API; returns its number and its 查询密码."""
    response = api("window1").post(
        "/cases",
        json={
            "service_item": ENTERPRISE_ITEM,
            "applicant": APPLICANT,
            "data": {"business_scope": SECRET_DATA},
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return body["case_no"], body["query_password"]


def wrong(password: str) -> str:
    return f"{(int(password) + 1) % 10**6:06d}"


def unknown_case_no() -> str:
    return f"999999{uuid.uuid4().int % 10**15:015d}"


def lookup(client: FlaskClient, case_no: str, password: str, tag: int):
    return client.get(
        f"/api/v1/public/cases/{case_no}", query_string={"password": password}, **ip(tag)
    )


# ---- catalogue and guide -----------------------------------------------------------------------


def test_catalogue_lists_and_searches_items(client: FlaskClient) -> None:
    html = client.get("/public/").get_data(as_text=True)
    assert "企业开办" in html and "个体工商户设立登记" in html and "不动产转移登记" in html
    assert f'href="/public/items/{ENTERPRISE_ITEM}"' in html
    assert "最多跑一次" in html

    by_name = client.get("/public/", query_string={"q": "个体"}).get_data(as_text=True)
    assert "个体工商户设立登记" in by_name and "企业开办" not in by_name
    by_code = client.get("/public/", query_string={"q": "4000720800"}).get_data(as_text=True)
    assert "不动产转移登记" in by_code and "企业开办" not in by_code
    nothing = client.get("/public/", query_string={"q": "%"}).get_data(as_text=True)
    assert "没有找到事项" in nothing

    english = client.get("/public/?lang=en").get_data(as_text=True)
    assert "Service guide" in english and "Visits in person" in english


def test_guide_shows_limits_materials_fees_and_the_diagram(client: FlaskClient) -> None:
    response = client.get(f"/public/items/{ENTERPRISE_ITEM}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>企业开办" in html and "承诺件" in html and "行政许可" in html
    assert "青山县市场监督管理局" in html and "0001200100" in html
    assert '<dd class="legal-limit">3 个工作日</dd>' in html, "市场主体登记管理条例 art. 19"
    assert '<dd class="promised-limit">3 个工作日</dd>' in html
    assert "0 次" in html and "最多跑一次" in html
    # The materials table: name, issuer, originals, copies, mandatory, form, standard.
    assert "公司登记（备案）申请书" in html and "全体股东主体资格证明" in html
    assert "公安机关 / 登记机关" in html and "纸质或电子" in html and "非必要" in html
    assert "使用市场监管总局统一格式文书" in html
    assert "企业注册登记费" in html and "财税〔2017〕20号" in html
    assert "0579-86123401" in html and 'href="tel:12345"' in html
    assert "人民路88号" in html and "8:30" in html
    assert "企业开办需要跑几次" in html  # FAQ
    assert 'class="bpmn-diagram"' in html
    assert f'data-xml-url="/public/items/{ENTERPRISE_ITEM}/diagram.bpmn"' in html
    assert "bpmn-navigated-viewer.production.min.js" in html

    instant = client.get(f"/public/items/{INDIVIDUAL_ITEM}").get_data(as_text=True)
    assert "即办件" in instant and "当场办结" in instant and "不收费" in instant

    english = client.get(f"/public/items/{ENTERPRISE_ITEM}?lang=en").get_data(as_text=True)
    assert "3 working days" in english and "At most one visit" in english

    assert client.get("/public/items/NO-SUCH-ITEM").status_code == 404


def test_diagram_route_serves_the_bpmn_without_internals(client: FlaskClient) -> None:
    response = client.get(f"/public/items/{ENTERPRISE_ITEM}/diagram.bpmn")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = etree.fromstring(response.data)
    bpmn = "http://www.omg.org/spec/BPMN/20100524/MODEL"
    assert root.tag == f"{{{bpmn}}}definitions"
    assert root.find(f"{{{bpmn}}}process") is not None
    assert root.find("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram") is not None
    assert not root.findall(f".//{{{bpmn}}}extensionElements")
    assert not root.findall(f".//{{{bpmn}}}conditionExpression")
    assert client.get("/public/items/NO-SUCH-ITEM/diagram.bpmn").status_code == 404


def test_public_catalogue_api(client: FlaskClient) -> None:
    listing = client.get("/api/v1/public/service-items?q=企业").get_json()
    assert [i["code"] for i in listing["items"]] == [ENTERPRISE_ITEM]
    assert listing["total"] == 1 and listing["page"] == 1
    guide = client.get(f"/api/v1/public/service-items/{ENTERPRISE_ITEM}").get_json()
    assert guide["promised_limit"] == {"days": 3, "unit": "working_day", "unit_name": "工作日"}
    assert guide["at_most_once"] is True and len(guide["materials"]) == 7
    missing = client.get("/api/v1/public/service-items/NOPE")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"]


# ---- progress lookup over the API --------------------------------------------------------------


def test_right_password_shows_progress_without_personal_data(api, client: FlaskClient) -> None:
    case_no, password = start_case(api)
    response = lookup(client, case_no, password, 1)
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) >= {
        "case_no", "service_item", "service_item_name", "status", "status_name",
        "current_steps", "due_date", "light", "accepted_at", "finished_at", "result",
    }  # fmt: skip
    assert body["case_no"] == case_no and body["service_item_name"] == "企业开办"
    assert body["status"] == "running" and body["status_name"] == "办理中"
    [step] = body["current_steps"]
    assert (step["name"], step["department"]) == ("受理", "window") and step["department_name"]
    assert body["light"] in ("none", "green", "yellow", "red")
    assert body["accepted_at"] is None and body["finished_at"] is None and body["result"] is None
    text = response.get_data(as_text=True)
    for private in (APPLICANT["name"], APPLICANT["id_number"], APPLICANT["phone"], SECRET_DATA):
        assert private not in text
    assert "applicant" not in body and "data" not in body


def test_wrong_password_answers_exactly_like_an_unknown_case(api, client: FlaskClient) -> None:
    case_no, password = start_case(api)
    wrong_password = lookup(client, case_no, wrong(password), 2)
    unknown = lookup(client, unknown_case_no(), password, 2)
    assert wrong_password.status_code == unknown.status_code == 404
    assert wrong_password.data == unknown.data
    assert wrong_password.get_json()["error"]["code"] == "case_not_found"
    assert wrong_password.headers["Content-Type"] == unknown.headers["Content-Type"]
    missing = client.get(f"/api/v1/public/cases/{case_no}", **ip(2))
    assert missing.status_code == 422  # no password given: not a guess, not counted


def test_eleventh_failed_attempt_from_one_client_is_refused(api, client: FlaskClient) -> None:
    case_no, password = start_case(api)
    for _attempt in range(10):
        assert lookup(client, unknown_case_no(), "000000", 3).status_code == 404
    refused = lookup(client, unknown_case_no(), "000000", 3)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert lookup(client, case_no, password, 3).status_code == 429, "limited even when right"
    assert lookup(client, case_no, password, 4).status_code == 200, "other clients are not"


def test_one_address_cannot_lock_anyone_out_of_a_case(api, client: FlaskClient) -> None:
    """Five wrong passwords used to lock a case for everyone (issue 9): now the address is
    throttled, and the case still answers its applicant."""
    case_no, password = start_case(api)
    for _attempt in range(10):
        assert lookup(client, case_no, wrong(password), 10).status_code == 404
    assert lookup(client, case_no, wrong(password), 10).status_code == 429
    assert lookup(client, case_no, password, 11).status_code == 200, "the applicant gets in"


def test_one_address_straddling_its_windows_stays_below_the_case_limit(api, sessions) -> None:
    """The most one address can send at a case in one of the case's windows is twice its own
    limit (its window may end inside the case's); the case limit lies above that."""
    case_no, password = start_case(api)
    limits = public_service.DEFAULT_LIMITS
    assert limits.per_case > 2 * limits.per_client

    def attempt(number: str, pw: str, client_key: str, moment) -> str:
        try:
            with UnitOfWork(sessions) as uow:
                public_service.track_case(uow, number, pw, client_key, now=moment)
        except public_service.TooManyAttempts:
            return "429"
        except public_service.NotFound:
            return "404"
        return "200"

    start = models.utcnow()
    attacker = "10.77.12.1"
    assert attempt(unknown_case_no(), "000000", attacker, start) == "404"  # its window opens
    late = start + limits.window - timedelta(seconds=1)
    results = [attempt(case_no, wrong(password), attacker, late) for _ in range(10)]
    assert results == ["404"] * 9 + ["429"]
    fresh = start + limits.window + timedelta(seconds=1)  # its own window is over, the case's not
    results = [attempt(case_no, wrong(password), attacker, fresh) for _ in range(11)]
    assert results == ["404"] * 10 + ["429"]
    assert attempt(case_no, password, "10.77.13.1", fresh) == "200"


def test_many_addresses_guessing_one_case_are_held_to_the_case_limit(api, client) -> None:
    case_no, password = start_case(api)
    limit = public_service.DEFAULT_LIMITS.per_case
    for tag in range(100, 100 + limit):  # one failure from each of many clients
        assert lookup(client, case_no, wrong(password), tag).status_code == 404
    assert lookup(client, case_no, wrong(password), 130).status_code == 429
    assert lookup(client, case_no, password, 131).status_code == 429, "limited even when right"
    other, other_password = start_case(api)
    assert lookup(client, other, other_password, 131).status_code == 200


def test_unknown_case_numbers_are_limited_like_known_ones(client: FlaskClient) -> None:
    case_no = unknown_case_no()
    limit = public_service.DEFAULT_LIMITS.per_case
    for tag in range(140, 140 + limit):
        assert lookup(client, case_no, "123456", tag).status_code == 404
    assert lookup(client, case_no, "123456", 170).status_code == 429


def test_a_finished_window_starts_counting_again(api, sessions) -> None:
    case_no, password = start_case(api)
    client_key = "10.77.30.1"

    def attempt(pw: str) -> str:
        try:
            with UnitOfWork(sessions) as uow:
                public_service.track_case(uow, case_no, pw, client_key)
        except public_service.TooManyAttempts:
            return "429"
        except public_service.NotFound:
            return "404"
        return "200"

    assert [attempt(wrong(password)) for _ in range(11)] == ["404"] * 10 + ["429"]
    with UnitOfWork(sessions) as uow:
        rows = uow.session.scalars(
            select(models.RateLimit).where(models.RateLimit.key.like(f"%{case_no}"))
        ).all()
        assert [r.count for r in rows] == [10]
        uow.session.execute(
            update(models.RateLimit)
            .where(models.RateLimit.key.like("public_track:%"))
            .values(window_start=models.utcnow() - timedelta(minutes=16))
        )
    assert attempt(password) == "200"
    assert attempt(wrong(password)) == "404"
    with UnitOfWork(sessions) as uow:
        count = uow.session.scalar(
            select(models.RateLimit.count).where(models.RateLimit.key.like(f"%{case_no}"))
        )
        assert count == 1


# ---- the HTML track page -----------------------------------------------------------------------


def post_track(client: FlaskClient, case_no: str, password: str, tag: int):
    token = csrf_token(client.get("/public/track", **ip(tag)).get_data(as_text=True))
    return client.post(
        "/public/track",
        data={"case_no": case_no, "password": password, "csrf_token": token},
        **ip(tag),
    )


def test_track_page_shows_progress_and_refuses_wrong_passwords(api, client: FlaskClient) -> None:
    page = client.get("/public/track")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'type="password"' in html and "查询密码" in html

    case_no, password = start_case(api)
    response = post_track(client, case_no, password, 40)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert case_no in html and "企业开办" in html and "办理中" in html and "受理" in html
    assert APPLICANT["name"] not in html and APPLICANT["id_number"] not in html
    assert password not in html

    bad = post_track(client, case_no, wrong(password), 40)
    unknown = post_track(client, unknown_case_no(), password, 40)
    assert bad.status_code == unknown.status_code == 404
    assert "办件编号或查询密码不正确" in bad.get_data(as_text=True)
    assert "办件编号或查询密码不正确" in unknown.get_data(as_text=True)

    no_token = client.post("/public/track", data={"case_no": case_no, "password": password})
    assert no_token.status_code == 400


def test_track_page_is_rate_limited(api, client: FlaskClient) -> None:
    case_no, password = start_case(api)
    for _attempt in range(10):
        assert post_track(client, unknown_case_no(), "000000", 41).status_code == 404
    refused = post_track(client, case_no, password, 41)
    assert refused.status_code == 429
    assert "查询失败次数过多" in refused.get_data(as_text=True)
    assert case_no not in refused.get_data(as_text=True).split("</form>")[-1]
    # The page and the API share one count.
    assert lookup(client, case_no, password, 41).status_code == 429


def test_concurrent_guesses_never_get_past_the_limits(app, api) -> None:
    """Attempts racing each other (on PostgreSQL truly at once) are counted exactly."""
    case_no, password = start_case(api)
    limit = public_service.DEFAULT_LIMITS.per_case
    one_case = [
        lambda tag=tag: lookup(app.test_client(), case_no, wrong(password), tag)
        for tag in range(200, 200 + limit + 4)
    ]
    assert sorted(race(one_case)) == [404] * limit + [429] * 4
    one_client = [
        lambda: lookup(app.test_client(), unknown_case_no(), "000000", 62) for _ in range(15)
    ]
    assert sorted(race(one_client)) == [404] * 10 + [429] * 5


def test_guide_lists_the_steps_in_flow_order_and_folds_the_diagram(client: FlaskClient) -> None:
    """办理流程 as numbered steps from the deployed model: user tasks in the order the flow
    reaches them, with their lane's department and their own limit; the diagram on demand."""
    html = client.get(f"/public/items/{ENTERPRISE_ITEM}").get_data(as_text=True)
    steps = re.search(r'<ol class="step-list">(.*?)</ol>', html, re.S)
    assert steps, "no step list"
    rows = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", li)).strip()
        for li in re.findall(r"<li>(.*?)</li>", steps.group(1), re.S)
    ]
    assert rows[:3] == [
        "受理 综合受理窗口",
        "补正材料 综合受理窗口",
        "营业执照承办 市场监督管理局 1 个工作日",
    ]
    assert rows[-1] == "出件 综合受理窗口"
    assert "刻制印章 公安局 1 个工作日" in rows and len(rows) == 8
    assert re.search(
        r'<details class="flow-diagram">\s*<summary>查看流程图</summary>'
        r'\s*<div class="bpmn-diagram"',
        html,
    ), "the diagram stays available, folded"


def test_track_page_shows_the_steps_so_far_as_a_timeline(api, client: FlaskClient) -> None:
    case_no, password = start_case(api)
    window = api("window1")
    receive_materials(window, case_no)
    complete(
        window,
        window.task_named(case_no, "受理"),
        {"decision": "accept", "materials_checked": True},
    )
    html = post_track(client, case_no, password, 43).get_data(as_text=True)
    timeline = re.search(r'<ol class="timeline"[^>]*>(.*?)</ol>', html, re.S)
    assert timeline, "no timeline"
    steps = re.findall(
        r'<li class="timeline-step is-(\w+)"[^>]*>\s*<span class="timeline-name">(.*?)</span>',
        timeline.group(1),
    )
    assert steps == [("done", "提交申请"), ("done", "受理"), ("active", "营业执照承办")]
    assert "市场监督管理局" in timeline.group(1)
    assert 'aria-current="step"' in timeline.group(1)
    assert "window1" not in timeline.group(1), "who handled a step is not public"
