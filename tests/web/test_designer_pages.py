"""The process designer's pages (流程设计): who may open them, creating a model, the form preview
that uses the clerks' renderer, the API token for the page scripts, downloads and running cases.

The editors themselves run in the browser (tests/browser/test_designer.py); here the server
side: pages, JSON routes and their refusals.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from sqlalchemy import select

from engine import models
from engine.definitions import validate_model
from engine.services.models import department_lookup

from .conftest import csrf_token, login

INDIVIDUAL = "individual_business"
PREVIEW_SCHEMA = {
    "title": "营业执照审核",
    "type": "object",
    "required": ["decision"],
    "properties": {
        "company_name": {"type": "string", "title": "企业名称"},
        "decision": {
            "type": "string",
            "title": "审查结论",
            "oneOf": [
                {"const": "approve", "title": "核准登记"},
                {"const": "reject", "title": "不予许可"},
            ],
        },
    },
}


def new_key(prefix: str = "designer_test") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def page_config(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="designer-config">(.*?)</script>', html)
    assert found, "page has no designer-config"
    return json.loads(found.group(1))


def csrf_of(client, path: str = "/designer/") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


# ---- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/designer/",
        f"/designer/models/{INDIVIDUAL}",
        f"/designer/models/{INDIVIDUAL}/history",
        f"/designer/models/{INDIVIDUAL}/live",
        f"/designer/models/{INDIVIDUAL}/cases",
    ],
)
def test_pages_send_anonymous_visitors_to_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/designer/",
        f"/designer/models/{INDIVIDUAL}",
        f"/designer/models/{INDIVIDUAL}/history",
        f"/designer/models/{INDIVIDUAL}/live",
        f"/designer/models/{INDIVIDUAL}/cases",
        f"/designer/decisions/{INDIVIDUAL}/rules.dmn",
        f"/designer/models/{INDIVIDUAL}/versions/1/files/{INDIVIDUAL}.bpmn",
    ],
)
def test_a_window_clerk_gets_403(client, path):
    login(client, "window1")
    response = client.get(path)
    assert response.status_code == 403
    assert "没有执行此操作的权限" in response.get_data(as_text=True)


def test_a_window_clerk_may_not_post_either(client):
    login(client, "window1")
    token = csrf_of(client, "/tasks")
    headers = {"X-CSRFToken": token}
    assert client.post("/designer/token", headers=headers).status_code == 403
    preview = client.post(
        "/designer/forms/preview", json={"schema": PREVIEW_SCHEMA}, headers=headers
    )
    assert preview.status_code == 403
    created = client.post(
        "/designer/models", data={"key": new_key(), "name": "x", "csrf_token": token}
    )
    assert created.status_code == 403


def test_the_nav_link_shows_for_designers_and_admins_only(client):
    login(client, "window1")
    assert "流程设计" not in client.get("/tasks").get_data(as_text=True)
    for username in ("designer1", "admin"):
        login(client, username)
        html = client.get("/tasks").get_data(as_text=True)
        assert 'href="/designer/"' in html and "流程设计" in html


# ---- pages --------------------------------------------------------------------------------------


def test_model_list_shows_the_demo_models_and_the_new_model_form(client):
    login(client, "designer1")
    response = client.get("/designer/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "个体工商户设立登记" in html
    assert f'href="/designer/models/{INDIVIDUAL}"' in html
    assert "新建模型" in html and 'name="key"' in html and 'name="copy_from"' in html
    assert 'aria-current="page">流程设计' in html


def test_modeler_page_carries_what_the_side_panel_needs(client):
    login(client, "designer1")
    response = client.get(f"/designer/models/{INDIVIDUAL}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "/vendor/bpmn-js/bpmn-modeler.production.min.js" in html
    assert 'name="csrf-token"' in html
    config = page_config(html)
    assert config["key"] == INDIVIDUAL
    assert config["api"] == "/api/v1"
    assert config["token_url"] == "/designer/token"
    assert config["preview_url"] == "/designer/forms/preview"
    assert "综合受理窗口" in config["departments"] and "市场监督管理局" in config["departments"]
    assert [r["value"] for r in config["roles"]] == ["window", "reviewer", "approver"]
    assert [c["value"] for c in config["clocks"]] == ["", "start", "pause", "resume", "stop"]
    assert [r["value"] for r in config["results"]] == [str(code) for code in range(8)]
    assert config["results"][6]["label"] == "6 准予许可"
    assert config["texts"]["form_none"] == "无需表单"


def test_modeler_page_in_english(client):
    login(client, "designer1")
    html = client.get(f"/designer/models/{INDIVIDUAL}?lang=en").get_data(as_text=True)
    assert "Save draft" in html and "Element properties" in html
    assert page_config(html)["texts"]["form_none"] == "No form needed"


def test_history_and_live_pages_render(client):
    login(client, "designer1")
    history = client.get(f"/designer/models/{INDIVIDUAL}/history").get_data(as_text=True)
    assert "版本历史" in history and "v1" in history and "办件迁移" in history
    assert f"/designer/models/{INDIVIDUAL}/versions/1/files/forms/supplement.schema.json" in history
    live = client.get(f"/designer/models/{INDIVIDUAL}/live").get_data(as_text=True)
    assert "bpmn-navigated-viewer.production.min.js" in live and 'id="live-canvas"' in live


def test_decision_page_loads_dmn_js(client):
    login(client, "designer1")
    response = client.get(f"/designer/decisions/{INDIVIDUAL}/fee_rules.dmn")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "/vendor/dmn-js/dmn-modeler.production.min.js" in html
    assert 'data-file="fee_rules.dmn"' in html
    assert client.get(f"/designer/decisions/{INDIVIDUAL}/notes.txt").status_code == 404


def test_unknown_model_is_404(client):
    login(client, "designer1")
    assert client.get("/designer/models/no_such_model").status_code == 404


def test_the_editors_assets_are_served(client):
    assert client.get("/vendor/dmn-js/dmn-modeler.production.min.js").status_code == 200
    assert client.get("/vendor/dmn-js/assets/dmn-js-decision-table.css").status_code == 200
    assert client.get("/vendor/bpmn-js/bpmn-modeler.production.min.js").status_code == 200
    descriptor = client.get("/static/designer/spiffworkflow-moddle.json").get_json()
    assert descriptor["uri"] == "http://spiffworkflow.org/bpmn/schema/1.0/core"
    assert {t["name"] for t in descriptor["types"]} == {"Properties", "Property"}


# ---- creating a model ---------------------------------------------------------------------------


def test_new_model_is_a_deployable_starter_draft(client, uow):
    login(client, "designer1")
    key = new_key()
    response = client.post(
        "/designer/models", data={"key": key, "name": "食品经营许可", "csrf_token": csrf_of(client)}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/designer/models/{key}")
    with uow() as work:
        draft = work.session.get(models.ModelDraft, key)
        assert draft is not None and draft.updated_by == "designer1"
        files = dict(draft.files)
        validated = validate_model(files, department_lookup(work))
    assert list(files) == [f"{key}.bpmn"]
    assert validated.process_id == key and validated.name == "食品经营许可"
    assert validated.task_meta["intake"]["department"] == "window"
    assert validated.task_meta["intake"]["role"] == "window"
    assert 'name="form" value="none"' in files[f"{key}.bpmn"]
    assert "bpmndi:BPMNShape" in files[f"{key}.bpmn"]

    listed = client.get("/designer/").get_data(as_text=True)
    assert key in listed and "食品经营许可" in listed and "有草稿（designer1）" in listed
    assert client.get(f"/designer/models/{key}").status_code == 200


def test_new_model_can_copy_a_demo_model(client, uow):
    login(client, "designer1")
    key = new_key("copy")
    response = client.post(
        "/designer/models",
        data={
            "key": key,
            "name": "个体工商户设立登记（试行）",
            "copy_from": INDIVIDUAL,
            "csrf_token": csrf_of(client),
        },
    )
    assert response.status_code == 302
    with uow() as work:
        files = dict(work.session.get(models.ModelDraft, key).files)
        validated = validate_model(files, department_lookup(work))
    assert f"{key}.bpmn" in files and "forms/instant_decide.schema.json" in files
    assert validated.process_id == key
    assert validated.name == "个体工商户设立登记（试行）"
    assert f'processRef="{key}"' in files[f"{key}.bpmn"]
    assert 'name="formJsonSchemaFilename"' in files[f"{key}.bpmn"]


@pytest.mark.parametrize(
    ("key", "name", "message"),
    [
        ("Bad-Key", "名称", "模型标识须以小写字母开头"),
        ("ok_key_but_no_name", "", "请填写模型名称"),
        (INDIVIDUAL, "重复", f"模型标识 {INDIVIDUAL} 已存在"),
    ],
)
def test_new_model_refuses_bad_input(client, key, name, message):
    login(client, "designer1")
    response = client.post(
        "/designer/models", data={"key": key, "name": name, "csrf_token": csrf_of(client)}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html


def test_new_model_needs_the_csrf_token(client):
    login(client, "designer1")
    response = client.post("/designer/models", data={"key": new_key(), "name": "x"})
    assert response.status_code == 400


# ---- the form preview ---------------------------------------------------------------------------


def test_form_preview_renders_fields_with_the_clerks_renderer(client):
    login(client, "designer1")
    ui = {"decision": {"ui:widget": "radio"}, "ui:order": ["company_name", "decision"]}
    response = client.post(
        "/designer/forms/preview",
        json={"schema": PREVIEW_SCHEMA, "ui_schema": ui},
        headers={"X-CSRFToken": csrf_of(client)},
    )
    assert response.status_code == 200, response.get_json()
    html = response.get_json()["html"]
    assert 'name="company_name"' in html and 'id="field-company_name"' in html
    assert "企业名称" in html
    assert html.count('type="radio"') == 2 and "核准登记" in html
    assert html.index("company_name") < html.index("decision")


def test_form_preview_refuses_an_invalid_schema_with_its_message(client):
    login(client, "designer1")
    broken = {"type": "object", "properties": {"x": {"type": "nope"}}}
    response = client.post(
        "/designer/forms/preview",
        json={"schema": broken},
        headers={"X-CSRFToken": csrf_of(client)},
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_schema"
    assert "'nope' is not valid" in error["message"]
    assert error["details"]["path"] == "properties/x/type"


@pytest.mark.parametrize("body", [[], {"schema": "text"}, {"schema": {}, "ui_schema": []}])
def test_form_preview_refuses_a_body_that_is_not_a_schema(client, body):
    login(client, "designer1")
    response = client.post(
        "/designer/forms/preview", json=body, headers={"X-CSRFToken": csrf_of(client)}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["message"]


def test_form_preview_needs_the_csrf_token(client):
    login(client, "designer1")
    response = client.post("/designer/forms/preview", json={"schema": PREVIEW_SCHEMA})
    assert response.status_code == 400


# ---- the API token for the page scripts ---------------------------------------------------------


def count_tokens(uow) -> int:
    with uow() as work:
        return len(work.session.scalars(select(models.ApiToken.token_hash)).all())


def test_token_route_needs_csrf(client, uow):
    login(client, "designer1")
    before = count_tokens(uow)
    response = client.post("/designer/token")
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert count_tokens(uow) == before, "no token may be issued without the page's CSRF token"


def test_token_route_issues_a_working_api_token(client):
    login(client, "designer1")
    response = client.post("/designer/token", headers={"X-CSRFToken": csrf_of(client)})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert response.headers["Cache-Control"] == "no-store"
    listed = client.get(
        "/api/v1/process-models?per_page=200", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert listed.status_code == 200
    assert INDIVIDUAL in [m["key"] for m in listed.get_json()["items"]]


def test_token_route_is_for_logged_in_users(client):
    response = client.post("/designer/token")
    assert response.status_code in (302, 400)
    assert "token" not in (response.get_json(silent=True) or {})


# ---- downloads and running cases ----------------------------------------------------------------


def test_version_files_download(client):
    login(client, "designer1")
    response = client.get(
        f"/designer/models/{INDIVIDUAL}/versions/1/files/forms/supplement.schema.json"
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert (
        "individual_business-v1-forms_supplement.schema.json"
        in (response.headers["Content-Disposition"])
    )
    assert response.get_json()["type"] == "object"
    missing = client.get(f"/designer/models/{INDIVIDUAL}/versions/1/files/forms/none.json")
    assert missing.status_code == 404


def test_running_cases_of_a_model_for_the_migration_panel(client, api, uow):
    window = api("window1")
    with uow() as work:
        code = work.session.scalar(
            select(models.ServiceItem.code).where(models.ServiceItem.process_key == INDIVIDUAL)
        )
    applicant = {
        "kind": "person",
        "name": "张三",
        "id_type": "居民身份证",
        "id_number": "330102199001011234",
        "phone": "13800000000",
    }
    started = window.post("/cases", json={"service_item": code, "applicant": applicant})
    assert started.status_code == 201, started.get_json()
    case_no = started.get_json()["case_no"]

    login(client, "designer1")
    response = client.get(f"/designer/models/{INDIVIDUAL}/cases")
    assert response.status_code == 200
    items = {c["case_no"]: c for c in response.get_json()["items"]}
    assert case_no in items
    case = items[case_no]
    assert case["version"] >= 1 and case["status"] == "running"
    assert case["status_label"] == "办理中"
    assert case["open_steps"] == ["受理并当场办结"]
    assert "applicant" not in case and "张三" not in response.get_data(as_text=True)
