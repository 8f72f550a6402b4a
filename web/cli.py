"""The ``onewindow`` command: a Flask CLI group (``run``, ``routes``, ``shell`` come with it)."""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from engine import demo, workdays
from engine.definitions import read_model_folder
from engine.errors import ModelInvalid, format_problem
from engine.services.models import deploy_model

from . import create_app
from .database import migrate, unit_of_work


def init_app(app: Flask) -> None:
    for command in (init_db, load_demo, deploy, serve, timers):
        app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Migrate the database to the newest schema and seed the working-day calendar."""
    migrate(current_app)
    with unit_of_work() as uow:
        added = workdays.seed(uow)
    click.echo(f"数据库已迁移到最新版本；工作日历新增 {added} 天")


@click.command("demo")
@with_appcontext
def load_demo() -> None:
    """Load the demo organisation, service items and models (idempotent)."""
    migrate(current_app)
    config = current_app.config
    with unit_of_work() as uow:
        loaded = demo.load_all(
            uow, config["DEMO_PASSWORD"], Path(config["WORKFLOWS_DIR"]), Path(config["BPMN_DIR"])
        )
    click.echo(f"演示数据已就绪：{loaded['items']} 个事项")
    for key, version, created in loaded["deployed"]:
        click.echo(f"  {key} v{version}{'（新部署）' if created else ''}")


@click.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--note", default="", help="版本说明")
@with_appcontext
def deploy(paths: tuple[str, ...], note: str) -> None:
    """Validate and deploy model folders; exits non-zero with the problems on failure."""
    failed = False
    for path in paths:
        folder = Path(path)
        try:
            with unit_of_work() as uow:
                result = deploy_model(uow, None, folder.name, read_model_folder(folder), note)
                version, created = result.definition.version, result.created
        except ModelInvalid as error:
            failed = True
            click.echo(f"{folder.name}: 校验未通过", err=True)
            for problem in error.problems:
                click.echo("  " + format_problem(problem), err=True)
            continue
        state = "已部署" if created else "与已部署版本相同，未新建版本"
        click.echo(f"{folder.name}: v{version} {state}")
    if failed:
        sys.exit(1)


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=os.cpu_count() or 1, type=int, help="进程数（默认 CPU 核数）")
@click.option("--threads", default=4, type=int)
@click.option("--no-scheduler", is_flag=True, help="定时器改由 onewindow timers 运行")
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int, no_scheduler: bool) -> None:
    """Serve with gunicorn (a production WSGI server), the timer scheduler inside."""
    from gunicorn.app.base import BaseApplication

    migrate(current_app)
    os.environ["ONEWINDOW_SCHEDULER"] = "0" if no_scheduler else "1"

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-" if os.environ.get("ONEWINDOW_ACCESS_LOG") else None)

        def load(self) -> Flask:
            """The worker's app; what it holds from start-up never goes to the collector.

            Some 200 000 objects (models, mappers, the app) live as long as the worker, and a
            full collection walked them all: a pause of 130–300 ms now and then, in which every
            request of the worker waited. Frozen, a full collection takes 5–20 ms.
            """
            app = create_app()
            gc.freeze()
            return app

    click.echo(f"OneWindow 一窗通办: http://{host}:{port}/ （{workers} 个进程）")
    _Server().run()


@click.command("timers")
@click.option("--once", is_flag=True, help="只检查一次到期定时器后退出")
@click.option("--interval", default=30.0, type=float)
@with_appcontext
def timers(once: bool, interval: float) -> None:
    """Run the timer scheduler (timers and the 督办 sweep) as its own process (many app servers)."""
    from engine.models import utcnow
    from engine.services.scheduling import run_pass

    sessions = current_app.extensions["onewindow.sessions"]
    while True:
        fired = run_pass(sessions, utcnow)
        if fired or once:
            click.echo(f"已触发 {fired} 个到期定时器")
        if once:
            return
        time.sleep(interval)


@click.group(cls=FlaskGroup, create_app=create_app)
def main() -> None:
    """OneWindow 一窗通办 — case processing for a county government service center."""
