"""Turning feed samples into plot series: per-channel split, downsampling, sparkline buckets.

Everything returns plain Python lists (never numpy arrays): Plotly >= 6 would send arrays
as typed arrays, which ``extendData`` cannot extend (see dash-notes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from vitalsdash import channels

__all__ = ["X_OFFSET_MS", "Series", "buckets", "by_channel", "clean", "downsample", "minmax", "xt"]

Sample = tuple[float, str, float, str]
Series = tuple[list[int], list[float | None]]
"""x values (see ``xt``) and y values (None where the signal is missing: a gap in the line)."""


X_OFFSET_MS = 86_400_000
"""Day 2 of 1970: every x value has 8+ digits. Plotly reads a number of 4 digits or fewer
on a date axis as a year ("5000" is the year 5000), longer ones as milliseconds."""


def xt(t_s: float) -> int:
    """Session seconds as a date-axis value (ms) whose clock reads the elapsed time: the
    axis shows 00:40 for 40 minutes into the session."""
    return round(t_s * 1000) + X_OFFSET_MS


def clean(v: float) -> float | None:
    return None if v is None or math.isnan(v) else round(v, 1)


def by_channel(rows: Iterable[Sample], channels: Sequence[str]) -> dict[str, Series]:
    """Split feed rows into per-channel (x in ms, y) lists, invalid values as gaps."""
    out: dict[str, Series] = {ch: ([], []) for ch in channels}
    for t, ch, v, q in rows:
        s = out.get(ch)
        if s is not None:
            s[0].append(xt(t))
            s[1].append(None if q == "invalid" else clean(v))
    return out


def minmax(t: np.ndarray, v: np.ndarray, width_s: float) -> Series:
    """Min and max of each ``width_s`` bucket (two points per bucket; an all-missing bucket
    is a gap), so a long history keeps its peaks at a fraction of the points."""
    if len(t) == 0:
        return [], []
    bucket = np.floor((t - t[0]) / width_s).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    with np.errstate(invalid="ignore"):
        lo = np.fmin.reduceat(v, starts)
        hi = np.fmax.reduceat(v, starts)
    t0 = t[0] + bucket[starts] * width_s
    xs: list[int] = []
    ys: list[float | None] = []
    for a, b, x in zip(lo.tolist(), hi.tolist(), t0.tolist(), strict=True):
        if math.isnan(a):
            xs.append(xt(x))
            ys.append(None)
            continue
        xs += [xt(x), xt(x + width_s / 2)]
        ys += [round(a, 1), round(b, 1)]
    return xs, ys


def downsample(
    rows: Sequence[Sample],
    channels: Sequence[str],
    now_s: float,
    recent_s: float = 1200.0,
    max_points: int = 1500,
) -> dict[str, Series]:
    """Full resolution for the last ``recent_s`` seconds, min/max buckets before that,
    so any session length opens with at most about ``max_points`` + recent points per
    channel."""
    if not rows:
        return {ch: ([], []) for ch in channels}
    t = np.fromiter((r[0] for r in rows), dtype=np.float64, count=len(rows))
    ch = np.array([r[1] for r in rows], dtype=object)
    v = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
    invalid = np.array([r[3] == "invalid" for r in rows], dtype=bool)
    v[invalid] = np.nan
    cut = now_s - recent_s
    out: dict[str, Series] = {}
    for name in channels:
        mask = ch == name
        ct, cv = t[mask], v[mask]
        old = ct <= cut
        n_old = int(old.sum())
        if n_old > max_points:
            span = float(ct[old][-1] - ct[0]) or 1.0
            xs, ys = minmax(ct[old], cv[old], max(1.0, math.ceil(2 * span / max_points)))
            new_t, new_v = ct[~old], cv[~old]
        else:
            xs, ys = [], []
            new_t, new_v = ct, cv
        xs += [xt(x) for x in new_t.tolist()]
        ys += [None if math.isnan(y) else round(y, 1) for y in new_v.tolist()]
        out[name] = (xs, ys)
    return out


def buckets(
    rows: Iterable[Sample],
    start_s: float,
    end_s: float,
    width_s: float,
    carry: float | None,
) -> tuple[list[int], dict[str, list[float | None]], float | None]:
    """Sparkline points: the mean (whole numbers) of each continuous sparkline channel in
    each whole ``width_s`` bucket in [start_s, end_s), and the periodic one (systolic
    pressure) carried forward from its last reading. Returns (bucket ends in whole session
    seconds, {channel: values}, the periodic channel's last value)."""
    drawn = [c for c in channels.all_channels() if c.sparkline_range is not None]
    means = [c.id for c in drawn if not c.periodic]
    held = next((c.id for c in drawn if c.periodic), None)
    n = int((end_s - start_s) // width_s)
    if n <= 0:
        return [], {c.id: [] for c in drawn}, carry
    sums = {ch: [0.0] * n for ch in means}
    counts = {ch: [0] * n for ch in means}
    held_at: list[float | None] = [None] * n
    for t, ch, v, q in rows:
        i = int((t - start_s) // width_s)
        if not 0 <= i < n or q == "invalid" or math.isnan(v):
            continue
        if ch == held:
            held_at[i] = v
        elif ch in sums:
            sums[ch][i] += v
            counts[ch][i] += 1
    xs = [round(start_s + (i + 1) * width_s) for i in range(n)]
    out: dict[str, list[float | None]] = {}
    for name in means:
        out[name] = [
            round(s / c) if c else None for s, c in zip(sums[name], counts[name], strict=True)
        ]
    if held is not None:
        line: list[float | None] = []
        for value in held_at:
            if value is not None:
                carry = value
            line.append(carry)
        out[held] = line
    return xs, {c.id: out[c.id] for c in drawn}, carry
