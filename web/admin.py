"""Administration pages: the working-day calendar (工作日历).

``/admin/calendar?month=YYYY-MM`` shows a month as the statutory clock counts it, with every
override (holiday on a weekday, 调休 make-up workday on a weekend) and the notice it rests on,
and in a year not yet announced the statutory holidays assumed (暂定); administrators add,
change or remove a day there (local ethnic holidays, emergency closures, next year's State
Council notice) and mark a year announced once its schedule is entered. Every change
recomputes the due dates of open cases and steps. Everyone else gets 403.
"""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from engine import access, models, workdays
from engine.clock import WorkCalendar
from engine.errors import BadRequest, DomainError
from engine.services import clock as clock_service
from engine.uow import UnitOfWork

from .auth import login_required, page_user
from .i18n import gettext as _

bp = Blueprint("admin", __name__, url_prefix="/admin")

KIND_CHOICES = (("holiday", "放假"), ("workday", "调休上班"))
FIELD_LIMITS = {"name": 64, "source": 256}  # the holiday_calendar columns


def parse_day(text: str | None, field: str) -> date:
    """A ``YYYY-MM-DD`` date; anything else is a 400 naming the field."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError as error:
        raise BadRequest(
            f"{field} 应为 YYYY-MM-DD 格式的日期", {"field": field}, code="invalid_date"
        ) from error


def parse_month(text: str | None) -> date:
    """``YYYY-MM`` → the month's first day; default this month."""
    if not text:
        return workdays.today().replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError as error:
        raise BadRequest("month 应为 YYYY-MM 格式", {"field": "month"}) from error


def day_view(day: date, row: models.CalendarDay | None, years: frozenset[int]) -> dict[str, Any]:
    """One day as the clock counts it; ``kind`` and its notice only when it is an override.

    Read from the table itself, not the shared calendar (which other servers may hold for a
    few seconds after a change), so an administrator sees what was just saved.
    """
    cal = WorkCalendar({day: row.kind} if row else {}, years)
    return {
        "date": day.isoformat(),
        "weekday": day.isoweekday(),
        "is_workday": cal.is_workday(day),
        "kind": row.kind if row else None,
        "name": row.name if row else None,
        "source": row.source if row else None,
        "updated_by": row.updated_by if row else None,
        "provisional": cal.is_provisional(day),
        "assumed": None if row else cal.assumed_holiday(day),
    }


def year_set(uow: UnitOfWork) -> frozenset[int]:
    return frozenset(uow.session.scalars(select(models.CalendarYear.year)))


def calendar_days(
    uow: UnitOfWork, first: date, last: date
) -> tuple[list[dict[str, Any]], list[int]]:
    """Every day of ``[first, last]`` and the announced years (the API and this page share it)."""
    years = year_set(uow)
    rows = {
        row.day: row
        for row in uow.session.scalars(
            select(models.CalendarDay).where(models.CalendarDay.day.between(first, last))
        )
    }
    days = [
        day_view(first + timedelta(days=n), rows.get(first + timedelta(days=n)), years)
        for n in range((last - first).days + 1)
    ]
    return days, sorted(years)


def announced_years(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Announced years as runs of consecutive years with the same notice (2004–2026 · …)."""
    runs: list[dict[str, Any]] = []
    for row in uow.session.scalars(select(models.CalendarYear).order_by(models.CalendarYear.year)):
        last = runs[-1] if runs else None
        if last and last["last"] == row.year - 1 and last["source"] == row.source:
            last["last"] = row.year
        else:
            runs.append({"first": row.year, "last": row.year, "source": row.source})
    return runs


def _month_page(month: date, form: dict[str, str], errors: dict[str, str]) -> Any:
    with page_user() as (uow, user):
        access.require_role(user, "admin")
        weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
        days, _years = calendar_days(uow, weeks[0][0], weeks[-1][-1])
        by_date = {d["date"]: d for d in days}
        grid = [[by_date[d.isoformat()] for d in week] for week in weeks]
        overrides = [
            d for d in days if d["kind"] and date.fromisoformat(d["date"]).month == month.month
        ]
        years = announced_years(uow)
    previous_month = (month - timedelta(days=1)).replace(day=1)
    next_month = (month + timedelta(days=31)).replace(day=1)
    status = 422 if errors else 200
    return render_template(
        "admin/calendar.html",
        month=month,
        grid=grid,
        overrides=overrides,
        years=years,
        announced=any(y["first"] <= month.year <= y["last"] for y in years),
        previous_month=previous_month.strftime("%Y-%m"),
        next_month=next_month.strftime("%Y-%m"),
        kinds=KIND_CHOICES,
        form=form,
        errors=errors,
    ), status


@bp.get("/calendar")
@login_required
def calendar_page() -> Any:
    return _month_page(parse_month(request.args.get("month")), {}, {})


@bp.post("/calendar")
@login_required
def set_calendar_day() -> Any:
    form = {key: request.form.get(key, "").strip() for key in ("day", "kind", "name", "source")}
    errors: dict[str, str] = {}
    try:
        day = parse_day(form["day"], "day")
    except BadRequest:
        errors["day"] = _("日期格式应为 YYYY-MM-DD")
        day = None
    if not form["source"]:
        errors["source"] = _("请填写依据（通知文号或来源）")
    for key, limit in FIELD_LIMITS.items():
        if len(form[key]) > limit:
            errors[key] = _("不能超过 %(limit)s 个字符", limit=limit)
    if form["kind"] not in dict(KIND_CHOICES):
        errors["kind"] = _("请选择有效的选项")
    if day is not None and not errors:
        try:
            with page_user(write=True) as (uow, user):
                access.require_role(user, "admin")
                clock_service.set_calendar_day(
                    uow, user, day, form["kind"], form["name"], form["source"]
                )
        except BadRequest as failure:
            errors[failure.details.get("field", "day")] = failure.message
        else:
            flash(_("已保存 %(day)s 的日历设置", day=day.isoformat()), "success")
            return redirect(url_for("admin.calendar_page", month=day.strftime("%Y-%m")))
    flash(_("表单有误，请检查标出的字段"), "error")
    month = day.replace(day=1) if day else parse_month(request.args.get("month"))
    return _month_page(month, form, errors)


@bp.post("/calendar/clear")
@login_required
def clear_calendar_day() -> Any:
    """Remove one override: the day counts by the default rules again."""
    day = parse_day(request.form.get("day"), "day")
    with page_user(write=True) as (uow, user):
        access.require_role(user, "admin")
        clock_service.clear_calendar_day(uow, user, day)
    flash(_("已删除 %(day)s 的日历设置", day=day.isoformat()), "success")
    return redirect(url_for("admin.calendar_page", month=day.strftime("%Y-%m")))


@bp.post("/calendar/years")
@login_required
def announce_year() -> Any:
    """Mark a year's official schedule as announced (or withdraw a mistaken announcement)."""
    month = parse_month(request.form.get("month"))
    try:
        with page_user(write=True) as (uow, user):
            access.require_role(user, "admin")
            if request.form.get("withdraw"):
                clock_service.withdraw_calendar_year(uow, user, month.year)
            else:
                clock_service.announce_calendar_year(
                    uow, user, month.year, (request.form.get("source") or "").strip()
                )
    except DomainError as failure:
        if failure.status == 403:
            raise
        flash(failure.message, "error")
    else:
        if request.form.get("withdraw"):
            flash(_("已撤销 %(year)s 年的公布标记", year=month.year), "success")
        else:
            flash(_("已将 %(year)s 年标记为已公布", year=month.year), "success")
    return redirect(url_for("admin.calendar_page", month=month.strftime("%Y-%m")))
