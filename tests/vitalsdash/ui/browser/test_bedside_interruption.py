"""The pages of a session resumed after a crash show where monitoring stopped: the
bedside trend and the central station's tile, each a band in words."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
LABEL = "Monitoring interrupted 2 min 13 s (server restart)"


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The restarted clinic, served by a process of its own (see restarted_clinic.py)."""
    db = Path(tmp_path_factory.mktemp("restart")) / "clinic.sqlite"
    script = Path(__file__).with_name("restarted_clinic.py")
    proc = subprocess.Popen([sys.executable, str(script), str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    try:
        port = (proc.stdout.readline() if proc.stdout else "").strip()
        assert port.isdigit(), f"the restarted clinic did not start (exit {proc.poll()})"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=10)


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


CENTRAL_BAND = """() => {
    const gd = document.querySelector('.tile[data-bed="chair1"] .tile-spark .js-plotly-plot');
    if (!gd || !gd.layout) return null;
    return (gd.layout.shapes || []).filter(s => s.name === 'interruption')
        .map(s => [s.x0, s.label.text]);
}"""


def test_the_central_tile_shows_the_interruption_in_words(page: Page, restarted: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(restarted + "/")
    label = page.locator('.tile[data-bed="chair1"] .tile-spark text', has_text=LABEL)
    expect(label).to_be_visible(timeout=15_000)
    assert page.evaluate(CENTRAL_BAND) == [[600, LABEL]]  # the sparkline's x: session seconds
    assert errors == []
