"""A bedside page of a session resumed after a crash shows where monitoring stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from vitalsdash import _http_guard
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.browser
LABEL = "Monitoring interrupted 2 min 13 s (server restart)"


class Wall:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _clinic() -> ClinicConfig:
    bed = BedConfig(id="chair1", label="Chair 1", scenario="uneventful-depression", seed=11)
    return ClinicConfig(clinic=ClinicSection(resume_interrupted=True), beds=[bed])


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A clinic that ran 10 minutes, died, and was started again 133 s later."""
    from vitalsdash.ui.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    db, wall = Path(tmp_path_factory.mktemp("restart")) / "clinic.sqlite", Wall()
    store = Store(db)
    first = Runtime(_clinic(), store, Feed(store), clock=ManualClock(), wall=wall)
    first.start()
    first.advance(600)
    store.close()  # the crash: the session is still running in the store
    wall.now += timedelta(seconds=133)
    store = Store(db)
    runtime = Runtime(_clinic(), store, Feed(store), clock=ManualClock(), wall=wall)
    runtime.start()
    runtime.advance(120)
    app = create_app(runtime)
    _http_guard.install(app.server, "127.0.0.1")
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="restart-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        store.close()


def test_the_bedside_chart_shows_the_interruption_in_words(page: Page, restarted: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(restarted + "/bed/chair1")
    label = page.locator("#bed-trends text", has_text=LABEL)
    expect(label).to_be_visible(timeout=15_000)
    band = page.evaluate(
        """() => document.querySelector('#bed-trends .js-plotly-plot').layout.shapes
            .filter(s => s.name === 'interruption').map(s => s.x0)"""
    )
    assert band == [86_400_000 + 600_000]  # at 10:00 into the session, where it stopped
    assert errors == []
