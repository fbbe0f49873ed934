"""Opening a 6-hour session's bedside view in Chromium: cold, warm reload, from the central station.

Target: "a 6-hour session opens on the bedside view in <= 2 s".

1. Builds the clinic of bench_ui.py (16 chairs, the shipped scenarios in turn, seeds
   100..115, a ManualClock, ``advance()`` in 60 s steps) to 6 simulated hours (about 15 s
   on 2 cores; ``--chairs`` takes fewer). The bed opened is chair6 (chronic-pain-4h: 4 h of
   infusion, then observation); the other chairs run the 40-min depression protocol. Time
   stands still afterwards (no runtime thread), so every open sees the same data.
2. Serves it as ``vitalsdash run`` does: ``create_app(rt).server`` under waitress through
   ``vitalsdash.server.http_server`` (``create_server(app, host="127.0.0.1", port=0,
   threads=8)``, then ``gc.freeze()`` of the start-up heap). Every server is a forked child
   process, created before Playwright starts: one long-lived server, warmed by one untimed
   browser visit, and ``--fresh`` servers that each see exactly one open (the first
   requests that process's Dash app ever serves, as after a restart). Each child disposes
   the inherited SQLAlchemy pool (``close=False``, as SQLAlchemy documents for ``os.fork``).
3. Drives Debian's /usr/bin/chromium through Playwright (``executable_path``, the flags of
   the browser tests), viewport 1920x1080, and measures, ``--reps`` times each:
   - cold, fresh server: new browser with a new persistent user-data dir (empty HTTP and
     code caches) straight to ``/bed/chair6``, first request to that server;
   - cold, warm server: the same against the warmed server;
   - cold, new context: a new context (empty in-memory cache) in a running browser;
   - warm reload of that page in that context (``page.reload()``);
   - from the central station: ``/`` loaded and live, then a click on chair6's tile
     (client-side navigation of Dash pages, no document load).
   "Opened" = the trend chart holds the backfilled history (``data[0].x`` of
   ``#bed-trends .js-plotly-plot`` has at least ``MIN_POINTS`` points; a 6 h session
   opens with ~2,700 HR points: min/max buckets, then 20 min at 1 Hz) AND ``#num-HR-value``
   shows a digit. Times are the page's own clock: ``performance.now()`` (zero = navigation
   start of the document; for the tile click, the moment just before the click) when a
   ``page.wait_for_function`` poll on every animation frame first sees the condition.
   "wall" is ``time.perf_counter()`` in this script around ``goto``/``reload``/click + wait
   (adds Playwright's round-trips). Median and max.
4. A breakdown of the cold opens: requests by type (count, bytes on the wire, decoded),
   DOMContentLoaded and load, when plotly.js arrived and when ``window.Plotly`` was set
   (evaluated), the page-layout callback and the bedside tick's first
   ``_dash-update-component`` (the backfill: sent, server wait, received, resolved in the
   page), the server waits of the first requests, and Chromium's main-thread totals
   (CDP ``Performance.getMetrics``) until opened.

    .venv/bin/python benchmarks/bench_ui_open.py [--reps 5] [--fresh 3] [--chairs 16]

About 2 minutes. Prints figures; asserts nothing. Only 127.0.0.1; every loop is bounded
in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ui import advance, clinic  # the same clinic, built the same way
from bench_ui_load import CHROMIUM_FLAGS
from vitalsdash.clock import ManualClock
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

HOST = "127.0.0.1"
BED = "chair6"
SESSION_S = 6 * 3600
MIN_POINTS = 1000
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1920, "height": 1080}
TIMEOUT_MS = 30_000
"""Per wait in the browser: a broken page fails the run instead of hanging it."""

OPENED_JS = """(minPoints) => {
  const g = document.querySelector('#bed-trends .js-plotly-plot');
  const v = document.getElementById('num-HR-value');
  const n = g && g.data && g.data[0] && g.data[0].x ? g.data[0].x.length : 0;
  if (n < minPoints || !v || !/[0-9]/.test(v.textContent)) return false;
  return {t: performance.now(), n: n, hr: v.textContent};
}"""

CENTRAL_LIVE_JS = """(bed) => {
  const tile = document.querySelector(`[data-bed="${bed}"]`);
  const g = tile && tile.querySelector('.js-plotly-plot');
  const hr = tile && tile.querySelector('.tnum-hr .tnum-value');
  return !!(g && g.data && g.data[0] && g.data[0].x && g.data[0].x.length > 0
            && hr && /[0-9]/.test(hr.textContent));
}"""

CLICK_TILE_JS = """(bed) => {
  const link = document.querySelector(`[data-bed="${bed}"] a`);
  window.__benchClick = performance.now();
  link.click();
  return window.__benchClick;
}"""

# Installed before any page script: when window.Plotly is set, and every callback request
# (its output, when it was sent, when its fetch resolved in the page; the network times
# come from resource timing).
INIT_JS = """(() => {
  const B = window.__bench = {plotly: null, fetches: []};
  let P;
  Object.defineProperty(window, 'Plotly', {configurable: true, enumerable: true,
    get() { return P; },
    set(v) { P = v; if (B.plotly === null) B.plotly = performance.now(); }});
  const f = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    const rec = {url: url, start: performance.now(), out: ''};
    if (url.includes('_dash-update-component') && init && typeof init.body === 'string') {
      try { rec.out = JSON.parse(init.body).output; } catch (e) { rec.out = '?'; }
    }
    B.fetches.push(rec);
    return f.apply(this, arguments).then((r) => {
      rec.resolved = performance.now();
      return r;
    });
  };
})();"""

COLLECT_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0] || {};
  const paint = {};
  for (const p of performance.getEntriesByType('paint')) paint[p.name] = p.startTime;
  return {
    nav: {ttfb: nav.responseStart, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          transfer: nav.transferSize, decoded: nav.decodedBodySize},
    paint: paint,
    res: performance.getEntriesByType('resource').map((e) => ({
      name: e.name, type: e.initiatorType, start: e.startTime, req: e.requestStart,
      resp: e.responseStart, end: e.responseEnd, transfer: e.transferSize,
      encoded: e.encodedBodySize, decoded: e.decodedBodySize})),
    bench: window.__bench || {},
  };
}"""


# --- the clinic and its servers ------------------------------------------------------------
@dataclass
class Child:
    pid: int
    url: str
    create_ms: float


def fork_server(rt: Runtime) -> Child:
    """A child process serving ``create_app(rt).server`` with waitress; its URL and how long
    ``create_app`` took. Only ever called before Playwright starts (no threads to fork)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: serve until SIGTERM
        code = 0
        try:
            os.close(r)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            rt.store._engine.dispose(close=False)  # the parent's pooled connections stay its own
            from vitalsdash.server import http_server
            from vitalsdash.ui.app import create_app

            t0 = time.perf_counter()
            app = create_app(rt)
            create_ms = (time.perf_counter() - t0) * 1e3
            server = http_server(app.server, HOST, 0)
            os.write(w, json.dumps([server.effective_port, create_ms]).encode())
            os.close(w)
            server.run()
        except BaseException:  # pragma: no cover - reported through the pipe's EOF
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        got = f.read()
    if not got:
        raise RuntimeError("server child failed to start (see its traceback above)")
    port, create_ms = json.loads(got)
    return Child(pid, f"http://{HOST}:{port}", create_ms)


def stop(child: Child) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signal.SIGTERM)
    for _ in range(100):  # bounded: 10 s
        pid, _status = os.waitpid(child.pid, os.WNOHANG)
        if pid:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signal.SIGKILL)
    os.waitpid(child.pid, 0)


# --- one measured open ---------------------------------------------------------------------
@dataclass
class Open:
    page_ms: float
    wall_ms: float
    points: int
    detail: dict[str, Any] = field(default_factory=dict)


def _watch_errors(page: Any, seen: list[str]) -> None:
    """Console errors and uncaught page errors of ``page`` go to ``seen``."""
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(str(e)))


def _opened(page: Any, t0: float) -> tuple[dict[str, Any], float]:
    handle = page.wait_for_function(OPENED_JS, arg=MIN_POINTS, polling="raf", timeout=TIMEOUT_MS)
    wall = (time.perf_counter() - t0) * 1e3
    return handle.json_value(), wall


CPU_METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")
"""Chromium's main-thread totals (CDP ``Performance.getMetrics``, seconds) for the page."""


def open_cold(page: Any, url: str) -> Open:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    t0 = time.perf_counter()
    page.goto(f"{url}/bed/{BED}", wait_until="commit")
    got, wall = _opened(page, t0)
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    page.wait_for_load_state("load", timeout=TIMEOUT_MS)
    detail = page.evaluate(COLLECT_JS)
    detail["cpu"] = {k: metrics.get(k, 0.0) * 1e3 for k in CPU_METRICS}
    cdp.detach()
    return Open(got["t"], wall, got["n"], detail)


def reload_warm(page: Any) -> Open:
    t0 = time.perf_counter()
    page.reload(wait_until="commit")
    got, wall = _opened(page, t0)
    page.wait_for_load_state("load", timeout=TIMEOUT_MS)
    return Open(got["t"], wall, got["n"], page.evaluate(COLLECT_JS))


def from_central(page: Any, url: str) -> Open:
    page.goto(f"{url}/", wait_until="load")
    page.wait_for_function(CENTRAL_LIVE_JS, arg=BED, polling="raf", timeout=TIMEOUT_MS)
    t0 = time.perf_counter()
    clicked = page.evaluate(CLICK_TILE_JS, BED)
    got, wall = _opened(page, t0)
    return Open(got["t"] - clicked, wall, got["n"])


# --- reporting -----------------------------------------------------------------------------
def _kind(name: str) -> str:
    path = name.split("?", 1)[0]
    if "plotly" in path.rsplit("/", 1)[-1] and path.endswith(".js"):
        return "plotly.js"
    if "_dash-update-component" in path:
        return "callbacks"
    if "/_dash-layout" in path or "/_dash-dependencies" in path:
        return "dash api"
    for ext, kind in ((".js", "other js"), (".css", "css"), (".woff2", "font"),
                      (".woff", "font"), (".ttf", "font"), (".map", "source map")):  # fmt: skip
        if path.endswith(ext):
            return kind
    return "other"


def _stats(values: list[float]) -> str:
    if not values:
        return "-"
    return f"median {statistics.median(values):7.0f} ms, max {max(values):7.0f} ms"


def report_opens(name: str, opens: list[Open]) -> None:
    pages = [o.page_ms for o in opens]
    walls = [o.wall_ms for o in opens]
    each = ", ".join(f"{p:.0f}" for p in pages)
    print(f"  {name:<44} page {_stats(pages)}   wall {_stats(walls)}   "
          f"(n={len(opens)}: {each}; {opens[0].points:,} HR points)")  # fmt: skip


def _first(recs: list[dict[str, Any]], marker: str) -> dict[str, Any] | None:
    return next((r for r in recs if marker in r.get("out", "")), None)


def _entry(res: list[dict[str, Any]], rec: dict[str, Any] | None) -> dict[str, Any] | None:
    """The resource-timing entry of a recorded callback request (the nearest start)."""
    if rec is None:
        return None
    cands = [r for r in res if "_dash-update-component" in r["name"]]
    return min(cands, key=lambda r: abs(r["start"] - rec["start"]), default=None)


def _med(rows: list[float | None]) -> str:
    vals = [v for v in rows if v is not None]
    return f"{statistics.median(vals):7.0f}" if vals else "      -"


def breakdown(name: str, opens: list[Open]) -> None:
    """Medians over the runs of the milestones; requests by type from the median run."""
    print(f"\n  breakdown: {name} (ms from navigation start; medians of {len(opens)} runs)")
    rows: dict[str, list[float | None]] = {}

    def put(key: str, v: float | None) -> None:
        rows.setdefault(key, []).append(v)

    for o in opens:
        d = o.detail
        nav, res, bench = d["nav"], d["res"], d["bench"]
        put("response of the index page (TTFB)", nav.get("ttfb"))
        for label, marker in (("_dash-layout", "/_dash-layout"),
                              ("_dash-dependencies", "/_dash-dependencies")):  # fmt: skip
            e = next((r for r in res if marker in r["name"]), None)
            put(f"{label}: answered at", e and e["end"])
            put(f"{label}: server wait (responseStart - requestStart)",
                e and (e["resp"] - e["req"]) if e and e["req"] else None)  # fmt: skip
        put("DOMContentLoaded", nav.get("dcl"))
        put("first contentful paint", d["paint"].get("first-contentful-paint"))
        plotly = next((r for r in res if _kind(r["name"]) == "plotly.js"), None)
        put("plotly.js requested", plotly and plotly["start"])
        put("plotly.js received", plotly and plotly["end"])
        put("window.Plotly set (plotly.js evaluated)", bench.get("plotly"))
        page_cb = _first(bench.get("fetches", []), "_pages_content.children")
        e = _entry(res, page_cb)
        put("page layout callback (_pages_content): sent", page_cb and page_cb["start"])
        put("page layout callback: server wait", e and e["req"] and e["resp"] - e["req"])
        put("page layout callback: received (network)", e and e["end"])
        tick = _first(bench.get("fetches", []), "bed-trends.figure")
        e = _entry(res, tick)
        put("bedside tick (backfill): sent", tick and tick["start"])
        put("bedside tick (backfill): server wait", e and e["req"] and e["resp"] - e["req"])
        put("bedside tick (backfill): received (network)", e and e["end"])
        put("bedside tick (backfill): fetch resolved in the page", tick and tick.get("resolved"))
        put("bedside tick (backfill): KB", e and e["decoded"] / 1024)
        put("opened (chart + HR number)", o.page_ms)
        put("load event", nav.get("load"))
        for k, v in d.get("cpu", {}).items():
            put(f"main thread until opened: {k}", v)
    for key, vals in rows.items():
        print(f"    {key:<58}{_med(vals)}")
    mid = sorted(opens, key=lambda o: o.page_ms)[len(opens) // 2]
    by: dict[str, list[int]] = {}
    for r in mid.detail["res"]:
        k = by.setdefault(_kind(r["name"]), [0, 0, 0, 0])
        k[0] += 1
        k[1] += r["transfer"] or 0
        k[2] += r["decoded"] or 0
        k[3] = max(k[3], int(r["end"]))
    nav = mid.detail["nav"]
    print(f"    requests of the median run ({mid.page_ms:.0f} ms); index page "
          f"{(nav.get('transfer') or 0) / 1024:.1f} KB on the wire:")  # fmt: skip
    print(f"      {'type':<12}{'count':>6}{'wire KB':>10}{'decoded KB':>12}{'last done ms':>14}")
    for kind, (n, wire, dec, last) in sorted(by.items(), key=lambda kv: -kv[1][2]):
        print(f"      {kind:<12}{n:>6}{wire / 1024:>10.1f}{dec / 1024:>12.1f}{last:>14}")
    big = sorted(mid.detail["res"], key=lambda r: -(r["decoded"] or 0))[:6]
    print("      largest: " + "; ".join(
        f"{r['name'].split('?')[0].rsplit('/', 1)[-1]} {(r['decoded'] or 0) / 1024:.0f} KB "
        f"[{r['start']:.0f}-{r['end']:.0f}]" for r in big))  # fmt: skip
    cbs = [f for f in mid.detail["bench"].get("fetches", []) if f.get("out")]
    print(f"      callbacks sent until opened: {len(cbs)}: " + "; ".join(
        f"{f['out'][:36]} [{f['start']:.0f}-{f.get('resolved', float('nan')):.0f}]"
        for f in cbs[:8]))  # fmt: skip


# --- the runs ------------------------------------------------------------------------------
class Runs:
    """Every measured open by name, and the console errors seen while measuring."""

    def __init__(self, chromium: Any, tmp: Path) -> None:
        self.chromium = chromium
        self.tmp = tmp
        self.opens: dict[str, list[Open]] = {}
        self.errors: list[str] = []

    def add(self, name: str, run: Open) -> None:
        self.opens.setdefault(name, []).append(run)

    def new_profile(self) -> tuple[Any, Any]:
        """A new browser process on a new user-data dir (empty disk and code caches)."""
        ctx = self.chromium.launch_persistent_context(
            tempfile.mkdtemp(dir=self.tmp, prefix="profile-"), executable_path=CHROMIUM,
            args=CHROMIUM_FLAGS, viewport=VIEWPORT)  # fmt: skip
        ctx.add_init_script(INIT_JS)
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        _watch_errors(page, self.errors)
        return ctx, page

    def new_context(self, browser: Any) -> tuple[Any, Any]:
        """A new context (empty in-memory cache) in a browser that is already running."""
        ctx = browser.new_context(viewport=VIEWPORT)
        ctx.add_init_script(INIT_JS)
        page = ctx.new_page()
        _watch_errors(page, self.errors)
        return ctx, page


def measure(pw: Any, tmp: Path, warm: Child, fresh: list[Child], reps: int,
            children: list[Child]) -> Runs:  # fmt: skip
    runs = Runs(pw.chromium, tmp)
    ctx, page = runs.new_profile()  # not counted: warms the long-lived server and the machine
    open_cold(page, warm.url)  # (Chromium's files in the page cache, Playwright's driver)
    ctx.close()
    for child in fresh:  # the first requests each of these servers ever sees
        ctx, page = runs.new_profile()
        runs.add("cold, fresh server, new profile", open_cold(page, child.url))
        ctx.close()
        stop(child)
        children.remove(child)
    for _ in range(reps):
        ctx, page = runs.new_profile()
        runs.add("cold, warm server, new profile", open_cold(page, warm.url))
        ctx.close()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    try:
        browser.new_page().close()  # the browser is up and has started a renderer once
        for _ in range(reps):
            ctx, page = runs.new_context(browser)
            runs.add("cold, warm server, new context", open_cold(page, warm.url))
            runs.add("warm reload (same context)", reload_warm(page))
            runs.add("from central station (tile click)", from_central(page, warm.url))
            ctx.close()
    finally:
        browser.close()
    return runs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5, help="repetitions of each measurement")
    ap.add_argument("--fresh", type=int, default=3, help="opens against a fresh server")
    ap.add_argument("--chairs", type=int, default=16, help="chairs in the clinic (>= 6)")
    args = ap.parse_args(argv)
    reps = max(1, min(args.reps, 20))
    n_fresh = max(0, min(args.fresh, 10))
    chairs = max(6, min(args.chairs, 32))

    from playwright.sync_api import sync_playwright

    import vitalsdash.ui.app  # noqa: F401  (imported once, before the forks share it)

    tmp = Path(tempfile.mkdtemp(prefix="bench-ui-open-"))
    store = Store(str(tmp / "open.sqlite"))
    rt = Runtime(clinic(chairs), store, Feed(store), clock=ManualClock())
    rt.start()
    print(f"vitalsdash bedside open benchmark: {chairs} chairs, {BED} "
          f"({rt.beds[BED].config.scenario}) at 6 h; {CHROMIUM}")  # fmt: skip
    t0 = time.perf_counter()
    advance(rt, SESSION_S)
    print(f"  (setup: 6 h simulated in {time.perf_counter() - t0:.1f} s)")
    children: list[Child] = []
    try:
        children = [fork_server(rt) for _ in range(1 + n_fresh)]  # before Playwright's threads
        warm, fresh = children[0], children[1:]
        print(f"  servers: {len(children)} waitress children; create_app "
              f"{statistics.median(c.create_ms for c in children):.0f} ms median")  # fmt: skip
        with sync_playwright() as pw:
            runs = measure(pw, tmp, warm, list(fresh), reps, children)
    finally:
        for child in children:
            stop(child)
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nopening /bed/{BED} (6 h session), until the chart holds >= {MIN_POINTS} HR "
          "points and the HR numeric a number; target <= 2 s")  # fmt: skip
    for name, opens in runs.opens.items():
        report_opens(name, opens)
    for name in ("cold, fresh server, new profile", "cold, warm server, new profile"):
        if runs.opens.get(name):
            breakdown(name, runs.opens[name])
    print(f"\n  console errors while measuring: {len(runs.errors)}")
    for text in sorted(set(runs.errors))[:5]:
        print(f"    {text[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
