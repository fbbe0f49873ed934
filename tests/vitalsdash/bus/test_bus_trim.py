"""A bed's stream keeps ``keep_s`` of entries (by the publisher's clock, XADD MINID): what
is older is trimmed, and a cursor from before it is answered from the store, the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis
from bus_clinic import close_clinic, make_clinic, same_feed

pytestmark = pytest.mark.integration


def test_streams_keep_keep_s_and_older_cursors_read_the_store(
    tmp_path: Path, redis_server: Any, bus_prefix: str
) -> None:
    c = make_clinic(tmp_path, redis_server.url, bus_prefix, keep_s=30)
    r = redis.Redis.from_url(redis_server.url)
    try:
        t0_ms = int(c.now() * 1000)
        c.rt.advance(5)
        c.publish()
        sid = c.rt.view("chair1").session_id
        t_first = c.rt.view("chair1").t_s
        for _ in range(2):
            c.now.t += 20
            c.rt.advance(5)
            c.publish()
        ids = [int(i.split(b"-")[0]) for i, _ in r.xrange(f"{bus_prefix}:feed:chair1")]
        assert ids
        assert min(ids) >= t0_ms + 10_000
        assert max(ids) == t0_ms + 40_000

        same_feed(c.rt, c.remote, sid, [None, 1.0, t_first - 1, t_first + 6], [0, 1, 2])
        reads = dict(c.remote.feed.reads)
        for old in (None, 1.0, t_first - 2):  # samples after it were in the trimmed entry
            c.remote.feed.samples_since(sid, old)
        assert c.remote.feed.reads == {**reads, "store": reads["store"] + 3}
        c.remote.feed.samples_since(sid, t_first + 6)
        assert c.remote.feed.reads["redis"] == reads["redis"] + 1

        c.now.t += 100  # a bed whose session wrote nothing new is trimmed all the same
        c.rt.submit("chair1", "end_session", {}, "instructor")
        c.rt.advance(5)
        c.publish()
        c.now.t += 100
        c.publish()
        assert r.xlen(f"{bus_prefix}:feed:chair1") == 0
    finally:
        r.close()
        close_clinic(c)
