"""``GET /api/health``: 503 "degraded" with its problems when the tick loop stalls or a
registered check (the MLLP listener) fails; 200 "ok" again once it recovers.

The loop runs in its thread on a ManualClock: a stall is the clock moving on while the
runtime's lock is held elsewhere (what a slow file read under the lock used to do).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration
WAIT_S = 30.0  # generous: a busy machine


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[Runtime, ManualClock, Any]]:
    store = Store(tmp_path / "health.sqlite")
    clock = ManualClock()
    beds = [BedConfig(id="chair1", scenario="uneventful-depression", seed=1)]
    rt = Runtime(ClinicConfig(clinic=ClinicSection(tick_s=0.05), beds=beds), store, Feed(store),
                 clock=clock)  # fmt: skip
    rt.start()
    rt.run_in_thread()
    yield rt, clock, create_server(rt).test_client()
    rt.stop()
    store.close()


def _health(client: Any) -> tuple[int, dict[str, Any]]:
    r = client.get("/api/health")
    return r.status_code, r.get_json()


def test_a_stalled_tick_loop_is_degraded_then_ok_again(clinic: Any) -> None:
    rt, clock, client = clinic
    rt.wait_for_tick(rt.tick_count, WAIT_S)
    status, body = _health(client)
    assert (status, body["status"]) == (200, "ok")
    assert body["beds"] == 1
    assert "problems" not in body

    holding, release = threading.Event(), threading.Event()

    def hog() -> None:  # another thread holds the runtime's lock: no tick can complete
        with rt.lock:
            holding.set()
            release.wait(WAIT_S)

    t = threading.Thread(target=hog)
    t.start()
    try:
        assert holding.wait(WAIT_S)
        clock.advance(4.0)  # under the threshold (5 s): not yet stalled
        assert _health(client)[0] == 200
        clock.advance(2.0)
        status, body = _health(client)  # answered although the lock is held
        assert status == 503
        assert body["status"] == "degraded"
        (problem,) = body["problems"]
        assert problem["check"] == "ticks"
        assert "no tick completed for 6 s" in problem["message"]
        assert body["beds"] == 1  # the usual keys are still there
    finally:
        release.set()
        t.join(WAIT_S)
    n = rt.tick_count
    assert rt.wait_for_tick(n, WAIT_S) > n
    status, body = _health(client)
    assert (status, body["status"]) == (200, "ok")


def test_registered_checks_are_reported_and_degrade_when_not_ok(clinic: Any) -> None:
    rt, _, client = clinic
    listener: dict[str, Any] = {"ok": True, "port": 2575, "connections": 0}
    rt.add_health_check("mllp", lambda: dict(listener))
    status, body = _health(client)
    assert status == 200
    assert body["checks"]["mllp"] == {"ok": True, "port": 2575, "connections": 0}

    listener.update(ok=False, error="the listener stopped: OSError: address in use")
    status, body = _health(client)
    assert status == 503
    assert body["problems"] == [
        {
            "check": "mllp",
            "ok": False,
            "port": 2575,
            "connections": 0,
            "error": "the listener stopped: OSError: address in use",
        }
    ]

    def broken() -> dict[str, Any]:
        raise RuntimeError("check crashed")

    rt.add_health_check("mllp", broken)  # a broken check degrades, never a 500
    status, body = _health(client)
    assert status == 503
    assert body["problems"][0]["error"] == "RuntimeError: check crashed"

    rt.add_health_check("mllp", lambda: {"ok": True})
    assert _health(client)[0] == 200


def test_a_failing_tick_is_degraded_until_one_succeeds(clinic: Any) -> None:
    rt, _, client = clinic
    real = rt.tick
    failing = threading.Event()

    def tick() -> int:
        if failing.is_set():
            raise RuntimeError("source exploded")
        return real()

    rt.tick = tick  # type: ignore[method-assign]
    n = rt.tick_count
    failing.set()
    deadline = threading.Event()
    for _ in range(int(WAIT_S / 0.05)):  # the loop runs a tick every 0.05 s
        if rt._health.tick_failure is not None:
            break
        deadline.wait(0.05)
    status, body = _health(client)
    assert status == 503
    (problem,) = body["problems"]
    assert problem["message"] == "the last tick failed"
    assert problem["error"] == "RuntimeError: source exploded"
    failing.clear()
    assert rt.wait_for_tick(rt.tick_count, WAIT_S) > n
    for _ in range(int(WAIT_S / 0.05)):
        if rt._health.tick_failure is None:
            break
        deadline.wait(0.05)
    assert _health(client)[0] == 200
