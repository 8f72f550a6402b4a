"""Security headers on every response and the cookie flags a deployment sets (issue 9, point 15).

That the policy does not break the pages (bpmn-js, dmn-js, Swagger UI, inline scripts) is checked
in a real browser: tests/browser/test_csp.py.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .accounts import clocked_app, new_user, page_login
from .conftest import login
from .test_access import enterprise_item


@pytest.mark.parametrize(
    "path", ["/login", "/public/", "/api/v1/service-items", "/api/v1/docs", "/no-such-page"]
)
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp and "base-uri 'self'" in csp
    assert re.search(r"script-src 'self' 'nonce-[\w-]{16,}'", csp)
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def nonce_of(response) -> str:
    match = re.search(r"'nonce-([\w-]+)'", response.headers["Content-Security-Policy"])
    assert match
    return match.group(1)


def test_inline_scripts_carry_the_response_nonce(app: Flask, sessions) -> None:
    """Every inline script of a page the policy would otherwise block has this response's nonce."""
    pages = {
        "admin": ["/api/v1/docs", "/admin/chains/new?key=headers.test"],
        "window1": [f"/intake/{enterprise_item(sessions)}"],
    }
    for username, paths in pages.items():
        client = app.test_client()
        login(client, username)
        for path in paths:
            response = client.get(path, follow_redirects=True)
            assert response.status_code == 200, path
            html = response.get_data(as_text=True)
            nonce = nonce_of(response)
            inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
            executable = [attrs for attrs in inline if "application/json" not in attrs]
            assert executable, f"{path} has an inline script to check"
            for attrs in executable:
                assert f'nonce="{nonce}"' in attrs, (path, attrs)
    assert nonce_of(app.test_client().get("/login")) != nonce_of(app.test_client().get("/login"))


def test_the_session_cookie_is_secure_when_the_setting_says_so(database_url, sessions) -> None:
    username = new_user(sessions)
    with clocked_app(database_url, SESSION_COOKIE_SECURE=True) as (app, _clock):
        response = page_login(app.test_client(), username)
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        https = app.test_client().get("/login", base_url="https://localhost")
        assert https.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_default_cookie_is_http_only_and_same_site(app: Flask, sessions) -> None:
    username = new_user(sessions)
    cookie = page_login(app.test_client(), username).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
