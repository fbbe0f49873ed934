"""Plot series: date-axis values, bounded backfills that keep peaks, sparkline buckets."""

from __future__ import annotations

import math

import pytest

from vitalsdash.ui import series

pytestmark = pytest.mark.unit


def _plain(values: list) -> bool:
    return all(v is None or type(v) in (int, float) for v in values)


def test_x_values_are_long_enough_to_read_as_milliseconds() -> None:
    # plotly reads a number of four digits or fewer on a date axis as a year
    assert series.xt(0) == series.X_OFFSET_MS
    assert len(str(series.xt(0))) > 4
    assert series.xt(61.5) - series.xt(0) == 61_500


def test_by_channel_turns_invalid_samples_into_gaps() -> None:
    rows = [(0.0, "HR", 80.0, "ok"), (1.0, "HR", math.nan, "invalid"), (1.0, "RR", 12.0, "ok")]
    out = series.by_channel(rows, ("HR",))
    assert out["HR"] == ([series.xt(0), series.xt(1)], [80.0, None])


def test_downsample_bounds_long_histories_and_keeps_peaks() -> None:
    hours = 6
    rows = []
    for t in range(hours * 3600):
        hr = 150.0 if t == 7000 else 70.0 + (t % 7)
        rows.append((float(t), "HR", hr, "ok"))
        if t % 600 == 0:
            rows.append((float(t), "NIBP_SYS", 120.0, "ok"))
    out = series.downsample(rows, ("HR", "NIBP_SYS"), now_s=hours * 3600, recent_s=1200,
                            max_points=1500)  # fmt: skip
    xs, ys = out["HR"]
    assert len(xs) <= 1500 + 1200 + 2
    assert max(y for y in ys if y is not None) == 150.0  # the peak survives
    assert min(y for y in ys if y is not None) == 70.0
    assert xs == sorted(xs)
    recent = range(hours * 3600 - 1200 + 1, hours * 3600)  # after now - recent_s: every point
    assert ys[-len(recent) :] == [70.0 + (t % 7) for t in recent]
    assert len(out["NIBP_SYS"][0]) == hours * 6  # sparse channels stay whole
    assert type(xs) is list
    assert _plain(xs)
    assert _plain(ys)


def test_downsample_keeps_a_missing_stretch_as_a_gap() -> None:
    rows = [(float(t), "SPO2", math.nan if 1000 <= t < 1400 else 97.0,
             "invalid" if 1000 <= t < 1400 else "ok") for t in range(8000)]  # fmt: skip
    _, ys = series.downsample(rows, ("SPO2",), now_s=8000, max_points=200)["SPO2"]
    assert None in ys


def test_buckets_average_and_carry_the_systolic_pressure() -> None:
    rows = [(float(t), "HR", 60.0 + (t // 10) * 10, "ok") for t in range(30)]
    rows += [(12.0, "NIBP_SYS", 130.0, "ok"), (3.0, "SPO2", 97.0, "ok")]
    xs, ys, carry = series.buckets(rows, 0.0, 30.0, 10.0, carry=125.0)
    assert xs == [10, 20, 30]
    assert ys["HR"] == [60, 70, 80]
    assert ys["SPO2"] == [97, None, None]
    assert ys["NIBP_SYS"] == [125.0, 130.0, 130.0]
    assert carry == 130.0
    assert series.buckets(rows, 0.0, 5.0, 10.0, carry=None)[0] == []
