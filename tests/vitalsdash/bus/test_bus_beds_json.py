"""A worker answers ``/api/beds`` with the body the runtime made and published: the same
bytes as the runtime's own answer, after a tick and after an action, with one read and
no view decoded; without Redis it makes the body from the views it last read."""

from __future__ import annotations

import json

import pytest
from bus_clinic import Clinic
from test_bus_shared_reads import Counting

pytestmark = pytest.mark.integration


def test_the_workers_answer_is_the_runtimes_with_one_read(clinic: Clinic) -> None:
    clinic.rt.advance(30)
    clinic.publish()
    r = clinic.remote
    counter = Counting(r._redis)
    assert r.beds_json() == clinic.rt.beds_json()
    assert [c[0] for c in counter.sent] == ["GET"]
    assert r._decoded == {}  # no view was decoded to answer

    assert json.loads(r.beds_json())[0]["session"]["audio_paused"] is False
    r.submit("chair1", "pause_audio", {}, "trainee")  # published before it is answered
    paused = r.beds_json()
    assert paused == clinic.rt.beds_json()
    assert json.loads(paused)[0]["session"]["audio_paused"] is True


def test_without_redis_the_body_comes_from_the_views_last_read(clinic: Clinic) -> None:
    clinic.rt.advance(30)
    clinic.publish()
    r = clinic.remote
    seen = r.views()
    r._redis.connection_pool.reset()
    r._redis.connection_pool.connection_kwargs["port"] = 1  # Redis cannot be reached
    body = json.loads(r.beds_json())
    assert [b["session"]["t_s"] if b["session"] else None for b in body] == [
        v.t_s if v.session_id is not None else None for v in seen.beds
    ]
    assert r.live_notice() is not None  # and the page says the feed is degraded
