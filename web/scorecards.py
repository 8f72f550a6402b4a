"""绩效考核 pages: the scorecard of a period with its charts (ECharts), the 大屏 for the hall's
display, which reloads itself, and the cases behind any figure. The figures and who reads them
are the engine's (engine/services/scorecards.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, render_template, request
from sqlalchemy import select

from engine import models
from engine.access import CASE_WORK_ROLES, READ_ALL_ROLES
from engine.camunda import is_bpmn
from engine.errors import NotFound
from engine.services import process_mining
from engine.services import scorecards as scorecard_service
from engine.services.cases import latest_definition, list_cases
from engine.workdays import today

from .api.supervision import xlsx_response
from .auth import login_required, page_user
from .i18n import gettext as _

bp = Blueprint("scorecard_pages", __name__, url_prefix="/scorecards")

NAV_ROLES = READ_ALL_ROLES | CASE_WORK_ROLES | {"monitor"}
SCREEN_REFRESH_SECONDS = 60
DRILL_PER_PAGE = 50
DIMENSIONS = {"department": "部门", "window": "窗口", "clerk": "工作人员", "service_item": "事项"}
LEVELS = {"1": "非常满意", "2": "满意", "3": "基本满意", "4": "不满意", "5": "非常不满意"}
LIGHTS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}


def _choice() -> dict[str, str]:
    """The period and dimension asked for; this month so far by default."""
    now = today()
    return {
        "from": request.args.get("from") or now.replace(day=1).isoformat(),
        "to": request.args.get("to") or now.isoformat(),
        "by": request.args.get("by") or "department",
    }


def _chart_config(data: dict[str, Any]) -> dict[str, Any]:
    """What static/js/scorecards.js draws, its labels in the page's language."""
    ranked = [row for row in data["rows"] if row["score"] is not None][:15]
    return {
        "trend": data["trend"],
        "levels": [{"name": _(LEVELS[n]), "value": v} for n, v in data["ratings_by_level"].items()],
        "lights": [{"name": _(LIGHTS[k]), "key": k, "value": v} for k, v in data["lights"].items()],
        "ranking": [{"name": row["name"], "score": row["score"]} for row in ranked],
        "texts": {
            "finished": _("办结件数"),
            "on_time_rate": _("按期办结率"),
            "trend": _("月度趋势"),
            "lights": _("在办件亮灯分布"),
            "levels": _("评价等级分布"),
            "ranking": _("综合得分排名"),
            "no_ranking": _("本期没有可评分的对象"),
            "no_open_cases": _("目前没有在办件"),
        },
    }


def _render(template: str, **extra: Any) -> str:
    choice = _choice()
    with page_user() as (uow, user):
        data = scorecard_service.dashboard(uow, user, choice["from"], choice["to"], choice["by"])
    return render_template(
        template,
        choice=choice,
        rows=data["rows"],
        charts=_chart_config(data),
        dimensions=DIMENSIONS,
        headers=scorecard_service.HEADERS,
        **extra,
    )


@bp.get("/")
@login_required
def scorecard_page() -> str:
    return _render("scorecards/index.html")


@bp.get("/screen")
@login_required
def screen() -> str:
    """The 大屏: the same figures, large, reloading every minute."""
    return _render("scorecards/screen.html", refresh=SCREEN_REFRESH_SECONDS)


@bp.get("/export.xlsx")
@login_required
def export() -> Response:
    choice = _choice()
    with page_user() as (uow, user):
        rows = scorecard_service.scorecard(uow, user, choice["from"], choice["to"], choice["by"])
    filename, data = scorecard_service.scorecard_xlsx(
        rows, choice["by"], choice["from"], choice["to"]
    )
    return xlsx_response(filename, data)


@bp.get("/cases")
@login_required
def drill_cases() -> str:
    """The cases behind a figure: the case list with the figure's drill-down arguments."""
    page = max(1, request.args.get("page", 1, type=int) or 1)
    with page_user() as (uow, user):
        found = list_cases(
            uow,
            user,
            department=request.args.get("department") or None,
            service_item=request.args.get("service_item") or None,
            page=page,
            per_page=DRILL_PER_PAGE,
            drill=request.args,
        )
    return render_template("scorecards/cases.html", found=found, page=page)


def drill_args(row: dict[str, Any], by: str, first: str, last: str) -> dict[str, dict[str, str]]:
    """Per figure, the case-list arguments behind it (engine/services/scorecard_rules.py)."""
    key = {"department": "department", "window": "window", "clerk": "clerk"}.get(by, "service_item")
    base = {key: row["key"]}
    finished = {**base, "finished_from": first, "finished_to": last}
    return {
        "finished": finished,
        "overdue": {**finished, "overdue_on": last},
        "ratings": {**base, "rated_from": first, "rated_to": last},
        "bad": {**base, "rated_from": first, "rated_to": last, "bad": "true"},
    }


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"scorecard_drill": drill_args, "scorecard_nav": _in_nav}


def _in_nav() -> bool:
    """The navigation offers 绩效考核 to the roles that have a row or read them."""
    user = g.get("user")
    return bool(user is not None and user.role_codes & NAV_ROLES)


@bp.get("/mining")
@login_required
def mining() -> str:
    """过程挖掘: the item's diagram with each step's average waiting and handling time."""
    first, last, _by = _choice().values()
    with page_user() as (uow, user):
        items = uow.session.execute(
            select(models.ServiceItem.code, models.ServiceItem.name).order_by(
                models.ServiceItem.code
            )
        ).all()
        item = request.args.get("service_item") or (items[0][0] if items else "")
        times = process_mining.step_times(uow, user, item, first, last)
    config = {
        "steps": times["steps"],
        "bottleneck": times["bottleneck"],
        "texts": {"waiting": _("等待"), "handling": _("办理"), "days": _("工作日")},
    }
    return render_template(
        "scorecards/mining.html",
        items=items,
        item=item,
        times=times,
        config=config,
        choice={"from": first, "to": last},
    )


@bp.get("/mining/<code>.bpmn")
@login_required
def mining_diagram(code: str) -> Response:
    """The BPMN of the item's latest model version, for the overlay viewer."""
    with page_user() as (uow, _user):
        item = uow.session.get(models.ServiceItem, code)
        if item is None:
            raise NotFound("没有这个事项", code="service_item_not_found")
        files = latest_definition(uow, item.process_key).files
        bpmn = next(text for name, text in sorted(files.items()) if is_bpmn(name))
    return Response(bpmn, mimetype="application/xml")
