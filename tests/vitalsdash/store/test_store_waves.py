"""Waveforms in the store: every tick's segments stored with its samples (all or nothing),
short rows folded into 10-s rows without a sample lost or doubled, strips read across
row boundaries equal to what was written within one count, NaN where nothing was, and a
database of schema version 5 upgraded to hold them, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, create_engine, func, inspect, select, text
from wave_session import segment, wave_values

from vitalsdash import channels
from vitalsdash.store import SCHEMA_VERSION, SampleRow, Store, StoreError, TickWrite, _schema
from vitalsdash.waves import WaveSegment

pytestmark = pytest.mark.integration

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
ECG = "ECG_II"


def _session(store: Store) -> int:
    return store.create_session("chair1", label="Chair 1", scenario=None, seed=None,
                                protocol=None, alarm_profile=None, patient={},
                                started_wall=T0)  # fmt: skip


def _tick(sid: int, t0: float, seconds: float, waves: tuple[str, ...] = ("ECG_II", "PLETH",
          "CO2")) -> TickWrite:  # fmt: skip
    """``seconds`` of HR and of each wave from ``t0``, as the runtime writes a tick."""
    return TickWrite(
        samples=[SampleRow(sid, t0 + i, "HR", 70.0) for i in range(math.ceil(seconds))],
        waves=[(sid, segment(w, t0, seconds)) for w in waves],
        session_updates={sid: {"last_t_s": t0 + seconds}},
    )


def _expected(wave: str, seg: WaveSegment) -> np.ndarray:
    t = seg.t0_s + np.arange(seg.values.size) / seg.sample_rate_hz
    return wave_values(wave, t)


def _one_count(wave: str) -> float:
    return channels.get(wave).wave_scale * 1.0001


def _stored_samples(store: Store, sid: int, wave: str) -> int:
    """Samples of ``wave`` in the store's rows, both tables (a sample stored twice counts
    twice)."""
    with store._engine.connect() as conn:
        return sum(
            int(conn.execute(select(func.coalesce(func.sum(t.c.n), 0))
                             .where(t.c.session_id == sid, t.c.wave == wave)).scalar())
            for t in _schema.WAVE_TABLES
        )  # fmt: skip


def _rows(store: Store, sid: int, table: str) -> list[tuple[float, int]]:
    t = {tb.name: tb for tb in _schema.WAVE_TABLES}[table]
    with store._engine.connect() as conn:
        stmt = select(t.c.t0_s, t.c.n).where(t.c.session_id == sid, t.c.wave == ECG)
        return [(float(a), int(b)) for a, b in conn.execute(stmt.order_by(t.c.t0_s))]


# --- round trips -------------------------------------------------------------------------


def test_a_strip_across_rows_is_what_was_written(db_url: str) -> None:
    with Store(db_url) as store:
        sid = _session(store)
        for t in range(35):  # x1: one second a tick
            store.write_tick(_tick(sid, float(t), 1.0))
        for c in channels.waves():
            strip = store.wave_strip(sid, c.id, 4.3, 27.7)
            assert strip is not None
            assert (strip.wave, strip.sample_rate_hz) == (c.id, c.sample_rate_hz)
            assert strip.t0_s == pytest.approx(math.ceil(4.3 * c.sample_rate_hz)
                                               / c.sample_rate_hz)  # fmt: skip
            assert strip.values.size == round(23.4 * c.sample_rate_hz)
            assert np.isfinite(strip.values).all()
            err = np.abs(strip.values - _expected(c.id, strip))
            assert err.max() <= _one_count(c.id)
            assert _stored_samples(store, sid, c.id) == 35 * c.sample_rate_hz  # none twice
        # folded: three 10-s rows, the last 5 s still one row a second
        assert _rows(store, sid, "waveforms") == [(0.0, 2500), (10.0, 2500), (20.0, 2500)]
        assert _rows(store, sid, "waveforms_recent") == [(30.0 + i, 250) for i in range(5)]
        assert store.wave_spans(sid) == {c.id: (0.0, 35.0) for c in channels.waves()}


def test_a_fast_clocks_long_segments_and_the_ticks_after_them(db_url: str) -> None:
    with Store(db_url) as store:
        sid = _session(store)
        store.write_tick(_tick(sid, 0.0, 35.0))  # x60: a tick brings many seconds
        for t in range(35, 48):
            store.write_tick(_tick(sid, float(t), 1.0))
        assert _rows(store, sid, "waveforms") == [(0.0, 2500), (10.0, 2500), (20.0, 2500),
                                                  (30.0, 2500)]  # fmt: skip
        assert _rows(store, sid, "waveforms_recent") == [(40.0 + i, 250) for i in range(8)]
        strip = store.wave_strip(sid, ECG, 0.0, 48.0)
        assert strip is not None
        assert np.abs(strip.values - _expected(ECG, strip)).max() <= _one_count(ECG)
        assert _stored_samples(store, sid, ECG) == 48 * 250


def test_a_missing_stretch_reads_as_nan_and_no_waves_as_none(db_url: str) -> None:
    with Store(db_url) as store:
        sid = _session(store)
        other = _session(store)
        for t in range(30):
            if not 10 <= t < 13:  # three seconds without waves (a lead off, a gap)
                store.write_tick(_tick(sid, float(t), 1.0))
        strip = store.wave_strip(sid, ECG, -2.0, 16.0)  # from before the session's start
        assert strip is not None
        t = strip.t0_s + np.arange(strip.values.size) / 250
        missing = (t < 0) | ((t >= 10) & (t < 13))
        assert np.isnan(strip.values[missing]).all()
        assert np.isfinite(strip.values[~missing]).all()
        good = strip.values[~missing]
        assert np.abs(good - wave_values(ECG, t[~missing])).max() <= _one_count(ECG)
        assert store.wave_strip(sid, ECG, 10.2, 12.9) is None  # nothing stored there
        assert store.wave_strip(sid, ECG, 100.0, 110.0) is None
        assert store.wave_strip(other, ECG, 0.0, 10.0) is None  # a session without waves
        assert store.wave_spans(other) == {}
        with pytest.raises(ValueError, match="from_s < to_s"):
            store.wave_strip(sid, ECG, 5.0, 5.0)


def test_a_sample_without_signal_stays_nan(db_url: str) -> None:
    with Store(db_url) as store:
        sid = _session(store)
        seg = segment(ECG, 0.0, 2.0)
        values = seg.values.copy()
        values[100:180] = np.nan  # lead off for 0.32 s
        store.write_tick(TickWrite(waves=[(sid, WaveSegment(ECG, 250, 0.0, values))]))
        strip = store.wave_strip(sid, ECG, 0.0, 2.0)
        assert strip is not None
        assert np.isnan(strip.values[100:180]).all()
        kept = np.r_[0:100, 180:500]
        assert np.abs(strip.values[kept] - _expected(ECG, strip)[kept]).max() <= _one_count(ECG)


# --- all or nothing ----------------------------------------------------------------------


def test_a_failed_tick_stores_neither_its_samples_nor_its_waves(db_url: str) -> None:
    with Store(db_url) as store:
        sid = _session(store)
        for t in range(9):  # nine short rows: the tenth second folds them
            store.write_tick(_tick(sid, float(t), 1.0))
        bad = _tick(sid, 9.0, 1.0)
        bad.session_updates[99_999] = {"phase": "x"}  # an unknown session: refused
        with pytest.raises(StoreError, match="nothing of it was stored"):
            store.write_tick(bad)
        strip = store.wave_strip(sid, ECG, 0.0, 10.0)
        assert strip is not None
        assert np.isfinite(strip.values[:2250]).all()
        assert np.isnan(strip.values[2250:]).all()  # the refused second is not there
        assert len(store.samples(sid)) == 9
        assert len(_rows(store, sid, "waveforms_recent")) == 9  # no fold happened
        for t in range(9, 22):  # the same second again, then on: nothing lost or doubled
            store.write_tick(_tick(sid, float(t), 1.0))
        strip = store.wave_strip(sid, ECG, 0.0, 22.0)
        assert strip is not None
        assert np.abs(strip.values - _expected(ECG, strip)).max() <= _one_count(ECG)
        assert _stored_samples(store, sid, ECG) == 22 * 250
        assert _rows(store, sid, "waveforms") == [(0.0, 2500), (10.0, 2500)]


@pytest.mark.parametrize(
    ("what", "wave"),
    [("not a segment", ("ECG_II", 250, 0.0, [0.1, 0.2])),
     ("no sample rate", WaveSegment("ECG_II", 0, 0.0, np.zeros(5, np.float32))),
     ("no time", WaveSegment("ECG_II", 250, math.nan, np.zeros(5, np.float32)))],
)  # fmt: skip
def test_a_segment_that_is_not_one_fails_its_whole_tick(
    tmp_path: Path, what: str, wave: object
) -> None:
    with Store(tmp_path / "bad.sqlite") as store:
        sid = _session(store)
        tick = _tick(sid, 0.0, 1.0)
        tick.waves.append((sid, wave))  # type: ignore[arg-type]
        with pytest.raises(StoreError, match="nothing of it was stored"):
            store.write_tick(tick)
        assert len(store.samples(sid)) == 0
        assert store.wave_spans(sid) == {}


def test_a_wave_the_registry_does_not_know_keeps_its_own_resolution(tmp_path: Path) -> None:
    with Store(tmp_path / "other.sqlite") as store:
        sid = _session(store)
        values = (300.0 * np.sin(np.arange(500) / 20.0)).astype(np.float32)
        store.write_tick(TickWrite(waves=[(sid, WaveSegment("ART", 100, 0.0, values))]))
        strip = store.wave_strip(sid, "ART", 0.0, 5.0)
        assert strip is not None
        assert np.abs(strip.values - values).max() <= 300.0 / 16383


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(
        st.tuples(st.integers(1, 1500), st.booleans()), min_size=1, max_size=12
    ),  # (samples, stored?): segments of 4 ms to 6 s, some never written
    window=st.tuples(st.floats(-2.0, 30.0), st.floats(0.01, 30.0)),
)
def test_any_cut_of_ticks_reads_back_as_written(
    pieces: list[tuple[int, bool]], window: tuple[float, float]
) -> None:
    """However the ticks cut the wave and wherever stretches are missing, a strip is the
    wave where it was stored (within a count) and NaN elsewhere."""
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "p.sqlite") as store:
        sid = _session(store)
        k, stored = 0, np.zeros(sum(n for n, _ in pieces), dtype=bool)
        for n, write in pieces:
            if write:
                t = (k + np.arange(n)) / 250
                seg = WaveSegment(ECG, 250, k / 250, wave_values(ECG, t).astype(np.float32))
                store.write_tick(TickWrite(waves=[(sid, seg)]))
                stored[k : k + n] = True
            k += n
        lo = window[0]
        hi = lo + window[1]
        strip = store.wave_strip(sid, ECG, lo, hi)
        first = math.ceil(lo * 250 - 1e-6)
        idx = first + np.arange(math.ceil(hi * 250 - 1e-6) - first)
        inside = (idx >= 0) & (idx < stored.size)
        expect_stored = np.zeros(idx.size, dtype=bool)
        expect_stored[inside] = stored[idx[inside]]
        if not expect_stored.any():
            assert strip is None or np.isnan(strip.values).all()
            return
        assert strip is not None
        assert strip.values.size == idx.size
        assert np.isnan(strip.values[~expect_stored]).all()
        got = strip.values[expect_stored]
        want = wave_values(ECG, idx[expect_stored] / 250)
        assert np.abs(got - want).max() <= _one_count(ECG)
        assert _stored_samples(store, sid, ECG) == int(stored.sum())


# --- schema version 5 --------------------------------------------------------------------


def _make_v5(url: object) -> int:
    """A version 5 database (no waveform tables) with one session and its samples."""
    engine = create_engine(url)  # type: ignore[call-overload]
    md = MetaData()
    for t in _schema.metadata.sorted_tables:
        if t not in _schema.WAVE_TABLES:
            t.to_metadata(md)
    with engine.begin() as conn:
        _schema.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS schema_meta"))
        md.create_all(conn)
        conn.execute(md.tables["schema_meta"].insert(), [{"key": "schema_version", "value": "5"}])
        sid = conn.execute(md.tables["sessions"].insert().values(
            bed_id="chair1", label="x", patient={"age_years": 40}, status="ended",
            started_wall=T0.isoformat(), last_t_s=60.0, phase="ended",
        )).inserted_primary_key[0]  # fmt: skip
        conn.execute(md.tables["samples"].insert(), [
            {"session_id": sid, "t_s": float(t), "channel": "HR", "value": 70.0 + t,
             "quality": "ok"} for t in range(3)])  # fmt: skip
    engine.dispose()
    return int(sid)


def test_a_version_5_database_is_upgraded_to_hold_waveforms(db_url: str) -> None:
    with Store(db_url) as fresh:
        url = fresh.url
    old = _make_v5(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert not {"waveforms", "waveforms_recent"} & set(inspect(conn).get_table_names())
    engine.dispose()
    with Store(db_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.integrity_check() == []
        assert list(store.samples(old)["value"]) == [70.0, 71.0, 72.0]  # kept as it was
        assert store.wave_spans(old) == {}  # an older session: no waveforms
        assert store.wave_strip(old, ECG, 0.0, 10.0) is None
        sid = _session(store)
        for t in range(12):
            store.write_tick(_tick(sid, float(t), 1.0))
        strip = store.wave_strip(sid, ECG, 0.0, 12.0)
        assert strip is not None
        assert np.abs(strip.values - _expected(ECG, strip)).max() <= _one_count(ECG)
    engine = create_engine(url)
    with engine.connect() as conn:
        for table in ("waveforms", "waveforms_recent"):
            indexes = {ix["name"]: ix["column_names"] for ix in inspect(conn).get_indexes(table)}
            assert indexes[f"ix_{table}_session_wave_t"] == ["session_id", "wave", "t0_s"]
        version = conn.execute(
            text("SELECT value FROM schema_meta WHERE key = 'schema_version'")
        ).scalar()
    engine.dispose()
    assert version == str(SCHEMA_VERSION)
    with Store(db_url) as again:  # upgraded once: opening again changes nothing
        assert again.schema_version == SCHEMA_VERSION
        assert again.wave_spans(sid)[ECG] == (0.0, 12.0)
