"""The 绩效考核 pages at a counter PC's size: the wide scorecard table scrolls inside its
frame instead of pushing the whole page sideways, and the period form lays out its fields."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .conftest import login

PAGE_WIDER_THAN_WINDOW = "() => document.documentElement.scrollWidth > window.innerWidth"


@pytest.mark.parametrize("path", ["/scorecards/", "/scorecards/screen"])
def test_the_scorecard_table_scrolls_within_the_page(page: Page, path: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, "admin")
    page.goto(path)
    assert page.locator(".table-wrap .scorecard-table").count() == 1
    assert not page.evaluate(PAGE_WIDER_THAN_WINDOW)


def test_the_period_form_puts_each_label_above_its_field(page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, "admin")
    page.goto("/scorecards/")
    for field in ("#f-from", "#f-to", "#f-by"):
        label = page.locator(f"label[for='{field[1:]}']").bounding_box()
        box = page.locator(field).bounding_box()
        assert label["y"] + label["height"] <= box["y"] + 1, field
        assert abs(label["x"] - box["x"]) < 2, field
