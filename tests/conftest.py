"""Suite-wide fixtures and the browser rule.

Browser tests need Debian's Chromium. Without it they skip with a clear reason, except
under CI=true, where a missing browser is a failure: CI must never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vitalsdash.report import chromium_path

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_path():
        return
    browser_items = [i for i in items if i.get_closest_marker("browser")]
    if not browser_items:
        return
    if os.environ.get("CI", "").lower() == "true":
        for item in browser_items:
            item.add_marker(pytest.mark.usefixtures("_require_chromium_in_ci"))
        return
    skip = pytest.mark.skip(
        reason="Chromium not found at /usr/bin/chromium: install Debian's 'chromium' "
        "package to run browser tests (CI=true makes this a failure)"
    )
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture
def _require_chromium_in_ci() -> None:
    pytest.fail(
        "CI=true but Chromium is not installed at /usr/bin/chromium: browser tests "
        "cannot run (.ci/run installs Debian's 'chromium')",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
