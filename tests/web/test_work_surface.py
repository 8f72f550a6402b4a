# ruff: noqa: F811 (the tests take the ``desk`` fixture imported from test_pages.py)
"""The clerk's work surface through the pages (issue 15, points 1-4), on SQLite and PostgreSQL:
the task page's case so far, lists without a cap (tabs, filters, sort, paging, .xlsx), data in
readable words, the person picker's scope, landings that exist, notifications that close.
"""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from openpyxl import load_workbook

from engine import models
from engine.uow import UnitOfWork

from .conftest import Api, csrf_token, login
from .test_pages import INTAKE_ACCEPT, Desk, desk, section, text_of  # noqa: F401 (fixture)

LICENCE = {
    "company_name": "青山工作台商贸有限公司",
    "credit_code": "91339901MA2H7K3Q05",
    "registered_capital": 100,
    "business_scope": "日用百货销售",
    "opinion": "材料齐全，符合法定形式",
    "decision": "approve",
}


def at_review(desk: Desk, name: str = "青山工作台商贸有限公司") -> tuple[str, str]:
    """A case whose licence was handled by amr1: (case number, the chief's review level)."""
    case_no, intake = desk.start_case(name)
    done = desk.window.post(f"/tasks/{intake}/complete", json={"data": INTAKE_ACCEPT})
    [handling] = done.get_json()["next_tasks"]
    response = desk.amr.post(
        f"/tasks/{handling['id']}/complete", json={"data": LICENCE, "comment": "同意报审核"}
    )
    assert response.status_code == 200, response.get_json()
    chief = Api(desk.amr.client, "amr_chief")
    return case_no, chief.task_named(case_no, "营业执照审核")["id"]


def page_text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_task_page_shows_the_case_so_far_in_the_forms_words(
    client: FlaskClient, desk: Desk
) -> None:
    _case_no, review = at_review(desk)
    login(client, "amr_chief")
    page = page_text(client, f"/tasks/{review}")
    steps = text_of(section_by_id(page, "steps-heading"))
    # field titles and option titles of the earlier forms, never the variable names or codes
    assert "企业名称 青山工作台商贸有限公司" in steps
    assert "审查结论 审查通过，报审核" in steps
    assert "受理决定 受理" in steps
    assert "办理意见 同意报审核" in steps
    assert "市场监管审查员（赵敏）" in steps and "窗口一号（王芳）" in steps
    for raw in ("company_name", "approve", "materials_checked", "chain", "amr1", "'key'"):
        assert raw not in steps, raw
    timeline = text_of(section_by_id(page, "timeline-heading"))
    assert "市场监管审查员（赵敏） 办理完成 · 营业执照承办 · 同意报审核" in timeline
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} 系统 开始计时", timeline)
    assert 'data-xml-url="/cases/' in page and '"licence_approve"' in page  # the diagram


def section_by_id(page: str, heading_id: str) -> str:
    match = re.search(rf'<h2 id="{heading_id}">.*?</section>', page, re.S)
    assert match, heading_id
    return match.group(0)


def test_case_page_words_the_result_and_never_shows_a_chain_state(
    client: FlaskClient, desk: Desk, sessions
) -> None:
    case_no, _review = at_review(desk, "青山结果商贸有限公司")
    with UnitOfWork(sessions) as uow:  # the result code an end event would have written
        case = uow.session.query(models.Case).filter_by(case_no=case_no).one()
        case.result = "0"
    login(client, "window1")
    page = page_text(client, f"/cases/{case_no}")
    assert re.search(r'class="case-result">出证办结<', page)
    steps = section(page, "办理步骤")
    assert "&#39;levels&#39;" not in steps and "enterprise_startup" not in steps
    assert "enterprise_startup" not in text_of(page)  # the model's key is an internal name


def test_lists_page_without_a_cap_filter_sort_and_export(client: FlaskClient, desk: Desk) -> None:
    names = [f"青山分页{n:02d}商贸有限公司" for n in range(53)]
    for name in names:
        desk.start_case(name)
    login(client, "window1")
    first = page_text(client, "/tasks?applicant=青山分页")
    assert "共 53 条" in text_of(first)
    assert first.count('<a href="/tasks/') == 50
    second = page_text(client, "/tasks?applicant=青山分页&page=2")
    assert second.count('<a href="/tasks/') == 3
    assert 'rel="next"' in first and 'rel="next"' not in second

    oldest = page_text(client, "/cases?applicant=青山分页&sort=oldest")
    newest = page_text(client, "/cases?applicant=青山分页")
    assert text_of(oldest).index(names[0]) < text_of(oldest).index(names[1])
    assert text_of(newest).index(names[52]) < text_of(newest).index(names[51])
    assert "共 53 条" in text_of(newest)
    assert "共 0 条" in text_of(page_text(client, "/cases?applicant=青山分页&channel=online"))
    assert "共 0 条" in text_of(page_text(client, "/cases?applicant=青山分页&until=2000-01-01"))
    assert client.get("/cases?since=yesterday").status_code == 400

    # 我受理的: the window clerk's own cases; the tab counts them
    started = page_text(client, "/tasks?tab=started&applicant=青山分页")
    assert "共 53 条" in text_of(started) and "我受理的" in text_of(started)

    export = client.get("/cases/export.xlsx?applicant=青山分页&sort=oldest")
    assert export.status_code == 200
    assert export.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("办件编号", "事项", "申请人")
    assert [r[2] for r in rows[1:]] == names  # every match, beyond one page, in the sort
    assert {r[3] for r in rows[1:]} == {"窗口受理"} and {r[4] for r in rows[1:]} == {"办理中"}


def test_done_tab_lists_the_steps_i_completed(client: FlaskClient, desk: Desk) -> None:
    case_no, _review = at_review(desk, "青山已办商贸有限公司")
    login(client, "amr1")
    done = text_of(page_text(client, "/tasks?tab=done&applicant=青山已办"))
    assert "营业执照承办" in done and case_no in done
    todo = text_of(page_text(client, "/tasks?applicant=青山已办"))
    assert case_no not in todo


def test_the_picker_offers_whom_the_operation_accepts(client: FlaskClient, desk: Desk) -> None:
    case_no, handling = licence_task(desk, "青山选人商贸有限公司")
    login(client, "amr1")
    page = page_text(client, f"/tasks/{handling}")
    transfer = select_options(page, "op-transfer-to")
    assert transfer == [], "amr1 is the only reviewer of 市场监管: nobody to transfer to"
    delegates = select_options(page, "op-delegate-to")
    assert "window1" in delegates and "amr1" not in delegates and "admin" not in delegates
    signers = select_options(page, "op-sign-users")
    assert "amr_chief" in signers and "amr1" not in signers
    case_page = page_text(client, f"/cases/{case_no}")
    copies = select_options(case_page, "op-cc-users")
    # 抄送: staff of the case's departments and the office, not the tax office
    assert "window1" in copies and "office1" in copies and "tax1" not in copies
    assert "amr1" not in copies


def licence_task(desk: Desk, name: str) -> tuple[str, str]:
    case_no, intake = desk.start_case(name)
    done = desk.window.post(f"/tasks/{intake}/complete", json={"data": INTAKE_ACCEPT})
    [handling] = done.get_json()["next_tasks"]
    return case_no, handling["id"]


def select_options(page: str, select_id: str) -> list[str]:
    match = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r'<option value="([^"]+)"', match.group(1)) if match else []


def test_delegate_lands_on_a_page_that_exists_and_notifications_close(
    client: FlaskClient, desk: Desk
) -> None:
    case_no, handling = licence_task(desk, "青山委派商贸有限公司")
    login(client, "amr1")
    page = page_text(client, f"/tasks/{handling}")
    response = client.post(
        f"/tasks/{handling}/delegate",
        data={"to_user": "tax1", "note": "请核对", "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302
    assert client.get(response.location).status_code == 200

    login(client, "tax1")  # of another department: the case is theirs only while delegated
    assert unread_about(client, case_no), "the delegate is told"
    page = page_text(client, f"/tasks/{handling}")
    form = {k: str(v) for k, v in LICENCE.items()} | {"csrf_token": csrf_token(page)}
    response = client.post(f"/tasks/{handling}", data=form)
    assert response.status_code == 302
    landed = client.get(response.location)
    assert landed.status_code == 200, response.location  # not the 404 of a task handed back
    assert response.location.endswith("/tasks")
    assert unread_about(client, case_no) == [], "the delegate's notification closed itself"

    # the owner's "delegated back" notification stays until they complete the task
    login(client, "amr1")
    assert any("请审核后办理" in n for n in unread_about(client, case_no))
    page = page_text(client, f"/tasks/{handling}")
    form = {k: str(v) for k, v in LICENCE.items()} | {"csrf_token": csrf_token(page)}
    assert client.post(f"/tasks/{handling}", data=form).status_code == 302
    assert unread_about(client, case_no) == []


def unread_about(client: FlaskClient, case_no: str) -> list[str]:
    page = page_text(client, "/notifications?unread=1")
    return [
        text_of(row)
        for row in re.findall(r'<tr class="unread">(.*?)</tr>', page, re.S)
        if case_no in row
    ]


def test_a_claim_closes_the_colleagues_new_task_notification(
    client: FlaskClient, desk: Desk
) -> None:
    case_no, intake = desk.start_case("青山认领商贸有限公司")
    login(client, "window2")
    assert unread_about(client, case_no), "受理 was announced to the whole window"
    assert desk.window.post(f"/tasks/{intake}/claim").status_code == 200
    assert unread_about(client, case_no) == []
