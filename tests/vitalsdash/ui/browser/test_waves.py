"""The swept waveforms in a real browser: they move, Freeze holds them, the ECG sweep has
no gap at x1, the central tiles sweep too, a pushed page gets them on its stream.

The sweep needs a clinic in real time: its own process (waves_clinic.py), the runtime's
tick thread at x1. Until the simulator makes waveforms, its source is given synthetic ones
(tests/helpers/synthetic_waves.py); once it does, the clinic sweeps the simulator's own.
waves.js records what it drew on ``window.__vitalsWaves`` (see its header).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
import synthetic_waves
from playwright.sync_api import Page, expect

from vitalsdash import channels

pytestmark = pytest.mark.browser

LABELS = [c.label for c in channels.waves()]
ECG = channels.waves()[0].id
CANVASES = "() => [...document.querySelectorAll('#bed-waves canvas')].map(c => c.toDataURL())"
SIZES = [(1280, 800), (1920, 1080)]
POLL = "/_vitals/bed/chair1/waves"


def _serve(tmp: Path, *flags: str) -> subprocess.Popen:
    script = Path(__file__).with_name("waves_clinic.py")
    if not synthetic_waves.simulator_has_waveforms():
        flags = (*flags, "--synthetic")
    args = [sys.executable, str(script), str(tmp / "clinic.sqlite"), *flags]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


@pytest.fixture(scope="module")
def sweeping(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A clinic of three chairs at x1 whose pages poll for their waves."""
    proc = _serve(tmp_path_factory.mktemp("sweep"))
    try:
        port = (proc.stdout.readline() if proc.stdout else "").strip()
        assert port.isdigit(), f"the sweep clinic did not start (exit {proc.poll()})"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _open_bed(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#bed-waves")).not_to_have_class("wave-panel no-waves", timeout=15_000)
    page.wait_for_function("() => window.__vitalsWaves.frames.length > 10")


def test_the_waves_move_and_freeze_holds_them(page: Page, sweeping: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _open_bed(page, sweeping + "/bed/chair1")
    strips = page.locator("#bed-waves .wave-strip")
    expect(strips.locator(".wave-label")).to_have_text(LABELS)
    for i, c in enumerate(channels.waves()):  # each in its numeric's colour
        assert f"--ch: {c.colour}" in (strips.nth(i).get_attribute("style") or "")
    expect(page.locator("#bed-waves .wave-cal-label")).to_have_text("1 mV")
    expect(page.locator("#bed-waves .wave-mark-label")).to_have_text(["0", "25", "50"])

    before = page.evaluate(CANVASES)
    page.wait_for_timeout(300)
    moved = page.evaluate(CANVASES)
    assert before[0] != moved[0], "the ECG sweeps"
    assert before[1] != moved[1], "the pleth sweeps"

    freeze = page.locator("#wave-freeze")
    freeze.focus()
    page.keyboard.press("Enter")  # a key like any other button: keyboard first
    expect(freeze).to_have_text("Unfreeze")
    expect(freeze).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#bed-waves .wave-frozen")).to_be_visible()
    page.wait_for_timeout(100)  # the frame under way
    held = page.evaluate(CANVASES)
    packets = page.evaluate("() => window.__vitalsWaves.packets")
    page.wait_for_timeout(1000)
    assert page.evaluate(CANVASES) == held, "frozen: not a pixel moves"
    assert page.evaluate("() => window.__vitalsWaves.packets") > packets, "the data keeps coming"

    freeze.click()
    expect(freeze).to_have_text("Freeze")
    expect(freeze).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#bed-waves .wave-frozen")).to_be_hidden()
    page.wait_for_timeout(300)
    assert page.evaluate(CANVASES)[0] != held[0], "the sweep goes on at the live edge"
    assert errors == []


def test_the_ecg_sweep_has_no_gap_over_100_ms_at_x1(page: Page, sweeping: str) -> None:
    _open_bed(page, sweeping + "/bed/chair2")
    page.evaluate("() => { window.__vitalsWaves.frames.length = 0; }")
    page.wait_for_timeout(30_000)  # 30 s of sweep, recorded
    frames = page.evaluate(
        f"() => window.__vitalsWaves.frames.filter(f => f[0] === 'chair2' && f[1] === '{ECG}')"
    )
    assert len(frames) > 100
    inside = max(f[4] for f in frames)
    between = max(b[2] - a[3] for a, b in pairwise(frames))
    assert all(b[2] > a[3] for a, b in pairwise(frames)), "each frame draws what is new"
    assert inside <= 0.1, f"a gap of {inside:.3f} s inside a frame's samples"
    assert between <= 0.1, f"a gap of {between:.3f} s between two frames' samples"
    assert frames[-1][3] - frames[0][2] > 20.0, "the sweep kept up with the clinic"
    ms = page.evaluate("() => window.__vitalsWaves.ms.slice()")
    ms.sort()
    print(f"\nmain-thread ms per frame over {len(ms)} frames: p50 {ms[len(ms) // 2]:.2f}, "
          f"p95 {ms[int(len(ms) * 0.95)]:.2f}, max {ms[-1]:.2f}")  # fmt: skip


def test_a_strip_whose_leads_are_off_says_so(page: Page, sweeping: str) -> None:
    _open_bed(page, sweeping + "/bed/chair3")  # the artefact-heavy chair: its leads are off
    offs = page.locator("#bed-waves .wave-off")
    expect(offs.nth(0)).to_be_visible(timeout=15_000)
    expect(offs.nth(0)).to_have_text("Leads off")
    expect(offs.nth(1)).to_be_hidden()  # the pleth is there
    expect(offs.nth(2)).to_be_hidden()


def test_every_tile_sweeps_its_ecg_from_one_request(page: Page, sweeping: str) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/_vitals/" in r.url else None)
    page.goto(sweeping + "/")
    strip = page.locator('.tile[data-bed="chair1"] .tile-wave')
    expect(strip).not_to_have_class("tile-wave no-waves", timeout=15_000)
    expect(strip.locator(".wave-label")).to_have_text(LABELS[0])
    canvas = strip.locator("canvas")
    before = canvas.evaluate("c => c.toDataURL()")
    page.wait_for_timeout(300)
    assert canvas.evaluate("c => c.toDataURL()") != before
    assert page.locator(".tile-wave:not(.no-waves)").count() == 3
    assert requests, "the page asks for the waves"
    assert all("/_vitals/central/waves?after=" in u for u in requests), "one request, all beds"


def test_the_waves_ride_a_pushed_pages_stream(page: Page, tmp_path: Path) -> None:
    proc = _serve(tmp_path, "--push")
    try:
        port = (proc.stdout.readline() if proc.stdout else "").strip()
        assert port.isdigit(), f"the sweep clinic did not start (exit {proc.poll()})"
        polls: list[str] = []
        page.on("request", lambda r: polls.append(r.url) if POLL in r.url else None)
        _open_bed(page, f"http://127.0.0.1:{port}/bed/chair1")
        before = page.evaluate(CANVASES)
        page.wait_for_timeout(300)
        assert page.evaluate(CANVASES)[0] != before[0]
        time.sleep(1.0)
        assert polls == [], "no poll: the stream carries the waves"
    finally:
        proc.kill()
        proc.wait(timeout=10)


OUT_OF_VIEW = """(sel) => [...document.querySelectorAll(sel)].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width && (r.top < 0 || r.left < 0 || r.bottom > innerHeight + 0.5
                       || r.right > innerWidth + 0.5);
}).map(el => el.id || el.className)"""


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_bedside_fits_the_screen_with_the_waves(
    page: Page, clinic, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared clinic (a manual clock) with waves: the page still needs no scrolling,
    every control is in reach, the ECG gets a readable strip and the trends their room."""
    if not synthetic_waves.simulator_has_waveforms():
        synthetic_waves.install(monkeypatch)
    for _ in range(3):
        clinic.advance(1)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(clinic.url + "/bed/chair1")
    expect(page.locator("#bed-waves")).not_to_have_class("wave-panel no-waves")
    page.wait_for_function("(document.querySelector('#bed-trends .js-plotly-plot') || {}).data")
    assert page.evaluate("() => document.scrollingElement.scrollHeight <= innerHeight")
    controls = "button, input, select, textarea, a[href], .form-check"
    assert page.evaluate(OUT_OF_VIEW, controls) == []
    assert page.evaluate(OUT_OF_VIEW, ".num-box, .alarm-banner, .trend-card, #bed-waves") == []
    heights = page.evaluate(
        "() => [...document.querySelectorAll('#bed-waves .wave-strip')]"
        ".map(s => s.getBoundingClientRect().height).filter(h => h > 0)"
    )
    assert heights, "the ECG at least is swept"
    assert min(heights) >= 30, heights
    chart = page.locator("#bed-trends").bounding_box()
    assert chart is not None
    assert chart["height"] >= 80, "the trends keep room"
