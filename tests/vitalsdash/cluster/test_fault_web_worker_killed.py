"""Fault: a web worker is killed (SIGKILL) while bedside pages hold push streams on it.

What must hold: the page's stream comes back within 3 s (the stream's ``retry`` hint of
2 s, then a connection to a live worker), the new stream's first message is a backfill of
the whole session, so the trend has every second up to now and no hole over the kill, and
gunicorn starts a replacement worker. Streams on the other workers go on untouched.

The browser test runs Debian's Chromium on the cluster's real page; a test-only probe
(an init script wrapping ``EventSource``) notes when each stream opens and each message
arrives, so the product code stays as it is. The API test does the same with raw SSE
clients and reconnects as the browser would.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from cluster_run import Cluster, chromium, running_cluster, until

from vitalsdash.ui.live.stream import RETRY_MS, stream_path
from vitalsdash.ui.series import X_OFFSET_MS
from vitalsdash.ui.widgets import trends

pytestmark = pytest.mark.integration

BED = "chair1"
WORKERS = 2
CLINIC_TOML = f"""
[clinic]
name = "Worker fault clinic"
speed = 1
live_updates = "push"
# idle keep-alive connections close after 2 s: a page's only lasting connection is then
# its stream, which tells which worker serves it
http_idle_timeout_s = 2

[[beds]]
id = "{BED}"
label = "Chair 1"
scenario = "uneventful-depression"
seed = 3
"""
BACK_WITHIN_S = 3.0
"""The acceptance figure: a page's stream delivers again this soon after its worker died."""
SLACK_S = 1.0
"""Added to BACK_WITHIN_S in the assertion: the 2 s retry is fixed, but connecting and
building the backfill share two cores with other clusters and a browser under test load.
The measured figure is in the assertion's message (about 2.1 s on an idle machine)."""
HR = "HR"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with running_cluster(CLINIC_TOML, workers=WORKERS) as c:
        yield c


def _seconds(xs: list[float]) -> list[float]:
    return [(x - X_OFFSET_MS) / 1000 for x in xs]


def _replaced(cluster: Cluster, killed: int) -> bool:
    workers = cluster.workers()
    return len(workers) == WORKERS and killed not in workers


# -- in Chromium ---------------------------------------------------------------------------

PROBE = """(() => {
  const Real = window.EventSource;
  const probe = window.__streamProbe = {opens: [], messages: [], errors: []};
  class Probed extends Real {
    constructor(url, init) {
      super(url, init);
      this.addEventListener("open", () => probe.opens.push(Date.now()));
      this.addEventListener("error", () => probe.errors.push([Date.now(), this.readyState]));
      this.addEventListener("message", (ev) => probe.messages.push({
        at: Date.now(), opened: probe.opens.length,
        backfill: ev.data.indexOf('"bed-trends":{"figure"') >= 0}));
    }
  }
  window.EventSource = Probed;
})();"""
"""Test-only: when the page's streams open, fail and deliver (wall ms), and which of its
messages are backfills; the page's own handlers run as before."""
TREND = """(traces) => {
  const gd = document.querySelector("#bed-trends .js-plotly-plot");
  if (!gd || !gd.data) { return null; }
  const out = {};
  for (const [ch, i] of Object.entries(traces)) { out[ch] = Array.from(gd.data[i].x); }
  return out;
}"""
"""The trend's x values (ms) of each charted channel, as the page holds them."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _trend(page: Any) -> dict[str, list[float]]:
    shown = page.evaluate(TREND, {ch: trends.chart().trace[ch] for ch in trends.chart().channels})
    return {ch: _seconds(xs) for ch, xs in (shown or {}).items()}


def _latest_s(page: Any) -> float:
    return max(_trend(page).get(HR) or [-1.0])


def _stream_worker(cluster: Cluster, seen: list[int]) -> int | None:
    """The worker of the page's only open connection, once the same connection was seen
    twice, longer than the idle timeout apart (a keep-alive one would be gone by then)."""
    conns = cluster.connections()
    seen.append(conns[0].client_port if len(conns) == 1 else -1)
    if len(seen) >= 2 and seen[-1] == seen[-2] != -1:
        return conns[0].worker
    return None


def _stored_seconds(cluster: Cluster, until_s: float) -> dict[str, list[float]]:
    """The session's sample times per charted channel up to ``until_s``, from the API."""
    (bed,) = [b for b in cluster.json("/api/beds") if b["id"] == BED]
    chs = ",".join(trends.chart().channels)
    rows = cluster.json(f"/api/sessions/{bed['session']['id']}/samples?channels={chs}")
    out: dict[str, list[float]] = {ch: [] for ch in trends.chart().channels}
    for r in rows["samples"]:
        if r["t"] <= until_s:
            out[r["channel"]].append(float(r["t"]))
    return out


@pytest.mark.browser
def test_a_bedside_page_whose_worker_is_killed_is_back_within_3_s_with_no_gap(
    cluster: Cluster, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.add_init_script(PROBE)
        page.goto(f"http://127.0.0.1:{cluster.port}/bed/{BED}", timeout=60_000)
        page.wait_for_function("() => window.__streamProbe.messages.length >= 3", timeout=60_000)
        seen: list[int] = []
        worker = until(
            "the page's stream as the only open connection",
            lambda: _stream_worker(cluster, seen),
            timeout_s=60,
            every_s=2.5,
        )
        before_s = _latest_s(page)
        assert before_s >= 3, "the page shows some seconds before the fault"
        opens_before = page.evaluate("() => window.__streamProbe.opens.length")

        killed_at_ms = time.time() * 1000  # the page's Date.now() reads the same clock
        os.kill(worker, signal.SIGKILL)

        back = until(
            "a message on the page's new stream",
            lambda: page.evaluate(
                "(n) => window.__streamProbe.messages.find(m => m.opened > n) || null", opens_before
            ),
            timeout_s=60,
        )
        back_s = (back["at"] - killed_at_ms) / 1000
        assert back["backfill"], "the new stream starts with the whole session"
        assert back_s <= BACK_WITHIN_S + SLACK_S, f"back {back_s:.2f} s after the kill"
        probe = page.evaluate("() => window.__streamProbe")
        assert len(probe["opens"]) == opens_before + 1  # one reconnection, by the browser
        assert all(state != 2 for _, state in probe["errors"]), "the page gave up its stream"
        until("a replacement worker", lambda: _replaced(cluster, worker), timeout_s=60)

        # the trend: every stored sample up to the page's latest second, each second once
        until(
            "the page's trend past the kill", lambda: _latest_s(page) >= before_s + 5, timeout_s=60
        )
        shown = _trend(page)
        latest_s = max(shown[HR])
        assert shown[HR] == [float(t) for t in range(int(latest_s) + 1)]  # no hole, no repeat
        stored = _stored_seconds(cluster, latest_s)
        assert {ch: [t for t in xs if t <= latest_s] for ch, xs in shown.items()} == stored
        until(
            "the page's latest second moving on", lambda: _latest_s(page) > latest_s, timeout_s=60
        )
    finally:
        context.close()


# -- raw streams ----------------------------------------------------------------------------


@dataclass
class Stream:
    """One SSE client on the bed's stream; a thread reads its messages as they come."""

    port: int
    conn: http.client.HTTPConnection = field(init=False)
    sock: socket.socket = field(init=False)
    client_port: int = field(init=False)
    retry_ms: int | None = None
    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    ended_at: float | None = None

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.conn.connect()
        self.sock = self.conn.sock
        self.client_port = self.sock.getsockname()[1]
        self.conn.request("GET", stream_path(BED), headers={"Accept": "text/event-stream"})
        resp = self.conn.getresponse()
        assert resp.status == 200, resp.read()[:300]
        threading.Thread(target=self._read, args=(resp,), daemon=True).start()

    def _read(self, resp: http.client.HTTPResponse) -> None:
        event, data = "message", b""
        try:
            while line := resp.readline():
                line = line.rstrip(b"\r\n")
                if line.startswith(b"retry: "):
                    self.retry_ms = int(line[7:])
                elif line.startswith(b"event: "):
                    event = line[7:].decode()
                elif line.startswith(b"data: "):
                    data = line[6:]
                elif not line and data:
                    if event == "message":
                        self.messages.append((time.monotonic(), json.loads(data)))
                    event, data = "message", b""
        except (OSError, http.client.HTTPException, ValueError):
            pass  # the server went away mid-message
        self.ended_at = time.monotonic()
        self.conn.close()

    def close(self) -> None:
        """End the connection; the reader, woken by it, closes its side."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def hr_seconds(self, messages: int | None = None) -> list[float]:
        """HR's seconds as this stream's first ``messages`` (all) gave them: its backfill,
        then each tick's new points."""
        trace = trends.chart().trace[HR]
        out: list[float] = []
        for _, props in self.messages[:messages]:
            figure = props.get("bed-trends", {}).get("figure")
            if figure is not None:
                out = _seconds(figure["data"][trace]["x"])
            for entry in (props.get("bed-wire", {}).get("data") or {}).get("e") or []:
                if entry[0] != trace:
                    continue
                if isinstance(entry[1], (int, float)):  # [trace, x0, dx, ys]
                    xs = [entry[1] + i * entry[2] for i in range(len(entry[3]))]
                else:  # [trace, xs, ys, texts]
                    xs = entry[1]
                out += _seconds(xs)
        return out


def _worker_of(cluster: Cluster, stream: Stream) -> int | None:
    return next(
        (c.worker for c in cluster.connections() if c.client_port == stream.client_port), None
    )


def test_a_stream_whose_worker_is_killed_ends_and_its_next_one_backfills_everything(
    cluster: Cluster,
) -> None:
    streams: list[Stream] = []
    try:
        by_worker: dict[int, list[Stream]] = {}
        while len(by_worker) < 2 and len(streams) < 16:  # one on each of two workers
            s = Stream(cluster.port)
            streams.append(s)
            worker = until("the stream's worker", lambda s=s: _worker_of(cluster, s), 30)
            by_worker.setdefault(worker, []).append(s)
        assert len(by_worker) == 2, "every stream went to the same worker"
        until(
            "a few seconds on every stream",
            lambda: all(len(s.messages) >= 3 for s in streams),
            timeout_s=60,
        )
        victim, survivor = list(by_worker)[:2]
        dead, alive = by_worker[victim], by_worker[survivor]
        assert all(s.retry_ms == RETRY_MS <= 2000 for s in streams)  # 3 s leaves 1 s to connect
        shown_before = max(dead[0].hr_seconds())

        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        until(
            "the killed worker's streams ending",
            lambda: all(s.ended_at is not None for s in dead),
            timeout_s=30,
        )
        again = Stream(cluster.port)  # what the browser does after the retry hint
        streams.append(again)
        until("the new stream's backfill", lambda: again.messages, timeout_s=60)
        until(
            "the other worker's streams going on past the kill",
            lambda: all(s.messages[-1][0] > killed_at + 2 for s in alive),
            timeout_s=60,
        )
        assert all(s.ended_at is None for s in alive)
        until("a replacement worker", lambda: _replaced(cluster, victim), timeout_s=60)

        first = again.messages[0][1]
        assert "figure" in first.get("bed-trends", {}), "the new stream starts with a backfill"
        backfill = again.hr_seconds(1)
        assert backfill == [float(t) for t in range(int(max(backfill)) + 1)]
        assert max(backfill) >= shown_before  # nothing the dead stream showed is missing
        until("the new stream's next points", lambda: max(again.hr_seconds()) > max(backfill))
        hr = again.hr_seconds()
        assert hr == [float(t) for t in range(int(max(hr)) + 1)]  # and it goes on from there
    finally:
        for s in streams:
            s.close()
