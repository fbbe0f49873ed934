"""The waveform packets a page sweeps: polled from its endpoint or pushed on its stream."""

from __future__ import annotations

import base64
import math
import re

import numpy as np
import pytest
import synthetic_waves
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsdash import channels
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store, TickWrite
from vitalsdash.ui.live import waves as live_waves
from vitalsdash.ui.live.stream import StreamHub
from vitalsdash.ui.live.waves import (
    ANSWER_S,
    BACKFILL_S,
    CENTRAL_PATH,
    CursorError,
    bed_path,
    parse_after,
)
from vitalsdash.ui.widgets import waves as wave_widget
from vitalsdash.waves import WaveSegment, decode_packet

pytestmark = pytest.mark.unit

WAVES = {c.id for c in channels.waves()}


@pytest.fixture
def rt(tmp_path, monkeypatch: pytest.MonkeyPatch):
    synthetic_waves.install(monkeypatch)
    beds = [
        BedConfig(id="chair1", scenario="uneventful-depression", seed=11),
        BedConfig(id="chair2", scenario="hypertensive-responder", seed=12),
        BedConfig(id="empty", source="none"),
    ]
    store = Store(str(tmp_path / "waves.sqlite"))
    runtime = Runtime(ClinicConfig(clinic=ClinicSection(), beds=beds), store, Feed(store),
                      clock=ManualClock())  # fmt: skip
    runtime.start()
    for _ in range(20):  # 20 ticks of one second, as at x1
        runtime.advance(1)
    yield runtime
    store.close()


@pytest.fixture
def client(rt: Runtime):
    server = Flask("waves-test")
    live_waves.install(server, rt)
    return server.test_client()


def _get(client, path: str, after: int | str | None = None):
    query = "" if after is None else f"?after={after}"
    return client.get(path + query)


def _decoded(resp) -> tuple[int, list[tuple[str, WaveSegment]]]:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/octet-stream"
    assert "no-store" in resp.headers["Cache-Control"]
    return decode_packet(resp.get_data())


def _spans(segs: list[tuple[str, WaveSegment]]) -> dict[tuple[str, str], tuple[float, float]]:
    """(bed, wave) -> (first sample's time, just after the last), checking they join."""
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for bed, seg in segs:
        key = (bed, seg.wave)
        if key in out:
            assert math.isclose(seg.t0_s, out[key][1], abs_tol=1e-9), "segments join"
            out[key] = (out[key][0], seg.end_s)
        else:
            out[key] = (seg.t0_s, seg.end_s)
    return out


def test_a_page_opening_gets_the_last_seconds_of_every_wave(client, rt: Runtime) -> None:
    seq, segs = _decoded(_get(client, bed_path("chair1")))
    assert seq > 0
    spans = _spans(segs)
    assert {w for _, w in spans} == WAVES
    assert {b for b, _ in spans} == {"chair1"}
    now = rt.view("chair1").t_s
    for (_, wave), (t0, t1) in spans.items():
        assert t1 == pytest.approx(now)
        assert t1 - t0 <= BACKFILL_S + 1e-9
        assert t1 - t0 >= 10.0, wave  # the feed's ring holds more than a sweep's width
    for _, seg in segs:  # what the source made, to within the wave's resolution
        scale = channels.get(seg.wave).wave_scale
        t = seg.t0_s + np.arange(seg.values.size) / seg.sample_rate_hz
        expected = synthetic_waves.SHAPES[seg.wave](t)
        assert np.max(np.abs(seg.values - expected)) <= scale * 0.51 + 1e-6


def test_the_cursor_brings_only_what_is_new(client, rt: Runtime) -> None:
    seq, segs = _decoded(_get(client, bed_path("chair1"), 0))
    ends = {w: t1 for (_, w), (_, t1) in _spans(segs).items()}
    assert _decoded(_get(client, bed_path("chair1"), seq)) == (seq, [])  # nothing new yet
    for _ in range(3):
        rt.advance(1)
        seq2, new = _decoded(_get(client, bed_path("chair1"), seq))
        assert seq2 == seq + 1
        spans = _spans(new)
        assert {w for _, w in spans} == WAVES
        for (_, wave), (t0, t1) in spans.items():
            assert t0 == pytest.approx(ends[wave])  # exactly the next second: no gap, no overlap
            assert t1 - t0 == pytest.approx(1.0)
            ends[wave] = t1
        seq = seq2


def test_at_x1_every_sample_is_sent_faster_only_the_newest_seconds(client, rt) -> None:
    seq, _ = _decoded(_get(client, bed_path("chair2"), 0))
    rt.advance(8)  # a page that missed eight seconds at x1 gets them all
    seq, segs = _decoded(_get(client, bed_path("chair2"), seq))
    assert {round(t1 - t0, 6) for t0, t1 in _spans(segs).values()} == {8.0}
    rt.submit(None, "set_speed", {"speed": 60}, "instructor")
    rt.advance(30)  # one tick of thirty seconds, as at x60
    seq2, segs = _decoded(_get(client, bed_path("chair2"), seq))
    assert seq2 == seq + 1
    now = rt.view("chair2").t_s
    for (_, wave), (t0, t1) in _spans(segs).items():
        assert t1 == pytest.approx(now)
        rate = channels.get(wave).sample_rate_hz
        assert ANSWER_S - 1 / rate <= t1 - t0 <= ANSWER_S + 1e-9  # what a sweep can draw


def test_a_cursor_from_before_a_restart_gets_the_backfill(client) -> None:
    seq, segs = _decoded(_get(client, bed_path("chair1"), 0))
    again, same = _decoded(_get(client, bed_path("chair1"), seq + 1000))
    assert again == seq
    assert _spans(same) == _spans(segs)


@pytest.mark.parametrize(
    "after", ["-1", "abc", "1.5", "0x10", "99999999999", str(2**32), " 1", "1e3", "%00"]
)
def test_a_bad_cursor_is_refused_with_a_reason(client, after: str) -> None:
    for path in (bed_path("chair1"), CENTRAL_PATH):
        resp = client.get(path, query_string={"after": after})
        assert resp.status_code == 400
        body = resp.get_json()
        assert body["error"] == "bad_cursor"
        assert "after must be a whole number" in body["message"]
        assert "Traceback" not in resp.get_data(as_text=True)


@given(st.one_of(st.text(max_size=30), st.integers(0, 2**33).map(str)))
@settings(max_examples=300, deadline=None)
def test_parse_after_takes_a_seq_or_says_why_not(text: str) -> None:
    is_seq = re.fullmatch(r"[0-9]{0,10}", text) is not None and int(text or 0) <= 2**32 - 1
    if is_seq:
        assert parse_after(text) == int(text or 0)
    else:
        with pytest.raises(CursorError, match="after must be a whole number"):
            parse_after(text)


def test_an_unknown_bed_is_a_404_and_a_bed_without_session_sends_nothing(client) -> None:
    resp = _get(client, bed_path("nope"), 0)
    assert resp.status_code == 404
    assert resp.get_json() == {"error": "unknown_bed", "message": "There is no bed 'nope'."}
    seq, segs = _decoded(_get(client, bed_path("empty"), 0))
    assert segs == []
    assert seq > 0  # the cursor still moves on


def test_only_the_registrys_waves_of_the_beds_session_are_sent(client, rt: Runtime) -> None:
    seq, _ = _decoded(_get(client, bed_path("chair1"), 0))
    sid = rt.view("chair1").session_id
    other = rt.view("chair2").session_id
    t0 = rt.view("chair1").t_s
    hidden = WaveSegment("KET_CP", 25, t0, np.ones(25, dtype=np.float32))  # instructor-only
    unknown = WaveSegment("NOT_A_WAVE", 25, t0, np.ones(25, dtype=np.float32))
    old_session = WaveSegment("ECG_II", 250, t0, np.ones(250, dtype=np.float32))
    rt.feed.append(TickWrite(waves=[(sid, hidden), (sid, unknown), (sid + 1000, old_session),
                                    (other, old_session)]))  # fmt: skip
    seq2, segs = _decoded(_get(client, bed_path("chair1"), seq))
    assert seq2 == seq + 1
    assert segs == []


def test_the_central_packet_has_every_chairs_strip_wave(client, rt: Runtime) -> None:
    seq, segs = _decoded(_get(client, CENTRAL_PATH))
    spans = _spans(segs)
    assert set(spans) == {("chair1", "ECG_II"), ("chair2", "ECG_II")}
    rt.advance(1)
    seq2, new = _decoded(_get(client, CENTRAL_PATH, seq))
    assert seq2 == seq + 1
    assert {(b, s.wave, s.values.size) for b, s in new} == {
        ("chair1", "ECG_II", 250), ("chair2", "ECG_II", 250)}  # fmt: skip


def test_a_bedside_page_gets_under_3_kb_a_second(client, rt: Runtime) -> None:
    seq, _ = _decoded(_get(client, bed_path("chair1"), 0))
    total = 0
    for _ in range(10):  # ten seconds at x1, and three empty polls per second besides
        rt.advance(1)
        for _ in range(4):
            resp = _get(client, bed_path("chair1"), seq)
            total += len(resp.get_data())
            seq, _ = decode_packet(resp.get_data())
    assert total / 10 <= 3000
    assert total / 10 <= 1000  # 2 bytes a sample at 400 samples/s, and a few headers


def test_the_stream_pushes_each_ticks_waves_as_an_event_of_their_own(rt: Runtime) -> None:
    clock = _Clock()
    hub = StreamHub(rt, clock=clock)
    stream = iter(hub.open_bed("chair1"))
    assert next(stream) == b"retry: 2000\n\n"
    assert next(stream).startswith(b"data: ")  # the page's backfill
    first = _wave_event(next(stream))  # the waves' backfill, at once
    ends = {w: t1 for (_, w), (_, t1) in _spans(first[1]).items()}
    assert set(ends) == WAVES
    news = 0
    for _ in range(4):
        rt.advance(1)
        clock.t += 0.5  # ticks half a period apart: waves after each, the news every other
        chunk = next(stream)
        if chunk.startswith(b"data: "):  # the page's news is due too: it goes first
            news += 1
            chunk = next(stream)
        _, segs = _wave_event(chunk)
        for (bed, wave), (t0, t1) in _spans(segs).items():
            assert bed == "chair1"
            assert t0 == pytest.approx(ends[wave])  # the next second, at once
            assert t1 - t0 == pytest.approx(1.0)
            ends[wave] = t1
    assert news == 2
    hub.close(timeout_s=0)


def test_the_layout_takes_every_wave_from_the_registry() -> None:
    import json

    panel = wave_widget.panel("chair1", "/_vitals/bed/chair1/waves")
    spec = json.loads(panel.to_plotly_json()["props"]["data-waves"])
    assert [w["id"] for w in spec] == [c.id for c in channels.waves()]
    assert [w["label"] for w in spec] == ["II", "Pleth", "CO₂"]
    assert [w["mm_s"] for w in spec] == [25.0, 25.0, 6.25]
    assert {w["id"]: w["colour"] for w in spec} == {c.id: c.colour for c in channels.waves()}
    co2 = channels.get("CO2")
    assert wave_widget.marks(co2) == [0.0, 25.0, 50.0]
    assert wave_widget.marks(channels.get("ECG_II")) == []  # it has the 1 mV bar
    assert [wave_widget.off_text(c) for c in channels.waves()] == [
        "Leads off", "No pleth", "No CO₂"]  # fmt: skip


class _Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _wave_event(chunk: bytes) -> tuple[int, list[tuple[str, WaveSegment]]]:
    assert chunk.startswith(b"event: wave\ndata: "), chunk[:80]
    assert chunk.endswith(b"\n\n")
    return decode_packet(base64.b64decode(chunk[len(b"event: wave\ndata: ") : -2]))
