"""Fault: the runtime is killed (kill -9) while sessions run.

Its supervisor (scripts/cluster.py ``supervise``) starts it again; the new runtime marks
the sessions it finds running as interrupted and resumes them (the clinic says
``resume_interrupted``); the web tier keeps answering and picks the new runtime up by
itself. Every page that shows interruptions in ``vitalsdash run`` after a restart shows
this one: the bedside trend (a band, in words, on a page open across the kill and on one
opened after it), each central tile's sparkline (a band, in words, on the page open across
the kill) and the review's timeline. Then ``stop`` leaves nothing running.

The supervisor's own rules are tested first, on stand-in commands: cheap and exact.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bus_clinic import StepClock, plain_waves, same_feed
from cluster_run import Cluster, chromium, cluster_script, running_cluster, script, until
from redis_server import bus_prefix, redis_server  # noqa: F401  (fixtures)

cluster = cluster_script
SUPERVISOR = cluster.SUPERVISOR
X_OFFSET_MS = 86_400_000  # the bedside trend's time axis: session seconds as a date (ms)


# --- the supervisor, on stand-in commands -------------------------------------------------


@pytest.mark.unit
def test_restarts_wait_longer_each_time_and_give_up_on_a_fault_that_stays() -> None:
    r = cluster.Restarts()  # 1 s doubling to 30 s, reset by 60 s of running; 5 quick ends
    assert [r.after(0.5) for _ in range(4)] == [1, 2, 4, 8]
    assert r.after(0.5) is None  # the fifth start in a row that ended within 10 s
    r = cluster.Restarts()
    assert [r.after(20.0) for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]  # never gives up
    assert r.after(60.0) == 1  # a minute of running: the next wait is short again
    assert r.after(5.0) == 2
    r = cluster.Restarts()
    assert [r.after(1.0) for _ in range(4)] == [1, 2, 4, 8]
    assert r.after(15.0) == 16  # ran long enough: the count of quick ends starts again
    assert [r.after(1.0) for _ in range(4)] == [30, 30, 30, 30]
    assert r.after(1.0) is None


def _supervise(var: Path, child: str, *opts: str) -> subprocess.Popen[str]:
    """``cluster.py supervise`` of a Python one-liner (its command line holds "vitalsdash",
    as the runtime's does, so that ``stop`` takes it for ours)."""
    var.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(cluster.__file__), "supervise", "--var", str(var), *opts,
            "--", sys.executable, "-c", child, "vitalsdash"]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # fmt: skip


def _pid(var: Path, name: str) -> int | None:
    try:
        return int((var / f"{name}.pid").read_text())
    except (OSError, ValueError):
        return None


def _done(proc: subprocess.Popen[str], timeout_s: float = 60) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"the supervisor did not end within {timeout_s:g} s:\n{out}")
    return proc.returncode, out


@pytest.mark.integration
def test_a_runtime_that_fails_is_started_again_until_the_supervisor_gives_up(
    tmp_path: Path,
) -> None:
    starts = tmp_path / "starts"
    child = (f"import os, sys; open({str(starts)!r}, 'a').write(f'{{os.getpid()}}\\n'); "
             "sys.exit(3)")  # fmt: skip
    proc = _supervise(tmp_path / "var", child, "--first", "0.05", "--give-up-after", "3")
    code, out = _done(proc)
    pids = [int(p) for p in starts.read_text().split()]
    assert code == 1, out
    assert len(pids) == 3 == len(set(pids)), out
    assert out.count("the runtime ended (exit code 3); starting it again in") == 2
    assert "starting it again in 0.05 s" in out
    assert "starting it again in 0.1 s" in out
    assert "it ended 3 times in a row within 10 s of starting: giving up" in out
    assert _pid(tmp_path / "var", "runtime") == pids[-1]  # its own pid, each start
    assert _pid(tmp_path / "var", SUPERVISOR) == proc.pid


@pytest.mark.integration
def test_a_killed_runtime_is_started_again_and_a_stop_is_not(tmp_path: Path) -> None:
    var = tmp_path / "var"
    proc = _supervise(var, "import time; time.sleep(600)", "--first", "0.05")
    try:
        first = until("the first runtime's pid", lambda: _pid(var, "runtime"), 30)
        os.kill(first, signal.SIGKILL)
        second = until("a new runtime's pid",
                       lambda: (p := _pid(var, "runtime")) != first and p, 30)  # fmt: skip
        assert cluster.alive(second)
        proc.send_signal(signal.SIGTERM)  # the stop: passed on, and nothing starts again
        code, out = _done(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert code == 0, out
    assert "the runtime ended (killed by signal 9); starting it again in 0.05 s" in out
    assert f"the runtime started again (pid {second})" in out
    assert "nothing starts the runtime again" in out
    assert not cluster.alive(second)
    assert _pid(var, "runtime") == second
    assert out.count("the runtime ended") == 1


@pytest.mark.integration
def test_a_runtime_deaf_to_the_stop_signal_is_killed_after_the_grace(tmp_path: Path) -> None:
    var = tmp_path / "var"
    deaf = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
    proc = _supervise(var, deaf, "--grace", "0.5")
    child = until("the runtime's pid", lambda: _pid(var, "runtime"), 30)
    time.sleep(0.5)  # its SIGTERM handler is in place once Python has started
    proc.send_signal(signal.SIGINT)
    code, out = _done(proc)
    assert code == 0, out
    assert "still running 0.5 s after the stop signal: killing it" in out
    assert not cluster.alive(child)
    assert "the runtime ended" not in out


@pytest.mark.integration
def test_a_runtime_that_exits_cleanly_is_not_started_again(tmp_path: Path) -> None:
    proc = _supervise(tmp_path / "var", "pass", "--first", "0.05")
    code, out = _done(proc)
    assert code == 0, out
    assert "stopped by itself (exit code 0): not starting it again" in out
    assert "started again" not in out


@pytest.mark.integration
def test_stop_ends_the_supervisor_then_its_runtime(tmp_path: Path) -> None:
    var = tmp_path / "var"
    proc = _supervise(var, "import time; time.sleep(600)", "--first", "0.05")
    try:
        child = until("the runtime's pid", lambda: _pid(var, "runtime"), 30)
        r = script("stop", "--var", str(var), "--grace", "20")
        code, out = _done(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert r.returncode == 0, r.stderr
    assert f"runtime ({child}) stopped" in r.stdout
    assert f"{SUPERVISOR} ({proc.pid}) stopped" in r.stdout
    assert code == 0
    assert "the runtime ended" not in out
    assert not cluster.alive(child)
    assert not list(var.glob("*.pid"))


@pytest.mark.integration
def test_stop_never_signals_a_stranger_in_the_supervisors_pid_file(tmp_path: Path) -> None:
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        for name in (SUPERVISOR, "runtime"):
            (tmp_path / f"{name}.pid").write_text(f"{stranger.pid}\n")
        r = script("stop", "--var", str(tmp_path), "--grace", "1")
        assert r.returncode == 0
        assert "the cluster is not running" in r.stdout
        assert stranger.poll() is None
        assert not list(tmp_path.glob("*.pid"))
    finally:
        stranger.kill()
        stranger.wait()


# --- a web worker's view of a runtime started again ---------------------------------------


class _Wall:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.integration
def test_a_web_worker_follows_a_runtime_started_again_by_itself(
    tmp_path: Path,
    redis_server: Any,  # noqa: F811
    bus_prefix: str,  # noqa: F811
) -> None:
    """The new runtime's Publisher writes the same keys with its tick count back at 0: the
    worker's count goes on growing (a push stream waiting for the tick after the last
    one it saw wakes), and reads with cursors from before the restart answer as the new
    runtime's own feed does, the interruption and the resumption included."""
    from vitalsdash.bus import Publisher, RemoteRuntime
    from vitalsdash.clock import ManualClock
    from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
    from vitalsdash.feed import Feed
    from vitalsdash.runtime import Runtime
    from vitalsdash.store import Store
    from vitalsdash.ui.live.waves import bed_answer

    bed = BedConfig(id="chair1", scenario="hypertensive-responder", seed=12)
    clinic = ClinicConfig(clinic=ClinicSection(speed=60, resume_interrupted=True), beds=[bed])
    store, wall, now = Store(str(tmp_path / "clinic.sqlite")), _Wall(), StepClock()
    first = Runtime(clinic, store, Feed(store), clock=ManualClock(), wall=wall)
    first.start()
    old = Publisher(first, redis_server.url, bus_prefix, now_s=now).start()
    remote = RemoteRuntime(redis_server.url, store, clinic, bus_prefix)
    second = new = None
    try:
        for _ in range(30):  # many ticks: more than the new runtime will have made
            first.advance(2)
            now.t += 0.5
            assert old.flush()
        sid = first.view("chair1").session_id
        ticks = until("the worker at the first runtime's last tick",
                      lambda: remote.tick_count >= first.tick_count and remote.tick_count,
                      timeout_s=60)  # fmt: skip
        seq = max(e["seq"] for e in remote.feed.session_events_since(sid, 0))
        t_seen = max(r[0] for r in remote.feed.samples_since(sid, None))
        waves_seen, _ = remote.feed.waves_since([sid], 0)
        old.stop()  # nothing more from it: Redis holds what it last published

        wall.now += timedelta(seconds=133)
        now.t += 133
        second = Runtime(clinic, store, Feed(store), clock=ManualClock(), wall=wall)
        second.start()  # marks the session interrupted and resumes it
        new = Publisher(second, redis_server.url, bus_prefix, now_s=now).start()
        second.advance(2)
        now.t += 0.5
        assert new.flush()
        assert second.tick_count < ticks

        assert remote.wait_for_tick(ticks, timeout_s=60) > ticks
        assert remote.views() == second.views()
        assert second.view("chair1").session_id == sid
        same_feed(second, remote, sid, [None, t_seen - 10, t_seen], [0, seq])
        kinds = [e["kind"] for e in remote.feed.session_events_since(sid, seq)]
        assert kinds == ["monitoring_interrupted", "monitoring_resumed"]
        assert plain_waves(remote.feed.waves_since([sid], 0)) == plain_waves(
            second.feed.waves_since([sid], 0)
        )
        # a page's wave cursor from the first runtime is past the new one's: it starts afresh
        theirs, mine = (
            bed_answer(remote, "chair1", waves_seen),
            bed_answer(second, "chair1", waves_seen),
        )
        assert theirs.segments
        assert theirs.packet() == mine.packet()
    finally:
        remote.stop()
        for p in (old, new):
            if p is not None:
                p.stop()
        store.close()


# --- the whole cluster --------------------------------------------------------------------

CLINIC = """
[clinic]
name = "Restart test clinic"
speed = 10
tick_s = 0.5
resume_interrupted = true
live_updates = "push"

[[beds]]
id = "chair1"
label = "Chair 1"
scenario = "uneventful-depression"
seed = 11

[[beds]]
id = "chair2"
label = "Chair 2"
scenario = "hypertensive-responder"
seed = 12
"""
RAN_S = 40.0
"""Session seconds every session has run before the kill (x10: a few wall seconds)."""
BAND = """() => {
    const gd = document.querySelector('#bed-trends .js-plotly-plot');
    if (!gd || !gd.layout) return null;
    return (gd.layout.shapes || []).filter(s => s.name === 'interruption').map(s => s.x0);
}"""
REVIEW_BAND = """() => {
    const gd = document.querySelector('#review-timeline .js-plotly-plot');
    if (!gd || !gd.layout) return null;
    const named = (xs) => (xs || []).filter(s => s.name === 'interruption');
    return [named(gd.layout.shapes).map(s => s.x0), named(gd.layout.annotations).map(a => a.text)];
}"""


@dataclass
class Restarted:
    """The cluster after its runtime was killed and started again, and what was seen."""

    cluster: Cluster
    old_pid: int
    new_pid: int
    supervisor: int
    t_before: dict[int, float]
    """Each session's session seconds just before the kill (by session id)."""
    health: list[tuple[int | None, str]]
    """What /api/health answered, from the kill until it said ok for the new runtime."""
    pages: dict[str, Any]
    page_errors: list[str] = field(default_factory=list)
    clock_before: dict[str, float] = field(default_factory=dict)


def _beds(c: Cluster) -> dict[str, dict[str, Any]]:
    return {b["id"]: b for b in c.json("/api/beds")}


def _t_by_session(c: Cluster) -> dict[int, float]:
    return {b["session"]["id"]: float(b["session"]["t_s"]) for b in c.json("/api/beds")
            if b.get("session")}  # fmt: skip


def _clock_s(text: str) -> float | None:
    """Seconds from a phase text such as ``Baseline · 0:04:44`` (None: no clock in it)."""
    parts = text.rpartition("·")[2].strip().split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    h, m, s = (int(p) for p in parts)
    return float(h * 3600 + m * 60 + s)


def _page_clock(page: Any, selector: str) -> float | None:
    loc = page.locator(selector)
    return _clock_s(loc.first.inner_text()) if loc.count() else None


class _HealthWatch:
    """/api/health, asked every quarter second from a thread: what each answer was."""

    def __init__(self, c: Cluster) -> None:
        self.c, self.seen = c, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status, body = self.c.request("/api/health", timeout_s=30)
                self.seen.append((status, json.loads(body).get("status", "")))
            except (OSError, ValueError) as exc:  # refused, reset, timed out: no answer
                self.seen.append((None, repr(exc)))
            self._stop.wait(0.25)

    def stop(self) -> list[tuple[int | None, str]]:
        self._stop.set()
        self._thread.join(timeout=60)
        return list(self.seen)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module: Playwright's sync API runs one instance per thread."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def restarted(browser: Any) -> Iterator[Restarted]:
    with running_cluster(CLINIC, workers=2) as c:
        yield _kill_and_watch(c, browser)


def _note_troubles(page: Any, name: str, notes: list[str]) -> None:
    """What a page's console says and which of its requests fail, into ``notes``."""
    page.on("console", lambda m: notes.append(f"{name} console {m.type}: {m.text[:300]}")
            if m.type in ("error", "warning") else None)  # fmt: skip
    page.on("requestfailed", lambda r: notes.append(f"{name} request failed: {r.url} "
                                                    f"({r.failure})"))  # fmt: skip
    page.on("response", lambda r: notes.append(f"{name} HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)  # fmt: skip


def _page_state(c: Cluster, page: Any, selector: str, notes: list[str]) -> str:
    """A page's state when its clock did not show: for the failure's message."""
    loc = page.locator(selector)
    shown = loc.first.inner_text() if loc.count() else "(no such element)"
    return "\n".join([f"page {page.url}: {selector} shows {shown!r}", *notes[-40:],
                      "--- web.log", c.log("web", 40), "--- runtime.log",
                      c.log("runtime", 20)])  # fmt: skip


def _kill_and_watch(c: Cluster, browser: Any) -> Restarted:
    until("every session past its first seconds",
          lambda: (t := _t_by_session(c)) and len(t) == 2 and min(t.values()) >= RAN_S,
          timeout_s=180)  # fmt: skip
    errors: list[str] = []
    notes: list[str] = []  # console messages and failed requests, should a clock not show
    pages: dict[str, Any] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pages["context"] = context
    for name, path in (("bedside", "/bed/chair1"), ("central", "/")):
        page = context.new_page()
        page.on("pageerror", lambda e, n=name: errors.append(f"{n}: {e}"))
        _note_troubles(page, name, notes)
        page.goto(f"http://127.0.0.1:{c.port}{path}")
        pages[name] = page
    clocks = {"bedside": "#bed-phase", "central": '.tile[data-bed="chair1"] .tile-phase'}
    for name, sel in clocks.items():  # both pages live: their clocks move

        def detail(n: str = name, s: str = sel) -> str:
            return _page_state(c, pages[n], s, errors + notes)

        first = until(f"the {name} page's clock", lambda n=name, s=sel: _page_clock(pages[n], s),
                      timeout_s=120, detail=detail)  # fmt: skip
        until(f"the {name} page's clock moving",
              lambda n=name, s=sel, f=first: (_page_clock(pages[n], s) or 0) > f, 120,
              detail=detail)  # fmt: skip
    old, supervisor = c.pid("runtime"), c.pid(SUPERVISOR)
    watch = _HealthWatch(c)
    t_before = _t_by_session(c)
    clock_before = {n: _page_clock(pages[n], s) or 0.0 for n, s in clocks.items()}
    os.kill(old, signal.SIGKILL)
    try:
        new = until("a new runtime pid in runtime.pid",
                    lambda: (p := _pid(c.var, "runtime")) not in (None, old) and p,
                    timeout_s=120)  # fmt: skip
        until("the new runtime ready", lambda: c.log("runtime", 400).count("runtime ready") >= 2,
              timeout_s=180)  # fmt: skip
        # the report the killed runtime left expires (15 s): ok again is the new one's
        until(
            "the sessions running on in the new runtime",
            lambda: all(t > t_before[s] for s, t in _t_by_session(c).items()),
            180,
        )
        until("/api/health ok again", lambda: watch.seen and watch.seen[-1][0] == 200, 180)
    finally:
        health = watch.stop()
    return Restarted(c, old, new, supervisor, t_before, health, pages, errors, clock_before)


@pytest.mark.integration
@pytest.mark.browser
@pytest.mark.timeout(900)
def test_the_supervisor_starts_a_new_runtime(restarted: Restarted) -> None:
    r = restarted
    assert r.new_pid != r.old_pid
    assert cluster.alive(r.new_pid)
    assert cluster._ours(r.new_pid, "runtime")
    assert not cluster.alive(r.old_pid)
    assert r.cluster.pid(SUPERVISOR) == r.supervisor
    assert cluster.alive(r.supervisor)
    log = r.cluster.log("runtime", 400)
    assert "the runtime ended (killed by signal 9); starting it again in 1 s" in log
    assert f"the runtime started again (pid {r.new_pid})" in log


@pytest.mark.integration
@pytest.mark.browser
def test_health_is_answered_throughout_and_ok_again(restarted: Restarted) -> None:
    """The web tier answers all along (503 "degraded" while the runtime is away is an
    answer); once the new runtime publishes it is ok."""
    unanswered = [s for s in restarted.health if s[0] is None]
    assert not unanswered, unanswered
    assert all(s in ((200, "ok"), (503, "degraded")) for s in restarted.health), restarted.health
    assert restarted.health[-1] == (200, "ok")
    status, body = restarted.cluster.request("/api/health")
    assert (status, json.loads(body)["status"]) == (200, "ok"), body


@pytest.mark.integration
@pytest.mark.browser
def test_the_same_sessions_run_on(restarted: Restarted) -> None:
    c = restarted.cluster
    sessions = {s["id"]: s for s in c.json("/api/sessions")}
    assert set(sessions) == set(restarted.t_before)  # resumed, none started anew
    assert all(s["status"] == "running" for s in sessions.values())
    ahead = {sid: restarted.t_before[sid] + 5 for sid in sessions}
    until("every session a few more seconds on",
          lambda: all(t >= ahead[s] for s, t in _t_by_session(c).items()), 120)  # fmt: skip


@pytest.mark.integration
@pytest.mark.browser
def test_each_session_records_the_interruption_and_its_resumption(restarted: Restarted) -> None:
    c = restarted.cluster
    for sid, t_before in restarted.t_before.items():
        events = c.json(f"/api/sessions/{sid}/events")["session_events"]
        kinds = [e["kind"] for e in events]
        assert kinds.count("monitoring_interrupted") == 1, kinds
        assert kinds.count("monitoring_resumed") == 1, kinds
        stop = events[kinds.index("monitoring_interrupted")]
        resume = events[kinds.index("monitoring_resumed")]
        assert stop["seq"] < resume["seq"]
        assert stop["t_s"] == resume["t_s"]  # session time did not move while it was away
        assert t_before <= stop["t_s"] < t_before + 60  # where it stopped, give or take a write
        assert stop["detail"]["reason"] == "server restart"
        assert stop["detail"]["gap_s"] > 0  # the wall-clock time nobody watched
        assert resume["detail"]["actor"] == "system"
        (found,) = c.json(f"/api/sessions/{sid}")["interruptions"]
        assert found["gap_s"] == stop["detail"]["gap_s"]
        assert found["resumed_by"] == "system"


def _interruption(c: Cluster, bed: str = "chair1") -> tuple[int, float, str]:
    """(session id, session second, words) of the bed's interruption, from the API."""
    sid = _beds(c)[bed]["session"]["id"]
    (found,) = c.json(f"/api/sessions/{sid}")["interruptions"]
    from vitalsdash import interruptions

    words = interruptions.label({"gap_s": found["gap_s"], "reason": "server restart"})
    return sid, float(found["t_s"]), words


def _shows_band(page: Any, t_s: float, words: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#bed-trends text", has_text=words)).to_be_visible(timeout=60_000)
    page.wait_for_function(f"() => ({BAND})() && ({BAND})().length > 0", timeout=60_000)
    assert page.evaluate(BAND) == [X_OFFSET_MS + round(t_s * 1000)]


@pytest.mark.integration
@pytest.mark.browser
def test_a_bedside_page_open_across_the_kill_shows_the_interruption(restarted: Restarted
                                                                     ) -> None:  # fmt: skip
    """Its worker never stopped: the page picks the new runtime's feed up by itself."""
    _, t_s, words = _interruption(restarted.cluster)
    page = restarted.pages["bedside"]
    _shows_band(page, t_s, words)
    until("the open bedside page's clock past where it was before the kill",
          lambda: (_page_clock(page, "#bed-phase") or 0) > restarted.clock_before["bedside"] + 5,
          120)  # fmt: skip
    assert restarted.page_errors == []


@pytest.mark.integration
@pytest.mark.browser
def test_a_bedside_page_opened_after_the_restart_shows_it_too(restarted: Restarted) -> None:
    _, t_s, words = _interruption(restarted.cluster)
    page = restarted.pages["context"].new_page()
    try:
        page.goto(f"http://127.0.0.1:{restarted.cluster.port}/bed/chair1")
        _shows_band(page, t_s, words)
    finally:
        page.close()


@pytest.mark.integration
@pytest.mark.browser
def test_the_central_station_goes_on_and_shows_the_interruption(restarted: Restarted) -> None:
    """The open page's tiles go on, and each sparkline shows the interruption."""
    page = restarted.pages["central"]
    sel = '.tile[data-bed="chair1"] .tile-phase'
    until(
        "the open central station's clock past where it was before the kill",
        lambda: (_page_clock(page, sel) or 0) > restarted.clock_before["central"] + 5,
        120,
    )
    for bed in ("chair1", "chair2"):
        _, t_s, words = _interruption(restarted.cluster, bed)
        band = (f"() => (document.querySelector('.tile[data-bed=\"{bed}\"] .tile-spark "
                ".js-plotly-plot')?.layout?.shapes || []).filter(s => s.name === "
                "'interruption').map(s => [s.x0, s.label.text])")  # fmt: skip
        page.wait_for_function(f"() => ({band})().length > 0", timeout=60_000)
        assert page.evaluate(band) == [[t_s, words]]
    assert restarted.page_errors == []


@pytest.mark.integration
@pytest.mark.browser
def test_the_review_timeline_shows_the_interruption(restarted: Restarted) -> None:
    sid, t_s, words = _interruption(restarted.cluster)
    page = restarted.pages["context"].new_page()
    try:
        page.goto(f"http://127.0.0.1:{restarted.cluster.port}/review/{sid}")
        page.wait_for_function(f"() => ({REVIEW_BAND})() && ({REVIEW_BAND})()[0].length > 0",
                               timeout=60_000)  # fmt: skip
        shapes, notes = page.evaluate(REVIEW_BAND)
    finally:
        page.close()
    assert shapes == [pytest.approx(t_s / 60.0)]  # the review's axis is in minutes
    assert notes == [words]


@pytest.mark.integration
@pytest.mark.browser
def test_stop_then_leaves_nothing_running(restarted: Restarted) -> None:
    """Last: the supervisor goes first, so nothing starts the runtime again."""
    c = restarted.cluster
    pids = {n: c.pid(n) for n in cluster.PROCESSES}
    r = script("stop", "--var", str(c.var), timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"runtime ({restarted.new_pid}) stopped" in r.stdout
    assert f"{SUPERVISOR} ({restarted.supervisor}) stopped" in r.stdout
    assert not [n for n, pid in pids.items() if cluster.alive(pid)]
    assert not list(c.var.glob("*.pid"))
    assert cluster.running(c.var) == {}


# --- a clinic that does not resume -------------------------------------------------------


@pytest.mark.integration
@pytest.mark.browser
@pytest.mark.timeout(900)
def test_a_page_open_on_a_session_the_restart_leaves_interrupted_shows_it(browser: Any) -> None:
    """``resume_interrupted = false`` (a class decides): the new runtime marks the session
    interrupted and it writes nothing more, so no new entry follows in its bed's stream.
    The bedside page open across the kill still shows the interruption, and its clock
    stays where the session stopped."""
    clinic = CLINIC.replace("resume_interrupted = true", "resume_interrupted = false")
    assert clinic != CLINIC
    with running_cluster(clinic, workers=2) as c:
        until("every session past its first seconds",
              lambda: (t := _t_by_session(c)) and len(t) == 2 and min(t.values()) >= RAN_S,
              timeout_s=180)  # fmt: skip
        errors: list[str] = []
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"http://127.0.0.1:{c.port}/bed/chair1")
        first = until("the page's clock", lambda: _page_clock(page, "#bed-phase"), 120)
        until("the page's clock moving", lambda: (_page_clock(page, "#bed-phase") or 0) > first,
              120)  # fmt: skip
        old = c.pid("runtime")
        os.kill(old, signal.SIGKILL)
        until("a new runtime pid in runtime.pid",
              lambda: (p := _pid(c.var, "runtime")) not in (None, old) and p,
              timeout_s=120)  # fmt: skip
        sid = _beds(c)["chair1"]["session"]["id"]
        until("the session interrupted, not resumed",
              lambda: c.json(f"/api/sessions/{sid}")["status"] == "interrupted", 180)  # fmt: skip
        _, t_s, words = _interruption(c)
        _shows_band(page, t_s, words)
        stopped = _page_clock(page, "#bed-phase")
        assert stopped is not None
        assert stopped <= t_s + 1
        time.sleep(3)  # a few ticks of the new runtime: the stopped session stays stopped
        assert _page_clock(page, "#bed-phase") == stopped
        events = c.json(f"/api/sessions/{sid}/events")["session_events"]
        kinds = [e["kind"] for e in events]
        assert kinds.count("monitoring_interrupted") == 1
        assert "monitoring_resumed" not in kinds
        assert errors == []
