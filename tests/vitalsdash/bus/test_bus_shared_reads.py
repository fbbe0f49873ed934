"""A worker's push streams share Redis's answers within one tick: fewer round trips, the
same pages, and never an answer older than the tick a stream woke for."""

from __future__ import annotations

from typing import Any

import pytest
from bus_clinic import Clinic

from vitalsdash.ui.live.bedside import bedside_tick

pytestmark = pytest.mark.integration


class Counting:
    """Counts the commands a Redis client sends."""

    def __init__(self, client: Any) -> None:
        self.client, self.n = client, 0
        self._orig = client.execute_command

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.n += 1
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
