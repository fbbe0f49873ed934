"""Every page loads without a console error and carries the training-tool notice."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PAGES = {
    "/": ".tile",
    "/bed/chair1": "#num-HR-value",
    "/bed/chair3": "#num-HR-value",
    "/instructor": ".ins-card",
    "/settings": ".set-card",
    "/bed/nobody": "h2",
    "/no/such/page": "h2",
}
NOT_FOUND = {"/bed/nobody", "/no/such/page"}
"""Answered with HTTP 404 (and the not-found page)."""


@pytest.mark.parametrize("path", list(PAGES))
def test_page_has_no_console_errors(page: Page, clinic, errors: list[str], path: str) -> None:
    page.goto(clinic.url + path)
    expect(page.locator(PAGES[path]).first).to_be_visible()
    expect(page.locator(".notice")).to_have_text("Training tool — not a medical device")
    clinic.advance(2)
    page.wait_for_timeout(1500)  # let a couple of ticks land
    if path in NOT_FOUND:  # the page's own 404 status, which Chromium logs; nothing else
        errors = [e for e in errors if "status of 404" not in e]
    assert errors == []


def test_the_json_api_is_served_alongside(clinic) -> None:
    with urllib.request.urlopen(clinic.url + "/api/health", timeout=10) as r:
        health = json.load(r)
    assert health["status"] == "ok"
    assert health["beds"] == len(clinic.runtime.beds)
