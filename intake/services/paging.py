"""Page numbers with a total for every list: one COUNT and one LIMIT/OFFSET query."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select

from intake.extensions import db

PER_PAGE = 50
MAX_PER_PAGE = 200


def clamp(page: Any, per_page: Any = PER_PAGE) -> tuple[int, int]:
    """Page and page size from user input: anything odd falls back to a sensible value."""
    try:
        page = int(page)
    except (TypeError, ValueError):
        page = 1
    try:
        per_page = int(per_page)
    except (TypeError, ValueError):
        per_page = PER_PAGE
    return max(1, min(page, 10**6)), max(1, min(per_page, MAX_PER_PAGE))


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)

    def replace(self, items: list) -> Page:
        return replace(self, items=items)

    def window(self, size: int = 2) -> list[int | None]:
        """Page numbers to link: first, last and a few around this one (None: a gap)."""
        shown = sorted({1, self.pages, *range(max(1, self.page - size),
                                               min(self.pages, self.page + size) + 1)})
        numbers: list[int | None] = []
        for number in shown:
            if numbers and number - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers


def paginate(rows_query, count_query, *, page: int, per_page: int) -> Page:
    """Rows of one page and the total of the whole list (the count ignores ordering)."""
    page, per_page = clamp(page, per_page)
    total = db.session.execute(
        select(func.count()).select_from(count_query.order_by(None).subquery())).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages)  # past the end: the last page rather than an empty one
    items = list(db.session.execute(
        rows_query.limit(per_page).offset((page - 1) * per_page)).all())
    if items and len(items[0]) == 1:
        items = [row[0] for row in items]
    else:
        items = [tuple(row) for row in items]
    return Page(items=items, total=total, page=page, per_page=per_page)
