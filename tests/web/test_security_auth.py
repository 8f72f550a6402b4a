"""Log-in hardening (issue 9): the secret key, throttling and constant-time failures, server-side
sessions with timeouts, page tokens revoked at logout, no open redirect, the scrypt cost."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import models, security
from engine.security import hash_password, verify_password
from engine.uow import UnitOfWork
from web import create_app

from ..conftest import TEST_SCRYPT_N
from .accounts import PASSWORD, address, clocked_app, new_user, page_login, unique_address
from .conftest import csrf_token

OLD_KEY = "dev-only-change-me"


def logged_in(client: FlaskClient) -> bool:
    """Whether the client's cookie still opens a staff page."""
    response = client.get("/tasks")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def token(client: FlaskClient, username: str, password: str, from_address: str):
    """POST /auth/token; the body escapes everything, as JSON may (lone surrogates too)."""
    return client.post(
        "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": password}),
        content_type="application/json",
        **address(from_address),
    )


# ---- 1. the secret key --------------------------------------------------------------------------


@pytest.fixture
def keyless_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The app as `onewindow serve` builds it when no ONEWINDOW_SECRET_KEY is set."""
    monkeypatch.delenv("ONEWINDOW_SECRET_KEY", raising=False)
    key_file = tmp_path / "instance" / "secret_key"
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY_FILE": str(key_file)})
    yield app, key_file
    app.extensions["onewindow.engine"].dispose()


def test_without_a_secret_one_is_generated_once_and_kept_private(keyless_app, database_url):
    app, key_file = keyless_app
    assert app.secret_key != OLD_KEY and len(app.secret_key) >= 48
    assert key_file.read_text().strip() == app.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = create_app({"DATABASE_URL": database_url, "SECRET_KEY_FILE": str(key_file)})
    assert again.secret_key == app.secret_key, "every worker and restart shares the one key"
    again.extensions["onewindow.engine"].dispose()


def test_a_readable_key_file_is_made_private_again(keyless_app, database_url):
    _app, key_file = keyless_app
    key_file.chmod(0o644)
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY_FILE": str(key_file)})
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    app.extensions["onewindow.engine"].dispose()


def test_the_old_built_in_key_is_refused(database_url: str) -> None:
    with pytest.raises(RuntimeError, match="old built-in"):
        create_app({"DATABASE_URL": database_url, "SECRET_KEY": OLD_KEY})


def test_a_cookie_forged_with_the_old_built_in_key_opens_nothing(
    keyless_app, sessions: sessionmaker[Session]
) -> None:
    app, _key_file = keyless_app
    username = new_user(sessions, roles=("admin",), department="office")
    client = app.test_client()
    assert page_login(client, username).status_code == 302
    assert logged_in(client)
    serializer = app.session_interface.get_signing_serializer(app)
    real = serializer.loads(client.get_cookie("session").value)
    assert {"user_id", "sid"} <= set(real)

    forger = Flask("forger")
    forger.secret_key = OLD_KEY
    forged_serializer = forger.session_interface.get_signing_serializer(forger)
    for payload in (real, {"user_id": real["user_id"]}):
        attacker = app.test_client()
        attacker.set_cookie("session", forged_serializer.dumps(payload))
        assert not logged_in(attacker)
        assert attacker.get("/admin/audit").status_code == 302


# ---- 7. throttling and constant-time failures ---------------------------------------------------


def test_one_address_gets_five_tries_at_an_account(database_url, sessions) -> None:
    username = new_user(sessions)
    attacker, clerk = unique_address(), unique_address()
    with clocked_app(database_url) as (app, clock):
        client = app.test_client()
        for _ in range(5):
            assert page_login(client, username, "wrong", attacker).status_code == 401
        refused = page_login(client, username, PASSWORD, attacker)
        assert refused.status_code == 429, "limited even with the right password"
        assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
        assert "登录失败次数过多" in refused.get_data(as_text=True)
        assert token(client, username, PASSWORD, attacker).status_code == 429, "the API too"

        assert page_login(app.test_client(), username, PASSWORD, clerk).status_code == 302, (
            "the clerk at another address is not locked out"
        )
        clock.advance(minutes=16)
        assert page_login(app.test_client(), username, PASSWORD, attacker).status_code == 302


def test_locking_an_account_takes_many_addresses_and_lasts_minutes(database_url, sessions):
    username = new_user(sessions)
    with clocked_app(database_url) as (app, clock):
        client = app.test_client()
        for _ in range(4):  # 4 addresses × 5 failures = the account-wide limit of 20
            attacker = unique_address()
            statuses = {token(client, username, "wrong", attacker).status_code for _ in range(5)}
            assert statuses == {401}
        refused = token(client, username, PASSWORD, unique_address())
        assert refused.status_code == 429
        assert refused.get_json()["error"]["code"] == "too_many_requests"
        assert int(refused.headers["Retry-After"]) <= 5 * 60, "an account is locked for minutes"
        clock.advance(minutes=5, seconds=1)
        assert token(client, username, PASSWORD, unique_address()).status_code == 200


def test_one_address_is_limited_across_accounts(database_url) -> None:
    spray = unique_address()
    with clocked_app(database_url) as (app, clock):
        client = app.test_client()
        statuses = [token(client, f"nobody{i}", "guess", spray).status_code for i in range(30)]
        assert statuses == [401] * 30
        assert token(client, "nobody-else", "guess", spray).status_code == 429
        assert token(client, "nobody-else", "guess", unique_address()).status_code == 401
        clock.advance(minutes=16)
        assert token(client, "nobody-else", "guess", spray).status_code == 401


def test_every_failure_costs_one_full_scrypt_and_says_the_same(
    client: FlaskClient, sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown user, wrong password, disabled user: the same work, the same answer."""
    known = new_user(sessions)
    disabled = new_user(sessions)
    with UnitOfWork(sessions) as uow:
        user = uow.session.scalars(
            select(models.User).where(models.User.username == disabled)
        ).one()
        user.active = False
    token(client, "warm-up-unknown", "x", unique_address())  # the dummy hash is made once

    costs: list[int] = []
    real_scrypt = hashlib.scrypt

    def counting_scrypt(*args, **kwargs):
        costs.append(kwargs["n"])
        return real_scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting_scrypt)
    answers = []
    for username, password in (
        (f"unknown-{known}", PASSWORD),
        (known, "wrong"),
        (disabled, PASSWORD),
    ):
        costs.clear()
        response = token(client, username, password, unique_address())
        assert costs == [TEST_SCRYPT_N], username  # the cost real users' hashes have here
        answers.append((response.status_code, response.get_json()))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 401


@pytest.mark.parametrize(
    "username",
    ["a\x00b", "\ud800", "x" * 10_000, "窗口\t一号"],
    ids=["nul", "surrogate", "long", "tab"],
)
def test_odd_usernames_fail_like_any_other(client: FlaskClient, username: str) -> None:
    """Whatever is typed is refused in the API's error shape, never a 500 (input that is not
    text at all may already be refused as a bad request)."""
    response = token(client, username, "wrong", unique_address())
    assert response.status_code in (400, 401), response.get_json()
    if response.status_code == 401:
        assert response.get_json()["error"]["code"] == "invalid_credentials"


# ---- 8. server-side sessions and their timeouts -------------------------------------------------


def test_a_cookie_copied_before_logout_is_dead_after_it(app: Flask, sessions) -> None:
    username = new_user(sessions)
    browser = app.test_client()
    assert page_login(browser, username).status_code == 302
    stolen = browser.get_cookie("session").value
    html = browser.get("/tasks").get_data(as_text=True)
    assert browser.post("/logout", data={"csrf_token": csrf_token(html)}).status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert not logged_in(thief)


def test_a_page_token_is_revoked_at_logout(app: Flask, sessions) -> None:
    username = new_user(sessions, roles=("designer",), department="office")
    browser = app.test_client()
    assert page_login(browser, username).status_code == 302
    html = browser.get("/designer/").get_data(as_text=True)
    minted = browser.post("/designer/token", headers={"X-CSRFToken": csrf_token(html)})
    assert minted.status_code == 200, minted.get_data(as_text=True)
    bearer = {"Authorization": f"Bearer {minted.get_json()['token']}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200

    browser.post("/logout", data={"csrf_token": csrf_token(html)})
    refused = app.test_client().get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "invalid_token"


def test_a_session_ends_after_the_idle_timeout(database_url, sessions) -> None:
    username = new_user(sessions)
    with clocked_app(database_url, SESSION_IDLE_MINUTES=30) as (app, clock):
        browser = app.test_client()
        assert page_login(browser, username).status_code == 302
        for _ in range(3):  # working on: every request keeps the session alive
            clock.advance(minutes=25)
            assert logged_in(browser)
        copied = browser.get_cookie("session").value
        clock.advance(minutes=31)
        assert not logged_in(browser)
        clock.advance(minutes=-2)  # ended for good on the server, not only while idle
        replay = app.test_client()
        replay.set_cookie("session", copied)
        assert not logged_in(replay)


def test_a_session_ends_at_the_absolute_timeout(database_url, sessions) -> None:
    username = new_user(sessions)
    with clocked_app(database_url, SESSION_MAX_HOURS=1, SESSION_IDLE_MINUTES=30) as (app, clock):
        browser = app.test_client()
        assert page_login(browser, username).status_code == 302
        cookie = browser.get_cookie("session")
        assert cookie.expires is not None, "a session cookie that ends with the session"
        clock.advance(minutes=20)
        assert logged_in(browser)
        clock.advance(minutes=20)
        assert logged_in(browser)
        clock.advance(minutes=20, seconds=1)
        assert not logged_in(browser), "an hour after log-in, however busy"


def test_a_session_lives_until_its_timeout_by_default(app: Flask) -> None:
    """The settings' defaults: 30 minutes idle, 12 hours in all (README, Deployment)."""
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    assert app.permanent_session_lifetime.total_seconds() == 12 * 3600


# ---- 10. no open redirect after log-in ----------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "//evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "https://evil.example/",
        "%09//evil.example",
        "/tasks%0d%0aSet-Cookie:%20x=1",
        "javascript:alert(1)",
    ],
)
def test_login_never_redirects_off_the_site(app: Flask, sessions, target: str) -> None:
    username = new_user(sessions)
    response = page_login(app.test_client(), username, next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/tasks"
    assert "Set-Cookie: x" not in str(response.headers)


def test_login_goes_back_to_the_page_asked_for(app: Flask, sessions) -> None:
    username = new_user(sessions)
    response = page_login(app.test_client(), username, next_path="/cases%3Fq%3D1")
    assert response.headers["Location"] == "/cases?q=1"


# ---- 16. scrypt at today's cost, old hashes replaced at log-in ----------------------------------


def old_hash(password: str) -> str:
    """A hash as the first release made it (N=2^14)."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return "$".join(
        [
            "scrypt",
            "16384",
            "8",
            "1",
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        ]
    )


@pytest.fixture
def production_cost() -> Iterator[None]:
    security.set_cost(security.PRODUCTION_COST[0])
    yield
    security.set_cost(TEST_SCRYPT_N)


@pytest.mark.usefixtures("production_cost")
def test_new_hashes_use_n_2_17() -> None:
    scheme, n, r, p, _salt, _digest = hash_password("x").split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**17), "8", "1")


@pytest.mark.usefixtures("production_cost")
def test_an_old_hash_is_replaced_at_the_next_login(app: Flask, sessions) -> None:
    username = new_user(sessions, password_hash=old_hash(PASSWORD))
    assert page_login(app.test_client(), username).status_code == 302
    with UnitOfWork(sessions) as uow:
        stored = uow.session.scalars(
            select(models.User.password_hash).where(models.User.username == username)
        ).one()
    assert stored.split("$")[1] == str(2**17)
    assert verify_password(PASSWORD, stored)
    assert page_login(app.test_client(), username).status_code == 302
