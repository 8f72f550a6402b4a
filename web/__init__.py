"""The Flask layer: a thin adapter over engine/ services (app factory, blueprints, CLI)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from flask_wtf.csrf import CSRFProtect

from engine.db import default_url
from engine.models import utcnow

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"))
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("ONEWINDOW_SECRET_KEY"),
        SECRET_KEY_FILE=str(ROOT / "instance" / "secret_key"),
        DATABASE_URL=os.environ.get("ONEWINDOW_DATABASE_URL") or default_url(ROOT),
        DEMO_PASSWORD=os.environ.get("ONEWINDOW_DEMO_PASSWORD", "onewindow-demo"),
        UPLOAD_DIR=os.environ.get("ONEWINDOW_UPLOAD_DIR", str(ROOT / "instance" / "uploads")),
        BPMN_DIR=str(ROOT / "bpmn"),
        WORKFLOWS_DIR=str(ROOT / "workflows"),
        NODE_MODULES=str(ROOT / "node_modules"),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        SCHEDULER=os.environ.get("ONEWINDOW_SCHEDULER") == "1",
        SCHEDULER_INTERVAL=float(os.environ.get("ONEWINDOW_SCHEDULER_INTERVAL", "30")),
        JSON_AS_ASCII=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("ONEWINDOW_COOKIE_SECURE") == "1",
        SESSION_IDLE_MINUTES=float(os.environ.get("ONEWINDOW_SESSION_IDLE_MINUTES", "30")),
        SESSION_MAX_HOURS=float(os.environ.get("ONEWINDOW_SESSION_MAX_HOURS", "12")),
        TRUSTED_PROXIES=int(os.environ.get("ONEWINDOW_TRUSTED_PROXIES", "0")),
        CLOCK=utcnow,
        WTF_CSRF_TIME_LIMIT=None,
    )
    if test_config:
        app.config.update(test_config)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    app.json.ensure_ascii = False

    from . import (
        admin,
        api,
        audit,
        auth,
        chains_admin,
        clerk,
        cli,
        clock_pages,
        commissioners,
        database,
        designer,
        errors,
        i18n,
        incidents_pages,
        monitors,
        notices,
        online_pages,
        operations_pages,
        policy_pages,
        public,
        ratings,
        scorecards,
        security,
        sms_pages,
        supervision,
        users_admin,
        vendor,
    )

    security.init_app(app)
    database.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    app.url_map.converters["int"] = errors.BoundedIntegerConverter  # before any route
    app.register_blueprint(auth.bp)
    app.register_blueprint(clerk.bp)
    app.register_blueprint(notices.bp)
    app.register_blueprint(vendor.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(ratings.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(clock_pages.bp)
    app.register_blueprint(designer.bp)
    app.register_blueprint(chains_admin.bp)
    app.register_blueprint(operations_pages.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(users_admin.bp)
    app.register_blueprint(incidents_pages.bp)
    app.register_blueprint(supervision.bp)
    app.register_blueprint(scorecards.bp)
    app.register_blueprint(monitors.bp)
    app.register_blueprint(commissioners.bp)
    app.register_blueprint(sms_pages.bp)
    app.register_blueprint(online_pages.bp)
    app.register_blueprint(policy_pages.bp)
    api.init_app(app, csrf)
    errors.init_app(app)
    cli.init_app(app)

    if app.config["SCHEDULER"]:
        from engine.services.scheduling import start_scheduler

        app.extensions["onewindow.scheduler"] = start_scheduler(
            app.extensions["onewindow.sessions"], utcnow, app.config["SCHEDULER_INTERVAL"]
        )

    @app.get("/")
    def index() -> Any:
        return redirect(url_for("clerk.inbox"))

    return app
