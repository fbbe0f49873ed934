"""The swept waveforms: the bedside's strips (ECG II, pleth, CO₂) with their Freeze key,
and a central tile's ECG strip. assets/waves.js draws the traces on the canvases.

Everything about a wave comes from the registry (``channels.waves()``): its label, colour,
vertical range, sweep speed, and so its scale: a wave in mV gets the 1 mV calibration
bar, one with another unit a few round marks of its range (CO₂: 0, 25, 50 mmHg), one
without a unit (pleth) none. The page gets it once, as ``data-waves`` JSON on the element
that also names where the packets come from (``data-wave-src``, and ``data-wave-push``
when the bedside's pushed stream carries them). A panel stays hidden until its first
samples arrive, so a bed whose source sends no waveforms looks as it did before.
"""

from __future__ import annotations

import json
import math
from typing import Any

from dash import html

from vitalsdash import channels

__all__ = ["FREEZE_ID", "marks", "off_text", "panel", "spec", "tile_strip", "wave_attrs"]

FREEZE_ID = "wave-freeze"


def marks(info: channels.ChannelInfo) -> list[float]:
    """Round values of the wave's range to mark on its scale: at most three (CO₂ 0-60
    mmHg: 0, 25, 50); none for a wave without a unit or in mV (it has the 1 mV bar)."""
    if not info.unit or info.unit == "mV" or info.wave_range is None:
        return []
    lo, hi = info.wave_range
    if not hi > lo:
        return []
    power = 10.0 ** math.floor(math.log10(hi - lo))
    steps = sorted(s * m * power for m in (0.1, 1.0, 10.0) for s in (1.0, 2.0, 2.5, 5.0))
    for step in steps:  # the finest round step that leaves three marks at most
        first = math.ceil(lo / step - 1e-9)
        values = [v * step for v in range(first, math.floor(hi / step + 1e-9) + 1)]
        if len(values) <= 3:
            return [round(v, 6) for v in values]
    return [lo, hi]


def off_text(info: channels.ChannelInfo) -> str:
    """What a strip says when every sample it shows is missing: "Leads off" for an ECG
    (mV), "No pleth", "No CO₂"."""
    if info.unit == "mV":
        return "Leads off"
    label = info.label
    if len(label) > 1 and label[1].islower():
        label = label[0].lower() + label[1:]
    return f"No {label}"


def _y(info: channels.ChannelInfo, value: float) -> float:
    """Where ``value`` sits in the strip, in % from the top (the trace maps it the same)."""
    lo, hi = info.wave_range or (0.0, 1.0)
    return round(max(0.0, min(100.0, (hi - value) / (hi - lo) * 100.0)), 2)


def spec(waves: tuple[channels.ChannelInfo, ...] | None = None) -> list[dict[str, Any]]:
    """What waves.js needs to draw each wave, from the registry."""
    out = []
    for c in channels.waves() if waves is None else waves:
        lo, hi = c.wave_range or (-1.0, 1.0)
        out.append({"id": c.id, "label": c.label, "colour": c.colour, "lo": lo, "hi": hi,
                    "mm_s": c.sweep_mm_s or 25.0})  # fmt: skip
    return out


def wave_attrs(src: str, waves: tuple[channels.ChannelInfo, ...], push: str = "") -> dict[str, str]:
    """The data attributes of an element whose strips are fed from ``src``."""
    return {"data-wave-src": src, "data-waves": json.dumps(spec(waves), ensure_ascii=False),
            "data-wave-push": push}  # fmt: skip


def _scale(info: channels.ChannelInfo) -> tuple[list[Any], list[Any]]:
    """The strip's static scale, placed in % of its height as the trace is: (in the
    gutter beside the sweep, across the sweep)."""
    if info.unit == "mV":
        top, base = _y(info, 1.0), _y(info, 0.0)
        bar = html.Div(html.Span("1 mV", className="wave-cal-label"), className="wave-cal",
                       style={"top": f"{top}%", "height": f"{round(base - top, 2)}%"})  # fmt: skip
        return [bar], []
    gutter: list[Any] = []
    area: list[Any] = []
    for v in marks(info):
        y = _y(info, v)
        edge = " at-bottom" if y > 90 else " at-top" if y < 10 else ""  # inside the strip
        gutter.append(html.Span(f"{v:g}", className="wave-mark-label" + edge,
                                style={"top": f"{y}%"}))  # fmt: skip
        area.append(html.Div(className="wave-mark", style={"top": f"{y}%"}))
    return gutter, area


def _strip(info: channels.ChannelInfo, bed_id: str, compact: bool = False) -> html.Div:
    gutter: list[Any] = [html.Span(info.label, className="wave-label")]
    area: list[Any] = []
    if not compact:
        if info.unit and info.unit != "mV":
            gutter.append(html.Span(info.unit, className="wave-unit"))
        gutter.append(html.Span(f"{info.sweep_mm_s:g} mm/s", className="wave-speed"))
        scale_gutter, area = _scale(info)
        gutter += scale_gutter
    return html.Div(
        [
            html.Div(gutter, className="wave-gutter"),
            html.Div(
                [
                    *area,
                    html.Canvas(className="wave-trace"),
                    html.Div(html.Span(off_text(info)), className="wave-off", hidden=True),
                ],
                className="wave-area",
            ),
        ],
        className="wave-strip",
        style={"--ch": info.colour},
        **{"data-bed": bed_id, "data-wave": info.id},
    )


def panel(bed_id: str, src: str, push: str = "") -> html.Div:
    """The bedside's strips, one per wave of the registry, and the Freeze key beside them."""
    waves = channels.waves()
    return html.Div(
        [
            html.Div([_strip(c, bed_id) for c in waves], className="wave-strips"),
            html.Div(
                [
                    html.Button(
                        "Freeze",
                        id=FREEZE_ID,
                        type="button",
                        className="btn btn-outline-light btn-sm wave-freeze",
                        title="Stop the sweep to look at the waves; press again for the live ones",
                        **{"aria-pressed": "false"},
                    ),
                    html.Span("Frozen", className="wave-frozen", role="status"),
                ],
                className="wave-side",
            ),
        ],
        id="bed-waves",
        className="wave-panel no-waves",
        **wave_attrs(src, waves, push),
    )


def tile_strip(bed_id: str, wave: str) -> html.Div:
    """A tile's small strip of ``wave`` (the central station's wave), fed with every
    other tile's by the page's one request."""
    return html.Div(_strip(channels.get(wave), bed_id, compact=True),
                    className="tile-wave no-waves")  # fmt: skip
