"""The applicant's SMS through the recording gateway: acceptance and finish with a one-time
rating link that opens the rating pad, a 补正 notice with every missing item, nothing personal
beyond the phone it goes to; the outbox page for administrators."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import models
from engine.uow import UnitOfWork

from .conftest import login
from .test_api_journey import complete, item_code, receive_materials
from .test_ratings_api import INSTANT

PERSON = {
    "kind": "person",
    "name": "短信测试人",
    "id_type": "居民身份证",
    "id_number": "330199198001011239",
    "phone": "13700007777",
}


def _messages(sessions: sessionmaker[Session], case_no: str) -> list[tuple[str, str, str]]:
    with UnitOfWork(sessions) as uow:
        rows = uow.session.execute(
            select(models.SmsMessage.kind, models.SmsMessage.phone, models.SmsMessage.text)
            .join(models.Case, models.Case.id == models.SmsMessage.case_id)
            .where(models.Case.case_no == case_no)
            .order_by(models.SmsMessage.id)
        ).all()
    return [tuple(r) for r in rows]


def _start(api, item: str) -> dict:
    window = api("window1")
    response = window.post(
        "/cases", json={"service_item": item_code(window, item), "applicant": PERSON, "data": {}}
    )
    assert response.status_code == 201, response.get_json()
    receive_materials(window, response.get_json()["case_no"])
    return response.get_json()


def test_acceptance_and_finish_messages_carry_a_rating_link(api, app: Flask, sessions) -> None:
    case = _start(api, "个体工商户设立登记")  # 即办件: accepted and finished on the spot
    [task] = case["open_tasks"]
    done = complete(api("window1"), task, INSTANT)
    assert done["case"]["status"] == "finished"
    sent = _messages(sessions, case["case_no"])
    assert [kind for kind, _phone, _text in sent] == ["acceptance", "finish"]
    for _kind, phone, text in sent:
        assert phone == PERSON["phone"]
        assert case["case_no"] in text and text.startswith("【一窗通办】")
        assert PERSON["name"] not in text and PERSON["id_number"] not in text
    for _kind, _phone, text in sent:
        link = re.search(r"http://[^/]+(/pad/[\w-]+)", text)
        assert link, text
        assert app.test_client().get(link.group(1)).status_code == 200


def test_a_supplement_notice_lists_every_missing_item(api, sessions) -> None:
    case = _start(api, "企业开办")
    [task] = case["open_tasks"]
    missing = ["公司章程", "全体股东主体资格证明"]
    data = {"decision": "supplement", "missing_materials": missing, "reason": "材料不全"}
    complete(api("window1"), task, data)
    [(kind, _phone, text)] = _messages(sessions, case["case_no"])
    assert kind == "supplement" and all(m in text for m in missing)
    assert "/pad/" not in text


def test_the_outbox_page_is_for_administrators(client) -> None:
    login(client, "admin")
    page = client.get("/admin/sms/")
    assert page.status_code == 200 and "短信发件箱" in page.get_data(as_text=True)
    login(client, "window1")
    assert client.get("/admin/sms/").status_code == 403
