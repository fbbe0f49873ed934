"""A worker's push streams share Redis's answers within one tick: fewer round trips, the
same pages, and never an answer older than the tick a stream woke for."""

from __future__ import annotations

from typing import Any

import pytest
from bus_clinic import Clinic

from vitalsdash.bus._memo import TickMemo
from vitalsdash.ui.live.bedside import bedside_tick

pytestmark = pytest.mark.integration


class Counting:
    """Counts the commands a Redis client sends."""

    def __init__(self, client: Any) -> None:
        self.client, self.n, self.sent = client, 0, []
        self._orig = client.execute_command

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.n += 1
            self.sent.append(args[:2])
            return self._orig(*args, **kwargs)

        client.execute_command = counted


def _step(c: Clinic, seconds: int = 1) -> None:
    c.rt.advance(seconds)
    c.publish()


def test_streams_of_one_tick_share_reads_and_see_the_same_page(clinic: Clinic) -> None:
    _step(clinic, 30)
    r = clinic.remote
    cursors = [bedside_tick(r, "chair1", None)["cursor"] for _ in range(3)]
    _step(clinic)
    counter = Counting(r._redis)
    fresh = [bedside_tick(r, "chair1", cur) for cur in cursors]  # each reads Redis itself
    alone = counter.n
    counter.n = 0
    with r.shared_reads(r.tick_count + 1):  # as three streams woken by the same tick
        shared = [bedside_tick(r, "chair1", cur) for cur in cursors]
    assert repr(shared) == repr(fresh)
    assert repr(shared[0]) == repr(bedside_tick(clinic.rt, "chair1", cursors[0]))
    assert counter.n * 2 <= alone  # the second and third stream read nothing new


def test_a_new_tick_is_never_answered_from_the_last_one(clinic: Clinic) -> None:
    _step(clinic, 30)
    r = clinic.remote
    cur = bedside_tick(r, "chair1", None)["cursor"]
    tick = 100
    for _ in range(3):
        _step(clinic)
        tick += 1
        with r.shared_reads(tick):
            out = bedside_tick(r, "chair1", cur)
        assert repr(out) == repr(bedside_tick(clinic.rt, "chair1", cur))
        cur = out["cursor"]
        assert cur["now"] == clinic.rt.view("chair1").t_s


def test_reads_outside_a_stream_always_ask_redis(clinic: Clinic) -> None:
    _step(clinic, 30)
    r = clinic.remote
    with r.shared_reads(500):
        before = r.view("chair1")
    _step(clinic)
    after = r.view("chair1")  # a request, not a stream: no sharing
    assert after.t_s == before.t_s + 1


def test_woken_streams_find_their_reads_done_by_the_tick_watcher(clinic: Clinic) -> None:
    _step(clinic, 30)
    r = clinic.remote
    cur = bedside_tick(r, "chair1", None)["cursor"]
    seen = r.tick_count  # starts the worker's tick watcher
    for _ in range(3):  # the first tick learns what the stream asks; the next ones read ahead
        _step(clinic)
        while seen < clinic.rt.tick_count:  # the watcher has read every tick published
            seen = r.wait_for_tick(seen, timeout_s=10)
        counter = Counting(r._redis)
        with r.shared_reads(seen):
            out = bedside_tick(r, "chair1", cur)
        assert repr(out) == repr(bedside_tick(clinic.rt, "chair1", cur))
        cur = out["cursor"]
    assert cur["now"] == clinic.rt.view("chair1").t_s
    assert counter.sent == []  # the page's reads were all in the watcher's one round trip


def test_what_no_stream_asks_any_more_is_not_read_ahead() -> None:
    now = [0.0]
    memo = TickMemo(wanted_s=3.0, clock=lambda: now[0])
    memo.get(("get", "view"), lambda: b"page")  # a request: not a stream's read
    assert memo.wanted() == []
    memo.at_tick(1)
    memo.get(("get", "view"), lambda: b"page")
    now[0] = 3.0
    assert memo.wanted() == [("get", "view")]
    now[0] = 3.1
    assert memo.wanted() == []  # no stream asked for it in 3 s: nobody wants it
