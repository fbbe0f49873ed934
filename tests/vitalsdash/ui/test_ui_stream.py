"""The bedside page's pushed stream, iterated in process with an injected clock."""

from __future__ import annotations

import json
import threading
import time

import pytest
from flask import Flask

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui.live.bedside import bedside_tick, component_props
from vitalsdash.ui.live.stream import (
    HEARTBEAT_S,
    StreamHub,
    StreamsFullError,
    hub_of,
    install,
    stream_path,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def rt(tmp_path):
    beds = [
        BedConfig(id="chair1", scenario="hypertensive-responder", seed=12),
        BedConfig(id="chair2", scenario="uneventful-depression", seed=11),
    ]
    store = Store(str(tmp_path / "stream.sqlite"))
    runtime = Runtime(ClinicConfig(clinic=ClinicSection(), beds=beds), store, Feed(store),
                      clock=ManualClock())  # fmt: skip
    runtime.start()
    runtime.advance(600)
    yield runtime
    store.close()


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _news(stream) -> bytes:
    """The stream's next chunk that is not the bed's waveforms (those: test_ui_waves.py)."""
    chunk = next(stream)
    while chunk.startswith(b"event: wave\n"):
        chunk = next(stream)
    return chunk


def _data(chunk: bytes) -> dict:
    assert chunk.startswith(b"data: "), chunk[:80]
    assert chunk.endswith(b"\n\n")
    return json.loads(chunk[len(b"data: ") : -2])


def _hr_points(props: dict) -> list[float]:
    """The new HR values in a message's wire (trace 0), read as bedside.js does."""
    for e in props["bed-wire"]["data"].get("e", []):
        if e[0] == 0:
            return e[3] if isinstance(e[1], int | float) else e[2]
    return []


def test_a_stream_backfills_then_pushes_each_ticks_news(rt: Runtime) -> None:
    clock = Clock()
    hub = StreamHub(rt, clock=clock)
    stream = iter(hub.open_bed("chair1"))
    assert _news(stream) == b"retry: 2000\n\n"
    first = _data(_news(stream))
    # the backfill: as the polling callback's first tick
    polled = json.loads(json.dumps(component_props(bedside_tick(rt, "chair1", None)),
                                   default=str))  # fmt: skip
    assert first["bed-trends"]["figure"]["data"][0]["y"] == polled["bed-trends"]["figure"][
        "data"][0]["y"]  # fmt: skip
    assert first["num-HR-value"] == polled["num-HR-value"]
    assert first["bed-cursor"] == {"data": {"now": 600.0}}  # only the time: the rest stays here

    for step in range(1, 4):
        rt.advance(1)
        clock.t += 1.0
        news = _data(_news(stream))
        assert "bed-trends" not in news  # no figure after the backfill
        assert len(_hr_points(news)) == 1, news  # exactly the one new second
        assert news["bed-cursor"] == {"data": {"now": 600.0 + step}}
    assert hub.open_streams == 1


def test_a_quiet_stream_sends_only_a_heartbeat(rt: Runtime) -> None:
    clock = Clock()
    hub = StreamHub(rt, clock=clock)
    stream = iter(hub.open_bed("chair2"))
    _news(stream), _news(stream)
    rt.advance(0)  # the runtime ticks, nothing moves (a paused simulation)
    clock.t += HEARTBEAT_S
    assert _news(stream) == b": quiet\n\n"
    rt.advance(1)
    clock.t += 1.0
    assert len(_hr_points(_data(_news(stream)))) == 1


def test_streams_are_capped_and_a_closed_one_frees_its_slot(rt: Runtime) -> None:
    hub = StreamHub(rt, max_streams=2)
    a = hub.open_bed("chair1")
    b = hub.open_bed("chair1")
    with pytest.raises(StreamsFullError, match="all 2 live streams"):
        hub.open_bed("chair2")
    a.close()  # never iterated: the server closes a body it did not send
    c = hub.open_bed("chair2")
    assert hub.open_streams == 2
    b.close(), c.close(), c.close()  # closing twice frees once
    assert hub.open_streams == 0
    with pytest.raises(KeyError):
        hub.open_bed("nope")


def test_close_ends_every_stream(rt: Runtime) -> None:
    clock = Clock()
    hub = StreamHub(rt, clock=clock)
    stream = iter(hub.open_bed("chair1"))
    _news(stream), _news(stream)
    done = threading.Event()

    def drain() -> None:
        for _ in stream:  # blocks until the next tick, then sees the hub closed
            pass
        done.set()

    threading.Thread(target=drain, daemon=True).start()
    hub.close(timeout_s=0)
    rt.advance(1)  # wakes the waiting stream
    assert done.wait(5)
    assert hub.open_streams == 0
    with pytest.raises(StreamsFullError):
        hub.open_bed("chair1")  # a closed hub opens nothing


def test_runtime_wait_for_tick_wakes_on_a_tick_and_on_stop(rt: Runtime) -> None:
    seen = rt.tick_count
    assert rt.wait_for_tick(seen, timeout_s=0.01) == seen  # nothing happened: times out
    rt.advance(1)
    assert rt.wait_for_tick(seen, timeout_s=5) == seen + 1  # already past: at once
    woke = []
    waiter = threading.Thread(target=lambda: woke.append(rt.wait_for_tick(seen + 1, 30)))
    waiter.start()
    rt.stop()
    waiter.join(5)
    assert woke == [seen + 1]
    assert not waiter.is_alive()


def test_the_route_streams_and_says_why_it_cannot(rt: Runtime) -> None:
    server = Flask("stream-test")
    hub = install(server, rt)
    assert hub_of(server) is hub
    client = server.test_client()
    missing = client.get(stream_path("nope"))
    assert missing.status_code == 404
    assert missing.get_json() == {"error": "unknown_bed", "message": "There is no bed 'nope'."}
    ok = client.get(stream_path("chair1"), buffered=False)
    assert ok.status_code == 200
    assert ok.mimetype == "text/event-stream"
    assert ok.headers["Cache-Control"] == "no-cache"
    chunks = iter(ok.response)
    assert next(chunks) == b"retry: 2000\n\n"
    assert "bed-trends" in _data(next(chunks))
    ok.close()
    assert hub.open_streams == 0
    hub.max_streams = 0
    full = client.get(stream_path("chair1"))
    assert full.status_code == 503
    assert full.get_json() == {
        "error": "streams_full",
        "message": "all 0 live streams are in use; poll instead.",
    }


def test_a_tick_before_the_period_is_out_is_sent_not_lost(rt: Runtime) -> None:
    """With no later tick (a test clinic, a stalled runtime) the early news still goes out,
    a period after it was due: the stream never waits on a tick that may not come."""
    hub = StreamHub(rt, period_s=0.2)  # the real clock
    stream = iter(hub.open_bed("chair1"))
    _news(stream), _news(stream)
    rt.advance(1)  # at once: before the period is out
    assert len(_hr_points(_data(_news(stream)))) == 1


def _sends(rt: Runtime, ticks: list[tuple[float, int]], n: int) -> list[tuple[float, float]]:
    """(clock time, second shown) of the first ``n`` news a stream opened at 100.0 sends
    while the clinic ticks at ``ticks`` (time, seconds it advances)."""
    clock = Clock()
    hub = StreamHub(rt, clock=clock)
    stream = iter(hub.open_bed("chair1"))
    _news(stream), _news(stream)  # the retry hint, the backfill at 100.0

    def clinic() -> None:
        for at, seconds in ticks:
            time.sleep(0.15)
            clock.t = at
            rt.advance(seconds)

    runner = threading.Thread(target=clinic, daemon=True)
    runner.start()
    sent = []
    for _ in range(n):
        news = _data(_news(stream))
        sent.append((clock.t, news["bed-cursor"]["data"]["now"]))
    runner.join()
    return sent


def test_a_stream_out_of_step_with_the_seconds_falls_back_in_step(rt: Runtime) -> None:
    """Opened between ticks so that its period ends between the tick bringing a second
    and the next one: that second goes out a tick late, the next on its own tick."""
    ticks = [(100.3 + 0.5 * i, 1 if i % 2 == 0 else 0) for i in range(8)]
    assert _sends(rt, ticks, 3) == [(100.8, 601.0), (101.3, 602.0), (102.3, 603.0)]


def test_at_high_speed_news_still_goes_out_once_a_period(rt: Runtime) -> None:
    """Every tick brings seconds (x60): news every other tick, not every tick."""
    ticks = [(100.5 + 0.5 * i, 30) for i in range(8)]
    assert _sends(rt, ticks, 3) == [(101.0, 660.0), (102.0, 720.0), (103.0, 780.0)]


def test_news_goes_out_on_the_tick_that_brings_a_new_second(rt: Runtime) -> None:
    """The clinic ticks twice a second at x1, one tick bringing the second and one not:
    each second goes out on the tick that made it, never on an in-between one."""
    ticks = [(100.45 + 0.5 * i, 1 if i in (2, 4, 6) else 0) for i in range(8)]
    assert _sends(rt, ticks, 3) == [(101.45, 601.0), (102.45, 602.0), (103.45, 603.0)]


def test_a_store_out_of_reach_costs_a_tick_not_the_stream(rt: Runtime, monkeypatch) -> None:
    """A read the store cannot answer (PostgreSQL restarting) skips that tick's news; the
    stream stays open and the next tick carries the seconds it missed."""
    from vitalsdash.store import StoreUnavailableError
    from vitalsdash.ui.live import stream as stream_module

    real = stream_module.bedside_tick
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the first tick after the backfill
            raise StoreUnavailableError("the database is restarting")
        return real(*args, **kwargs)

    monkeypatch.setattr(stream_module, "bedside_tick", flaky)
    clock = Clock()
    hub = StreamHub(rt, clock=clock)
    stream = iter(hub.open_bed("chair1"))
    _news(stream), _news(stream)  # the retry hint, the backfill (second 600)
    clock.t += 1.0
    rt.advance(1)  # this tick's read fails: nothing goes out

    def next_tick() -> None:
        time.sleep(0.3)
        clock.t += 1.0
        rt.advance(1)

    threading.Thread(target=next_tick, daemon=True).start()
    news = _data(_news(stream))
    assert news["bed-cursor"] == {"data": {"now": 602.0}}
    assert len(_hr_points(news)) == 2  # both seconds, the missed one too
    assert hub.open_streams == 1


def test_a_stream_woken_late_still_sends_the_next_second_on_its_tick(rt: Runtime) -> None:
    """Under load the streams of one tick wake one after another: a stream that woke late
    paces from when the first one woke, so the next second still goes out on its tick,
    not a tick later."""
    clock = Clock()
    hub = StreamHub(rt, clock=clock)
    first, late = iter(hub.open_bed("chair1")), iter(hub.open_bed("chair1"))
    for stream in (first, late):
        _news(stream), _news(stream)  # the retry hint, the backfill at 100.0
    clock.t = 101.0
    rt.advance(1)
    assert _data(_news(first))["bed-cursor"]["data"]["now"] == 601.0
    clock.t = 101.45  # woken 450 ms after the first: the others' work held it
    assert _data(_news(late))["bed-cursor"]["data"]["now"] == 601.0
    clock.t = 101.5
    rt.advance(0)  # the tick between two seconds
    clock.t = 102.0
    rt.advance(1)  # and this time it wakes at once

    def a_tick_later() -> None:
        clock.t = 102.5
        rt.advance(0)

    timer = threading.Timer(1.0, a_tick_later)
    timer.start()
    news = _data(_news(late))
    sent_at = clock.t
    timer.join()
    assert news["bed-cursor"]["data"]["now"] == 602.0
    assert sent_at == 102.0  # on the tick that brought it
