"""The waveform packet: what a page decodes is what the runtime sent, within a count."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsdash import channels
from vitalsdash.waves import (
    MAX_COUNT,
    PackedSegment,
    PacketError,
    WaveSegment,
    decode_packet,
    encode_packet,
)

WAVES = [c.id for c in channels.waves()]


def test_the_monitor_has_three_waveforms_with_their_rates() -> None:
    rates = {c.id: c.sample_rate_hz for c in channels.waves()}
    assert rates == {"ECG_II": 250, "PLETH": 125, "CO2": 25}
    assert next(c.id for c in channels.waves()) == "ECG_II"  # ECG on top, as monitors draw
    for c in channels.waves():
        assert channels.is_known(c.numeric) or c.numeric == "ETCO2"
        assert not c.shown
        assert not c.alarmed


values = st.lists(
    st.one_of(st.floats(-50, 50, allow_nan=False), st.just(math.nan)), min_size=0, max_size=300
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(WAVES), values, st.floats(0, 30000), st.integers(0, 2**32 - 1))
def test_a_packet_decodes_to_what_was_sent_within_one_count(
    wave: str, vals: list[float], t0: float, seq: int
) -> None:
    info = channels.get(wave)
    seg = WaveSegment(wave, info.sample_rate_hz, t0, np.asarray(vals, dtype=np.float32))
    got_seq, got = decode_packet(encode_packet(seq, [("chair-1", seg)]))
    assert got_seq == seq
    [(bed, back)] = got
    assert bed == "chair-1"
    assert back.wave == wave
    assert back.sample_rate_hz == info.sample_rate_hz
    assert back.t0_s == t0
    sent = np.asarray(vals, dtype=np.float64)
    assert np.array_equal(np.isnan(back.values), np.isnan(sent))  # gaps stay gaps
    ok = ~np.isnan(sent)
    limit = MAX_COUNT * info.wave_scale
    expected = np.clip(sent[ok], -limit, limit)
    assert np.all(np.abs(back.values[ok] - expected) <= info.wave_scale * 0.51 + 1e-6)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(WAVES), values, st.floats(0, 30000))
def test_a_segment_packed_once_makes_the_packet_its_samples_make(
    wave: str, vals: list[float], t0: float
) -> None:
    """The runtime packs each segment once for every page: the page gets the same bytes,
    and the packed segment's values are the ones the page decodes."""
    info = channels.get(wave)
    seg = WaveSegment(wave, info.sample_rate_hz, t0, np.asarray(vals, dtype=np.float32))
    packed = PackedSegment.of(seg)
    assert PackedSegment.of(packed) is packed
    assert packed.end_s == seg.end_s
    data = encode_packet(3, [("chair-1", seg)])
    assert encode_packet(3, [("chair-1", packed)]) == data
    [(_, decoded)] = decode_packet(data)[1]
    assert np.array_equal(packed.values, decoded.values, equal_nan=True)
    again = PackedSegment(wave, info.sample_rate_hz, t0, packed.counts.copy())
    assert encode_packet(3, [("chair-1", again)]) == data


def test_several_beds_and_waves_share_one_packet_and_it_is_compact() -> None:
    t = np.arange(250) / 250.0
    ecg = WaveSegment("ECG_II", 250, 12.0, np.sin(2 * np.pi * t).astype(np.float32))
    co2 = WaveSegment("CO2", 25, 12.0, np.full(25, 38.0, dtype=np.float32))
    data = encode_packet(7, [("a", ecg), ("chair-2", co2)])
    # two bytes a sample, plus a header of a few dozen bytes per segment
    assert len(data) <= 2 * (250 + 25) + 80
    seq, got = decode_packet(data)
    assert seq == 7
    assert [(b, s.wave) for b, s in got] == [("a", "ECG_II"), ("chair-2", "CO2")]


@pytest.mark.parametrize("bad", [b"", b"XX\x01\x00\x00\x00\x00\x00\x00\x00", b"VW\x01"])
def test_a_malformed_packet_is_refused_with_a_reason(bad: bytes) -> None:
    with pytest.raises(PacketError):
        decode_packet(bad)


def test_stray_bytes_after_the_segments_are_refused() -> None:
    seg = WaveSegment("CO2", 25, 0.0, np.zeros(25, dtype=np.float32))
    with pytest.raises(PacketError, match="stray"):
        decode_packet(encode_packet(1, [("a", seg)]) + b"\x00")
