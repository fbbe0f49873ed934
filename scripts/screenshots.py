"""README screenshots of every page, taken from a deterministic clinic in a real browser.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--only central,bedside]
        [--sizes 1280x800,1920x1080]

Two clinics, each in its own process (``create_app`` may be called once per process):

* the default clinic (``config/clinic.toml``) for the bedside, instructor, settings and
  (if the page exists) review shots, 45 simulated minutes in, when chair 2 (the
  hypertensive responder) is in its infusion and alarming;
* a 16-chair clinic written to a temporary TOML (the shipped scenarios, seeds 101..116,
  started in waves so the tiles show different phases, one chair free) for the central
  station, and for the pre-infusion checklist of its chair still waiting in its baseline.

A session waits in its baseline until someone starts the infusion. Chairs configured
``auto_start`` start by themselves; every other chair (the trainees') is started here at
the end of its scenario's baseline as a nurse would: the trainee first, and where the
pre-infusion check blocks it the instructor with a reason, so the sessions follow their
scenarios' timelines.

Each runtime runs on a ManualClock with no tick thread and a fixed wall clock, so the
numbers are the same on every run; the app is served by werkzeug on 127.0.0.1, port 0.
Chromium is Debian's /usr/bin/chromium (never ``playwright install``). Every shot is taken
at each size asked for (default: the 1280x800 the pages must fit and a 1920x1080 one),
as ``<shot>-<width>x<height>.png``.
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
SIZES = ("1280x800", "1920x1080")
"""Viewports, as WIDTHxHEIGHT: the smallest screen the pages must fit, and a full-HD one."""
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
NOTICE = "Training tool — not a medical device"
"""The disclaimer every page shows in its top bar (ui/widgets/shell.py)."""
FITS = ("bedside", "checklist")
"""Shots of pages that must fit the screen without scrolling (the bedside at 1280x800)."""
OVERRIDE_REASON = "Started on the scenario's schedule for the README screenshots"
DEFAULT_BASELINE_MIN = 10
"""A scenario's baseline when its file names none (the scenario format's default)."""


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
    later (still in its baseline at the shot: the checklist shot) and chair 16 is free.
    Chair 2 keeps the default clinic's hypertensive responder. No chair starts its infusion
    by itself: the script starts each at the end of its baseline (``_start_infusions``).
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
    from vitalsdash.runtime import Command, Runtime
    from vitalsdash.store import Store
    from vitalsdash.ui.app import create_app

    try:
        store = Store(db_path)
        clinic = load_clinic(clinic_path)
        rt = Runtime(clinic, store, Feed(store), clock=ManualClock(),
                     wall=lambda: WALL)  # fmt: skip
        rt.start()
        baselines = _trainee_baselines(clinic)
        starts: list[str] = []
        for minute in range(AT_MIN):
            for bed, kind, params, actor in plan.get(minute, []):
                rt.submit(Command(kind, bed, params, actor))
            starts += _start_infusions(rt, baselines)
            rt.advance(60)  # runtime-sized steps: the live feed keeps its recent history
        surged = _make_chair2_alarm(rt)
        waiting = [b for b in rt.beds if _waiting(rt.view(b))]
        app = create_app(rt)
        server = make_server("127.0.0.1", 0, app.server, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        review = [p["path_template"] for p in dash.page_registry.values()
                  if (p.get("path_template") or "").startswith("/review/")]  # fmt: skip
        chair2 = rt.view("chair2")
        conn.send({
            "port": server.server_port,
            "review": review[0] if review else None,
            "chair2_session": None if chair2 is None else chair2.session_id,
            "chair2_phase": None if chair2 is None else chair2.phase,
            "surged": surged,
            "starts": starts,
            "waiting": waiting,
            "pages": sorted(p["path_template"] or p["path"] for p in dash.page_registry.values()),
        })  # fmt: skip
        stop.wait(600)  # bounded: the parent sets it when done
        server.shutdown()
        thread.join(timeout=10)
        store.close()
    except BaseException as exc:  # tell the parent instead of leaving it waiting
        import traceback

        conn.send({"error": f"{exc!r}\n{traceback.format_exc()}"})


def _trainee_baselines(clinic: Any) -> dict[str, float]:
    """Bed id -> simulated seconds of its scenario's baseline, for the simulated chairs whose
    infusion waits for a person (not ``auto_start``): the script starts those."""
    import tomllib

    from vitalsdash.configdir import catalogue

    files = catalogue("scenarios")
    out: dict[str, float] = {}
    for bed in clinic.beds:
        if bed.source != "simulator" or bed.auto_start or bed.scenario not in files:
            continue
        with files[bed.scenario].open("rb") as f:
            protocol = tomllib.load(f).get("protocol", {})
        out[bed.id] = 60.0 * float(protocol.get("baseline_min", DEFAULT_BASELINE_MIN))
    return out


def _waiting(view: Any) -> bool:
    """The bed's session waits in its baseline for its infusion to start."""
    return (view is not None and view.status == "running" and view.phase == "baseline"
            and view.pre_infusion is not None)  # fmt: skip


def _start_infusions(rt: Any, baselines: dict[str, float]) -> list[str]:
    """Start the infusion of every trainee's chair at the end of its baseline, as a nurse
    would: the trainee first; where the pre-infusion check blocks it, the instructor with
    a reason. Returns one line per start (who started it, and the check's verdict)."""
    from vitalsdash.actions import ActionError
    from vitalsdash.runtime import Command

    done: list[str] = []
    for bed, baseline_s in baselines.items():
        view = rt.view(bed)
        if not _waiting(view) or view.t_s < baseline_s:
            continue
        try:
            answer = rt.submit(Command("start_infusion", bed, {}, "trainee"))
            who = "trainee"
        except ActionError as exc:
            if exc.code != "pre_infusion_check_failed":
                raise
            override = {"override_reason": OVERRIDE_REASON}
            answer = rt.submit(Command("start_infusion", bed, override, "instructor"))
            who = "instructor (override)"
        done.append(f"{bed} {view.t_s / 60:.0f} min into its session by the {who}, "
                    f"check {answer.get('check', 'none')}")  # fmt: skip
    return done


def _make_chair2_alarm(rt: Any) -> bool:
    """Chair 2 should be alarming at the shot; inject a surge if the scenario did not."""
    from vitalsdash.runtime import Command

    view = rt.view("chair2")
    if view is None or view.session_id is None or view.phase != "infusion":
        return False

    def alarming() -> bool:
        alarms = rt.bed_summary("chair2")["session"]["alarms"]
        return any(a["priority"] == "HIGH" for a in alarms)

    if alarming():
        return False
    rt.submit(Command("inject_event", "chair2", {"kind": "hypertensive_surge", "params": {
        "sbp_rise_mmhg": 45, "dbp_rise_mmhg": 25, "hr_rise_bpm": 10, "onset_min": 1,
        "duration_min": 15, "offset_min": 5}}, "instructor"))  # fmt: skip
    rt.submit(Command("nibp_start", "chair2", {}, "instructor"))
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

CHECKLIST_READY = """([dash]) => {
    const card = document.querySelector('#start-card');
    const hr = document.querySelector('#num-HR-value');
    return card && !card.classList.contains('start-hidden')
        && document.querySelector('#start-headline')
        && document.querySelectorAll('#start-check .check-item').length > 0
        && hr && hr.textContent && hr.textContent !== dash
        && document.querySelector('#bed-phase').textContent.includes('·');
}"""

INSTRUCTOR_READY = """() => {
    const cards = [...document.querySelectorAll('.ins-card')];
    return cards.length > 0 && cards.every(c => {
        const st = c.querySelector('.ins-status');
        return st && /·|No session/.test(st.textContent);
    });
}"""

CLASS_READY = """() => !!document.querySelector('#class-table, .class-page .class-empty')
    || !!document.querySelector('.class-page')"""
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


LAYOUT = r"""() => {
    const de = document.documentElement;
    const notice = document.querySelector('#notice');
    const r = notice && notice.getBoundingClientRect();
    const svgText = [...document.querySelectorAll('svg text')].map(t => t.textContent);
    const text = [document.body.innerText, ...svgText].join('\n');
    return {
        overflowX: de.scrollWidth - window.innerWidth,
        overflowY: de.scrollHeight - window.innerHeight,
        notice: notice ? notice.textContent.trim() : null,
        noticeShown: !!(r && r.width > 0 && r.left >= 0 && r.right <= window.innerWidth
                        && r.top >= 0 && r.bottom <= window.innerHeight),
        beyond: [...document.querySelectorAll('button, input, select, .card')].filter(e => {
            const b = e.getBoundingClientRect();
            return b.width > 0 && b.height > 0
                && (b.bottom > window.innerHeight + 1 || b.right > window.innerWidth + 1);
        }).map(e => e.id || (e.innerText || '').trim().split('\n')[0].slice(0, 40)
                    || e.className),
        codes: [...new Set(text.match(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g) || [])],
    };
}"""
"""What the eye checks, measured: the page wider or taller than the screen, controls and
cards past its edge (a page that clips its content does not scroll), the disclaimer on
screen, and engine codes (SYS_HI) in the page's text, on screen or below the fold."""


def layout_warnings(name: str, m: dict[str, Any]) -> list[str]:
    """The measurements of ``LAYOUT`` as sentences (empty: nothing to say)."""
    out = []
    if m["overflowX"] > 0:
        out.append(f"{m['overflowX']} px wider than the screen")
    if name in FITS and m["overflowY"] > 0:
        out.append(f"{m['overflowY']} px taller than the screen (cut off at the bottom)")
    if name in FITS and m["beyond"]:
        out.append("cut off at the screen's edge: " + ", ".join(map(str, m["beyond"][:6])))
    if m["notice"] != NOTICE or not m["noticeShown"]:
        out.append(f"disclaimer not fully on screen (shows {m['notice']!r})")
    if m["codes"]:
        out.append("code names shown: " + ", ".join(m["codes"][:8]))
    return out


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


def _sizes(text: str) -> list[tuple[int, int]]:
    """``1280x800,1920x1080`` -> [(1280, 800), (1920, 1080)]."""
    out = []
    for part in text.split(","):
        try:
            w, h = (int(v) for v in part.strip().lower().split("x"))
        except ValueError:
            raise SystemExit(f"error: --sizes wants WIDTHxHEIGHT[,...], got {part!r}") from None
        if not (320 <= w <= 3840 and 240 <= h <= 2160):
            raise SystemExit(f"error: size {part!r} is outside 320x240..3840x2160")
        out.append((w, h))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(OUT), help="folder for the PNGs (default: %(default)s)")
    ap.add_argument("--only", help="comma-separated shots: central,checklist,bedside,"
                    "instructor,settings,class,review")  # fmt: skip
    ap.add_argument("--sizes", default=",".join(SIZES),
                    help="viewports, WIDTHxHEIGHT[,...] (default: %(default)s)")  # fmt: skip
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes = _sizes(args.sizes)
    only = set(args.only.split(",")) if args.only else None
    want = lambda name: only is None or name in only  # noqa: E731

    from playwright.sync_api import sync_playwright

    t_start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="vitalsdash-shots-"))
    ctx = mp.get_context("spawn")
    servers: list[Server] = []
    problems: list[str] = []
    warnings: list[str] = []  # the app's layout, not the script's: said, not failed
    try:
        toml, plan = central_clinic_toml()
        (tmp / "clinic16.toml").write_text(toml, encoding="utf-8")
        demo = Server(ctx, REPO / "config" / "clinic.toml", tmp / "demo.sqlite", DEMO_PLAN)
        servers.append(demo)
        big = None
        if want("central") or want("checklist"):
            big = Server(ctx, tmp / "clinic16.toml", tmp / "clinic16.sqlite", plan)
            servers.append(big)
        info = demo.ready()
        big_info = big.ready() if big is not None else {}
        print(f"clinics ready in {time.perf_counter() - t_start:.1f} s; pages: "
              f"{', '.join(info['pages'])}" + ("; surge injected on chair 2"
                                               if info["surged"] else ""))  # fmt: skip
        for label, i in (("default", info), ("16-chair", big_info)):
            if i:
                print(f"{label} clinic: infusions started: {'; '.join(i['starts']) or 'none'}; "
                      f"waiting in the baseline at {AT_MIN} min: "
                      f"{', '.join(i['waiting']) or 'none'}")  # fmt: skip
        if info["chair2_phase"] != "infusion":
            problems.append(f"chair 2 is in its {info['chair2_phase']}, not its infusion")

        shots: list[tuple[str, str, str | None, Any]] = []
        if big is not None and want("central"):
            shots.append(("central", big.url + "/", CENTRAL_READY, [16, "chair2", DASH]))
        # the checklist: a chair waiting in its baseline, the default clinic's if it has one
        waiting = [(demo, b) for b in info["waiting"]] + [
            (big, b) for b in big_info.get("waiting", [])]  # fmt: skip
        if want("checklist"):
            if waiting:
                server, bed = waiting[0]
                shots.append(("checklist", f"{server.url}/bed/{bed}", CHECKLIST_READY, [DASH]))
            else:
                print("checklist: no chair waits in its baseline at the shot: skipped")
        shots += [
            ("bedside", demo.url + "/bed/chair2", BEDSIDE_READY, [AT_MIN * 60 - 5, DASH]),
            ("instructor", demo.url + "/instructor", INSTRUCTOR_READY, None),
            ("settings", demo.url + "/settings", SETTINGS_READY, None),
            ("class", demo.url + "/class", CLASS_READY, None),
        ]
        if info["review"] and info["chair2_session"] is not None:
            review = info["review"].split("<", 1)[0] + str(info["chair2_session"])
            shots.append(("review", demo.url + review, REVIEW_READY, None))
        elif want("review"):
            print("review: no /review/<session> page in this app yet: skipped")

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS,
                                         headless=True)  # fmt: skip
            for width, height in sizes:
                context = browser.new_context(
                    viewport={"width": width, "height": height}, device_scale_factor=1,
                    color_scheme="dark", reduced_motion="reduce")  # fmt: skip
                for name, url, ready, arg in shots:
                    if want(name):
                        _take(context, name, url, ready, arg, out / f"{name}-{width}x{height}.png",
                              tmp, problems, warnings)  # fmt: skip
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
    for w in warnings:
        print("layout:", w)
    for p in problems:
        print("problem:", p)
    return 1 if problems else 0


def _take(context: Any, name: str, url: str, ready: str | None, arg: Any, path: Path,
          tmp: Path, problems: list[str], warnings: list[str]) -> None:  # fmt: skip
    """One shot in a new page of ``context``: what went wrong is added to ``problems``, what
    looks wrong in the page (``LAYOUT``) to ``warnings``."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        r = shoot(page, url, path, ready, arg)
    except Exception as exc:  # keep the other shots; say what went wrong
        problems.append(f"{path.name}: {type(exc).__name__}: {str(exc)[:300]}")
        page.screenshot(path=str(tmp / f"failed-{path.name}"))
        print(
            f"{path.name}: FAILED ({problems[-1]}); what it showed: {tmp / f'failed-{path.name}'}"
        )
        page.close()
        return
    text = page.locator("#_pages_content").inner_text()
    warnings += [f"{path.name}: {w}" for w in layout_warnings(name, page.evaluate(LAYOUT))]
    placeholder = "placeholder" in text.lower()
    page.close()
    note = " (page is still a placeholder)" if placeholder else ""
    if r["bytes"] > MAX_BYTES:
        problems.append(f"{path.name}: {r['bytes'] / 1024:.0f} KB > {MAX_BYTES // 1024} KB")
    if errors:
        problems.append(f"{path.name}: browser errors: {errors[:3]}")
    print(
        f"{name:<11} {url:<42} -> {path}  {r['bytes'] / 1024:6.0f} KB  {r['seconds']:4.1f} s{note}"
    )


if __name__ == "__main__":
    sys.exit(main())
