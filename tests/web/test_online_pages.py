"""网上申报 as pages: the 在线申报 entry in the guide, the apply page with one upload per listed
material, the number and 查询密码 shown at once, and a 补正 answered from the progress page."""

from __future__ import annotations

import io
import re

from .conftest import csrf_token
from .test_api_journey import complete, item_code
from .test_online import PDF


def test_apply_online_then_answer_a_supplement_from_the_progress_page(api, client) -> None:
    code = item_code(api("window1"), "企业开办")
    guide = client.get(f"/public/items/{code}").get_data(as_text=True)
    assert f"/public/apply/{code}" in guide and "在线申报" in guide
    page = client.get(f"/public/apply/{code}").get_data(as_text=True)
    assert "公司章程" in page and 'type="file"' in page
    names = re.findall(r'name="(material-name-\d+)" value="([^"]+)"', page)
    form = {
        "csrf_token": csrf_token(page),
        "applicant-kind": "enterprise",
        "applicant-name": "青山页面申报有限公司",
        "applicant-id_type": "统一社会信用代码",
        "applicant-id_number": "91331082MA2K8Q1X32",
        "applicant-phone": "13800005555",
        **dict(names),
    }
    charter = next(key for key, value in names if value == "公司章程")
    form[charter.replace("material-name-", "material-")] = (io.BytesIO(PDF), "章程.pdf")
    done = client.post(f"/public/apply/{code}", data=form, content_type="multipart/form-data")
    html = done.get_data(as_text=True)
    assert done.status_code == 200, html
    case_no = re.search(r'class="applied-case-no">(\d+)<', html).group(1)
    password = re.search(r'class="applied-password">(\d+)<', html).group(1)

    window = api("window1")
    [task] = window.open_tasks(case_no)
    missing = ["全体股东主体资格证明"]
    complete(window, task, {"decision": "supplement", "missing_materials": missing, "reason": "缺"})

    track = client.get("/public/track").get_data(as_text=True)
    shown = client.post(
        "/public/track",
        data={"csrf_token": csrf_token(track), "case_no": case_no, "password": password},
    ).get_data(as_text=True)
    assert "补正告知" in shown and missing[0] in shown
    upload = {
        "csrf_token": csrf_token(shown),
        "password": password,
        "name-1": missing[0],
        "missing-1": (io.BytesIO(PDF), "股东证明.pdf"),
    }
    sent = client.post(
        f"/public/apply/cases/{case_no}/materials", data=upload, content_type="multipart/form-data"
    )
    assert "supplement-uploaded" in sent.get_data(as_text=True)
    events = window.get(f"/cases/{case_no}").get_json()["events"]
    uploaded = [e["detail"]["name"] for e in events if e["action"] == "material_upload"]
    assert uploaded == ["公司章程", missing[0]]
