"""Redis is a cache and a bus, never the truth: while it is down the runtime ticks and
stores as before, web workers read the feed from the store (and say the live feed is
degraded), commands answer 503; when it is back, publishing resumes and says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bus_clinic import close_clinic, make_clinic, same_feed

from vitalsdash.actions import ActionError
from vitalsdash.runtime import Command

pytestmark = pytest.mark.integration


def test_losing_redis_loses_nothing_and_publishing_resumes(
    tmp_path: Path, own_redis_server: Any, bus_prefix: str
) -> None:
    c = make_clinic(tmp_path, own_redis_server.url, bus_prefix)
    c.rt.add_health_check("redis", c.publisher.health)
    try:
        c.rt.advance(5)
        c.publish()
        sid = c.rt.view("chair1").session_id
        shown = c.remote.views()
        assert shown == c.rt.views()

        own_redis_server.stop()
        ticks, t_before = c.rt.tick_count, c.rt.view("chair1").t_s
        c.rt.advance(4)
        c.rt.advance(4)
        assert c.rt.tick_count == ticks + 2  # the clinic goes on ...
        assert c.rt.view("chair1").t_s == t_before + 8
        stored = c.store.samples(sid, since_t=t_before)
        assert len(stored) > 0
        assert stored["t_s"].max() >= t_before + 7
        assert c.publisher.flush() is False
        said = c.publisher.health()
        assert said["ok"] is False
        assert "cannot be reached" in said["message"]
        assert said["dropped_writes"] >= 2
        assert c.rt.health()["status"] == "degraded"

        store_reads = c.remote.feed.reads["store"]
        same_feed(c.rt, c.remote, sid, [None, t_before - 1, t_before + 3], [0, 1])
        assert c.remote.feed.reads["store"] > store_reads
        health = c.remote.health()
        assert health["status"] == "degraded"
        assert any("live feed degraded" in p.get("message", "") for p in health["problems"])
        assert c.remote.views() == shown  # the last views read, not an error page
        with pytest.raises(ActionError) as refused:
            c.remote.submit(Command("pause_audio", "chair1", {}, "trainee"))
        assert (refused.value.code, refused.value.status) == ("runtime_unavailable", 503)

        own_redis_server.start()  # the same port, empty
        c.remote_clock.advance(5)  # past the remote's pause before it tries Redis again
        assert c.publisher.flush() is True
        said = c.publisher.health()
        assert said["ok"] is True
        assert "resumed" in said
        assert said["message"].startswith("publishing again since")
        assert c.rt.health()["status"] == "ok"
        c.rt.advance(3)
        c.publish()

        redis_reads = c.remote.feed.reads["redis"]
        t_end = c.rt.view("chair1").t_s
        same_feed(c.rt, c.remote, sid, [None, t_before - 1, t_before + 3, t_end - 2], [0, 1])
        assert c.remote.feed.reads["redis"] > redis_reads  # recent cursors: the stream again
        assert c.remote.views() == c.rt.views()
        assert c.remote.health()["status"] == "ok"
        answer = c.remote.submit(Command("pause_audio", "chair1", {}, "trainee"))
        assert answer["ok"] is True
    finally:
        close_clinic(c)


def test_without_redis_a_page_keeps_its_bed_and_is_woken_to_read_the_store(
    tmp_path: Path, own_redis_server: Any, bus_prefix: str
) -> None:
    """A worker that only ever served one bed's pushed page (which reads ``view(bed)`` and
    waits for ticks): while Redis is down the page still shows that bed's session as last
    read, not an empty chair, and is still woken, so that it reads the store."""
    c = make_clinic(tmp_path, own_redis_server.url, bus_prefix)
    try:
        c.rt.advance(5)
        c.publish()
        seen = c.remote.view("chair1")
        assert seen == c.rt.view("chair1")
        assert seen is not None
        assert seen.session_id is not None
        ticks = c.remote.tick_count

        own_redis_server.stop()
        assert c.remote.view("chair1") == seen
        assert c.remote.wait_for_tick(ticks, timeout_s=60) > ticks
        assert c.remote.health()["status"] == "degraded"
    finally:
        close_clinic(c)
