"""政策解读专区 and the elder-friendly mode: articles by administrators in Markdown, sanitised on
render, on the public pages with search and from the guide; the large-text, high-contrast switch
on every public page; the 帮办代办 entry in the guide."""

from __future__ import annotations

from flask import Flask

from .conftest import csrf_token, login
from .test_api_journey import item_code

ARTICLE = (
    "## 企业开办一次办\n\n"
    "营业执照、印章、发票**一次领取**。\n\n"
    '<script>alert("x")</script><a href="javascript:alert(1)" onclick="x()">链接</a>'
)


def test_an_administrators_article_is_sanitised_and_searchable(app: Flask, api) -> None:
    client = app.test_client()
    code = item_code(api("window1"), "企业开办")
    login(client, "admin")
    form = client.get("/admin/policies").get_data(as_text=True)
    body = {
        "csrf_token": csrf_token(form),
        "title": "企业开办政策解读测试",
        "service_item": code,
        "topic": "营商环境",
        "body": ARTICLE,
    }
    posted = client.post("/admin/policies", data=body)
    assert posted.status_code == 302, posted.get_data(as_text=True)
    page = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "<h2>企业开办一次办</h2>" in page and "<strong>一次领取</strong>" in page
    assert "<script>" not in page and "javascript:" not in page and "onclick" not in page
    public = app.test_client()
    found = public.get("/public/policies/?q=一次领取").get_data(as_text=True)
    assert "企业开办政策解读测试" in found
    assert "企业开办政策解读测试" not in public.get("/public/policies/?q=不存在的词").get_data(
        as_text=True
    )
    assert "企业开办政策解读测试" in public.get(f"/public/policies/?item={code}").get_data(
        as_text=True
    )
    guide = public.get(f"/public/items/{code}").get_data(as_text=True)
    assert f"/public/policies/?item={code}" in guide and "帮办代办" in guide


def test_only_administrators_publish(app: Flask) -> None:
    client = app.test_client()
    login(client, "window1")
    assert client.get("/admin/policies").status_code == 403
    refused = client.post(
        "/admin/policies",
        data={"csrf_token": csrf_token(client.get("/tasks").get_data(as_text=True)), "title": "x"},
    )
    assert refused.status_code == 403


def test_large_text_mode_on_every_public_page(app: Flask) -> None:
    client = app.test_client()
    for path in ("/public/", "/public/track", "/public/policies/"):
        html = client.get(path).get_data(as_text=True)
        assert "大字模式" in html and "elder.css" not in html
    switched = client.get("/public/large-text?on=1&next=/public/track")
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/public/track")
    html = client.get("/public/track").get_data(as_text=True)
    assert "elder.css" in html and "标准模式" in html
    client.get("/public/large-text?on=0")
    assert "elder.css" not in client.get("/public/").get_data(as_text=True)
    outside = client.get("/public/large-text?on=1&next=//evil.example/")
    assert outside.headers["Location"].endswith("/public/")
