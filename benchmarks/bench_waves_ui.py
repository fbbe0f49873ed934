"""The swept waveforms in Chromium: bytes per page per second, main-thread ms per frame.

Targets: a bedside page's three waves at most 3 KB/s; the sweep's main-thread time at most
4 ms per animation frame at 60 fps (assets/waves.js).

1. Serves the clinic of the sweep's browser tests (tests/vitalsdash/ui/browser/
   waves_clinic.py): its own process, the runtime's tick thread at x1 (one simulated
   second per wall second, ticks every 0.5 s), every infusion just started. Until the
   simulator makes waveforms, its source is given the synthetic ones of the tests
   (ECG II 250 Hz, pleth 125 Hz, CO2 25 Hz: the registry's rates).
2. Drives Debian's /usr/bin/chromium through Playwright (the browser tests' flags),
   viewport 1920x1080, and for ``--seconds`` (60) on each page measures:
   - bedside, polled: the wave requests (``/_vitals/bed/<id>/waves``: count, response
     bodies, response and request headers, from Playwright's ``request.sizes()``);
   - bedside, pushed (``live_updates = "push"``): the packets the stream carried (their
     bytes as decoded by the page, and as base64 in their SSE events);
   - central station, ``--beds`` (20) tiles: the one request for every chair's ECG.
   and on each, from ``window.__vitalsWaves.ms`` (``performance.now()`` around the
   sweep's work in each animation frame, 0.1 ms resolution in Chromium): frames per
   second and p50/p95/max ms; and Chromium's main-thread totals for the page over the
   window (CDP ``Performance.getMetrics``: TaskDuration, ScriptDuration), everything the
   page did, the Dash callbacks included.

    .venv/bin/python benchmarks/bench_waves_ui.py [--seconds 60] [--beds 20]

About 4 minutes. Prints figures; asserts nothing. Only 127.0.0.1; every loop is bounded
in count and time.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "helpers"))

import synthetic_waves

from vitalsdash.report import CHROMIUM_FLAGS, chromium_path

CLINIC = ROOT / "tests" / "vitalsdash" / "ui" / "browser" / "waves_clinic.py"
VIEWPORT = {"width": 1920, "height": 1080}
TIMEOUT_MS = 30_000


@contextmanager
def served(*flags: str) -> Iterator[str]:
    """The sweep clinic in a process of its own; its URL."""
    if not synthetic_waves.simulator_has_waveforms():
        flags = (*flags, "--synthetic")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([sys.executable, str(CLINIC), str(Path(tmp) / "c.sqlite"),
                                 *flags], stdout=subprocess.PIPE, text=True)  # fmt: skip
        try:
            port = (proc.stdout.readline() if proc.stdout else "").strip()
            if not port.isdigit():
                raise SystemExit(f"the clinic did not start (exit {proc.poll()})")
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.kill()
            proc.wait(timeout=10)


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, math.floor(q * len(s)))] if s else float("nan")


def _metrics(cdp: Any) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def measure(browser: Any, url: str, path: str, seconds: int, wave_path: str) -> dict[str, Any]:
    """Open ``path``, wait for the sweep, then record ``seconds`` of it."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(TIMEOUT_MS)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    requests: list[Any] = []
    page.on("requestfinished", lambda r: requests.append(r) if wave_path in r.url else None)
    page.goto(url + path)
    page.wait_for_function("() => window.__vitalsWaves && window.__vitalsWaves.frames.length > 10")
    page.wait_for_timeout(2000)  # past the opening backfill
    requests.clear()
    page.evaluate("() => { const w = window.__vitalsWaves; w.ms.length = 0; w.bytes = 0;"
                  " w.packets = 0; w.jumps = 0; w.starved = 0; }")  # fmt: skip
    before = _metrics(cdp)
    page.wait_for_timeout(seconds * 1000)
    after = _metrics(cdp)
    rec = page.evaluate("() => { const w = window.__vitalsWaves; return {ms: w.ms.slice(),"
                        " bytes: w.bytes, packets: w.packets, jumps: w.jumps,"
                        " starved: w.starved}; }")  # fmt: skip
    sizes = [r.sizes() for r in list(requests)]
    page.close()
    ms = rec["ms"]
    return {
        "seconds": seconds,
        "fps": len(ms) / seconds,
        "p50": _pct(ms, 0.5), "p95": _pct(ms, 0.95), "max": max(ms, default=float("nan")),
        "packets": rec["packets"], "packet_bytes": rec["bytes"],
        "jumps": rec["jumps"], "starved": rec["starved"],
        "requests": len(sizes),
        "body": sum(s["responseBodySize"] for s in sizes),
        "resp_headers": sum(s["responseHeadersSize"] for s in sizes),
        "req_headers": sum(s["requestHeadersSize"] for s in sizes),
        "task_s": after["TaskDuration"] - before["TaskDuration"],
        "script_s": after["ScriptDuration"] - before["ScriptDuration"],
    }  # fmt: skip


def report(name: str, m: dict[str, Any], pushed: bool = False) -> None:
    s = m["seconds"]
    print(f"\n{name}")
    print(f"  frames: {m['fps']:.1f}/s; sweep main-thread ms per frame p50 {m['p50']:.2f}, "
          f"p95 {m['p95']:.2f}, max {m['max']:.2f}; live-edge jumps {m['jumps']}, "
          f"waits for data {m['starved']}")  # fmt: skip
    print(f"  packets: {m['packets'] / s:.2f}/s, {m['packet_bytes'] / s:.0f} B/s decoded")
    if pushed:
        wire = m["packet_bytes"] * 4 / 3 + m["packets"] * len("event: wave\ndata: \n\n")
        print(f"  on the stream (base64 in SSE events): about {wire / s:.0f} B/s; no requests")
    else:
        print(f"  requests: {m['requests'] / s:.2f}/s; response bodies {m['body'] / s:.0f} B/s, "
              f"+ response headers {m['resp_headers'] / s:.0f} B/s "
              f"(= {(m['body'] + m['resp_headers']) / s:.0f} B/s down), "
              f"request headers {m['req_headers'] / s:.0f} B/s up")  # fmt: skip
    print(
        f"  Chromium main thread, the whole page: {100 * m['task_s'] / s:.1f}% busy "
        f"(script {100 * m['script_s'] / s:.1f}%)"
    )


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--beds", type=int, default=20)
    args = parser.parse_args()
    seconds = max(5, min(args.seconds, 600))
    path = chromium_path()
    if not path:
        raise SystemExit("Chromium not found at /usr/bin/chromium")
    print(
        f"waves: {'the simulator' if synthetic_waves.simulator_has_waveforms() else 'synthetic'}"
        f"; {seconds} s per page at x1, viewport {VIEWPORT['width']}x{VIEWPORT['height']}"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            with served() as url:
                m = measure(browser, url, "/bed/chair1", seconds, "/_vitals/bed/")
            report("bedside, polled (3 waves)", m)
            with served("--push") as url:
                m = measure(browser, url, "/bed/chair1", seconds, "/_vitals/bed/")
            report("bedside, pushed (3 waves on the SSE stream)", m, pushed=True)
            with served("--beds", str(args.beds)) as url:
                m = measure(browser, url, "/", seconds, "/_vitals/central/")
            report(f"central station, {args.beds} tiles (ECG)", m)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
