"""Polling load on the real server: 20 browsers on the central station (16 chairs, x1).

Target (issue): "20 clients polling 16 chairs at x1 keep the server under 50% of one core".

1. Starts ``vitalsdash run --port P --speed 1 --db <tmp> --clinic <16-chair TOML in tmp>``
   as a subprocess on 127.0.0.1 and waits for ``/api/health``; optionally runs the clinic
   at x120 for a while first (``--warm-min``) so the charts are mid-session, then x1.
2. Opens the central station and the bedside page once in Chromium (Playwright, Debian's
   /usr/bin/chromium) and records each page's Interval callback request
   (``/_dash-update-component``: body and headers), then closes the browser.
3. Measures the server idle (runtime ticking, nobody polling), then with N clients in a
   SEPARATE process (so the load generator's CPU is not the server's) each POSTing the
   central callback at 1 Hz (constant pacing, own keep-alive connection), then with one
   client on the bedside page (and, for a CPU-per-tick figure above the noise, 20 bedside
   clients for 20 s). Each client behaves like dash-renderer: the first call has
   the page's initial State (no cursor: the full backfill), and every later call carries
   the cursor and the tiles' shown values as returned by the previous responses.
   Then 20 pushed bedside pages (``live_updates = "push"``): each reads its bed's SSE
   stream, on chair2 and then spread over all chairs; CPU per message received.
4. Server CPU from /proc/<pid>/stat (utime + stime deltas over wall time, % of one core),
   response sizes and latency percentiles. Kills the server at the end.

    .venv/bin/python benchmarks/bench_ui_load.py [--clients 20] [--duration 60]

Prints figures; asserts nothing. Only 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import multiprocessing as mp
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from vitalsdash.report import CHROMIUM_FLAGS as REPORT_FLAGS
from vitalsdash.report import chromium_path

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CHAIRS = 16
SCENARIOS = ("uneventful-depression", "hypertensive-responder", "artefact-heavy",
             "vasovagal-observation", "desaturation-cosedative", "chronic-pain-4h")  # fmt: skip
CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"
CHROMIUM_FLAGS = list(REPORT_FLAGS)
KEEP_HEADERS = ("content-type", "accept", "accept-language", "user-agent", "origin",
                "referer", "x-csrftoken")  # fmt: skip
"""Request headers replayed as the browser sent them (Accept-Encoding too, see below)."""


# --- the clinic and the server -------------------------------------------------------------
def clinic_toml() -> str:
    """16 chairs, the shipped scenarios in turn, seeds 100..115 (as bench_ui.py)."""
    lines = ["[clinic]", 'name = "Load benchmark clinic"', "speed = 1", "tick_s = 0.5", ""]
    for i in range(CHAIRS):
        scenario = SCENARIOS[i % len(SCENARIOS)]
        protocol = "chronic-pain-4h" if scenario == "chronic-pain-4h" else "depression-40min"
        lines += ["[[beds]]", f'id = "chair{i + 1}"', f'label = "Chair {i + 1}"',
                  f'scenario = "{scenario}"', f"seed = {100 + i}", f'protocol = "{protocol}"',
                  ""]  # fmt: skip
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cpu_s(pid: int) -> float:
    """utime + stime of ``pid`` in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def post_json(url: str, body: dict[str, Any], timeout: float = 5.0) -> Any:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.load(r)


class ServerProcess:
    def __init__(self, cmd: list[str], log: Path) -> None:
        self.cmd = cmd
        self.log = log.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)  # fmt: skip
        self.pid = self.proc.pid

    def wait_healthy(self, url: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}; see {self.log.name}"
                )
            try:
                return get_json(url + "/api/health", timeout=2)
            except OSError:
                time.sleep(0.25)
        raise RuntimeError("server not healthy in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # serve() shuts down cleanly on SIGTERM
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


# --- capturing the browser's callback ------------------------------------------------------
def capture(base: str, paths: dict[str, tuple[str, str]], seconds: float = 8.0
            ) -> dict[str, dict[str, Any]]:  # fmt: skip
    """For each page {name: (path, output substring)}: the Interval callback's first
    request (the page's initial State) and a later one (a tick), as the browser sent
    them; plus every callback the page posted while open."""
    from playwright.sync_api import sync_playwright

    out: dict[str, dict[str, Any]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path() or "/usr/bin/chromium", args=CHROMIUM_FLAGS
        )
        for name, (path, marker) in paths.items():
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            seen: list[dict[str, Any]] = []

            def on_request(req: Any, seen: list = seen) -> None:
                # dash 4.4 posts to /_dash-update-component?endId=...: keep the query too
                if req.method == "POST" and "/_dash-update-component" in req.url:
                    path = req.url.split("://", 1)[1].split("/", 1)[1]
                    seen.append({"req": req, "body": json.loads(req.post_data or "{}"),
                                 "path": "/" + path, "headers": dict(req.headers)})  # fmt: skip

            page.on("request", on_request)
            page.goto(base + path, wait_until="domcontentloaded")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # bounded: the first tick plus a few more
                ours = [r for r in seen if marker in r["body"].get("output", "")]
                if len(ours) >= 3:
                    break
                page.wait_for_timeout(250)
            page.wait_for_timeout(int(seconds * 1000))
            ours = [r for r in seen if marker in r["body"].get("output", "")]
            for r in ours:  # the answers, to check the emulation against the browser
                req = r.pop("req")
                resp = req.response()
                r["response"] = resp.body() if resp is not None and resp.status == 200 else None
                timing = req.timing
                r["sent_ms"] = timing["startTime"]
                r["done_ms"] = timing["startTime"] + max(timing["responseEnd"], 0)
            for r in seen:
                r.pop("req", None)
            page.close()
            if len(ours) < 2:
                raise RuntimeError(f"{name}: the Interval callback was not seen ({len(seen)} "
                                   "callback requests)")  # fmt: skip
            others = sorted({r["body"].get("output", "")[:60] for r in seen} - {ours[0]["body"]
                             ["output"][:60]})  # fmt: skip
            out[name] = {"first": ours[0], "tick": ours[-1], "others": others,
                         "n_seen": len(seen), "sequence": ours}  # fmt: skip
        browser.close()
    return out


# --- the emulated browsers (run in a separate process) -------------------------------------
def _key(cid: Any, prop: str) -> str:
    if isinstance(cid, str) and cid.startswith("{"):
        cid = json.loads(cid)
    if isinstance(cid, dict):
        cid = json.dumps(cid, sort_keys=True, separators=(",", ":"))
    return f"{cid}|{prop}"


class Browser:
    """One emulated dash-renderer: sends the captured callback, applies the response to
    its own copy of the page's State values (cursor and shown values)."""

    def __init__(self, captured: dict[str, Any]) -> None:
        self.template = captured["tick"]["body"]
        self.path = captured["tick"]["path"]
        headers = captured["tick"]["headers"]
        self.headers = {k: v for k, v in headers.items() if k.lower() in KEEP_HEADERS}
        # The browser offers gzip; the dev server answers uncompressed unless Dash's
        # compress is on, so the bytes below are what goes over the wire either way.
        self.headers["Accept-Encoding"] = headers.get("accept-encoding", "identity")
        self.values: dict[str, Any] = {}
        for entry in _flat(captured["first"]["body"].get("state", [])):
            self.values[_key(entry["id"], entry["property"])] = entry.get("value")
        self.n = 0

    def body(self) -> bytes:
        b = dict(self.template)
        self.n += 1
        b["inputs"] = [dict(i, value=self.n) if i.get("property") == "n_intervals" else i
                       for i in self.template["inputs"]]  # fmt: skip
        b["state"] = [_fill(s, self.values) for s in self.template.get("state", [])]
        return json.dumps(b, separators=(",", ":")).encode()

    def apply(self, data: bytes) -> None:
        resp = json.loads(data).get("response", {})
        for cid, props in resp.items():
            for prop, value in props.items():
                k = _key(cid, prop)
                if k in self.values:
                    self.values[k] = value


def _flat(state: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in state:
        out.extend(s if isinstance(s, list) else [s])
    return out


def _fill(s: Any, values: dict[str, Any]) -> Any:
    if isinstance(s, list):
        return [_fill(x, values) for x in s]
    return dict(s, value=values.get(_key(s["id"], s["property"])))


def check_emulation(captured: dict[str, Any]) -> tuple[list[bool], int]:
    """Replay the browser's own responses through :class:`Browser`: of the browser's
    requests sent after the previous answer had arrived, how many carried exactly the
    State values the emulation would have sent (cursor and shown values); and how many
    were sent while the previous one was still in flight (not compared). A browser still
    busy drawing the page (the first seconds) sends stale State now and then."""
    seq = captured["sequence"]
    b = Browser(captured)
    matches: list[bool] = []
    overlapped = 0
    for prev, nxt in itertools.pairwise(seq):
        if prev.get("response") is None:
            break
        b.apply(prev["response"])
        if nxt["sent_ms"] < prev["done_ms"]:
            overlapped += 1
            continue
        want = {_key(e["id"], e["property"]): e.get("value") for e in _flat(nxt["body"]["state"])}
        matches.append(want == {k: b.values.get(k) for k in want})
    return matches, overlapped


Row = tuple[float, float, int, int, float]
"""(start s from the phase's start, wall s, response bytes, HTTP status, late s)."""


def _call(conn: http.client.HTTPConnection, browser: Browser, t0: float, late: float,
          rows: list[Row], lock: threading.Lock) -> http.client.HTTPConnection:  # fmt: skip
    body = browser.body()
    w0 = time.perf_counter()
    try:
        conn.request("POST", browser.path, body=body, headers=browser.headers)
        r = conn.getresponse()
        data, status = r.read(), r.status
    except (OSError, http.client.HTTPException):
        conn.close()
        conn = http.client.HTTPConnection(HOST, port=conn.port, timeout=30)
        data, status = b"", 0
    wall = time.perf_counter() - w0
    if status == 200:
        browser.apply(data)
    with lock:
        rows.append((w0 - t0, wall, len(data), status, late))
    return conn


def _sleep_until(t: float) -> float:
    """Sleep until ``t`` (perf_counter); how late we woke (s)."""
    now = time.perf_counter()
    if t > now:
        time.sleep(t - now)
    return max(0.0, time.perf_counter() - t)


def _client(i: int, n: int, port: int, captured: dict[str, Any], duration: float,
            clock: dict[str, float], opened: threading.Barrier, go: threading.Event,
            rows_open: list[Row], rows: list[Row], lock: threading.Lock) -> None:  # fmt: skip
    """One browser: opens the page (first call: the page's initial State, the full
    backfill), then polls at 1 Hz. Pacing as locust's ``constant_pacing(1)``: a call starts
    1 s after the previous one started, or at once if that one took longer (no catch-up
    bursts)."""
    browser = Browser(captured)
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        late = _sleep_until(clock["open"] + i / n)  # pages opened over one second
        conn = _call(conn, browser, clock["open"], late, rows_open, lock)
        opened.wait(timeout=180)
        if not go.wait(timeout=180):
            return
        due = clock["poll"] + i / n
        for _ in range(int(duration) + 2):  # bounded in count and in time
            if due - clock["poll"] >= duration:
                break
            late = _sleep_until(due)
            started = time.perf_counter()
            conn = _call(conn, browser, clock["poll"], late, rows, lock)
            due = max(due + 1.0, started + 1.0, time.perf_counter())
    except threading.BrokenBarrierError:
        pass
    finally:
        conn.close()


def _open_pages(conn: Any, threads: list[threading.Thread], opened: threading.Barrier,
                timeout_s: float) -> None:  # fmt: skip
    """Start the clients (phase "start"); phase "opened" once every page has opened."""
    conn.send({"phase": "start"})
    for t in threads:
        t.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        opened.wait(timeout=timeout_s)
    conn.send({"phase": "opened"})


def load_worker(port: int, captured: dict[str, Any], clients: int, duration: float,
                conn: Any) -> None:  # fmt: skip
    """The load generator's process: ``clients`` threads; phases and results on ``conn``."""
    rows_open: list[Row] = []
    rows: list[Row] = []
    lock = threading.Lock()
    opened = threading.Barrier(clients + 1)
    go = threading.Event()
    c0 = time.process_time()
    clock = {"open": time.perf_counter() + 0.3, "poll": 0.0}
    threads = [threading.Thread(target=_client, args=(i, clients, port, captured, duration,
                                                      clock, opened, go, rows_open, rows,
                                                      lock), daemon=True)
               for i in range(clients)]  # fmt: skip
    _open_pages(conn, threads, opened, 180)
    clock["poll"] = time.perf_counter() + 0.5
    go.set()
    for t in threads:
        t.join(timeout=duration + 60)
    conn.send({"phase": "done", "rows_open": rows_open, "rows": rows,
               "cpu_s": time.process_time() - c0,
               "wall_s": time.perf_counter() - clock["open"]})  # fmt: skip


def _stream_client(i: int, n: int, port: int, path: str, opened: threading.Barrier,
                   counting: threading.Event, stop: threading.Event, rows: list[Row],
                   lock: threading.Lock) -> None:  # fmt: skip
    """One pushed page: opens the bed's stream (its first message is the backfill) and
    reads messages until ``stop``; each one read while ``counting`` is a row."""
    time.sleep(i / n)  # pages opened over one second
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept": "text/event-stream"})
        r = conn.getresponse()
        backfilled = r.status != 200
        if backfilled:  # refused (503: every stream slot taken): an error row
            with lock:
                rows.append((time.perf_counter(), 0.0, 0, r.status, 0.0))
        while not stop.is_set():
            line = r.fp.readline() if r.status == 200 else b""
            if not line:
                break
            if not line.startswith(b"data: "):
                continue
            if not backfilled:
                backfilled = True
                with contextlib.suppress(threading.BrokenBarrierError):
                    opened.wait(timeout=60)
            elif counting.is_set():
                with lock:
                    rows.append((time.perf_counter(), 0.0, len(line) + 1, 200, 0.0))
    except (OSError, http.client.HTTPException):
        pass
    finally:
        with contextlib.suppress(threading.BrokenBarrierError):
            opened.wait(timeout=0.01)
        conn.close()


def push_worker(port: int, captured: dict[str, Any], clients: int, duration: float,
                conn: Any) -> None:  # fmt: skip
    """The load generator for pushed pages: ``clients`` streams, client i on
    ``captured["paths"][i % len]``; the same phases as :func:`load_worker` (a row per
    message received)."""
    rows: list[Row] = []
    lock = threading.Lock()
    opened = threading.Barrier(clients + 1)
    counting, stop = threading.Event(), threading.Event()
    paths = captured["paths"]
    c0, w0 = time.process_time(), time.perf_counter()
    threads = [threading.Thread(target=_stream_client,
                                args=(i, clients, port, paths[i % len(paths)], opened, counting,
                                      stop, rows, lock), daemon=True)
               for i in range(clients)]  # fmt: skip
    _open_pages(conn, threads, opened, 120)
    counting.set()
    time.sleep(duration + 0.5)
    counting.clear()
    stop.set()
    conn.send({"phase": "done", "rows_open": [], "rows": rows,
               "cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - w0})  # fmt: skip


# --- measuring -----------------------------------------------------------------------------
def _expect(conn: Any, phase: str, timeout: float) -> dict[str, Any]:
    if not conn.poll(timeout):
        raise RuntimeError(f"load generator: no {phase!r} within {timeout:g} s")
    msg = conn.recv()
    if msg.get("phase") != phase:
        raise RuntimeError(f"load generator: expected {phase!r}, got {msg.get('phase')!r}")
    return msg


def measure(server: ServerProcess, port: int, captured: dict[str, Any] | None, clients: int,
            duration: float, worker: Any = load_worker) -> dict[str, Any]:  # fmt: skip
    """Server CPU while ``clients`` emulated browsers open the page, then poll it (or read
    its stream, with ``push_worker``) for ``duration`` seconds (no clients: idle)."""
    out: dict[str, Any] = {"rows": [], "rows_open": []}
    proc = parent = None
    if clients:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker, args=(port, captured, clients, duration, child),
                           daemon=True)  # fmt: skip
        proc.start()
        _expect(parent, "start", 60)
        w0, c0 = time.perf_counter(), cpu_s(server.pid)
        _expect(parent, "opened", 240)
        w1, c1 = time.perf_counter(), cpu_s(server.pid)
        out.update(open_wall_s=w1 - w0, open_cpu_s=c1 - c0)
    per_s: list[float] = []
    w0, c0 = time.perf_counter(), cpu_s(server.pid)
    last_w, last_c = w0, c0
    for _ in range(int(duration) + 2):  # one CPU sample per second, bounded
        time.sleep(max(0.0, w0 + len(per_s) + 1 - time.perf_counter()))
        w, c = time.perf_counter(), cpu_s(server.pid)
        per_s.append((c - last_c) / (w - last_w))
        last_w, last_c = w, c
        if w - w0 >= duration:
            break
    w1, c1 = time.perf_counter(), cpu_s(server.pid)
    out.update(cpu_pct=100 * (c1 - c0) / (w1 - w0), wall_s=w1 - w0, cpu_s=c1 - c0, per_s=per_s)
    if proc is not None and parent is not None:
        got = _expect(parent, "done", duration + 90)
        out.update(rows=got["rows"], rows_open=got["rows_open"], gen_cpu_s=got["cpu_s"],
                   gen_wall_s=got["wall_s"], push=worker is push_worker)  # fmt: skip
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)
    return out


def _p(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def _window_max(per_s: list[float], n: int = 5) -> float:
    if len(per_s) < n:
        return max(per_s, default=float("nan"))
    return max(sum(per_s[i : i + n]) / n for i in range(len(per_s) - n + 1))


def _lat(rows: list[Row]) -> str:
    w = [x[1] * 1e3 for x in rows]
    if not w:
        return "-"
    return (f"p50 {_p(w, 0.5):.1f}  p90 {_p(w, 0.9):.1f}  p99 {_p(w, 0.99):.1f}  "
            f"max {max(w):.1f}")  # fmt: skip


def summary(r: dict[str, Any], idle: dict[str, Any]) -> dict[str, Any]:
    ok = [x for x in r["rows"] if x[3] == 200]
    ok_open = [x for x in r["rows_open"] if x[3] == 200]
    rps = len(r["rows"]) / r["wall_s"]
    above = r["cpu_pct"] - idle["cpu_pct"]
    open_extra = r.get("open_cpu_s", 0.0) - idle["cpu_pct"] / 100 * r.get("open_wall_s", 0.0)
    return {
        "ok": ok,
        "ok_open": ok_open,
        "rps": rps,
        "above": above,
        "ms_per_req": 10 * above / rps if rps else float("nan"),
        "ms_per_open": 1e3 * open_extra / max(len(ok_open), 1),
        "sizes": [x[2] for x in ok],
        "open_sizes": [x[2] for x in ok_open],
    }


def report(name: str, r: dict[str, Any], idle: dict[str, Any] | None) -> None:
    print(f"\n{name}")
    if idle is None or not (r["rows"] or r["rows_open"]):
        print(f"  server CPU: {r['cpu_pct']:.1f}% of one core over {r['wall_s']:.1f} s "
              f"(busiest 5 s: {100 * _window_max(r['per_s']):.1f}%)")  # fmt: skip
        return
    s = summary(r, idle)
    n_open = len(r["rows_open"])
    if n_open:
        print(f"  opening: {n_open} page opens (over 1 s) done in {r['open_wall_s']:.1f} s; "
              f"server CPU {r['open_cpu_s']:.2f} s = {s['ms_per_open']:.0f} ms per open above "
              f"idle; response {statistics.median(s['open_sizes'] or [0]) / 1024:.1f} KB "
              "median")  # fmt: skip
        print(f"    latency ms: {_lat(s['ok_open'])}")
    what = "message" if r.get("push") else "request"
    print(f"  polling: server CPU {r['cpu_pct']:.1f}% of one core over {r['wall_s']:.1f} s "
          f"(busiest 5 s: {100 * _window_max(r['per_s']):.1f}%), {s['above']:.1f} points "
          f"above idle = {s['ms_per_req']:.2f} ms server CPU per {what}")  # fmt: skip
    rows = r["rows"]
    late = [x[4] * 1e3 for x in rows]
    print(f"    {what}s: {len(rows)} ({s['rps']:.1f}/s), ok {len(s['ok'])}, errors "
          f"{len(rows) - len(s['ok'])}; woke late p50 {_p(late, 0.5):.1f} ms, p99 "
          f"{_p(late, 0.99):.1f} ms")  # fmt: skip
    if not r.get("push"):
        print(f"    latency ms: {_lat(s['ok'])}")
    if s["sizes"]:
        t = s["sizes"]
        print(f"    response bytes: median {statistics.median(t):,.0f}, p90 {_p(t, 0.9):,.0f}, "
              f"max {max(t):,}; {sum(t) / r['wall_s'] / 1024:.1f} KB/s in all")  # fmt: skip
    if "gen_cpu_s" in r:
        print(f"  load generator (separate process): {100 * r['gen_cpu_s'] / r['gen_wall_s']:.1f}%"
              " of one core")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=20, help="central-station browsers")
    ap.add_argument("--duration", type=float, default=60, help="seconds of central load")
    ap.add_argument("--bedside-duration", type=float, default=60, help="seconds, 1 client")
    ap.add_argument("--bedside-many", type=int, default=20,
                    help="then this many bedside clients for 20 s: one client's CPU per tick "
                    "is below /proc's 10 ms resolution and the idle noise (0: skip)")  # fmt: skip
    ap.add_argument("--push-many", type=int, default=20,
                    help="then this many pushed bedside pages (SSE streams) for 20 s, on "
                    "chair2 and then across all chairs (0: skip)")  # fmt: skip
    ap.add_argument("--idle", type=float, default=15, help="seconds of idle baseline")
    ap.add_argument("--warm-min", type=float, default=20,
                    help="simulated minutes at x120 before measuring (0: none)")  # fmt: skip
    args = ap.parse_args(argv)
    args.clients = max(0, min(args.clients, 200))
    args.duration = max(5.0, min(args.duration, 600.0))
    args.bedside_duration = max(0.0, min(args.bedside_duration, 600.0))
    args.bedside_many = max(0, min(args.bedside_many, 200))
    args.push_many = max(0, min(args.push_many, 32))  # the server's stream cap
    args.idle = max(3.0, min(args.idle, 120.0))

    tmp = Path(tempfile.mkdtemp(prefix="bench-ui-load-"))
    (tmp / "clinic16.toml").write_text(clinic_toml(), encoding="utf-8")
    port = free_port()
    exe = VENV_BIN / "vitalsdash"
    cmd = [str(exe), "run", "--port", str(port), "--speed", "1", "--db",
           str(tmp / "load.sqlite"), "--clinic", str(tmp / "clinic16.toml")]  # fmt: skip
    base = f"http://{HOST}:{port}"
    print("vitalsdash UI load benchmark")
    print("  server:", shlex.join(cmd))
    # SIGTERM ends this script through its finally: the server goes with it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = ServerProcess(cmd, tmp / "server.log")
    try:
        health = server.wait_healthy(base)
        print(f"  healthy: {health['beds']} beds, {health['sessions_running']} sessions, "
              f"x{health['speed']:g}; server pid {server.pid}; {os.cpu_count()} CPUs")  # fmt: skip
        if args.warm_min > 0:
            post_json(base + "/api/clinic/actions", {"kind": "set_speed",
                                                     "params": {"speed": 120}})  # fmt: skip
            deadline = time.monotonic() + args.warm_min * 60 / 120 + 30
            while time.monotonic() < deadline:  # bounded
                t = get_json(base + "/api/beds")[0]["session"]["t_s"]
                if t >= args.warm_min * 60:
                    break
                time.sleep(0.5)
            post_json(base + "/api/clinic/actions", {"kind": "set_speed", "params": {"speed": 1}})
            t = get_json(base + "/api/beds")[0]["session"]["t_s"]
            print(f"  warmed at x120 to {t / 60:.1f} simulated min, now x1")
        captured = capture(base, {"central": ("/", "central-cursor.data"),
                                  "bedside": ("/bed/chair2", "bed-cursor.data")})  # fmt: skip
        for name, c in captured.items():
            matches, overlapped = check_emulation(c)
            print(f"  emulation check ({name}): the browser's State matched the emulated one "
                  f"for {sum(matches)} of {len(matches)} ticks, {sum(matches[-5:])} of the last "
                  f"{len(matches[-5:])} ({overlapped} sent while the previous was in flight: "
                  "not compared)")  # fmt: skip
            body = c["tick"]["body"]
            n_state = len(_flat(body.get("state", [])))
            print(f"  captured {name}: {len(json.dumps(body)):,} B request body, "
                  f"{n_state} State values, changedPropIds {body.get('changedPropIds')}; "
                  f"other callbacks posted by the page: {c['others'] or 'none'}")  # fmt: skip
        time.sleep(2)  # the closed pages' last requests are done
        idle = measure(server, port, None, 0, args.idle)
        report(f"idle (runtime ticking {CHAIRS} chairs at x1, no clients), {args.idle:g} s",
               idle, None)  # fmt: skip
        central = measure(server, port, captured["central"], args.clients, args.duration)
        report(f"central station: {args.clients} clients x 1 Hz, {CHAIRS} chairs, x1, "
               f"{args.duration:g} s", central, idle)  # fmt: skip
        bedside = None
        if args.bedside_duration:
            bedside = measure(server, port, captured["bedside"], 1, args.bedside_duration)
            report(f"bedside /bed/chair2: 1 client x 1 Hz, x1, {args.bedside_duration:g} s",
                   bedside, idle)  # fmt: skip
        many = None
        if args.bedside_many > 1:
            many = measure(server, port, captured["bedside"], args.bedside_many, 20)
            report(f"bedside /bed/chair2: {args.bedside_many} clients x 1 Hz, x1, 20 s "
                   "(CPU per tick)", many, idle)  # fmt: skip
        pushed: list[tuple[str, dict[str, Any]]] = []
        if args.push_many:
            for where, paths in (("chair2", ["/_vitals/bed/chair2/stream"]),
                                 (f"{CHAIRS} chairs", [f"/_vitals/bed/chair{i + 1}/stream"
                                                      for i in range(CHAIRS)])):  # fmt: skip
                time.sleep(3)  # the previous phase's streams end at their next message
                r = measure(server, port, {"paths": paths}, args.push_many, 20, push_worker)
                name = f"bedside {where}: {args.push_many} pushed pages (SSE), x1, 20 s"
                report(name + " (CPU per message)", r, idle)
                pushed.append((f"bedside {where}, {args.push_many} pushed pages", r))
        print(
            "\n| run | server CPU (% of one core) | above idle | CPU per request or message | "
            "requests/s | latency p50 / p99 ms | response median | open: CPU, size |"
        )
        print("|---|---|---|---|---|---|---|---|")
        print(f"| idle, {CHAIRS} chairs ticking | {idle['cpu_pct']:.1f} | - | - | 0 | - | - | - |")
        for name, r in ((f"central, {args.clients} clients x 1 Hz", central),
                        ("bedside chair2, 1 client x 1 Hz", bedside),
                        (f"bedside chair2, {args.bedside_many} clients x 1 Hz", many),
                        *pushed):  # fmt: skip
            if r is None or not r["rows"]:
                continue
            sm = summary(r, idle)
            w = [x[1] * 1e3 for x in sm["ok"]]
            med = statistics.median(sm["sizes"]) if sm["sizes"] else float("nan")
            op = statistics.median(sm["open_sizes"] or [0]) / 1024
            opened = "-" if r.get("push") else f"{sm['ms_per_open']:.0f} ms, {op:.1f} KB"
            lat = "-" if r.get("push") else f"{_p(w, 0.5):.1f} / {_p(w, 0.99):.1f}"
            print(f"| {name} | {r['cpu_pct']:.1f} | {sm['above']:+.1f} | "
                  f"{sm['ms_per_req']:.2f} ms | {sm['rps']:.1f} | {lat} | {med:,.0f} B | "
                  f"{opened} |")  # fmt: skip  # fmt: skip
        print(f"\ntarget: {args.clients} clients on {CHAIRS} chairs at x1 < 50% of one core: "
              f"measured {central['cpu_pct']:.1f}%")  # fmt: skip
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"  server stopped (exit {server.proc.returncode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
