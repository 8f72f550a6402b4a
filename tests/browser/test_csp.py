"""The Content-Security-Policy (web/security.py) breaks none of the pages, in a real Chromium.

Each page is opened with a listener for ``securitypolicyviolation`` installed before any of its
scripts run; a page passes when its rich part works (the bpmn-js and dmn-js editors and viewers,
Swagger UI, the print button) and nothing was blocked.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .api import receive_materials, token
from .conftest import login

pytestmark = pytest.mark.browser

ENTERPRISE_ITEM = "11339901MB1622039G4000120010000001"  # 企业开办
APPLICANT = {
    "kind": "enterprise",
    "name": "青山策略测试商贸有限公司",
    "id_type": "统一社会信用代码",
    "id_number": "91331082MA2K8Q1X32",
    "phone": "13812345678",
}
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline'));
});
"""


@pytest.fixture
def watched(page: Page) -> Page:
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def violations(page: Page) -> list[str]:
    return page.evaluate("() => window.__cspViolations")


def new_case(page: Page) -> dict[str, Any]:
    """A 企业开办 case by window1 through the API, with the ``bearer`` header that made it."""
    bearer = token(page.request, "window1")
    created = page.request.post(
        "/api/v1/cases",
        data={"service_item": ENTERPRISE_ITEM, "applicant": APPLICANT, "data": {}},
        headers=bearer,
    )
    assert created.status == 201, created.text()
    return {**created.json(), "bearer": bearer}


def check(page: Page, path: str, ready: str) -> None:
    """Open ``path``, wait for ``ready`` (the part that needs scripts) and find no violation."""
    page.goto(path)
    expect(page.locator(ready).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert violations(page) == [], path


def test_designer_pages_work_under_the_policy(watched: Page) -> None:
    login(watched, "designer1")
    check(watched, "/designer/", "main")
    check(watched, "/designer/models/individual_business", "#canvas .djs-container svg")
    check(watched, "/designer/models/individual_business/history", "main table")
    check(watched, "/designer/models/individual_business/live", ".djs-container svg")
    check(watched, "/designer/decisions/food_business/food_routing.dmn", "#dmn-canvas .tjs-table")


def test_swagger_ui_works_under_the_policy(watched: Page) -> None:
    check(watched, "/api/v1/docs", ".swagger-ui .opblock")


def test_clerk_admin_and_public_pages_work_under_the_policy(watched: Page) -> None:
    login(watched, "window1")
    case_no = new_case(watched)["case_no"]
    check(watched, f"/cases/{case_no}", ".bpmn-diagram .djs-container svg")
    check(watched, f"/intake/{ENTERPRISE_ITEM}", ".intake-materials")
    check(watched, f"/public/items/{ENTERPRISE_ITEM}", "ol.step-list")
    watched.get_by_text("查看流程图").click()  # the guide's diagram is drawn when unfolded
    expect(watched.locator(".bpmn-diagram .djs-container svg").first).to_be_visible()
    assert violations(watched) == []
    check(watched, "/public/track", "form")

    login(watched, "admin")
    check(watched, "/admin/calendar", ".work-calendar")
    check(watched, "/admin/chains/new?key=csp.check", "#chain-levels")
    check(watched, "/admin/audit", ".audit-log")
    check(watched, "/admin/users/", ".user-list")


def test_the_notice_print_button_works_under_the_policy(watched: Page) -> None:
    login(watched, "window1")
    case = new_case(watched)
    receive_materials(watched.request, case["bearer"], case["case_no"])
    [intake] = [t for t in case["open_tasks"] if t["name"] == "受理"]
    done = watched.request.post(
        f"/api/v1/tasks/{intake['id']}/complete",
        data={"data": {"decision": "accept", "materials_checked": True}},
        headers=case["bearer"],
    )
    assert done.status == 200, done.text()
    watched.add_init_script("window.print = () => { window.__printed = true; };")
    check(watched, f"/cases/{case['case_no']}/notices/acceptance", "#print-button")
    watched.locator("#print-button").click()
    assert watched.evaluate("() => window.__printed") is True
