"""A web worker's RemoteRuntime reads what the runtime itself answers: the same views,
the same feed rows for every cursor, from Redis where its streams cover the cursor and
from the store where they do not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bus_clinic import Clinic, close_clinic, make_clinic, plain_waves, same_feed
from hypothesis import given, settings
from hypothesis import strategies as st
from infusion_start import start_infusion

from vitalsdash.runtime import Command

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory, redis_server: Any) -> Iterator[Clinic]:
    """chair1 published from 10 min into its session (its start came before the
    publisher), into its infusion, with alarm actions; chair2 started while publishing, with
    actions and observations; every write published."""
    c = make_clinic(tmp_path_factory.mktemp("busy"), redis_server.url, "busy", start=False)
    c.rt.advance(600)
    c.publisher.start()
    start_infusion(c.rt, "chair1")
    c.rt.advance(300)
    c.rt.submit(Command("start_session", "chair2", {}, "instructor"))
    for _ in range(6):
        c.rt.advance(3)
    c.rt.submit(Command("pause_audio", "chair1", {}, "trainee"))
    c.rt.submit(Command("set_limit", "chair1", {"channel": "HR", "which": "high", "value": 130},
                        "trainee"))  # fmt: skip
    c.rt.submit(Command("chart", "chair2", {"kind": "sedation", "value": 2}, "trainee"))
    c.rt.submit(Command("chart", "chair2", {"kind": "note", "text": "calm, talking"}, "trainee"))
    c.rt.advance(2)
    c.publish()
    yield c
    close_clinic(c)


def _ends(c: Clinic, sid: int) -> tuple[float, dict[str, int]]:
    rows = c.rt.feed.samples_since(sid, None)
    seqs = {k: c.store.last_seq(sid, k) for k in ("alarm_events", "actions", "observations",
                                                  "session_events")}  # fmt: skip
    return rows[-1][0], seqs


def test_views_and_truth_are_the_runtimes(busy: Clinic) -> None:
    assert busy.remote.views() == busy.rt.views()
    assert busy.remote.views(beds=False) == busy.rt.views(beds=False)
    for bed in ("chair1", "chair2"):
        assert busy.remote.view(bed) == busy.rt.view(bed)
        assert busy.remote.truth(bed) == busy.rt.truth(bed)
        assert busy.remote.bed_summary(bed) == busy.rt.bed_summary(bed)
    assert busy.remote.view("chair9") is None
    assert busy.remote.truth("chair9") is None
    with pytest.raises(KeyError):
        busy.remote.bed_summary("chair9")


def test_feed_reads_are_the_runtimes_at_every_cursor(busy: Clinic) -> None:
    for sid in busy.sessions():
        t_end, seqs = _ends(busy, sid)
        top = max(seqs.values())
        same_feed(busy.rt, busy.remote, sid,
                  [None, -1.0, 0.0, 300.5, t_end - 600, t_end - 5, t_end - 0.5, t_end, t_end + 9],
                  [0, 1, 2, top // 2, top - 1, top, top + 5],
                  [None, ["HR"], ["SPO2", "NIBP_SYS", "ETCO2"], []])  # fmt: skip


def test_recent_cursors_come_from_redis_and_old_ones_from_the_store(busy: Clinic) -> None:
    chair1 = busy.rt.view("chair1").session_id
    chair2 = busy.rt.view("chair2").session_id
    t1, _ = _ends(busy, chair1)
    reads = busy.remote.feed.reads
    before = dict(reads)
    busy.remote.feed.samples_since(chair1, t1 - 2)
    busy.remote.feed.alarm_events_since(chair1, busy.store.last_seq(chair1, "alarm_events") - 1)
    assert reads["redis"] == before["redis"] + 2
    assert reads["store"] == before["store"]
    # chair1 was 10 min into its session when publishing began: its start is the store's
    busy.remote.feed.samples_since(chair1, None)
    busy.remote.feed.session_events_since(chair1, 0)
    assert reads["store"] == before["store"] + 2
    # chair2 started while publishing: the stream holds all of it
    busy.remote.feed.samples_since(chair2, None)
    busy.remote.feed.session_events_since(chair2, 0)
    busy.remote.feed.observations_since(chair2, 0)
    assert reads["store"] == before["store"] + 2
    assert busy.remote.feed.observations_since(chair2, 0)[-1]["text"] == "calm, talking"


def test_waveforms_are_the_runtimes(busy: Clinic) -> None:
    sids = busy.sessions()
    newest, _ = busy.rt.feed.waves_since(sids, 0)
    assert newest > 0
    for after in (0, 1, newest - 2, newest - 1, newest):
        assert plain_waves(busy.remote.feed.waves_since(sids, after)) == plain_waves(
            busy.rt.feed.waves_since(sids, after)
        ), after
    assert plain_waves(busy.remote.feed.waves_since(sids[:1], 0)) == plain_waves(
        busy.rt.feed.waves_since(sids[:1], 0)
    )


def test_a_pages_wave_packets_are_the_runtimes(busy: Clinic) -> None:
    """What a page gets, byte for byte, whether a worker answers from the packed entries
    (trimming some for a first answer) or the runtime from its samples."""
    from vitalsdash.ui.live import waves
    from vitalsdash.waves import PackedSegment

    newest, _ = busy.rt.feed.waves_since(busy.sessions(), 0)
    trimmed = 0
    for after in (0, newest - 1, newest + 5):  # opening, the next tick, a cursor of a restart
        for bed in ("chair1", "chair2"):
            mine = waves.bed_answer(busy.remote, bed, after)
            trimmed += sum(not isinstance(seg, PackedSegment) for _, seg in mine.segments)
            assert mine.packet() == waves.bed_answer(busy.rt, bed, after).packet(), (bed, after)
        assert (
            waves.central_answer(busy.remote, after).packet()
            == waves.central_answer(busy.rt, after).packet()
        ), after
    assert trimmed > 0, "no answer was trimmed, so the slicing path went untested"


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_cursor_reads_the_same(busy: Clinic, data: st.DataObject) -> None:
    sid = data.draw(st.sampled_from(busy.sessions()))
    t_end, seqs = _ends(busy, sid)
    after_t = data.draw(st.none() | st.floats(-5.0, t_end + 5.0))
    names = ["HR", "SPO2", "RR", "NIBP_SYS", "ETCO2", "PUMP_RATE", "nope"]
    chs = data.draw(st.none() | st.lists(st.sampled_from(names)))
    seq = data.draw(st.integers(0, max(seqs.values()) + 3))
    same_feed(busy.rt, busy.remote, sid, [after_t], [seq], [chs])


def test_a_worker_wakes_on_the_next_published_tick(tmp_path: Path, redis_server: Any,
                                                   bus_prefix: str) -> None:  # fmt: skip
    c = make_clinic(tmp_path, redis_server.url, bus_prefix)
    try:
        c.rt.advance(1)
        c.publish()
        seen = c.remote.tick_count
        assert seen == c.rt.tick_count
        assert c.remote.wait_for_tick(seen, timeout_s=0.01) == seen  # nothing new yet
        c.rt.advance(1)
        c.publish()
        assert c.remote.wait_for_tick(seen, timeout_s=30) == seen + 1
        assert c.remote.views(beds=False).tick_count == c.rt.tick_count
    finally:
        close_clinic(c)
