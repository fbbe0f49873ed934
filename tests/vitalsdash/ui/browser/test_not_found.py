"""Unknown pages answer 404 (and still show the not-found page); every real page, the
assets, the API and Dash's own routes answer as before."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _status(url: str, method: str = "GET") -> tuple[int, str, str]:
    """(status, final URL, body) without raising on 4xx; redirects are followed."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.url, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.url, exc.read().decode("utf-8", "replace")


def _session_id(clinic) -> int:
    return clinic.view("chair1").session_id


def test_pages_assets_api_and_dash_routes_answer_200(clinic) -> None:
    sid = _session_id(clinic)
    for path in (
        "/", "/bed/chair1", "/bed/chair3/", "/instructor", "/settings", "/review",
        f"/review/{sid}", "/assets/monitor.css", "/api/health", "/api/beds",
        "/_dash-layout", "/_dash-dependencies", "/_favicon.ico",
    ):  # fmt: skip
        status, _, _ = _status(clinic.url + path)
        assert status == 200, path


def test_unknown_pages_answer_404_with_the_not_found_page(clinic) -> None:
    for path in (
        "/anything", "/no/such/page", "/bed/nobody", "/bed/", "/bed/chair1/extra",
        "/review/999999", "/review/abc", "/settings/x", "/404",
    ):  # fmt: skip
        status, _, body = _status(clinic.url + path)
        assert status == 404, path
        assert '<div id="react-entry-point">' in body, "still the app, which says not found"
    assert _status(clinic.url + "/anything", "HEAD")[0] == 404
    assert _status(clinic.url + "/api/nothing")[0] == 404  # the API's own JSON 404
    assert _status(clinic.url + "/assets/nothing.css")[0] == 404


def test_the_addresses_people_type_lead_to_the_page(clinic) -> None:
    status, url, _ = _status(clinic.url + "/central")
    assert (status, url) == (200, clinic.url + "/")
    status, url, _ = _status(clinic.url + "/bedside/chair2")
    assert (status, url) == (200, clinic.url + "/bed/chair2")
    assert _status(clinic.url + "/bedside/nobody")[0] == 404


def test_the_browser_gets_404_and_the_not_found_page(page: Page, clinic) -> None:
    response = page.goto(clinic.url + "/no/such/page")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    page.get_by_role("link", name="Back to the central station").click()
    expect(page.locator(".tile").first).to_be_visible()
    response = page.goto(clinic.url + "/bed/nobody")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="No such chair")).to_be_visible()
    response = page.goto(clinic.url + "/bed/chair2")
    assert response is not None
    assert response.status == 200
    expect(page.locator("h1.bed-name")).to_have_text("Chair 2")
