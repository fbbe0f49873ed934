"""Store and feed: write rate into SQLite, read costs, and the feed's memory over 8 hours.

Targets (issue "store and feed"): >= 50,000 samples/s into SQLite with realistic ticks
(32 beds x 60 s of samples per tick, ~5 samples per bed-second); a feed read of a 1 Hz
tick's worth < 1 ms; resident memory flat once the feed's horizon (2 h) is reached with
32 sessions x 8 h at 1 Hz. Prints figures; asserts nothing.

Waveforms (``--waves`` runs only these): 64 beds ticking once a simulated second, each
tick carrying every bed's second of ECG II (250 Hz), pleth (125 Hz) and CO2 (25 Hz) with
its samples, as the runtime writes them at x1; and the bytes a 6-hour session's
waveforms take in SQLite, per bed-hour. The waves are synthetic but shaped like the real
ones (P-QRS-T, a pulse with its notch, a capnogram's plateau) with sensor noise, which is
what limits their compression.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np

from vitalsdash.feed import Feed
from vitalsdash.model import Channel, Quality
from vitalsdash.store import AlarmEventRow, SampleRow, SessionEventRow, Store, TickWrite
from vitalsdash.waves import WaveSegment

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


# ------------------------------------------------------------------------------ waveforms

WAVE_BEDS = 64
WAVE_RATES = {"ECG_II": 250, "PLETH": 125, "CO2": 25}
BLOCK_S = 60  # each bed's waves repeat every minute (noise included): rows never share data


def _gauss(t: np.ndarray, a: float, mu: float, w: float) -> np.ndarray:
    return a * np.exp(-0.5 * ((t - mu) / w) ** 2)


def synthetic_waves(seed: int) -> dict[str, np.ndarray]:
    """A minute of one bed's ECG II (mV), pleth and capnogram (mmHg), with sensor noise."""
    rng = np.random.default_rng(seed)
    hr, rr = 60 + seed % 40, 10 + seed % 8
    out = {}
    t = np.arange(BLOCK_S * 250) / 250
    ph = (t % (60 / hr)) - 0.3
    out["ECG_II"] = (_gauss(ph, 0.15, -0.2, 0.025) + _gauss(ph, -0.1, -0.03, 0.01)
                     + _gauss(ph, 1.2, 0.0, 0.012) + _gauss(ph, -0.25, 0.03, 0.01)
                     + _gauss(ph, 0.3, 0.25, 0.05) + 0.05 * np.sin(2 * np.pi * 0.25 * t)
                     + rng.normal(0, 0.01, t.size))  # fmt: skip
    t = np.arange(BLOCK_S * 125) / 125
    ph = t % (60 / hr)
    out["PLETH"] = (_gauss(ph, 1.0, 0.15, 0.06) + _gauss(ph, 0.4, 0.35, 0.08)
                    + rng.normal(0, 0.002, t.size))  # fmt: skip
    t = np.arange(BLOCK_S * 25) / 25
    ph = (t % (60 / rr)) / (60 / rr)
    edge = np.clip((ph - 0.45) / 0.05, 0, 1) * np.clip((1 - ph) / 0.05, 0, 1)
    out["CO2"] = np.clip(edge * (36 + 6 * (ph - 0.5)), 0, None) + rng.normal(0, 0.3, t.size)
    return {k: v.astype(np.float32) for k, v in out.items()}


def wave_tick(sids: list[int], blocks: list[dict[str, np.ndarray]], t: int,
              waves: bool = True) -> TickWrite:  # fmt: skip
    """One simulated second of every bed: its samples and, with ``waves``, its waveforms."""
    tick = TickWrite()
    i0 = t % BLOCK_S
    for sid, block in zip(sids, blocks, strict=True):
        tick.samples += bed_seconds(sid, t, 1)
        if waves:
            tick.waves += [(sid, WaveSegment(w, r, float(t), block[w][i0 * r : (i0 + 1) * r]))
                           for w, r in WAVE_RATES.items()]  # fmt: skip
        tick.session_updates[sid] = {"last_t_s": float(t + 1), "phase": "infusion"}
    return tick


def wave_write_rate(folder: Path, seconds: int = 300) -> None:
    """64 beds at x1: one tick per simulated second, with and without their waveforms."""
    for waves in (False, True):
        store = Store(folder / f"waves-{waves}.db")
        sids = new_sessions(store, WAVE_BEDS)
        blocks = [synthetic_waves(i) for i in range(WAVE_BEDS)]
        durations = []
        for t in range(seconds):
            tick = wave_tick(sids, blocks, t, waves)
            t0 = time.perf_counter()
            store.write_tick(tick)
            durations.append(time.perf_counter() - t0)
        store.close()
        durations.sort()
        n_wave = sum(WAVE_RATES.values()) * WAVE_BEDS if waves else 0
        print(
            f"write_tick, {WAVE_BEDS} beds x 1 s {'with' if waves else 'without'} waveforms"
            f"{f' ({n_wave:,} wave samples per tick)' if waves else ''}: median "
            f"{statistics.median(durations) * 1e3:.1f} ms, p95 "
            f"{durations[int(0.95 * len(durations))] * 1e3:.1f} ms per tick "
            f"({len(durations)} ticks)"
        )


def wave_bytes(folder: Path, beds: int = 2, hours: float = 6.0) -> None:
    """What a session's waveforms add to a SQLite file, per bed-hour (x1: 1-s segments)."""
    seconds = int(hours * 3600)
    sizes = {}
    for waves in (False, True):
        path = folder / f"size-{waves}.db"
        store = Store(path)
        sids = new_sessions(store, beds)
        blocks = [synthetic_waves(100 + i) for i in range(beds)]
        t0 = time.perf_counter()
        for t in range(seconds):
            store.write_tick(wave_tick(sids, blocks, t, waves))
        elapsed = time.perf_counter() - t0
        store.close()  # checkpoints the WAL into the file
        sizes[waves] = path.stat().st_size
        if waves:
            with sqlite3.connect(path) as conn:
                rows, payload = conn.execute(
                    "SELECT COUNT(*), SUM(LENGTH(data)) FROM waveforms"
                ).fetchone()
            print(f"  ({beds} beds x {hours:g} h written in {elapsed:.0f} s: {rows:,} waveform "
                  f"rows, compressed data {payload:,} bytes)")  # fmt: skip
    bed_hours = beds * hours
    per = (sizes[True] - sizes[False]) / bed_hours
    raw = sum(WAVE_RATES.values()) * 2 * 3600
    print(
        f"waveforms in SQLite ({sum(WAVE_RATES.values())} samples/s a bed, x1): "
        f"{per / 1e6:.2f} MB per bed-hour (file with / without waves: "
        f"{sizes[True] / 1e6:.1f} / {sizes[False] / 1e6:.1f} MB for {bed_hours:g} bed-hours); "
        f"int16 uncompressed would be {raw / 1e6:.2f} MB; a {hours:g}-hour session "
        f"{per * hours / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--waves", action="store_true", help="only the waveform figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        folder = Path(tmp)
        if not args.waves:
            store, sids = write_rate(folder)
            store_reads(store, sids)
            feed_reads(store, sids)
            store.close()
            feed_memory(folder)
        wave_write_rate(folder)
        wave_bytes(folder)
