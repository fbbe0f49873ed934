"""A tile's sparkline: HR, SpO2 and systolic pressure over the last 30 minutes (SVG).

The x axis is hidden, so it is plain session seconds (shorter than date values)."""

from __future__ import annotations

from typing import Any

from vitalsdash.ui.theme import PALETTE

WINDOW_S = 1800.0
BUCKET_S = 15.0
MAX_POINTS = int(WINDOW_S // BUCKET_S)
KEYS = ("HR", "SPO2", "NIBP_SYS")


def figure(xs: list[int] | None = None, ys: dict[str, list] | None = None) -> dict[str, Any]:
    """Three overlaid lines, each on its own hidden scale; no axes, no interaction."""
    xs = xs or []
    ys = ys or {}
    colours = {"HR": PALETTE["hr"], "SPO2": PALETTE["spo2"], "NIBP_SYS": PALETTE["nibp"]}
    data = []
    for i, key in enumerate(KEYS):
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": list(xs),
                "y": list(ys.get(key, [])),
                "yaxis": "y" if i == 0 else f"y{i + 1}",
                "hoverinfo": "skip",
                "line": {
                    "color": colours[key],
                    "width": 1.4,
                    **({"shape": "hv", "dash": "dot"} if key == "NIBP_SYS" else {}),
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
            "yaxis": {**hidden, "range": [40, 150]},
            "yaxis2": {**hidden, "overlaying": "y", "range": [80, 101]},
            "yaxis3": {**hidden, "overlaying": "y", "range": [60, 230]},
        },
    }


def extend(xs: list[int], ys: dict[str, list]) -> list[Any]:
    """``extendData`` appending the same buckets to the three lines."""
    return [
        {"x": [xs, xs, xs], "y": [ys["HR"], ys["SPO2"], ys["NIBP_SYS"]]},
        [0, 1, 2],
        MAX_POINTS,
    ]
