"""The audit log (安全审计, issue 9 point 11): log-ins, tokens, users and settings, the
administrators' page in Chinese and English, and disabling the account of someone who left."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from engine import models, workdays
from engine.uow import UnitOfWork

from .accounts import PASSWORD, address, new_user, page_login, unique_address
from .conftest import Api, csrf_token, login
from .test_catalogue_api import ITEM

FAR_DAY = date(2041, 3, 5)  # a day no test's deadline reaches


def audit_rows(sessions: sessionmaker[Session], **where: str) -> list[models.AuditEvent]:
    with UnitOfWork(sessions) as uow:
        query = select(models.AuditEvent).order_by(models.AuditEvent.id)
        for column, value in where.items():
            query = query.where(getattr(models.AuditEvent, column) == value)
        return list(uow.session.scalars(query))


def admin_page(app: Flask, path: str) -> str:
    client = app.test_client()
    login(client, "admin")
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_logins_tokens_and_logouts_are_audited(app: Flask, sessions) -> None:
    username = new_user(sessions)
    where = unique_address()
    client = app.test_client()
    assert page_login(client, username, "wrong", where).status_code == 401
    assert page_login(client, username, PASSWORD, where).status_code == 302
    html = client.get("/tasks", **address(where)).get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(html)}, **address(where))

    issued = client.post(
        "/api/v1/auth/token", json={"username": username, "password": PASSWORD}, **address(where)
    )
    bearer = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    assert client.delete("/api/v1/auth/token", headers=bearer).status_code == 204

    rows = audit_rows(sessions, actor=username)
    assert [r.action for r in rows] == [
        "login_failed",
        "login",
        "logout",
        "login",
        "token_issued",
        "token_revoked",
    ]
    assert rows[0].detail == {"reason": "wrong_password"}
    assert {r.address for r in rows[:5]} == {where}, "the client address is kept"
    assert rows[4].target == rows[5].target and rows[4].target.startswith("token:")

    page = admin_page(app, f"/admin/audit?actor={username}")
    assert page.count("<tr data-action=") == 6
    assert "登录失败" in page and "密码错误" in page and "吊销令牌" in page
    english = admin_page(app, f"/admin/audit?actor={username}&action=login_failed&lang=en")
    assert "Security audit" in english and "Log-in failed" in english
    assert "wrong password" in english and english.count("<tr data-action=") == 1


def test_changes_to_items_chains_and_the_calendar_are_audited(app: Flask, api, sessions) -> None:
    admin: Api = api("admin")
    code = f"AUDIT-{uuid.uuid4().hex[:8]}"
    item = {**ITEM, "name": f"审计测试事项{code}"}
    headers = {"Authorization": f"Bearer {admin.token}"}
    saved = admin.client.put(f"/api/v1/service-items/{code}", json=item, headers=headers)
    assert saved.status_code == 201, saved.get_json()

    key = f"audit.{uuid.uuid4().hex[:8]}"
    levels = [{"name": "科长审核", "assignees": {"rule": "role", "value": "approver"}}]
    chain = admin.client.put(
        f"/api/v1/approval-chains/{key}",
        json={"department": "amr", "levels": levels},
        headers=headers,
    )
    assert chain.status_code == 201, chain.get_json()

    client = app.test_client()
    login(client, "admin")
    token = csrf_token(client.get("/admin/calendar").get_data(as_text=True))
    entry = {"day": FAR_DAY.isoformat(), "kind": "holiday", "name": "审计测试", "source": "测试"}
    try:
        posted = client.post("/admin/calendar", data={**entry, "csrf_token": token})
        assert posted.status_code == 302
    finally:
        with UnitOfWork(sessions) as uow:
            uow.session.execute(delete(models.CalendarDay).where(models.CalendarDay.day == FAR_DAY))
        workdays.forget()

    [item_row] = audit_rows(sessions, action="service_item_saved", target=code)
    [chain_row] = audit_rows(sessions, action="approval_chain_saved", target=key)
    day_rows = audit_rows(sessions, action="calendar_day_set", target=FAR_DAY.isoformat())
    assert (item_row.actor, item_row.detail) == ("admin", {"created": True})
    assert (chain_row.actor, chain_row.detail) == ("admin", {"version": 1})
    assert day_rows[-1].actor == "admin" and day_rows[-1].detail["kind"] == "holiday"


def test_disabling_a_user_who_left_ends_everything_they_hold(app: Flask, sessions) -> None:
    username = new_user(sessions)
    browser = app.test_client()
    assert page_login(browser, username).status_code == 302
    issued = app.test_client().post(
        "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
    )
    bearer = {"Authorization": f"Bearer {issued.get_json()['token']}"}

    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/users/").get_data(as_text=True)
    assert f'data-username="{username}"' in page
    disabled = admin.post(
        f"/admin/users/{username}/active", data={"active": "0", "csrf_token": csrf_token(page)}
    )
    assert disabled.status_code == 302

    assert browser.get("/tasks").status_code == 302, "the open session ends"
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401
    refused = page_login(app.test_client(), username, from_address=unique_address())
    assert refused.status_code == 401, "and the user cannot log in again"
    assert "用户名或密码错误" in refused.get_data(as_text=True)

    admin.post(
        f"/admin/users/{username}/active", data={"active": "1", "csrf_token": csrf_token(page)}
    )
    assert page_login(app.test_client(), username, from_address=unique_address()).status_code == 302
    actions = [r.action for r in audit_rows(sessions, target=username, actor="admin")]
    assert actions == ["user_disabled", "user_enabled"]


def test_an_administrator_cannot_disable_themselves(app: Flask, sessions) -> None:
    username = new_user(sessions, roles=("admin",), department="office")
    admin = app.test_client()
    assert page_login(admin, username).status_code == 302
    page = admin.get("/admin/users/").get_data(as_text=True)
    refused = admin.post(
        f"/admin/users/{username}/active", data={"active": "0", "csrf_token": csrf_token(page)}
    )
    assert refused.status_code == 409
    assert admin.get("/admin/users/").status_code == 200


def test_the_audit_page_and_user_list_are_for_administrators(client: FlaskClient) -> None:
    assert client.get("/admin/audit").status_code == 302
    assert client.get("/admin/users/").status_code == 302
