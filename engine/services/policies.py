"""政策解读专区: policy explanation articles per service item or topic, written by administrators
in Markdown and shown on the public pages, searchable. The Markdown is rendered, then
sanitised (nh3: an allow-list of tags and attributes), so an article cannot carry a script."""

from __future__ import annotations

from typing import Any

import markdown
import nh3
from sqlalchemy import func, or_, select

from .. import access, models, views
from ..errors import NotFound, ValidationFailed
from ..uow import UnitOfWork

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_TOPIC = 64


def render(text: str) -> str:
    """Markdown to HTML fit to put in a page as it is."""
    return nh3.clean(markdown.markdown(text, extensions=["tables", "sane_lists"]))


def _view(article: models.PolicyArticle, *, full: bool) -> dict[str, Any]:
    view = {
        "id": article.id,
        "title": article.title,
        "topic": article.topic,
        "service_item": article.service_item,
        "created_at": views.iso(article.created_at),
    }
    if full:
        view |= {"body": article.body, "html": render(article.body)}
    return view


def create(uow: UnitOfWork, user: models.User, body: Any) -> dict[str, Any]:
    """POST /policies (administrators): a new article about an item, a topic or both."""
    access.require_role(user, "admin")
    body = body if isinstance(body, dict) else {}
    problems: dict[str, str] = {}
    title = body.get("title").strip() if isinstance(body.get("title"), str) else ""
    text = body.get("body") if isinstance(body.get("body"), str) else ""
    topic = body.get("topic").strip() if isinstance(body.get("topic"), str) else ""
    item = body.get("service_item") or None
    if not title or len(title) > MAX_TITLE:
        problems["title"] = f"请填写标题（不超过 {MAX_TITLE} 字）"
    if not text.strip() or len(text) > MAX_BODY:
        problems["body"] = f"请填写正文（不超过 {MAX_BODY} 字）"
    if len(topic) > MAX_TOPIC:
        problems["topic"] = f"专题不超过 {MAX_TOPIC} 字"
    if item is not None and uow.session.get(models.ServiceItem, str(item)) is None:
        problems["service_item"] = "未知的事项"
    if not topic and item is None:
        problems["topic"] = "请选择事项或填写专题"
    if problems:
        raise ValidationFailed("政策解读填写有误", {"fields": problems})
    article = models.PolicyArticle(
        title=title, topic=topic, service_item=item, body=text, created_by=user.username
    )
    uow.session.add(article)
    uow.session.flush()
    return _view(article, full=True)


def search(
    uow: UnitOfWork,
    q: str | None = None,
    service_item: str | None = None,
    topic: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> tuple[list[dict[str, Any]], int]:
    """The public list: newest first, by words in the title or text, an item or a topic."""
    article = models.PolicyArticle
    query = select(article)
    words = (q or "").strip()
    if words:
        query = query.where(
            or_(
                article.title.contains(words, autoescape=True),
                article.body.contains(words, autoescape=True),
            )
        )
    if service_item:
        query = query.where(article.service_item == service_item)
    if topic:
        query = query.where(article.topic == topic)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(article.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return [_view(a, full=False) for a in rows], total


def get(uow: UnitOfWork, article_id: int) -> dict[str, Any]:
    article = uow.session.get(models.PolicyArticle, article_id)
    if article is None:
        raise NotFound(f"政策解读 {article_id} 不存在", code="policy_not_found")
    return _view(article, full=True)
