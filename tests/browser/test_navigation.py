"""The main navigation shows every link a user has, in either language, at a counter PC's size."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .conftest import login

HIDDEN_LINKS = """() => {
  const nav = document.querySelector('.main-nav').getBoundingClientRect();
  return [...document.querySelectorAll('.main-nav a')]
    .filter(a => a.getBoundingClientRect().right > nav.right + 1)
    .map(a => a.textContent.trim());
}"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_administrator_sees_every_navigation_link(page: Page, lang: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, "admin")
    page.goto(f"/tasks?lang={lang}")
    assert page.locator(".main-nav a").count() >= 10
    assert page.evaluate(HIDDEN_LINKS) == []
