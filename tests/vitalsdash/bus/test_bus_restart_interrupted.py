"""A runtime that restarts without resuming leaves a session interrupted: the worker's
live reads must show the interruption, though the session writes nothing more and the
old run's entries are still the newest in its bed's stream."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bus_clinic import Clinic, close_clinic, make_clinic

from vitalsdash.bus import Publisher
from vitalsdash.clock import ManualClock
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui.live.bedside import bedside_tick

pytestmark = pytest.mark.integration


def test_a_session_left_interrupted_by_a_restart_shows_it_live(
    tmp_path: Path, redis_server: Any, bus_prefix: str
) -> None:
    c: Clinic = make_clinic(tmp_path, redis_server.url, bus_prefix)
    c.rt.advance(30)
    c.publish()
    (sid,) = c.sessions()
    cursor = bedside_tick(c.remote, "chair1", None)["cursor"]
    seq = c.store.last_seq(sid, "session_events")
    assert c.remote.feed.session_events_since(sid, seq) == []
    c.publisher.stop()
    c.store.close()  # the runtime dies here: its session is still running in the store

    store = Store(str(tmp_path / "bus.sqlite"))
    rt = Runtime(c.rt.clinic, store, Feed(store), clock=ManualClock())
    rt.start()  # marks the session interrupted (the clinic does not resume)
    assert rt.beds["chair1"].session.status == "interrupted"
    publisher = Publisher(rt, c.url, c.prefix, now_s=c.now).start()
    try:
        stored = store.events("session_events", sid, since_seq=seq)
        assert [e["kind"] for e in stored] == ["monitoring_interrupted"]
        live = c.remote.feed.session_events_since(sid, seq)
        assert [e["seq"] for e in live] == [e["seq"] for e in stored]
        page = bedside_tick(c.remote, "chair1", cursor)  # the page left open
        assert page == bedside_tick(rt, "chair1", cursor)
        bands = page["wire"]["d"]["i"]  # the trend's interruption bands, with their words
        assert [text.startswith("Monitoring interrupted") for _, text in bands] == [True]
    finally:
        publisher.stop()
        c.rt = rt
        c.store = store
        close_clinic(c)
