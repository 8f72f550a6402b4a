"""绩效考核 pages: the scorecard with its ECharts charts, the self-refreshing 大屏, the cases behind
a figure, the spreadsheet; Chinese with English selectable."""

from __future__ import annotations

import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine import models
from engine.uow import UnitOfWork

from ..engine import scorecard_history as history
from .conftest import login

FROM, TO = history.PERIOD
QUERY = f"from={FROM}&to={TO}&by=department"


@pytest.fixture
def office(client, sessions):
    with UnitOfWork(sessions) as uow:
        history.build(uow)
    login(client, "office1")
    return client


def charts_of(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="scorecard-charts">(.*?)</script>', html)
    assert found, "the page carries no chart data"
    return json.loads(found.group(1))


def test_the_scorecard_page_shows_rows_linked_to_their_cases_and_charts(office):
    html = office.get(f"/scorecards/?{QUERY}").get_data(as_text=True)
    assert "绩效甲局" in html and "按期办结率" in html and "75.0%" in html
    assert "/vendor/echarts/echarts.min.js" in html and "js/scorecards.js" in html
    charts = charts_of(html)
    assert [m["month"] for m in charts["trend"]][-1] == "2019-03"
    march = charts["trend"][-1]  # c1, c2 (scA's and scB's), c3 and c5, each once
    assert (march["finished"], march["on_time_rate"]) == (4, 0.75)
    assert {level["name"] for level in charts["levels"]} >= {"非常满意", "非常不满意"}
    assert charts["ranking"] and charts["texts"]["trend"] == "月度趋势"
    link = re.search(r'href="(/scorecards/cases\?[^"]*department=scA[^"]*)">4<', html)
    assert link, "scA's finished count links to its cases"
    cases = office.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "共 4 件" in cases and "SC201901" in cases and "SC201908" not in cases


def test_the_page_in_english(office):
    html = office.get(f"/scorecards/?{QUERY}&lang=en").get_data(as_text=True)
    assert "On time" in html and "Performance" in html
    assert charts_of(html)["texts"]["trend"] == "Monthly trend"


def test_the_hall_display_refreshes_itself(office):
    html = office.get(f"/scorecards/screen?{QUERY}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="60">' in html
    assert "政务服务绩效大屏" in html and charts_of(html)["lights"]


def test_the_page_exports_the_table(office):
    response = office.get(f"/scorecards/export.xlsx?{QUERY}")
    assert response.status_code == 200
    keys = [row[1] for row in load_workbook(io.BytesIO(response.data)).active.values]
    assert {"scA", "scB"} <= set(keys)


def test_echarts_is_served_from_node_modules(client):
    response = client.get("/vendor/echarts/echarts.min.js")
    assert response.status_code == 200 and b"echarts" in response.data[:2000]


def test_a_clerk_without_a_department_row_is_refused(client, sessions):
    with UnitOfWork(sessions) as uow:
        history.build(uow)
    login(client, "sc_a1")
    assert client.get(f"/scorecards/?{QUERY}").status_code == 403
    assert client.get(f"/scorecards/?from={FROM}&to={TO}&by=clerk").status_code == 200


def test_the_process_mining_page_overlays_step_times_on_the_diagram(office, sessions):
    with UnitOfWork(sessions) as uow:
        item = uow.session.scalars(
            select(models.Case.service_item_code).where(models.Case.case_no == "SC201901")
        ).one()
    html = office.get(f"/scorecards/mining?service_item={item}&from={FROM}&to={TO}").get_data(
        as_text=True
    )
    found = re.search(r'<script type="application/json" id="step-times">(.*?)</script>', html)
    config = json.loads(found.group(1))
    review = next(s for s in config["steps"] if s["element_id"] == "review")
    assert (review["avg_waiting_working_days"], review["avg_handling_working_days"]) == (1.0, 2.0)
    assert config["bottleneck"] == "step" and "瓶颈" in html
    assert "js/step-times.js" in html and "bpmn-navigated-viewer" in html
    diagram = office.get(f"/scorecards/mining/{item}.bpmn")
    assert diagram.status_code == 200 and b"bpmn" in diagram.data[:500].lower()
    assert office.get("/scorecards/mining/nope.bpmn").status_code == 404
