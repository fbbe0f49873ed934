"""README screenshots of every page, taken from a deterministic clinic in a real browser.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--only central,bedside]

Two clinics, each in its own process (``create_app`` may be called once per process):

* the default clinic (``config/clinic.toml``) for the bedside, instructor, settings and
  (if the page exists) review shots, 45 simulated minutes in, when chair 2 (the
  hypertensive responder) is alarming;
* a 16-chair clinic written to a temporary TOML (the shipped scenarios, seeds 101..116,
  started in waves so the tiles show different phases, one chair free) for the central
  station.

Each runtime runs on a ManualClock with no tick thread and a fixed wall clock, so the
numbers are the same on every run; the app is served by werkzeug on 127.0.0.1, port 0.
Chromium is Debian's /usr/bin/chromium (never ``playwright install``); 1920x1080 PNGs.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vitalsdash.report import CHROMIUM_FLAGS as REPORT_FLAGS
from vitalsdash.report import chromium_path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
VIEWPORT = {"width": 1920, "height": 1080}
MAX_BYTES = 400 * 1024
AT_MIN = 45
"""Simulated minutes into the session at which every shot is taken."""
WALL = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
"""The fixed wall clock sessions start at (deterministic stored start times)."""
CHROMIUM_FLAGS = [*REPORT_FLAGS, "--hide-scrollbars", "--font-render-hinting=none"]
SCENARIOS = (
    "uneventful-depression",
    "hypertensive-responder",
    "artefact-heavy",
    "vasovagal-observation",
    "desaturation-cosedative",
    "chronic-pain-4h",
)
DASH = "\u2014"  # fmt.DASH: what a numeric shows before its first value


# --- the clinics -------------------------------------------------------------------------------
Plan = dict[int, list[tuple[str, str, dict[str, Any], str]]]
"""{simulated minute: [(bed, action kind, params, actor)]}, submitted before that minute."""

DEMO_PLAN: Plan = {
    15: [("chair1", "set_limit", {"channel": "HR", "which": "high", "value": 115}, "trainee")],
    20: [("chair2", "chart", {"kind": "dissociation", "value": 3}, "trainee")],
    28: [("chair3", "alarm_off", {"channel": "SPO2"}, "trainee")],
    32: [("chair2", "chart", {"kind": "sedation", "value": 2}, "trainee")],
    38: [
        (
            "chair2",
            "chart",
            {"kind": "note", "text": "Anxious, says she feels 'floaty'. Reassured."},
            "trainee",
        )
    ],
}
"""What the trainees did in the default clinic before the shots: a limit changed, an alarm
switched off (the settings page's reminder), observations charted on chair 2. Chair 2's
hypertension alarms are left unanswered so the bedside shot shows them sounding."""


def central_clinic_toml() -> tuple[str, Plan]:
    """The TOML and its plan (sessions started later by the instructor).

    Chairs 1-8 start with the clinic, 9-14 fifteen minutes later, 15 thirty-eight minutes
    later (still in its baseline at the shot) and chair 16 is free. Chair 2 keeps the
    default clinic's hypertensive responder.
    """
    lines = [
        "# Written by scripts/screenshots.py: a 16-chair clinic for the central station shot.",
        "[clinic]",
        'name = "Demo ketamine clinic · 16 chairs"',
        "speed = 1",
        "tick_s = 0.5",
        "",
    ]
    plan: Plan = {15: [], 38: []}
    for i in range(16):
        n = i + 1
        scenario = SCENARIOS[i % len(SCENARIOS)]
        protocol = "chronic-pain-4h" if scenario == "chronic-pain-4h" else "depression-40min"
        seed = 12 if n == 2 else 100 + n
        autostart = n <= 8
        if 9 <= n <= 14:
            plan[15].append((f"chair{n}", "start_session", {}, "instructor"))
        elif n == 15:
            plan[38].append((f"chair{n}", "start_session", {}, "instructor"))
        lines += [
            "[[beds]]",
            f'id = "chair{n}"',
            f'label = "Chair {n}"',
            'source = "simulator"',
            f'scenario = "{scenario}"',
            f"seed = {seed}",
            f'protocol = "{protocol}"',
            f"autostart = {'true' if autostart else 'false'}",
            "",
        ]
    return "\n".join(lines), plan


# --- the server process --------------------------------------------------------------------
def _serve(clinic_path: str, db_path: str, plan: Plan, conn: Any,
           stop: Any) -> None:  # fmt: skip
    """Build the clinic, simulate to AT_MIN in 60 s steps, serve it until ``stop``."""
    sys.path.insert(0, str(REPO / "src"))
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    import dash
    from werkzeug.serving import make_server

    from vitalsdash.clock import ManualClock
    from vitalsdash.config import load_clinic
    from vitalsdash.feed import Feed
    from vitalsdash.runtime import Runtime
    from vitalsdash.store import Store
    from vitalsdash.ui.app import create_app

    try:
        store = Store(db_path)
        rt = Runtime(load_clinic(clinic_path), store, Feed(store), clock=ManualClock(),
                     wall=lambda: WALL)  # fmt: skip
        rt.start()
        for minute in range(AT_MIN):
            for bed, kind, params, actor in plan.get(minute, []):
                rt.submit(bed, kind, params, actor)
            rt.advance(60)  # runtime-sized steps: the live feed keeps its recent history
        surged = _make_chair2_alarm(rt)
        app = create_app(rt)
        server = make_server("127.0.0.1", 0, app.server, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        review = [p["path_template"] for p in dash.page_registry.values()
                  if (p.get("path_template") or "").startswith("/review/")]  # fmt: skip
        chair2 = rt.beds.get("chair2")
        conn.send({
            "port": server.server_port,
            "review": review[0] if review else None,
            "chair2_session": None if chair2 is None or chair2.session is None
            else chair2.session.session_id,
            "surged": surged,
            "pages": sorted(p["path_template"] or p["path"] for p in dash.page_registry.values()),
        })  # fmt: skip
        stop.wait(600)  # bounded: the parent sets it when done
        server.shutdown()
        thread.join(timeout=10)
        store.close()
    except BaseException as exc:  # tell the parent instead of leaving it waiting
        import traceback

        conn.send({"error": f"{exc!r}\n{traceback.format_exc()}"})


def _make_chair2_alarm(rt: Any) -> bool:
    """Chair 2 should be alarming at the shot; inject a surge if the scenario did not."""
    bed = rt.beds.get("chair2")
    if bed is None or bed.session is None:
        return False

    def alarming() -> bool:
        alarms = rt.bed_summary("chair2")["session"]["alarms"]
        return any(a["priority"] == "HIGH" for a in alarms)

    if alarming():
        return False
    rt.submit("chair2", "inject_event", {"kind": "hypertensive_surge", "params": {
        "sbp_rise_mmhg": 45, "dbp_rise_mmhg": 25, "hr_rise_bpm": 10, "onset_min": 1,
        "duration_min": 15, "offset_min": 5}}, "instructor")  # fmt: skip
    rt.submit("chair2", "nibp_start", {}, "instructor")
    for _ in range(10):
        rt.advance(30)
        if alarming():
            break
    return True


class Server:
    """One clinic served from a child process."""

    def __init__(self, ctx: Any, clinic: Path, db: Path, plan: Plan) -> None:
        self.conn, child = ctx.Pipe()
        self.stop = ctx.Event()
        self.proc = ctx.Process(target=_serve, args=(str(clinic), str(db), plan, child,
                                                     self.stop), daemon=True)  # fmt: skip
        self.proc.start()
        self.info: dict[str, Any] = {}

    def ready(self, timeout: float = 60) -> dict[str, Any]:
        if not self.conn.poll(timeout):
            raise RuntimeError("the clinic's server did not come up in time")
        self.info = self.conn.recv()
        if "error" in self.info:
            raise RuntimeError("the clinic's server failed:\n" + self.info["error"])
        self.url = f"http://127.0.0.1:{self.info['port']}"
        return self.info

    def close(self) -> None:
        self.stop.set()
        self.proc.join(timeout=15)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=5)


# --- the browser ---------------------------------------------------------------------------
SETTLED = """() => !document.querySelector('._dash-loading, ._dash-loading-callback')
    && !document.querySelector('[data-dash-is-loading="true"]')
    && [...document.querySelectorAll('.js-plotly-plot')].every(g => g._fullLayout)"""

CENTRAL_READY = """([n, alarmBed, dash]) => {
    const tiles = [...document.querySelectorAll('.tile')];
    if (tiles.length !== n) return false;
    const running = tiles.filter(t => !t.classList.contains('no-session'));
    const filled = running.every(t =>
        t.querySelector('.tile-phase').textContent.includes('·')
        && t.querySelector('.tnum-hr .tnum-value').textContent !== dash
        && (t.querySelector('.tile-spark .js-plotly-plot')?.data?.[0]?.x?.length || 0) > 0);
    const alarm = document.querySelector(`.tile[data-bed="${alarmBed}"]`);
    return filled && running.length > 0 && alarm && /alarm-/.test(alarm.className);
}"""

BEDSIDE_READY = """([minPoints, dash]) => {
    const gd = document.querySelector('#bed-trends .js-plotly-plot');
    const hr = document.querySelector('#num-HR-value');
    const list = document.querySelector('#alarm-list');
    return gd && gd.data && gd.data.length && gd.data[0].x.length >= minPoints
        && hr && hr.textContent && hr.textContent !== dash
        && document.querySelector('#bed-phase').textContent.includes('·')
        && list && list.textContent.trim().length > 0;
}"""

INSTRUCTOR_READY = """() => {
    const cards = [...document.querySelectorAll('.ins-card')];
    return cards.length > 0 && cards.every(c => {
        const st = c.querySelector('.ins-status');
        return st && /·|No session/.test(st.textContent);
    });
}"""

SETTINGS_READY = """() => {
    const cards = [...document.querySelectorAll('.set-card')];
    return cards.length > 0 && cards.every(c =>
        c.querySelector('.set-body .lim-table, .set-body .set-none')
        && c.querySelector('.set-head') && c.querySelector('.set-head').textContent.trim());
}"""

REVIEW_READY = """() => {
    const gd = document.querySelector('#review-timeline .js-plotly-plot');
    return !!(gd && gd._fullLayout && gd.data && gd.data.length
              && gd.querySelector('.scatterlayer .trace'));
}"""

GENERIC_READY = """() => {
    const main = document.querySelector('#_pages_content') || document.querySelector('main');
    return main && main.innerText.trim().length > 20;
}"""


def shoot(page: Any, url: str, path: Path, ready: str | None, arg: Any = None,
          settle_ms: int = 1500, timeout_ms: int = 20000) -> dict[str, Any]:  # fmt: skip
    """Open ``url``, wait until ``ready`` (a JS predicate) and the app is settled, save."""
    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function(GENERIC_READY, timeout=timeout_ms)
    if ready is not None:
        page.wait_for_function(ready, arg=arg, timeout=timeout_ms)
    page.wait_for_timeout(settle_ms)  # a tick or two lands; decor and fonts settle
    page.wait_for_function(SETTLED, timeout=timeout_ms)
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    size = path.stat().st_size
    return {"bytes": size, "seconds": time.perf_counter() - t0}


def _chromium() -> str:
    found = chromium_path()
    if not found:
        raise SystemExit("error: no Chromium (apt install chromium); never `playwright install`")
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(OUT), help="folder for the PNGs (default: %(default)s)")
    ap.add_argument("--only", help="comma-separated shots: central,bedside,instructor,"
                    "settings,review")  # fmt: skip
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    want = lambda name: only is None or name in only  # noqa: E731

    from playwright.sync_api import sync_playwright

    t_start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="vitalsdash-shots-"))
    ctx = mp.get_context("spawn")
    servers: list[Server] = []
    problems: list[str] = []
    try:
        toml, plan = central_clinic_toml()
        (tmp / "clinic16.toml").write_text(toml, encoding="utf-8")
        demo = Server(ctx, REPO / "config" / "clinic.toml", tmp / "demo.sqlite", DEMO_PLAN)
        servers.append(demo)
        big = None
        if want("central"):
            big = Server(ctx, tmp / "clinic16.toml", tmp / "clinic16.sqlite", plan)
            servers.append(big)
        info = demo.ready()
        if big is not None:
            big.ready()
        print(f"clinics ready in {time.perf_counter() - t_start:.1f} s; pages: "
              f"{', '.join(info['pages'])}" + ("; surge injected on chair 2"
                                               if info["surged"] else ""))  # fmt: skip

        shots: list[tuple[str, str, str, str | None, Any]] = []
        if big is not None:
            shots.append(("central", big.url + "/", "central.png", CENTRAL_READY,
                          [16, "chair2", DASH]))  # fmt: skip
        shots += [
            ("bedside", demo.url + "/bed/chair2", "bedside.png", BEDSIDE_READY,
             [AT_MIN * 60 - 5, DASH]),
            ("instructor", demo.url + "/instructor", "instructor.png", INSTRUCTOR_READY, None),
            ("settings", demo.url + "/settings", "settings.png", SETTINGS_READY, None),
        ]  # fmt: skip
        if info["review"] and info["chair2_session"] is not None:
            review = info["review"].split("<", 1)[0] + str(info["chair2_session"])
            shots.append(("review", demo.url + review, "review.png", REVIEW_READY, None))
        elif want("review"):
            print("review: no /review/<session> page in this app yet: skipped")

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS,
                                         headless=True)  # fmt: skip
            context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1,
                                          color_scheme="dark", reduced_motion="reduce")  # fmt: skip
            for name, url, filename, ready, arg in shots:
                if not want(name):
                    continue
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.on("console", lambda m, errors=errors: errors.append(m.text)
                        if m.type == "error" else None)  # fmt: skip
                try:
                    r = shoot(page, url, out / filename, ready, arg)
                except Exception as exc:  # keep the other shots; say what went wrong
                    problems.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
                    page.screenshot(path=str(tmp / f"failed-{filename}"))
                    print(f"{name}: FAILED ({problems[-1]}); what it showed: "
                          f"{tmp / f'failed-{filename}'}")  # fmt: skip
                    page.close()
                    continue
                text = page.locator("#_pages_content").inner_text()
                r["placeholder"] = "placeholder" in text.lower()
                page.close()
                note = " (page is still a placeholder)" if r["placeholder"] else ""
                if r["bytes"] > MAX_BYTES:
                    problems.append(f"{name}: {r['bytes'] / 1024:.0f} KB > 400 KB")
                if errors:
                    problems.append(f"{name}: browser errors: {errors[:3]}")
                print(f"{name:<11} {url:<42} -> {out / filename}  "
                      f"{r['bytes'] / 1024:6.0f} KB  {r['seconds']:4.1f} s{note}")  # fmt: skip
            context.close()
            browser.close()
    finally:
        for s in servers:
            s.close()
        if problems:
            print(f"kept {tmp} (clinics, failed shots) for a look")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"done in {time.perf_counter() - t_start:.1f} s")
    for p in problems:
        print("problem:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
