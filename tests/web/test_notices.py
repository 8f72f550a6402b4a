"""Notices (办件文书): print views and PDFs of 受理, 不予受理, 一次性告知, 决定 and 延期."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine import models
from engine.uow import UnitOfWork

from .accounts import new_user, page_login
from .conftest import Api, login
from .test_api_journey import ENTERPRISE, complete, item_code, receive_materials

MISSING = ["公司章程", "住所（经营场所）使用证明"]  # originals/copies 1/0 and 0/1 in the guide
SUPPLEMENT_REASON = "公司章程缺全体股东签字；未提交住所使用证明"
REFUSAL = "经营范围含前置许可项目而未取得许可"
REJECT_REASON = "申请事项属于县卫生健康局职权范围，请向青山县卫生健康局申请"


def start(api, item: str = "企业开办") -> tuple[str, str]:
    window = api("window1")
    response = window.post(
        "/cases", json={"service_item": item_code(window, item), "applicant": ENTERPRISE}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    receive_materials(window, body["case_no"])
    return body["case_no"], body["query_password"]


def accept(window: Api, case_no: str) -> None:
    intake = window.task_named(case_no, "受理")
    complete(window, intake, {"decision": "accept", "materials_checked": True})


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def cn(iso: str) -> str:
    day = date.fromisoformat(iso[:10])
    return f"{day.year}年{day.month}月{day.day}日"


def counts(html: str, material: str) -> tuple[str, str]:
    match = re.search(
        rf'<td class="name">{re.escape(material)}</td>'
        r'<td class="originals">(\S+?)</td><td class="copies">(\S+?)</td>',
        html,
    )
    assert match, f"{material} not listed with its counts"
    return match.group(1), match.group(2)


def assert_pdf(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert len(response.data) > 1024
    assert response.headers["Cache-Control"] == "no-store"


def test_supplement_then_acceptance_notices(api, client: FlaskClient) -> None:
    case_no, password = start(api)
    window = api("window1")
    intake = window.task_named(case_no, "受理")
    complete(
        window,
        intake,
        {"decision": "supplement", "missing_materials": MISSING, "reason": SUPPLEMENT_REASON},
    )
    login(client, "window1")
    base = f"/cases/{case_no}/notices"

    html = page(client, f"{base}/supplement")
    assert "一次性告知书" in html and "一次性告知需要补正的全部内容" in html
    assert counts(html, "公司章程") == ("1", "0")
    assert counts(html, "住所（经营场所）使用证明") == ("0", "1")
    assert "全体股东签署" in html, "the acceptance standard comes from the item's materials"
    assert SUPPLEMENT_REASON in html and case_no in html
    assert f"补字第{case_no}-1号" in html
    # the 补正 deadline is the model's 补正期限届满 timer (P30D from the notice), not a blank
    opened = datetime.fromisoformat(window.task_named(case_no, "补正材料")["created_at"])
    deadline = (opened + timedelta(days=30)).astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert re.search(rf"请于{cn(deadline.isoformat())}(（暂定）)?前补正", html)
    assert ENTERPRISE["name"] in html
    assert page(client, f"{base}/supplement?ref={intake['id']}") == html
    page(client, f"{base}/supplement?ref=nope", 404)
    page(client, f"{base}/acceptance", 404)  # not accepted yet
    assert_pdf(client, f"{base}/supplement.pdf")

    complete(window, window.task_named(case_no, "补正材料"), {"received_materials": MISSING})
    accept(window, case_no)
    accepted_at = window.get(f"/cases/{case_no}").get_json()["accepted_at"]
    assert accepted_at

    html = page(client, f"{base}/acceptance")
    assert "受理通知书" in html and case_no in html and cn(accepted_at) in html
    assert f"受字第{case_no}号" in html
    assert "承诺办结时限</th><td>3个工作日" in html and "法定办结时限</th><td>3个工作日" in html
    assert "0579-86123401" in html, "consultation phone from the guide"
    assert password not in html, "the password is only printed when passed in"
    assert "由受理窗口填写" in html
    with_password = page(client, f"{base}/acceptance?password={password}")
    assert password in with_password and "由受理窗口填写" not in with_password
    wrong = "000000" if password != "000000" else "111111"
    assert "由受理窗口填写" in page(client, f"{base}/acceptance?password={wrong}"), (
        "a password that does not match the case is not printed"
    )
    assert_pdf(client, f"{base}/acceptance.pdf")
    assert_pdf(client, f"{base}/acceptance.pdf?password={password}")

    # The first round's notice stays printable after the case moved on.
    assert counts(page(client, f"{base}/supplement"), "公司章程") == ("1", "0")
    case_page = page(client, f"/cases/{case_no}")
    assert f"{base}/acceptance" in case_page
    assert f"{base}/supplement.pdf?ref={intake['id']}" in case_page
    page(client, f"{base}/rejection", 404)
    page(client, f"{base}/decision", 404)
    page(client, f"{base}/extension", 404)
    page(client, f"{base}/bogus", 404)
    page(client, f"{base}/bogus.pdf", 404)


def test_rejection_notice_names_reasons_and_appeal_rights(api, client: FlaskClient) -> None:
    case_no, _ = start(api)
    window = api("window1")
    complete(
        window,
        window.task_named(case_no, "受理"),
        {"decision": "reject", "reason": REJECT_REASON},
    )
    login(client, "window1")
    base = f"/cases/{case_no}/notices"
    html = page(client, f"{base}/rejection")
    assert "不予受理决定书" in html and REJECT_REASON in html
    assert "行政复议" in html and "行政诉讼" in html and "六十日" in html and "六个月" in html
    assert "青山县市场监督管理局" in html, "the implementing body"
    assert "第三十二条" in html
    assert_pdf(client, f"{base}/rejection.pdf")
    page(client, f"{base}/acceptance", 404)
    page(client, f"{base}/supplement", 404)
    page(client, f"{base}/decision", 404)  # result 1 (退回) is no licensing decision
    assert f"{base}/rejection" in page(client, f"/cases/{case_no}")


def test_refusal_after_review_gives_a_decision_with_appeal_rights(api, client) -> None:
    case_no, _ = start(api)
    window, amr1 = api("window1"), api("amr1")
    accept(window, case_no)
    handling = amr1.task_named(case_no, "营业执照承办")
    assert amr1.post(f"/tasks/{handling['id']}/claim").status_code == 200
    complete(amr1, handling, {"decision": "reject", "opinion": REFUSAL})
    assert window.get(f"/cases/{case_no}").get_json()["result"] == "7"

    login(client, "amr1")
    html = page(client, f"/cases/{case_no}/notices/decision")
    assert "不予行政许可决定书" in html and REFUSAL in html
    assert "行政复议" in html and "第三十八条第二款" in html
    assert page(client, f"/cases/{case_no}/notices/acceptance")
    assert_pdf(client, f"/cases/{case_no}/notices/decision.pdf")


def test_instant_approval_gives_a_granting_decision(api, client: FlaskClient) -> None:
    case_no, _ = start(api, "个体工商户设立登记")
    window = api("window1")
    complete(
        window,
        window.task_named(case_no, "受理并当场办结"),
        {"decision": "approve", "operator_name": "张三", "credit_code": "92339901MA2H7K3Q05"},
    )
    login(client, "window1")
    html = page(client, f"/cases/{case_no}/notices/decision")
    assert "准予行政许可决定书" in html and "个体工商户营业执照" in html
    assert "行政复议" not in html


def test_instant_refusal_is_a_decision_not_a_rejection(api, client: FlaskClient) -> None:
    case_no, _ = start(api, "个体工商户设立登记")
    window = api("window1")
    task = window.task_named(case_no, "受理并当场办结")
    complete(window, task, {"decision": "reject", "reason": REFUSAL})
    login(client, "window1")
    html = page(client, f"/cases/{case_no}/notices/decision")
    assert "不予行政许可决定书" in html and REFUSAL in html and "行政复议" in html
    page(client, f"/cases/{case_no}/notices/rejection", 404)


def test_extension_notice_per_approved_extension(api, client, sessions) -> None:
    case_no, _ = start(api)
    window = api("window1")
    accept(window, case_no)
    with UnitOfWork(sessions) as uow:
        case = uow.session.query(models.Case).filter_by(case_no=case_no).one()
        row = models.ClockExtension(
            case_id=case.id, working_days=10, reason="需现场核查经营场所", approved_by="amr_chief"
        )
        uow.session.add(row)
        uow.session.flush()
        ref = row.id
    login(client, "window1")
    html = page(client, f"/cases/{case_no}/notices/extension?ref={ref}")
    assert "延期告知书" in html and "需现场核查经营场所" in html
    assert "10个工作日" in html and "钱伟" in html, "the approver by name"
    assert page(client, f"/cases/{case_no}/notices/extension") == html, "latest by default"
    page(client, f"/cases/{case_no}/notices/extension?ref=999999", 404)
    assert_pdf(client, f"/cases/{case_no}/notices/extension.pdf?ref={ref}")


@pytest.mark.parametrize("suffix", ["", ".pdf"])
def test_notices_need_a_login_and_a_visible_case(
    api, app: Flask, client: FlaskClient, suffix: str
) -> None:
    case_no, _ = start(api)
    window: Api = api("window1")
    complete(
        window,
        window.task_named(case_no, "受理"),
        {"decision": "reject", "reason": REJECT_REASON},
    )
    path = f"/cases/{case_no}/notices/rejection{suffix}"
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    other = app.test_client()
    login(other, "housing1")  # 住建局: never touched this case
    assert other.get(path).status_code == 404
    assert other.get(f"/cases/{case_no}/notices/bogus{suffix}").status_code == 404


def test_guesses_at_the_query_password_are_limited(api, app: Flask, sessions) -> None:
    """The notice prints the 查询密码 when it matches, so it answers guesses: five a user and
    a case per quarter hour, then 429 even for the right one (issue 9, point 17)."""
    case_no, password = start(api)
    accept(api("window1"), case_no)
    clerk = app.test_client()
    assert page_login(clerk, new_user(sessions)).status_code == 302
    base = f"/cases/{case_no}/notices/acceptance"
    guesses = [f"{(int(password) + n) % 10**6:06d}" for n in range(1, 6)]
    for guess in guesses:
        assert "由受理窗口填写" in page(clerk, f"{base}?password={guess}")
    refused = clerk.get(f"{base}?password={password}")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "查询密码核对失败次数过多" in refused.get_data(as_text=True)
    assert "由受理窗口填写" in page(clerk, base), "the notice itself still prints"

    colleague = app.test_client()
    assert page_login(colleague, new_user(sessions)).status_code == 302
    assert colleague.get(f"{base}?password={password}").status_code == 429, "per case too"
