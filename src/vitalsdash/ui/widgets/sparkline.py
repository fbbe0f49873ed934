"""A tile's sparkline: the channels with a ``sparkline_range`` in the registry (heart
rate, saturation and systolic pressure) over the last 30 minutes (SVG).

The x axis is hidden, so it is plain session seconds (shorter than date values)."""

from __future__ import annotations

from typing import Any

from vitalsdash import channels

__all__ = ["BUCKET_S", "WINDOW_S", "extend", "figure", "keys"]

WINDOW_S = 1800.0
BUCKET_S = 15.0
MAX_POINTS = int(WINDOW_S // BUCKET_S)


def lines() -> tuple[channels.ChannelInfo, ...]:
    """The channels drawn, in the registry's order."""
    return tuple(c for c in channels.all_channels() if c.sparkline_range is not None)


def keys() -> tuple[str, ...]:
    return tuple(c.id for c in lines())


def figure(xs: list[int] | None = None, ys: dict[str, list] | None = None) -> dict[str, Any]:
    """Overlaid lines, each on its own hidden scale; no axes, no interaction."""
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
        },
    }


def extend(xs: list[int], ys: dict[str, list]) -> list[Any]:
    """``extendData`` appending the same buckets to every line."""
    ks = keys()
    return [{"x": [xs] * len(ks), "y": [ys[k] for k in ks]}, list(range(len(ks))), MAX_POINTS]


def _whole(v: float) -> float | int:
    return int(v) if v == int(v) else v
