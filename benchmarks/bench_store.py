"""Store and feed: write rate into SQLite, read costs, and the feed's memory over 8 hours.

Targets (issue "store and feed"): >= 50,000 samples/s into SQLite with realistic ticks
(32 beds x 60 s of samples per tick, ~5 samples per bed-second); a feed read of a 1 Hz
tick's worth < 1 ms; resident memory flat once the feed's horizon (2 h) is reached with
32 sessions x 8 h at 1 Hz. Prints figures; asserts nothing.
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vitalsdash.feed import Feed
from vitalsdash.model import Channel, Quality
from vitalsdash.store import AlarmEventRow, SampleRow, SessionEventRow, Store, TickWrite

BEDS = 32
CHANNELS = (Channel.HR, Channel.SPO2, Channel.PUMP_RATE, Channel.KET_CP, Channel.KET_CE)
RR_EVERY_S = 5  # RR every 5 s and a cuff (3 NIBP channels) every 5 min: ~5.3 samples/bed-s


def bed_seconds(sid: int, t0: int, seconds: int) -> list[SampleRow]:
    rows = []
    for t in range(t0, t0 + seconds):
        for ch in CHANNELS:
            if ch is Channel.SPO2 and t % 97 == 0:
                rows.append(SampleRow(sid, float(t), ch, float("nan"), Quality.INVALID, 97.0))
            else:
                rows.append(SampleRow(sid, float(t), ch, 70.0 + (t % 13), Quality.OK, 70.0))
        if t % RR_EVERY_S == 0:
            rows.append(SampleRow(sid, float(t), Channel.RR, 14.0, Quality.OK, 14.0))
        if t % 300 == 40:
            for ch, v in (
                (Channel.NIBP_SYS, 128.0),
                (Channel.NIBP_DIA, 80.0),
                (Channel.NIBP_MAP, 96.0),
            ):
                rows.append(SampleRow(sid, float(t), ch, v, Quality.OK, v))
    return rows


def make_tick(sids: list[int], k: int, seconds: int) -> TickWrite:
    t0 = k * seconds
    tick = TickWrite()
    for i, sid in enumerate(sids):
        tick.samples += bed_seconds(sid, t0, seconds)
        if (k + i) % 4 == 0:
            tick.alarm_events.append(
                AlarmEventRow(
                    sid,
                    t0,
                    "hr_high",
                    "onset",
                    "MEDIUM",
                    "MEDIUM",
                    121.0,
                    120.0,
                    "system",
                    {"delay_s": 10},
                )
            )
        if (k + i) % 10 == 0:
            tick.session_events.append(SessionEventRow(sid, t0, "note", "device", {"k": k}))
        tick.session_updates[sid] = {"last_t_s": float(t0 + seconds - 1), "phase": "infusion"}
    return tick


def new_sessions(store: Store, n: int) -> list[int]:
    return [
        store.create_session(
            f"bed-{i:02d}",
            label=f"bench {i}",
            scenario="bench",
            seed=i,
            protocol="p",
            alarm_profile="adult_default",
            patient={"age": 50},
            started_wall=datetime.now(UTC),
        )
        for i in range(n)
    ]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_rate(folder: Path) -> tuple[Store, list[int]]:
    seconds, n_ticks = 60, 40
    store = Store(folder / "write.db")
    sids = new_sessions(store, BEDS)
    ticks = [make_tick(sids, k, seconds) for k in range(n_ticks)]
    per_tick = len(ticks[0].samples)
    durations = []
    t_all = time.perf_counter()
    for tick in ticks:
        t0 = time.perf_counter()
        store.write_tick(tick)
        durations.append(time.perf_counter() - t0)
    total = time.perf_counter() - t_all
    n = sum(len(t.samples) for t in ticks)
    print(
        f"write_tick, SQLite WAL: {n_ticks} ticks of {BEDS} beds x {seconds} s "
        f"({per_tick:,} samples + events + {BEDS} session updates each): "
        f"{n / total:,.0f} samples/s sustained (target >= 50,000); "
        f"tick median {statistics.median(durations) * 1e3:.0f} ms, "
        f"max {max(durations) * 1e3:.0f} ms"
    )
    dict_ticks = [make_tick(sids, n_ticks + k, seconds) for k in range(20)]
    for tick in dict_ticks:  # the runtime sends plain dicts
        tick.samples = [r._asdict() for r in tick.samples]
    t0 = time.perf_counter()
    for tick in dict_ticks:
        store.write_tick(tick)
    dt = time.perf_counter() - t0
    n = sum(len(t.samples) for t in dict_ticks)
    print(f"write_tick with dict rows (as the runtime sends them): {n / dt:,.0f} samples/s")
    n_ticks += len(dict_ticks)
    one_hz = [make_tick(sids, n_ticks * seconds + k, 1) for k in range(200)]
    t0 = time.perf_counter()
    for tick in one_hz:
        store.write_tick(tick)
    dt = (time.perf_counter() - t0) / len(one_hz)
    print(
        f"write_tick at 1 Hz ({len(one_hz[0].samples)} samples of {BEDS} beds per tick): "
        f"{dt * 1e3:.2f} ms per tick (commit-bound)"
    )
    return store, sids


def store_reads(store: Store, sids: list[int]) -> None:
    sid = sids[0]
    last = store.session(sid)["last_t_s"]
    t0 = time.perf_counter()
    for _ in range(50):
        recent = store.samples(sid, since_t=last - 60)
    dt_recent = (time.perf_counter() - t0) / 50
    t0 = time.perf_counter()
    whole = store.samples(sid)
    dt_whole = time.perf_counter() - t0
    print(
        f"store.samples: last 60 s of one session ({len(recent)} rows) {dt_recent * 1e3:.2f} ms; "
        f"the whole session ({len(whole):,} rows, {last / 60:.0f} min) {dt_whole * 1e3:.0f} ms"
    )


def feed_reads(store: Store, sids: list[int]) -> None:
    feed = Feed(store, horizon_s=7200)
    start = int(store.session(sids[0])["last_t_s"]) + 1
    seconds = 7200
    for k in range(seconds // 60):  # 2 h of data, so the rings are full
        tick = make_tick(sids, 0, 60)
        for row_list in (tick.alarm_events, tick.session_events):
            row_list.clear()
        tick.samples = [r._replace(t_s=r.t_s + start + k * 60) for r in tick.samples]
        feed.append(tick)  # samples only: no events to number
    newest = float(start + seconds - 1)
    sid = sids[5]
    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        rows = feed.samples_since(sid, newest - 1.0)
    dt_tick = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for _ in range(n):
        latest = feed.latest(sid)
    dt_latest = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for _ in range(200):
        window = feed.samples_since(sid, newest - 600.0)
    dt_window = (time.perf_counter() - t0) / 200
    t0 = time.perf_counter()
    for _ in range(n):
        feed.alarm_events_since(sid, 10**9)
    dt_events = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for _ in range(20):
        old = feed.samples_since(sid, float(start) - 600.0)  # older than the ring: store
    dt_old = (time.perf_counter() - t0) / 20
    print(
        f"feed (32 sessions x 2 h in rings): a 1 Hz tick's worth ({len(rows)} samples) "
        f"{dt_tick * 1e6:.0f} us (target < 1 ms); latest() ({len(latest)} channels) "
        f"{dt_latest * 1e6:.0f} us; last 10 min ({len(window):,} samples) "
        f"{dt_window * 1e3:.2f} ms; alarm events cursor {dt_events * 1e6:.0f} us; "
        f"store fallback ({len(old):,} samples) {dt_old * 1e3:.0f} ms"
    )


def feed_memory(folder: Path) -> None:
    store = Store(folder / "memory.db")
    sids = new_sessions(store, BEDS)
    feed = Feed(store, horizon_s=7200)
    seqs = dict.fromkeys(sids, 0)
    hours = 8
    gc.collect()
    base = rss_mb()
    print(
        f"feed memory, {BEDS} sessions x {hours} h at 1 Hz, horizon 2 h "
        f"(RSS before: {base:.0f} MB):"
    )
    t_start = time.perf_counter()
    for t in range(hours * 3600):
        tick = make_tick(sids, t, 1)
        for row in tick.alarm_events:  # number the events as Store.write_tick would
            seqs[row.session_id] += 1
            row.seq = seqs[row.session_id]
        tick.session_events.clear()
        feed.append(tick)
        if (t + 1) % 3600 == 0:
            gc.collect()
            print(
                f"  after {(t + 1) // 3600} h: RSS {rss_mb():.0f} MB "
                f"(+{rss_mb() - base:.0f} MB), ring arrays {feed.nbytes() / 2**20:.1f} MB, "
                f"{feed.ring_size(sids[0]):,} samples in one session's ring"
            )
    elapsed = time.perf_counter() - t_start
    n = hours * 3600 * BEDS
    print(
        f"  append: {elapsed / (hours * 3600) * 1e3:.2f} ms per 1 Hz tick of {BEDS} beds "
        f"({n / elapsed:,.0f} bed-seconds/s)"
    )
    store.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        folder = Path(tmp)
        store, sids = write_rate(folder)
        store_reads(store, sids)
        feed_reads(store, sids)
        store.close()
        feed_memory(folder)
