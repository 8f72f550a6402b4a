"""Language choice, translations, validation messages and the shared layout templates."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
from flask import Blueprint, Flask, flash, g, render_template, render_template_string

from engine.forms import message_of
from web import i18n
from web.i18n import EN_CATALOG, current_language, gettext

WEB = Path(__file__).resolve().parents[2] / "web"


@pytest.fixture
def app() -> Flask:
    """A bare app with the i18n layer, our templates and the endpoints base.html links to."""
    app = Flask(
        __name__,
        template_folder=str(WEB / "templates"),
        static_folder=str(WEB / "static"),
    )
    app.config.update(TESTING=True, SECRET_KEY="test")
    app.jinja_env.globals["csrf_token"] = lambda: "test-token"
    i18n.init_app(app)

    auth = Blueprint("auth", __name__)
    auth.add_url_rule("/login", "login", lambda: render_template("base.html"))
    auth.add_url_rule("/logout", "logout", lambda: "", methods=["POST"])
    app.register_blueprint(auth)

    @app.get("/word")
    def word() -> str:
        return f"{current_language()}:{gettext('登录')}"

    @app.get("/page")
    def page() -> str:
        g.user = SimpleNamespace(username="window1", display_name="王窗口<b>")
        flash("办件已受理", "success")
        return render_template_string(
            '{% extends "base.html" %}'
            "{% block nav %}"
            '<a href="/inbox" aria-current="page">{{ _("我的待办") }}</a>'
            "{% endblock %}"
            "{% block content %}<h1>{{ _('办件查询') }}</h1>{% endblock %}"
        )

    @app.get("/macros")
    def macros() -> str:
        return render_template_string(
            '{% import "_macros.html" as m %}'
            "{{ m.light('green') }}|{{ m.light('red') }}|{{ m.light(None) }}|"
            "{{ m.status_badge('claimed') }}|{{ m.status_badge('odd<x>') }}|"
            "{{ m.pagination(2, 20, 45, 'word', {'q': '青山'}) }}|"
            "{{ m.pagination(1, 20, 5, 'word') }}|{{ m.csrf_field() }}|"
            "{{ m.diagram('/cases/1/diagram.bpmn', ['start', 'intake'], ['review'], ['approve']) }}"
            "{{ m.diagram_assets() }}"
        )

    return app


# ---- gettext and the language choice -------------------------------------------------------------


def test_gettext_is_chinese_outside_a_request() -> None:
    assert current_language() == "zh"
    assert gettext("登录") == "登录"
    assert gettext("不能小于 %(limit)s", limit=3) == "不能小于 3"


def test_gettext_translates_to_english_and_falls_back_to_chinese(app: Flask) -> None:
    with app.test_request_context():
        g.lang = "en"
        assert gettext("我的待办") == "My tasks"
        assert gettext("不能小于 %(limit)s", limit=0) == "Must not be less than 0."
        assert gettext("尚未翻译的文字") == "尚未翻译的文字"


def test_language_comes_from_the_query_then_the_cookie(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/word").text == "zh:登录"

    response = client.get("/word?lang=en")
    assert response.text == "en:Sign in"
    assert "ow_lang=en" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]

    assert client.get("/word").text == "en:Sign in"
    assert "Set-Cookie" not in client.get("/word?lang=en").headers
    assert client.get("/word?lang=fr").text == "en:Sign in"
    assert client.get("/word?lang=zh").text == "zh:登录"
    assert client.get("/word").text == "zh:登录"


# ---- validation messages -------------------------------------------------------------------------

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "code": {"type": "string", "pattern": "^[0-9A-Z]{18}$"},
        "short": {"type": "string", "minLength": 2, "maxLength": 4},
        "staff": {"type": "integer", "minimum": 1, "maximum": 100.0},
        "ratio": {"type": "number", "exclusiveMinimum": 0},
        "kind": {"enum": ["person", "enterprise"]},
        "decision": {"oneOf": [{"const": "approve"}, {"const": "reject"}]},
        "day": {"type": "string", "format": "date"},
        "items": {"type": "array", "minItems": 1, "uniqueItems": True},
    },
}


def _message(instance: dict) -> str:
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = list(validator.iter_errors(instance))
    assert len(errors) == 1, errors
    template, params = message_of(errors[0])
    return gettext(template, **params)


@pytest.mark.parametrize(
    ("instance", "zh", "en"),
    [
        ({}, "该字段为必填项", "This field is required."),
        ({"name": ""}, "该字段为必填项", "This field is required."),
        ({"name": 5}, "请输入文本", "Please enter text."),
        ({"name": "a", "staff": "十"}, "请输入整数", "Please enter a whole number."),
        ({"name": "a", "staff": 0}, "不能小于 1", "Must not be less than 1."),
        ({"name": "a", "staff": 101}, "不能大于 100", "Must not be greater than 100."),
        ({"name": "a", "ratio": 0}, "必须大于 0", "Must be greater than 0."),
        ({"name": "a", "code": "123"}, "格式不正确", "The format is not valid."),
        ({"name": "a", "short": "a"}, "至少需要 2 个字符", "Must be at least 2 characters."),
        ({"name": "a", "short": "abcde"}, "不能超过 4 个字符", "Must be at most 4 characters."),
        ({"name": "a", "kind": "robot"}, "请选择有效的选项", "Please choose a valid option."),
        ({"name": "a", "decision": "maybe"}, "请选择有效的选项", "Please choose a valid option."),
        (
            {"name": "a", "day": "2025-13-01"},
            "日期格式应为 YYYY-MM-DD",
            "Dates must look like YYYY-MM-DD.",
        ),
        ({"name": "a", "items": []}, "至少选择 1 项", "Choose at least 1 item(s)."),
        ({"name": "a", "items": [1, 1]}, "不能有重复项", "Items must not repeat."),
    ],
)
def test_validation_messages(app: Flask, instance: dict, zh: str, en: str) -> None:
    assert _message(instance) == zh
    with app.test_request_context():
        g.lang = "en"
        assert _message(instance) == en


# ---- templates ---------------------------------------------------------------------------------


def test_every_literal_message_has_an_english_entry() -> None:
    """Any ``_('…')`` or ``gettext('…')`` in web/ without English would stay Chinese in English."""
    files = [*WEB.rglob("*.html"), *WEB.rglob("*.py")]
    sources = [path.read_text(encoding="utf-8") for path in files]
    used = {m for text in sources for m in re.findall(r"""(?:_|gettext)\(['"]([^'"]+)['"]""", text)}
    assert "一窗通办" in used and "请选择" in used
    assert sorted(used - EN_CATALOG.keys()) == []


def test_base_page_in_chinese(app: Flask) -> None:
    html = app.test_client().get("/page?q=1").text

    assert html.startswith("<!doctype html>")
    assert '<html lang="zh-CN">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'href="/static/css/app.css"' in html
    assert '<nav class="main-nav" aria-label="主导航"><a href="/inbox"' in html
    assert 'aria-current="page">我的待办</a></nav>' in html
    assert "王窗口&lt;b&gt;" in html
    assert 'action="/logout"' in html and 'value="test-token"' in html and ">退出</button>" in html
    assert '<div class="flash flash-success" role="status">办件已受理</div>' in html
    assert 'href="/page?q=1&amp;lang=en"' in html
    assert "<h1>办件查询</h1>" in html


def test_base_page_in_english_without_a_user(app: Flask) -> None:
    client = app.test_client()
    html = client.get("/login?lang=en").text

    assert '<html lang="en">' in html
    assert "<title>OneWindow</title>" in html
    assert 'href="/login?lang=zh"' in html and ">中文</a>" in html
    assert "main-nav" not in html  # no nav block, no empty landmark
    assert "Sign out" not in html and "Sign in" not in html  # on the login page itself

    with app.test_request_context():
        anonymous = render_template_string('{% extends "base.html" %}')
    assert 'href="/login">登录</a>' in anonymous


def test_macros(app: Flask) -> None:
    light_green, light_red, light_none, claimed, odd, pages, single, csrf, rest = (
        app.test_client().get("/macros").text.split("|")
    )

    assert light_green == (
        '<span class="light light-green">'
        '<span class="light-dot" aria-hidden="true"></span>绿灯</span>'
    )
    assert "light-red" in light_red and "红灯" in light_red
    assert "light-none" in light_none and "未计时" in light_none
    assert claimed == '<span class="badge badge-claimed">已认领</span>'
    assert odd == '<span class="badge badge-other">odd&lt;x&gt;</span>'
    assert 'rel="prev" href="/word?q=%E9%9D%92%E5%B1%B1&amp;page=1"' in pages
    assert 'rel="next" href="/word?q=%E9%9D%92%E5%B1%B1&amp;page=3"' in pages
    assert "第 2 / 3 页" in pages and "共 45 条" in pages
    assert "上一页" not in single and "共 5 条" in single
    assert csrf == '<input type="hidden" name="csrf_token" value="test-token">'
    assert 'data-xml-url="/cases/1/diagram.bpmn"' in rest
    assert """data-finished='["start", "intake"]'""" in rest
    assert """data-active='["review"]'""" in rest
    assert '<script src="/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"></script>' in rest
    assert '<script src="/static/js/case-diagram.js"></script>' in rest


def test_macros_in_english(app: Flask) -> None:
    html = app.test_client().get("/macros?lang=en").text
    assert "Green" in html and "Not timed" in html and "Claimed" in html
    assert "Page 2 of 3" in html and "45 in total" in html
