"""Pages of long lists: counted exactly up to a limit, and whether another page follows.

At a million cases an exact ``count(*)`` of a broad filter costs more than the page it goes
with (1.4 s for a search by number), and a clerk never pages through more than a few screens:
beyond ``COUNT_LIMIT`` matches the count stops and says so, while ``has_more`` — read from one
row past the page — stays exact at any depth.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int  # the number of matches when ``exact``, else COUNT_LIMIT: more than that match
    exact: bool
    has_more: bool  # another page follows this one

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as ``items, total``, the shape lists had before counts stopped."""
        return iter((self.items, self.total))

    def views(self, view: Any) -> Page:
        """The same page with each item turned into its view."""
        return Page([view(item) for item in self.items], self.total, self.exact, self.has_more)


def fetch_page(
    session: Session, query: Select, page: int, per_page: int, matches: Select | None = None
) -> Page:
    """One page of ``query`` (ordered by the caller) and the bounded count of ``matches`` (by
    default the query itself; a query shaped for fast pages may not be the one to count).

    The count is skipped when the page itself shows where the list ends.
    """
    offset = (page - 1) * per_page
    rows = list(session.scalars(query.offset(offset).limit(per_page + 1)))
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    if not has_more and (rows or page == 1):
        return Page(rows, offset + len(rows), True, False)
    capped = (query if matches is None else matches).order_by(None).limit(COUNT_LIMIT + 1)
    capped = capped.subquery()
    counted = session.scalar(select(func.count()).select_from(capped)) or 0
    if counted > COUNT_LIMIT:
        return Page(rows, COUNT_LIMIT, False, has_more)
    return Page(rows, counted, True, has_more)
