"""事项目录 pages (/designer/catalogue): administrators create and edit service items and bind a
deployed model, through the same ``save_item`` rules as PUT /api/v1/service-items/{code}."""

from __future__ import annotations

import json
import uuid

from engine import models

from .conftest import csrf_token, login

ENTERPRISE_ITEM = "11339901MB1622039G4000120010000001"  # 企业开办


def new_item_form(client, **changes: str) -> dict[str, object]:
    page = client.get("/designer/catalogue/new")
    assert page.status_code == 200
    suffix = uuid.uuid4().hex[:8]
    form: dict[str, object] = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "code": f"TEST-{suffix}",
        "name": f"目录测试事项{suffix}",
        "item_type": "01",
        "case_type": "promised",
        "process_key": "individual_business",
        "implementing_body": "青山县市场监督管理局",
        "legal_limit_days": "20",
        "legal_limit_unit": "working_day",
        "promised_limit_days": "5",
        "promised_limit_unit": "working_day",
        "departments": ["window", "amr"],
        "guide": json.dumps({"materials": [{"name": "申请书", "originals": 1}]}),
    }
    form.update(changes)
    return form


def test_an_administrator_creates_an_item_bound_to_a_deployed_model(client, uow) -> None:
    login(client, "admin")
    form = new_item_form(client)
    response = client.post("/designer/catalogue/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].endswith(f"/designer/catalogue/{form['code']}")
    with uow() as work:
        item = work.session.get(models.ServiceItem, form["code"])
        assert item is not None and item.process_key == "individual_business"
        assert item.departments == ["window", "amr"]
        assert item.guide["promised_limit"] == {"days": 5, "unit": "working_day"}
        assert item.guide["materials"] == [{"name": "申请书", "originals": 1}]
    listing = client.get("/designer/catalogue").get_data(as_text=True)
    assert form["name"] in listing and "个体工商户设立登记" in listing
    # the new item reaches the public catalogue and the window at once
    assert form["name"] in client.get("/public/").get_data(as_text=True)


def test_editing_keeps_the_guide_and_refuses_what_the_catalogue_cannot_hold(client, uow) -> None:
    login(client, "admin")
    page = client.get(f"/designer/catalogue/{ENTERPRISE_ITEM}").get_data(as_text=True)
    assert 'value="企业开办"' in page and "acceptance_conditions" in page
    assert '<option value="enterprise_startup" selected>' in page
    token = csrf_token(page)
    form = new_item_form(
        client, csrf_token=token, name="企业开办", process_key="enterprise_startup"
    )
    del form["code"]
    form["promised_limit_days"] = "30"  # more than the legal 20
    refused = client.post(f"/designer/catalogue/{ENTERPRISE_ITEM}", data=form)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="promised_limit_days-error">承诺办结时限不得超过法定办结时限' in html

    form.update(promised_limit_days="5", process_key="no_such_model")
    refused = client.post(f"/designer/catalogue/{ENTERPRISE_ITEM}", data=form)
    assert refused.status_code == 422
    assert "请选择一个已部署的流程模型" in refused.get_data(as_text=True)
    with uow() as work:
        assert work.session.get(models.ServiceItem, ENTERPRISE_ITEM).process_key == (
            "enterprise_startup"
        )


def test_designers_see_the_catalogue_but_only_administrators_edit_it(client) -> None:
    login(client, "designer1")
    listing = client.get("/designer/catalogue")
    assert listing.status_code == 200 and "企业开办" in listing.get_data(as_text=True)
    assert client.get(f"/designer/catalogue/{ENTERPRISE_ITEM}").status_code == 403
    assert client.get("/designer/catalogue/new").status_code == 403
