"""A tile's sparkline: the channels with a ``sparkline_range`` in the registry (heart
rate, saturation and systolic pressure) over the last 30 minutes (SVG), and where
monitoring was interrupted in that time (a server restart): the timeline's band, in the
bedside's warning colour, with its words beside it.

The x axis is hidden, so it is plain session seconds (shorter than date values)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from vitalsdash import channels
from vitalsdash.report import interruption_band
from vitalsdash.ui.theme import PALETTE

__all__ = ["BUCKET_S", "WINDOW_S", "bands", "extend", "figure", "keys"]

WINDOW_S = 1800.0
BUCKET_S = 15.0
MAX_POINTS = int(WINDOW_S // BUCKET_S)
BAND_PX = 6
LABEL_PX = 10


def lines() -> tuple[channels.ChannelInfo, ...]:
    """The channels drawn, in the registry's order."""
    return tuple(c for c in channels.all_channels() if c.sparkline_range is not None)


def keys() -> tuple[str, ...]:
    return tuple(c.id for c in lines())


def bands(gaps: Iterable[Sequence[Any]], end_s: float) -> list[list[Any]]:
    """The interruptions ``[t_s, words]`` that a sparkline ending at ``end_s`` shows, oldest
    first, as ``[t_s, words, side]``: ``side`` is where the words go ("left" of the band in
    the newer half of the window, "right" in the older), so they stay inside the tile.
    One that has left the window is not drawn: its band would stretch the x axis."""
    lo = max(0.0, end_s - WINDOW_S)
    mid = (lo + end_s) / 2.0
    kept = sorted((float(g[0]), str(g[1])) for g in gaps if float(g[0]) >= end_s - WINDOW_S)
    return [[t, words, "left" if t > mid else "right"] for t, words in kept]


def _band(t_s: float, words: str, side: str) -> dict[str, Any]:
    """The timeline's band with its words written level beside it, from the top down."""
    shape = interruption_band(t_s, PALETTE["medium"], BAND_PX)
    shape["label"] = {
        "text": words,
        "textposition": "end",
        "textangle": 0,
        "xanchor": "right" if side == "left" else "left",
        "yanchor": "top",
        "font": {"size": LABEL_PX, "color": PALETTE["medium"]},
    }
    return shape


def figure(
    xs: list[int] | None = None,
    ys: dict[str, list] | None = None,
    gaps: Sequence[Sequence[Any]] = (),
) -> dict[str, Any]:
    """Overlaid lines, each on its own hidden scale; no axes, no interaction. ``gaps``: the
    interruptions to mark, as :func:`bands` gives them."""
    xs = xs or []
    ys = ys or {}
    drawn = lines()
    data = []
    for i, c in enumerate(drawn):
        key = c.id
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": list(xs),
                "y": list(ys.get(key, [])),
                "yaxis": "y" if i == 0 else f"y{i + 1}",
                "hoverinfo": "skip",
                "line": {
                    "color": c.colour,
                    "width": 1.4,
                    **({"shape": "hv", "dash": "dot"} if c.periodic else {}),
                },
            }
        )
    hidden = {"visible": False, "fixedrange": True}
    return {
        "data": data,
        "layout": {
            "template": None,
            "margin": {"l": 0, "r": 0, "t": 2, "b": 2},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "showlegend": False,
            "xaxis": hidden,
            **{
                "yaxis" if i == 0 else f"yaxis{i + 1}": {
                    **hidden,
                    **({} if i == 0 else {"overlaying": "y"}),
                    "range": [_whole(v) for v in c.sparkline_range or ()],
                }
                for i, c in enumerate(drawn)
            },
            **({"shapes": [_band(*g) for g in gaps]} if gaps else {}),
        },
    }


def extend(xs: list[int], ys: dict[str, list]) -> list[Any]:
    """``extendData`` appending the same buckets to every line."""
    ks = keys()
    return [{"x": [xs] * len(ks), "y": [ys[k] for k in ks]}, list(range(len(ks))), MAX_POINTS]


def _whole(v: float) -> float | int:
    return int(v) if v == int(v) else v
