"""Task operations, 抄送, comments and notifications over the REST API and the pages."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from web import create_app

from .conftest import csrf_token, login
from .test_api_journey import LICENCE, complete, parallel_step_data, start_enterprise_case

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def ops_app(database_url: str, sessions, tmp_path_factory) -> Iterator[Flask]:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "test-key",
            "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        }
    )
    yield app
    app.extensions["onewindow.engine"].dispose()


@pytest.fixture
def client(ops_app: Flask) -> FlaskClient:
    return ops_app.test_client()


def accepted(api) -> str:
    case_no, _ = start_enterprise_case(api)
    window = api("window1")
    complete(window, window.task_named(case_no, "受理"), {"decision": "accept"})
    return case_no


def to_delivery(api) -> str:
    case_no = accepted(api)
    complete(api("amr1"), api("amr1").task_named(case_no, "营业执照承办"), LICENCE)
    chief = api("amr_chief")
    complete(chief, chief.task_named(case_no, "营业执照审核"), {"decision": "approve"})
    for username in ("psb1", "tax1", "hrss1"):
        clerk = api(username)
        [task] = clerk.open_tasks(case_no)
        complete(clerk, task, parallel_step_data(task["name"]))
    return case_no


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


# ----- 退回 -------------------------------------------------------------------------------------


def test_return_from_delivery_into_one_parallel_branch_over_the_api(api):
    case_no = to_delivery(api)
    window, tax = api("window1"), api("tax1")
    delivery = window.task_named(case_no, "出件")

    assert api().get(f"/tasks/{delivery['id']}/return-targets").status_code == 401
    targets = window.get(f"/tasks/{delivery['id']}/return-targets").get_json()
    assert {"items", "total", "page", "per_page"} <= set(targets)
    assert [t["to"] for t in targets["items"]][:3] == [
        "intake",
        "licence_handle",
        "licence_approve",
    ]
    assert {"seal", "invoice", "social_insurance"} <= {t["to"] for t in targets["items"]}

    bad = window.post(f"/tasks/{delivery['id']}/return", json={"to": "deliver", "reason": "x"})
    assert bad.status_code == 422 and "to" in bad.get_json()["error"]["details"]["fields"]
    missing = window.post(f"/tasks/{delivery['id']}/return", json={"to": "invoice"})
    assert missing.status_code == 422
    assert tax.post(
        f"/tasks/{delivery['id']}/return", json={"to": "invoice", "reason": "x"}
    ).status_code in (403, 404)

    response = window.post(
        f"/tasks/{delivery['id']}/return", json={"to": "invoice", "reason": "发票份数应为 50"}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["task"]["name"] == "发票申领" and body["task"]["assignee"] == "tax1"
    assert [t["name"] for t in body["case"]["open_tasks"]] == ["发票申领"]
    again = window.post(f"/tasks/{delivery['id']}/return", json={"to": "invoice", "reason": "x"})
    assert again.status_code == 409

    invoice = tax.task_named(case_no, "发票申领")
    operations = tax.get(f"/tasks/{invoice['id']}/operations").get_json()
    assert operations["returned"]["reason"] == "发票份数应为 50"
    notes = tax.get("/notifications?unread=1&per_page=200").get_json()["items"]
    assert any(n["kind"] == "returned" and "发票份数应为 50" in n["message"] for n in notes)
    form_data = tax.get(f"/tasks/{invoice['id']}").get_json()["data"]
    assert form_data["invoice_quantity"] == 25, "the earlier submission is the draft"

    complete(tax, invoice, {**parallel_step_data("发票申领"), "invoice_quantity": 50})
    done = complete(
        window,
        window.task_named(case_no, "出件"),
        {"delivery_method": "窗口领取", "recipient": "张三"},
    )
    assert done["case"]["status"] == "finished"
    events = window.get(f"/cases/{case_no}").get_json()["events"]
    [returned] = [e for e in events if e["action"] == "return"]
    assert returned["task"] == "发票申领" and returned["detail"]["reason"] == "发票份数应为 50"


# ----- 转办, 委派, 加签, 减签, 撤回, 催办 ---------------------------------------------------------


def test_transfer_and_delegate_statuses(api):
    case_no, _ = start_enterprise_case(api)
    window1, window2 = api("window1"), api("window2")
    intake = window1.task_named(case_no, "受理")
    assert window1.post(f"/tasks/{intake['id']}/claim").status_code == 200
    assert (
        window2.post(f"/tasks/{intake['id']}/transfer", json={"to_user": "window2"}).status_code
        == 403
    )
    wrong = window1.post(f"/tasks/{intake['id']}/transfer", json={"to_user": "amr1"})
    assert wrong.status_code == 422 and error_code(wrong) == "validation_failed"
    assert window1.post(f"/tasks/{intake['id']}/transfer", json={}).status_code == 422
    moved = window1.post(
        f"/tasks/{intake['id']}/transfer", json={"to_user": "window2", "reason": "换班"}
    )
    assert moved.status_code == 200 and moved.get_json()["task"]["assignee"] == "window2"

    handed = window2.post(
        f"/tasks/{intake['id']}/delegate", json={"to_user": "window1", "note": "帮我看看"}
    )
    assert handed.status_code == 200
    assert handed.get_json()["task"]["owner"] == "window2"
    assert (
        window2.post(f"/tasks/{intake['id']}/delegate", json={"to_user": "window1"}).status_code
        == 409
    )
    back = complete(window1, intake, {"decision": "accept", "materials_checked": True})
    assert back["next_tasks"] == []
    assert window2.get(f"/tasks/{intake['id']}").get_json()["assignee"] == "window2"
    complete(window2, intake, {"decision": "accept", "materials_checked": True})
    assert api("amr1").task_named(case_no, "营业执照承办")


def test_add_sign_remove_sign_and_the_signer_answers_through_complete(api):
    case_no, _ = start_enterprise_case(api)
    window1, window2 = api("window1"), api("window2")
    intake = window1.task_named(case_no, "受理")
    assert (
        window1.post(
            f"/tasks/{intake['id']}/add-sign", json={"users": ["window2"], "position": "sideways"}
        ).status_code
        == 422
    )
    assert (
        window1.post(
            f"/tasks/{intake['id']}/add-sign", json={"users": ["ghost"], "position": "before"}
        ).status_code
        == 422
    )
    added = window1.post(
        f"/tasks/{intake['id']}/add-sign",
        json={"users": ["window2", "commissioner1"], "position": "before"},
    )
    assert added.status_code == 422, "a service commissioner does not work cases"
    added = window1.post(
        f"/tasks/{intake['id']}/add-sign", json={"users": ["window2", "amr1"], "position": "before"}
    )
    assert added.status_code == 200, added.get_json()
    assert added.get_json()["task"]["state"] == "waiting_sign"
    assert (
        window1.post(
            f"/tasks/{intake['id']}/complete", json={"data": {"decision": "accept"}}
        ).status_code
        == 409
    )
    assert (
        window1.post(f"/tasks/{intake['id']}/remove-sign", json={"users": ["nr1"]}).status_code
        == 422
    )
    assert (
        window1.post(f"/tasks/{intake['id']}/remove-sign", json={"users": ["amr1"]}).status_code
        == 200
    )
    sign = window2.task_named(case_no, "受理（加签）")
    answered = window2.post(
        f"/tasks/{sign['id']}/complete", json={"data": {"decision": "approve", "opinion": "同意"}}
    )
    assert answered.status_code == 200
    ops = window1.get(f"/tasks/{intake['id']}/operations").get_json()
    assert ops["state"] == "claimed"
    assert [s["decision"] for s in ops["signs"] if s["user"] == "window2"] == ["approve"]
    complete(window1, intake, {"decision": "accept", "materials_checked": True})


def test_withdraw_and_urge(api):
    case_no, _ = start_enterprise_case(api)
    window1, amr1 = api("window1"), api("amr1")
    intake = window1.task_named(case_no, "受理")
    complete(window1, intake, {"decision": "accept", "materials_checked": True})
    assert api("window2").post(f"/tasks/{intake['id']}/withdraw").status_code == 403
    withdrawn = window1.post(f"/tasks/{intake['id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert withdrawn.get_json()["task"]["state"] == "claimed"
    assert window1.post(f"/tasks/{intake['id']}/withdraw").status_code == 409

    complete(window1, intake, {"decision": "accept", "materials_checked": True})
    handle = amr1.task_named(case_no, "营业执照承办")
    urged = window1.post(f"/tasks/{handle['id']}/urge", json={"note": "申请人在等"})
    assert urged.status_code == 200 and urged.get_json()["notified"] == ["amr1"]
    assert api("nr1").post(f"/tasks/{handle['id']}/urge", json={}).status_code == 404
    assert amr1.post(f"/tasks/{handle['id']}/claim").status_code == 200
    touched = window1.post(f"/tasks/{intake['id']}/withdraw")
    assert touched.status_code == 409 and error_code(touched) == "next_step_touched"
    notes = amr1.get("/notifications?per_page=200").get_json()["items"]
    assert any(n["kind"] == "urged" and "申请人在等" in n["message"] for n in notes)
    assert window1.post(f"/tasks/{intake['id']}/urge", json={}).status_code == 409


# ----- 抄送, comments, notifications -----------------------------------------------------------


def test_cc_makes_the_case_readable_and_lists_it(api):
    case_no, _ = start_enterprise_case(api)
    window, designer = api("window1"), api("designer1")
    assert designer.get(f"/cases/{case_no}").status_code == 404
    assert window.post(f"/cases/{case_no}/cc", json={"users": []}).status_code == 422
    outside = window.post(f"/cases/{case_no}/cc", json={"users": ["nr1", "designer1"]})
    assert outside.status_code == 422, "自然资源局 takes no part in the case"
    assert outside.get_json()["error"]["details"]["outside"] == ["nr1"]
    copied = window.post(f"/cases/{case_no}/cc", json={"users": ["designer1"], "note": "请知悉"})
    assert copied.status_code == 201
    assert designer.get(f"/cases/{case_no}").status_code == 200
    listed = designer.get("/cc?per_page=200").get_json()
    mine = [c for c in listed["items"] if c["case_no"] == case_no]
    assert mine and mine[0]["note"] == "请知悉" and not mine[0]["read"]
    assert designer.post(f"/cc/{mine[0]['id']}/read").get_json()["read"]
    assert api("tax1").post(f"/cc/{mine[0]['id']}/read").status_code == 404
    assert not [
        c for c in designer.get("/cc?unread=1").get_json()["items"] if c["case_no"] == case_no
    ]
    assert (
        api("tax1").post(f"/cases/{case_no}/cc", json={"users": ["designer1"]}).status_code == 404
    )


def test_comments_with_attachments(api):
    case_no, _ = start_enterprise_case(api)
    window = api("window1")
    headers = {"Authorization": f"Bearer {window.token}"}
    post = window.client.post
    path = f"/api/v1/cases/{case_no}/comments"
    response = post(
        path,
        headers=headers,
        data={
            "text": "核查意见见附件",
            "files": [(io.BytesIO(PDF), "意见.pdf"), (io.BytesIO(xlsx_bytes()), "核查表.xlsx")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    comment = response.get_json()
    assert [f["filename"] for f in comment["files"]] == ["意见.pdf", "核查表.xlsx"]
    download = window.client.get(comment["files"][0]["url"], headers=headers)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]
    assert api("nr1").get(comment["files"][0]["url"].removeprefix("/api/v1")).status_code == 404
    listed = api("window2").get(f"/cases/{case_no}/comments").get_json()
    assert listed["total"] == 1 and listed["items"][0]["files"][1]["url"].endswith("/files/2")

    def upload(name: str, data: bytes, text: str = "x"):
        return post(
            path,
            headers=headers,
            data={"text": text, "files": [(io.BytesIO(data), name)]},
            content_type="multipart/form-data",
        )

    too_big = upload("big.pdf", PDF + b"0" * (10 * 1024 * 1024))
    assert too_big.status_code == 413 and error_code(too_big) == "too_large"
    exe = upload("setup.exe", b"MZ\x90\x00\x03")
    assert exe.status_code == 415 and error_code(exe) == "unsupported_media_type"
    assert upload("fake.pdf", b"PK\x03\x04broken").status_code == 415
    empty = post(path, headers=headers, data={"text": " "}, content_type="multipart/form-data")
    assert empty.status_code == 422
    assert window.post(f"/cases/{case_no}/comments", json={"text": "纯文字意见"}).status_code == 201


def test_notifications_list_and_read(api):
    case_no = accepted(api)
    amr1 = api("amr1")
    unread = amr1.get("/notifications?unread=1&per_page=200")
    assert unread.status_code == 200 and int(unread.headers["X-Unread-Count"]) >= 1
    note = next(
        n for n in unread.get_json()["items"] if n["case_no"] == case_no and n["kind"] == "new_task"
    )
    assert api("amr_chief").post(f"/notifications/{note['id']}/read").status_code == 404
    read = amr1.post(f"/notifications/{note['id']}/read")
    assert read.status_code == 200 and read.get_json()["read"]
    assert amr1.post("/notifications/read-all").status_code == 200
    assert amr1.get("/notifications?unread=1").get_json()["total"] == 0


def test_openapi_documents_the_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/tasks/{task_id}/return-targets",
        "/api/v1/tasks/{task_id}/return",
        "/api/v1/tasks/{task_id}/transfer",
        "/api/v1/tasks/{task_id}/delegate",
        "/api/v1/tasks/{task_id}/add-sign",
        "/api/v1/tasks/{task_id}/remove-sign",
        "/api/v1/tasks/{task_id}/withdraw",
        "/api/v1/tasks/{task_id}/urge",
        "/api/v1/cases/{case_no}/cc",
        "/api/v1/cc",
        "/api/v1/cases/{case_no}/comments",
        "/api/v1/notifications",
    ):
        assert path in paths, path


# ----- the pages -------------------------------------------------------------------------------


def test_the_task_page_returns_a_case_and_the_earlier_step_shows_the_reason(api, client):
    case_no = accepted(api)
    amr1 = api("amr1")
    complete(amr1, amr1.task_named(case_no, "营业执照承办"), LICENCE)
    review = api("amr_chief").task_named(case_no, "营业执照审核")

    login(client, "amr_chief")
    page = client.get(f"/tasks/{review['id']}").get_data(as_text=True)
    assert "办理操作" in page and 'action="/tasks/' in page
    section = page[page.index('id="operations"') :]
    assert '<option value="licence_handle">' in section and 'name="csrf_token"' in section
    refused = client.post(
        f"/tasks/{review['id']}/return", data={"to": "licence_handle", "reason": "x"}
    )
    assert refused.status_code == 400, "no CSRF token, no return"
    response = client.post(
        f"/tasks/{review['id']}/return",
        data={
            "to": "licence_handle",
            "reason": "注册资本与章程不一致",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 302

    handle = amr1.task_named(case_no, "营业执照承办")
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login(client, "amr1")
    page = client.get(f"/tasks/{handle['id']}").get_data(as_text=True)
    assert "退回原因" in page and "注册资本与章程不一致" in page
    assert re.search(r'class="badge badge-ready nav-unread"[^>]*>\d+<', page), "消息 shows a count"
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "注册资本与章程不一致" in inbox
    assert "抄送我的" in inbox


def test_the_case_page_copies_comments_and_withdraws(api, client):
    case_no, _ = start_enterprise_case(api)
    window = api("window1")
    intake = window.task_named(case_no, "受理")
    complete(window, intake, {"decision": "accept", "materials_checked": True})

    login(client, "window1")
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    section = page[page.index('id="case-operations"') :]
    assert "意见与附件" in section and 'enctype="multipart/form-data"' in section
    assert f'action="/tasks/{intake["id"]}/withdraw"' in section
    token = csrf_token(page)
    posted = client.post(
        f"/cases/{case_no}/comments",
        data={
            "text": "已电话联系申请人",
            "files": [(io.BytesIO(PDF), "记录.pdf")],
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert posted.status_code == 302
    copied = client.post(
        f"/cases/{case_no}/cc",
        data={"users": "designer1, office1", "note": "", "csrf_token": token},
    )
    assert copied.status_code == 302
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "已电话联系申请人" in page and "记录.pdf" in page and "designer1" in page
    link = re.search(r'href="(/cases/[^"]+/comments/\d+/files/1)"', page).group(1)
    assert client.get(link).data == PDF

    withdrawn = client.post(
        f"/tasks/{intake['id']}/withdraw", data={"case_no": case_no, "csrf_token": token}
    )
    assert withdrawn.status_code == 302 and withdrawn.headers["Location"].endswith(intake["id"])
    assert window.task_named(case_no, "受理")["assignee"] == "window1"

    client.post("/logout", data={"csrf_token": token})
    login(client, "designer1")
    copies = client.get("/cc").get_data(as_text=True)
    assert case_no in copies
    assert client.get(f"/cases/{case_no}").status_code == 200
