"""The live feed: cursor reads from the rings, seamless fallback to the store, bounded
memory, thread safety, and the property that a feed read equals a store read."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitalsdash.feed import Feed
from vitalsdash.model import Channel, Quality
from vitalsdash.store import (
    ActionRow,
    AlarmEventRow,
    ObservationRow,
    SampleRow,
    SessionEventRow,
    Store,
    TickWrite,
)

pytestmark = pytest.mark.unit

CHANNELS = (Channel.HR, Channel.SPO2, Channel.RR, Channel.PUMP_RATE, Channel.KET_CE)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = Store(tmp_path_factory.mktemp("feed") / "feed.db")
    yield s
    s.close()


def new_session(store: Store, bed: str = "bed-1") -> int:
    return store.create_session(
        bed,
        label=bed,
        scenario=None,
        seed=None,
        protocol=None,
        alarm_profile=None,
        patient={},
        started_wall=datetime(2025, 1, 1, tzinfo=UTC),
    )


def second_of(sid: int, t: int, *, rate: int = 1) -> list[SampleRow]:
    """One bed-second: every channel, ``rate`` times; SpO2 invalid every 7th second."""
    rows = []
    for k in range(rate):
        tt = t + k / rate
        for ch in CHANNELS:
            if ch is Channel.SPO2 and t % 7 == 0:
                rows.append(SampleRow(sid, tt, ch, math.nan, Quality.INVALID, 97.0))
            else:
                rows.append(SampleRow(sid, tt, ch, float(t % 100) + k, Quality.OK, None))
    return rows


def run(store: Store, feed: Feed, tick: TickWrite) -> TickWrite:
    store.write_tick(tick)
    feed.append(tick)
    return tick


def store_read(store: Store, sid: int, after: float | None, channels=None) -> list[tuple]:
    df = store.samples(sid, since_t=after, channels=channels)
    return list(zip(df["t_s"], df["channel"], df["value"], df["quality"], strict=True))


def norm(rows: list[tuple]) -> list[tuple]:
    """NaN-safe comparable form."""
    return [tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in r) for r in rows]


class CountingStore:
    """A store wrapper that counts the reads the feed sends it."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.calls: list[str] = []

    def __getattr__(self, name: str):
        attr = getattr(self._store, name)
        if name in ("samples", "events", "latest_samples"):

            def wrapped(*a, **kw):
                self.calls.append(name)
                return attr(*a, **kw)

            return wrapped
        return attr


# ------------------------------------------------------------------------ samples


def test_samples_since_returns_exactly_what_follows_the_cursor(store: Store) -> None:
    sid = new_session(store)
    feed = Feed(store, horizon_s=3600)
    appended: list[SampleRow] = []
    for t0 in range(0, 120, 10):
        tick = TickWrite(samples=[r for t in range(t0, t0 + 10) for r in second_of(sid, t)])
        run(store, feed, tick)
        appended += tick.samples
    for after in (0.0, 0.5, 9.0, 10.0, 59.99, 118.0, 119.0, 500.0):
        got = feed.samples_since(sid, after)
        want = [
            (float(r.t_s), str(r.channel), float(r.value), str(r.quality))
            for r in appended
            if r.t_s > after
        ]
        assert norm(got) == norm(want)
        assert norm(got) == norm(store_read(store, sid, after))
    hr = feed.samples_since(sid, 100.0, channels=[Channel.HR, "RR"])
    assert {c for _, c, _, _ in hr} == {"HR", "RR"}
    assert norm(hr) == norm(store_read(store, sid, 100.0, channels=["HR", "RR"]))
    assert feed.samples_since(sid, 100.0, channels=["NOPE"]) == []


def test_ring_reads_do_not_touch_the_store(store: Store) -> None:
    sid = new_session(store)
    counting = CountingStore(store)
    feed = Feed(counting, horizon_s=600)  # type: ignore[arg-type]
    for t in range(0, 100):
        run(store, feed, TickWrite(samples=second_of(sid, t)))
    assert counting.calls == ["latest_samples"]  # once, on first sight of the session
    counting.calls.clear()
    feed.samples_since(sid, 50.0)
    feed.latest(sid)
    feed.alarm_events_since(sid, 0)  # rings know this session has no alarm events yet
    assert counting.calls == []


def test_old_cursor_falls_back_to_the_store_seamlessly(store: Store) -> None:
    sid = new_session(store)
    counting = CountingStore(store)
    feed = Feed(counting, horizon_s=60)  # type: ignore[arg-type]
    for t in range(0, 600, 5):
        run(store, feed, TickWrite(samples=[r for s in range(t, t + 5) for r in second_of(sid, s)]))
    assert feed.ring_size(sid) <= (60 + 5) * len(CHANNELS)
    counting.calls.clear()
    got = feed.samples_since(sid, 100.0)  # 500 s back: far older than the ring
    assert counting.calls == ["samples"]
    assert norm(got) == norm(store_read(store, sid, 100.0))
    assert len(got) == 499 * len(CHANNELS)
    assert norm(feed.samples_since(sid, None)) == norm(store_read(store, sid, None))
    # a cursor inside the horizon is answered by the ring again
    counting.calls.clear()
    assert norm(feed.samples_since(sid, 560.0)) == norm(store_read(store, sid, 560.0))
    assert counting.calls == []


def test_unknown_and_forgotten_sessions_read_from_the_store(store: Store) -> None:
    sid = new_session(store)
    writer_only = Feed(store)
    for t in range(30):
        run(store, writer_only, TickWrite(samples=second_of(sid, t)))
    fresh = Feed(store)  # e.g. another process, or after a restart
    assert norm(fresh.samples_since(sid, 10.0)) == norm(writer_only.samples_since(sid, 10.0))
    assert norm(list(fresh.latest(sid).items())) == norm(list(writer_only.latest(sid).items()))
    writer_only.forget(sid)
    assert writer_only.ring_size(sid) == 0
    assert norm(writer_only.samples_since(sid, 10.0)) == norm(store_read(store, sid, 10.0))


def test_feed_started_mid_session_joins_old_and_new_data(store: Store) -> None:
    sid = new_session(store)
    before = Feed(store)
    for t in range(50):
        run(store, before, TickWrite(samples=second_of(sid, t)))
    run(store, before, TickWrite(alarm_events=[AlarmEventRow(sid, 49, "hr_high", "onset")]))
    after_restart = Feed(store)
    for t in range(50, 80):
        tick = TickWrite(samples=second_of(sid, t))
        if t == 60:
            tick.alarm_events.append(AlarmEventRow(sid, 60, "hr_high", "end"))
        run(store, after_restart, tick)
    for cursor in (-1.0, 20.0, 49.0, 50.0, 65.0):
        assert norm(after_restart.samples_since(sid, cursor)) == norm(
            store_read(store, sid, cursor)
        )
    assert [e["seq"] for e in after_restart.alarm_events_since(sid, 0)] == [1, 2]
    assert after_restart.alarm_events_since(sid, 1) == store.alarm_events(sid, since_seq=1)


def test_latest_per_channel(store: Store) -> None:
    sid = new_session(store)
    feed = Feed(store)
    run(
        store,
        feed,
        TickWrite(
            samples=[
                SampleRow(sid, 1.0, Channel.HR, 70.0, Quality.OK),
                SampleRow(sid, 2.0, Channel.HR, 71.0, Quality.ARTEFACT),
                SampleRow(sid, 2.0, Channel.SPO2, math.nan, Quality.INVALID),
            ]
        ),
    )
    run(
        store,
        feed,
        TickWrite(
            samples=[
                SampleRow(sid, 1.5, Channel.HR, 99.0, Quality.OK),  # late: not the latest
                SampleRow(sid, 600.0, Channel.NIBP_SYS, 131.0, Quality.OK),
            ]
        ),
    )
    latest = feed.latest(sid)
    assert latest["HR"] == (2.0, 71.0, "artefact")
    assert latest["SPO2"][0] == 2.0
    assert math.isnan(latest["SPO2"][1])
    assert latest["NIBP_SYS"] == (600.0, 131.0, "ok")
    assert norm(sorted(latest.items())) == norm(sorted(store.latest_samples(sid).items()))


# -------------------------------------------------------------------------- memory


def test_ring_capacity_is_bounded_by_the_horizon(store: Store) -> None:
    sid = new_session(store)
    feed = Feed(store, horizon_s=120)
    sizes, nbytes = [], []
    for t in range(0, 3000, 10):
        tick = TickWrite(samples=[r for s in range(t, t + 10) for r in second_of(sid, s)])
        feed.append(tick)  # samples only: no store write needed for the bound
        sizes.append(feed.ring_size(sid))
        nbytes.append(feed.nbytes())
    assert max(sizes) <= (120 + 10) * len(CHANNELS)
    assert sizes[-1] >= 120 * len(CHANNELS) - len(CHANNELS)
    assert max(nbytes[len(nbytes) // 2 :]) == max(nbytes)  # flat once the horizon is reached
    assert nbytes[-1] == nbytes[len(nbytes) // 2]


def test_sample_cap_holds_whatever_the_rate(store: Store) -> None:
    sid = new_session(store)
    feed = Feed(store, horizon_s=3600, max_samples=1000)
    for t in range(0, 100):
        feed.append(TickWrite(samples=second_of(sid, t, rate=10)))  # 50 samples/s
    assert feed.ring_size(sid) == 1000
    # the ring answers only what it holds in full; older cursors go to the store
    assert feed._sessions[sid].samples.floor > 0


def test_event_ring_keeps_the_last_rows_and_falls_back(store: Store) -> None:
    sid = new_session(store)
    counting = CountingStore(store)
    feed = Feed(counting, event_capacity=5)  # type: ignore[arg-type]
    for k in range(12):
        run(
            store,
            feed,
            TickWrite(
                alarm_events=[AlarmEventRow(sid, k, "c", "onset", detail={"k": k})],
                actions=[ActionRow(sid, k, "trainee", "ack", {"k": k})],
                observations=[ObservationRow(sid, k, "pain", float(k))],
                session_events=[SessionEventRow(sid, k, "note", "device", {"k": k})],
            ),
        )
    for read, kind in (
        (feed.alarm_events_since, "alarm_events"),
        (feed.actions_since, "actions"),
        (feed.observations_since, "observations"),
        (feed.session_events_since, "session_events"),
    ):
        counting.calls.clear()
        assert read(sid, 9) == store.events(kind, sid, since_seq=9)
        assert read(sid, 7) == store.events(kind, sid, since_seq=7)  # ring holds 8..12
        assert read(sid, 12) == []
        assert counting.calls == []
        assert read(sid, 2) == store.events(kind, sid, since_seq=2)  # older: the store
        assert counting.calls == ["events"]
    got = feed.alarm_events_since(sid, 11)
    got[0]["detail"]["k"] = "changed"  # callers get copies
    assert feed.alarm_events_since(sid, 11)[0]["detail"] == {"k": 11}


def test_dict_rows_as_the_runtime_sends_them(store: Store) -> None:
    sid = new_session(store)
    feed = Feed(store)
    for t in range(5):
        tick = TickWrite(
            samples=[{"session_id": sid, "t_s": float(t), "channel": "HR", "value": 70.0 + t,
                      "quality": "ok", "true_value": None}],
            session_events=[{"session_id": sid, "t_s": float(t), "kind": "note",
                             "source": "device", "detail": {"t": t}}],
        )  # fmt: skip
        run(store, feed, tick)
    assert norm(feed.samples_since(sid, 1.0)) == norm(store_read(store, sid, 1.0))
    assert feed.session_events_since(sid, 2) == store.session_events(sid, since_seq=2)
    assert feed.latest(sid)["HR"] == (4.0, 74.0, "ok")


def test_append_needs_a_written_tick(store: Store) -> None:
    sid = new_session(store)
    with pytest.raises(ValueError, match=r"after Store\.write_tick"):
        Feed(store).append(TickWrite(alarm_events=[AlarmEventRow(sid, 0, "c", "onset")]))


# ---------------------------------------------------------------------- threads


def test_one_writer_many_readers_see_every_sample_once(store: Store) -> None:
    sid = new_session(store)
    feed = Feed(store, horizon_s=30)
    done = threading.Event()
    results: list[list[tuple]] = [[] for _ in range(4)]
    errors: list[BaseException] = []

    def reader(out: list[tuple]) -> None:
        try:
            cursor = -1.0
            while True:
                finished = done.is_set()
                rows = feed.samples_since(sid, cursor)
                if rows:
                    out.extend(rows)
                    cursor = rows[-1][0]
                if finished:
                    return
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader, args=(r,)) for r in results]
    for th in threads:
        th.start()
    for t in range(300):
        run(store, feed, TickWrite(samples=second_of(sid, t)))
    done.set()
    for th in threads:
        th.join(timeout=60)
    assert errors == []
    everything = norm(store_read(store, sid, -1.0))
    for r in results:
        assert norm(r) == everything


# ------------------------------------------------------------------- the property

sample_st = st.tuples(
    st.floats(-3, 40, allow_nan=False).map(lambda x: round(x, 1)),  # t: late and tied samples
    st.sampled_from(["HR", "SPO2", "RR", "NIBP_SYS"]),
    st.one_of(st.floats(0, 250, allow_nan=False), st.just(math.nan), st.none()),
    st.sampled_from(["ok", "artefact", "invalid"]),
)
tick_st = st.tuples(
    st.integers(0, 20),  # time step of the tick
    st.lists(sample_st, max_size=12),
    st.lists(
        st.sampled_from(["alarm_events", "actions", "observations", "session_events"]), max_size=3
    ),
)


def event_row(kind: str, sid: int, t: float, i: int) -> object:
    if kind == "alarm_events":
        return AlarmEventRow(sid, t, "c", "onset", detail={"i": i})
    if kind == "actions":
        return ActionRow(sid, t, "trainee", "ack", {"i": i})
    if kind == "observations":
        return ObservationRow(sid, t, "note", None, f"{i}")
    return SessionEventRow(sid, t, "x", "s", {"i": i})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ticks=st.lists(tick_st, min_size=1, max_size=12),
    cursors=st.lists(st.floats(-5, 300, allow_nan=False).map(lambda x: round(x, 1)), max_size=6),
    seq_cursors=st.lists(st.integers(0, 40), max_size=4),
    horizon=st.sampled_from([5.0, 30.0, 1000.0]),
    cap=st.sampled_from([8, 40, 10_000]),
    late_start=st.booleans(),
)
def test_feed_reads_equal_store_reads(
    store: Store, ticks, cursors, seq_cursors, horizon, cap, late_start
) -> None:
    sid = new_session(store)
    feed = Feed(store, horizon_s=horizon, event_capacity=3, max_samples=cap)
    base = 0.0
    for i, (step, samples, events) in enumerate(ticks):
        base += step
        tick = TickWrite(samples=[SampleRow(sid, base + t, c, v, q) for t, c, v, q in samples])
        for kind in events:
            tick.events()[kind].append(event_row(kind, sid, base, i))
        store.write_tick(tick)
        if not (late_start and i < len(ticks) // 2):  # a feed that joins mid-session
            feed.append(tick)
    for after in [*cursors, None, base - 1.0, base + 40.0]:
        assert norm(feed.samples_since(sid, after)) == norm(store_read(store, sid, after))
    assert norm(feed.samples_since(sid, base - 2.0, channels=["HR"])) == norm(
        store_read(store, sid, base - 2.0, channels=["HR"])
    )
    assert norm(sorted(feed.latest(sid).items())) == norm(sorted(store.latest_samples(sid).items()))
    for after_seq in [*seq_cursors, 0]:
        assert feed.alarm_events_since(sid, after_seq) == store.alarm_events(sid, after_seq)
        assert feed.actions_since(sid, after_seq) == store.actions(sid, after_seq)
        assert feed.observations_since(sid, after_seq) == store.observations(sid, after_seq)
        assert feed.session_events_since(sid, after_seq) == store.session_events(sid, after_seq)


def test_store_path_in_tmp(tmp_path: Path) -> None:
    """The feed works over a store of its own too (and closes cleanly)."""
    with Store(tmp_path / "x.db") as s:
        sid = new_session(s)
        feed = Feed(s)
        run(s, feed, TickWrite(samples=second_of(sid, 0)))
        assert len(feed.samples_since(sid, -1.0)) == len(CHANNELS)


def test_a_session_the_feed_saw_begin_never_reads_the_store(tmp_path):
    """Early in a session, cursors before its first sample must not fall back to SQLite."""
    from vitalsdash.store import TickWrite

    store = Store(tmp_path / "begin.sqlite")
    sid = store.create_session("b1", label="", scenario="", seed=0, protocol="",
                               alarm_profile="", patient={},
                               started_wall=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    feed = Feed(store)
    feed.begin(sid)
    tick = TickWrite()
    tick.samples.extend({"session_id": sid, "t_s": float(t), "channel": "HR", "value": 70.0 + t,
                         "quality": "ok", "true_value": None} for t in range(5))  # fmt: skip
    store.write_tick(tick)
    feed.append(tick)
    calls = []
    real = store.samples
    store.samples = lambda *a, **k: calls.append(a) or real(*a, **k)  # type: ignore[method-assign]
    rows = feed.samples_since(sid, -1e-6)
    assert [r[0] for r in rows] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [r[2] for r in rows] == [70.0, 71.0, 72.0, 73.0, 74.0]
    assert calls == []


def test_waves_since_gives_each_newer_segment_once_and_keeps_a_short_horizon(
    store: Store,
) -> None:
    import numpy as np

    from vitalsdash.waves import WaveSegment

    a, b = new_session(store), new_session(store, "bed-2")
    feed = Feed(store, wave_horizon_s=5.0)

    def seg(sid: int, t: int) -> tuple[int, WaveSegment]:
        return sid, WaveSegment("ECG_II", 250, float(t), np.zeros(250, dtype=np.float32))

    for t in range(10):
        run(store, feed, TickWrite(samples=second_of(a, t), waves=[seg(a, t), seg(b, t)]))
    newest, got = feed.waves_since([a, b])
    assert newest == 10
    # only the last 5 s (and the one overlapping the horizon) of each session are kept
    assert sorted({s.t0_s for _, s in got}) == [4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    newest2, after = feed.waves_since([a], after_seq=newest - 1)
    assert newest2 == newest
    assert [(sid, s.t0_s) for sid, s in after] == [(a, 9.0)]
    assert feed.waves_since([a], after_seq=newest) == (newest, [])
