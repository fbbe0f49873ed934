"""The pages and the API run on a RemoteRuntime as they do on the runtime: every page's
tick and every API answer is the same, read through Redis and the store."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bus_clinic import Clinic, close_clinic, make_clinic
from infusion_start import start_infusion

from vitalsdash.api import create_server
from vitalsdash.runtime import Command
from vitalsdash.ui.instructor.live import bed_tick as instructor_tick
from vitalsdash.ui.live.bedside import bedside_tick
from vitalsdash.ui.live.central import central_tick
from vitalsdash.ui.settings.live import bed_tick as settings_tick

pytestmark = pytest.mark.integration


@pytest.fixture
def running(tmp_path: Path, redis_server: Any, bus_prefix: str) -> Iterator[Clinic]:
    c = make_clinic(tmp_path, redis_server.url, bus_prefix)
    c.rt.advance(600)
    start_infusion(c.rt, "chair1")
    c.rt.advance(120)
    c.publish()
    yield c
    close_clinic(c)


def _same(a: Any) -> str:
    """Page output as comparable text (figures hold NaN; keys may be tuples)."""
    return repr(a)


def _step(c: Clinic) -> None:
    c.rt.advance(2)
    c.rt.submit(Command("pause_audio", "chair1", {}, "trainee"))
    c.rt.submit(Command("chart", "chair1", {"kind": "pain", "value": 3}, "trainee"))
    c.rt.advance(2)
    c.publish()


def test_every_pages_tick_is_the_same_on_a_remote_runtime(running: Clinic) -> None:
    rt, remote = running.rt, running.remote
    cursors: dict[str, tuple[Any, Any]] = {}
    for _ in range(3):
        for name, tick in (("bedside", bedside_tick), ("instructor", instructor_tick),
                           ("settings", settings_tick)):  # fmt: skip
            here_cur, there_cur = cursors.get(name, (None, None))
            here, there = tick(rt, "chair1", here_cur), tick(remote, "chair1", there_cur)
            assert _same(there) == _same(here), name
            cursors[name] = (here.get("cursor"), there.get("cursor"))
        here_c, there_c = cursors.get("central", (None, None))
        here = central_tick(rt, ["chair1", "chair2"], here_c, {})
        there = central_tick(remote, ["chair1", "chair2"], there_c, {})
        assert _same(vars(there)) == _same(vars(here))
        cursors["central"] = (here.cursor, there.cursor)
        _step(running)


def test_the_api_answers_the_same_on_a_remote_runtime(running: Clinic) -> None:
    here = create_server(running.rt).test_client()
    there = create_server(running.remote).test_client()
    sid = running.rt.view("chair1").session_id

    def both(method: str, path: str, **kw: Any) -> Any:
        a, b = getattr(here, method)(path, **kw), getattr(there, method)(path, **kw)
        assert (b.status_code, b.get_json()) == (a.status_code, a.get_json()), path
        return a.get_json()

    both("get", "/api/beds")
    both("get", f"/api/sessions/{sid}")
    both("get", f"/api/sessions/{sid}/samples?since=700")
    both("get", f"/api/sessions/{sid}/samples?since=-1&channels=HR,SPO2")
    both("post", "/api/beds/chair9/actions", json={"kind": "pause_audio", "actor": "trainee"})
    both("post", "/api/beds/chair1/actions",
         json={"kind": "set_limit", "params": {"channel": "HR", "which": "sideways", "value": 1},
               "actor": "trainee"})  # fmt: skip
    pause = {"kind": "pause_audio", "actor": "trainee"}
    answer = there.post("/api/beds/chair1/actions", json=pause)
    assert answer.status_code == 200
    assert answer.get_json()["ok"] is True
    assert running.rt.view("chair1").signals.audio_paused
    both("get", "/api/beds")
    health = there.get("/api/health")
    assert health.status_code == 200
    assert health.get_json()["status"] == "ok"
    assert not math.isnan(health.get_json()["speed"])
