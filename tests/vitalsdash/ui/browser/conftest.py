"""The dashboard served for Playwright: one runtime, one app, one server per test session.

The runtime runs on a ManualClock with no tick thread: tests move time themselves
(``clinic.advance(seconds)`` or ``clinic.run_wall(seconds)`` at the clinic's x60 speed),
so every run sees the same numbers. Chromium is Debian's (/usr/bin/chromium); the root
conftest skips these tests without it (and fails them under CI=true).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from infusion_start import start_all
from werkzeug.serving import make_server

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.principal import AccessPolicy
from vitalsdash.report import CHROMIUM_FLAGS as REPORT_FLAGS
from vitalsdash.report import chromium_path
from vitalsdash.runtime import Runtime
from vitalsdash.server import _guard as _http_guard
from vitalsdash.server._serve import install_access
from vitalsdash.store import Store

CHROMIUM_FLAGS = [*REPORT_FLAGS, "--autoplay-policy=no-user-gesture-required"]
START_S = 1500
"""Where the clinic starts: 15 minutes into every chair's infusion."""


@dataclass
class Clinic:
    runtime: Runtime
    clock: ManualClock
    url: str
    policy: AccessPolicy

    def advance(self, seconds: int) -> None:
        """Simulated seconds for every chair, at once."""
        self.runtime.advance(seconds)

    def run_wall(self, seconds: int) -> None:
        """Wall seconds at the clinic's speed, tick by tick, as the runtime thread would."""
        for _ in range(seconds):
            self.clock.advance(1.0)
            self.runtime.tick()

    def view(self, bed_id: str):
        from vitalsdash.ui.state import bed_view

        return bed_view(self.runtime, bed_id)


def clinic_config() -> ClinicConfig:
    beds = [
        BedConfig(id="chair1", label="Chair 1", scenario="uneventful-depression", seed=11),
        BedConfig(id="chair2", label="Chair 2", scenario="uneventful-depression", seed=21),
        # twins: same patient and seed, so pausing one pump shows what the pump did
        BedConfig(id="chair3", label="Chair 3", scenario="hypertensive-responder", seed=12),
        BedConfig(id="chair4", label="Chair 4", scenario="hypertensive-responder", seed=12),
    ]
    return ClinicConfig(clinic=ClinicSection(name="Browser-test clinic", speed=60), beds=beds)


@pytest.fixture(scope="session")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    from vitalsdash.ui.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    store = Store(str(tmp_path_factory.mktemp("browser") / "clinic.sqlite"))
    clock = ManualClock()
    runtime = Runtime(clinic_config(), store, Feed(store), clock=clock)
    runtime.start()
    runtime.advance(600)  # the end of the 10-minute baselines: the nurses start every
    start_all(runtime)  # infusion (the instructor where the check blocks it)
    runtime.advance(START_S - 600)
    app = create_app(runtime)
    policy = install_access(app.server, runtime, False, app)  # as create_wsgi_app does:
    _http_guard.install(app.server, "127.0.0.1")  # the open demo until a test signs in
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dash-test-server", daemon=True)
    thread.start()
    try:
        yield Clinic(runtime, clock, f"http://127.0.0.1:{server.server_port}", policy)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        store.close()


# pytest-playwright keeps its sync API (and with it a running asyncio loop in the main
# thread) for the whole session, which breaks later tests that call asyncio.run(). The same
# fixtures scoped to each test module stop Playwright when its browser tests are done.
@pytest.fixture(scope="module")
def playwright(_pw_api_request_contexts) -> Iterator:
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    pw.stop()


@pytest.fixture(scope="module")
def browser_type(playwright, browser_name: str):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def launch_browser(browser_type_launch_args: dict, browser_type):
    return lambda **kwargs: browser_type.launch(**{**browser_type_launch_args, **kwargs})


@pytest.fixture(scope="module")
def browser(launch_browser) -> Iterator:
    b = launch_browser()
    yield b
    b.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="module")
def browser_context_args(pytestconfig: pytest.Config, _pw_artifacts_folder) -> dict:
    """A laptop-sized window (the monitor must work at 1280x800); videos on request."""
    args: dict = {"viewport": {"width": 1280, "height": 800}}
    if pytestconfig.getoption("--video") in ("on", "retain-on-failure"):
        args["record_video_dir"] = _pw_artifacts_folder.name
    return args


@pytest.fixture
def errors(page) -> list[str]:
    """Console errors and uncaught page errors seen by ``page`` during the test."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(f"pageerror: {e}"))
    return seen
