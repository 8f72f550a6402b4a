"""The working-day calendar page (/admin/calendar): a month, overrides and their notices."""

from __future__ import annotations

import re
from datetime import date

from .conftest import csrf_token, login
from .test_clock_api import restore_calendar  # noqa: F401  (fixture)

ENTRY = {
    "day": "2024-11-25",  # a past Monday in an announced year: no open case's deadline moves
    "kind": "holiday",
    "name": "临时停止办公",
    "source": "青山县人民政府办公室〔2024〕8号通知",
}


def admin_client(app):
    client = app.test_client()
    login(client, "admin")
    return client


def cell(page: str, day: str) -> str:
    match = re.search(rf'<td class="([^"]*)" data-date="{day}">(.*?)</td>', page, re.S)
    assert match, f"{day} not on the page"
    return f"{match.group(1)} | {match.group(2)}"


def test_the_page_shows_a_month_with_its_overrides(app):
    client = admin_client(app)
    response = client.get("/admin/calendar?month=2025-10")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "工作日历" in page and "2025-10" in page
    national_day = cell(page, "2025-10-01")
    assert "day-rest" in national_day and "day-override" in national_day
    assert "休息" in national_day and "国务院办公厅" in national_day
    make_up = cell(page, "2025-10-11")  # a Saturday worked
    assert "day-work" in make_up and "day-override" in make_up and "上班" in make_up
    weekend = cell(page, "2025-10-19")
    assert "day-rest" in weekend and "day-override" not in weekend
    years = page.split("announced-years", 1)[1].split("</ul>", 1)[0]
    assert "2025" in years or "–2026" in years, "the announced years are listed"
    assert "尚未公布放假安排的年份按《全国年节及纪念日放假办法》推定法定节假日" in page
    assert "2025 年的放假安排尚未公布" not in page
    assert 'href="/admin/calendar?month=2025-09"' in page and "month=2025-11" in page
    assert "工作日历</a>" in page, "administrators see the nav link"


def test_an_unannounced_year_is_marked_provisional(app):
    page = admin_client(app).get("/admin/calendar?month=2031-05").get_data(as_text=True)
    assert "2031 年的放假安排尚未公布" in page
    may_day = cell(page, "2031-05-01")  # a Thursday: 劳动节 is assumed off, provisionally
    assert "暂定" in may_day and "day-rest" in may_day and "劳动节" in may_day
    assert "day-assumed" in may_day and "按放假办法推定" in may_day
    assert "day-work" in cell(page, "2031-05-05"), "an ordinary Monday"
    assert admin_client(app).get("/admin/calendar?month=2031-13").status_code == 400


def test_the_form_adds_an_override_with_its_source(app, api, restore_calendar):  # noqa: F811
    client = admin_client(app)
    token = csrf_token(client.get("/admin/calendar").get_data(as_text=True))
    assert client.post("/admin/calendar", data=ENTRY).status_code == 400, "no CSRF token"

    missing = client.post("/admin/calendar", data={**ENTRY, "source": " ", "csrf_token": token})
    assert missing.status_code == 422
    assert "请填写依据（通知文号或来源）" in missing.get_data(as_text=True)
    too_long = client.post(
        "/admin/calendar", data={**ENTRY, "name": "节" * 65, "csrf_token": token}
    )
    assert too_long.status_code == 422 and "不能超过 64 个字符" in too_long.get_data(as_text=True)
    bad_day = client.post(
        "/admin/calendar", data={**ENTRY, "day": "2024-11-31", "csrf_token": token}
    )
    assert bad_day.status_code == 422

    restore_calendar.append(date.fromisoformat(ENTRY["day"]))
    saved = client.post("/admin/calendar", data={**ENTRY, "csrf_token": token})
    assert saved.status_code == 302 and saved.location.endswith("/admin/calendar?month=2024-11")
    page = client.get(saved.location).get_data(as_text=True)
    assert "已保存 2024-11-25 的日历设置" in page
    day = cell(page, "2024-11-25")
    assert "day-rest" in day and "day-override" in day
    assert ENTRY["name"] in day and ENTRY["source"] in day
    overrides = page.split("calendar-overrides", 1)[1].split("</table>", 1)[0]
    assert "2024-11-25" in overrides and ENTRY["source"] in overrides and "admin" in overrides

    listed = api("window1").get("/calendar?from=2024-11-25&to=2024-11-25").get_json()["items"]
    assert (listed[0]["kind"], listed[0]["is_workday"]) == ("holiday", False)


def test_others_are_refused(app, client):
    assert client.get("/admin/calendar").status_code == 302, "anonymous: to the log-in page"
    for username in ("window1", "amr_chief", "office1"):
        other = app.test_client()
        login(other, username)
        page = other.get("/tasks").get_data(as_text=True)
        assert "/admin/calendar" not in page, "no nav link"
        assert other.get("/admin/calendar").status_code == 403
        posted = other.post("/admin/calendar", data={**ENTRY, "csrf_token": csrf_token(page)})
        assert posted.status_code == 403, username


def test_the_page_marks_a_year_announced_and_removes_an_entry(app, restore_calendar):  # noqa: F811
    client = admin_client(app)
    page = client.get("/admin/calendar?month=2037-10").get_data(as_text=True)
    assert "标记为已公布" in page and "国庆节" in cell(page, "2037-10-01")
    token = csrf_token(page)
    refused = client.post(
        "/admin/calendar/years", data={"month": "2037-10", "source": "通知", "csrf_token": token}
    )
    assert refused.status_code == 302
    assert "尚未录入任何放假日期" in client.get(refused.location).get_data(as_text=True)

    restore_calendar.append(date(2037, 10, 8))
    entry = {**ENTRY, "day": "2037-10-08", "name": "国庆节", "csrf_token": token}
    assert client.post("/admin/calendar", data=entry).status_code == 302
    announced = client.post(
        "/admin/calendar/years", data={"month": "2037-10", "source": "通知", "csrf_token": token}
    )
    page = client.get(announced.location).get_data(as_text=True)
    assert "已将 2037 年标记为已公布" in page and "2037 年已标记为已公布" in page
    assert "暂定" not in cell(page, "2037-10-01") and "day-assumed" not in cell(page, "2037-10-01")

    withdrawn = client.post(
        "/admin/calendar/years", data={"month": "2037-10", "withdraw": "1", "csrf_token": token}
    )
    assert "已撤销 2037 年的公布标记" in client.get(withdrawn.location).get_data(as_text=True)
    cleared = client.post("/admin/calendar/clear", data={"day": "2037-10-08", "csrf_token": token})
    page = client.get(cleared.location).get_data(as_text=True)
    assert "已删除 2037-10-08 的日历设置" in page and "day-override" not in cell(page, "2037-10-08")
    other = app.test_client()
    login(other, "window1")
    assert other.post("/admin/calendar/clear", data={"day": "2037-10-08"}).status_code in (
        400,
        403,
    )
