"""The monitor's colours, shared by the CSS (assets/monitor.css) and the Plotly figures.

``CONTRAST_PAIRS`` lists every foreground/background pair the pages use for text with the
WCAG contrast it must reach (4.5 body text, 3 large numerics); a unit test checks them
against the values in the stylesheet.
"""

from __future__ import annotations

import re
from pathlib import Path

from vitalsdash import channels

ASSETS = Path(__file__).resolve().parent / "assets"
STYLESHEET = ASSETS / "monitor.css"

CHANNEL_COLOURS: dict[str, str] = {
    key.lower(): chans[0].colour for key, chans in channels.panels().items()
}
"""One colour per panel of vital signs, from the channel registry (its id in lower case).
No stylesheet declares them: a page sets a box's ``--ch`` from the registry
(:func:`channel_style`), so a channel has one colour on every page, a plug-in's too."""

PALETTE: dict[str, str] = {
    "bg": "#000000",
    "panel": "#0b0f14",
    "panel-2": "#141a21",
    "border": "#2b3440",
    "text": "#e8edf2",
    "muted": "#9aa6b2",
    "stale": "#8c96a0",
    **CHANNEL_COLOURS,
    "pump": channels.get(channels.pump_rate_channel()).colour,
    "high": "#d0102b",
    "high-text": "#ff6b7a",
    "on-high": "#ffffff",
    "medium": "#ffd60a",
    "on-medium": "#000000",
    "low": "#22d3ee",
    "on-low": "#000000",
    "ok": "#3fe07a",
    "link": "#7cc4ff",
}

CONTRAST_PAIRS: list[tuple[str, str, float]] = [
    # body text
    ("text", "bg", 4.5),
    ("text", "panel", 4.5),
    ("text", "panel-2", 4.5),
    ("muted", "panel", 4.5),
    ("muted", "panel-2", 4.5),
    ("link", "bg", 4.5),
    ("ok", "panel", 4.5),
    ("pump", "panel", 4.5),
    # alarm bars: both phases of a flash must read (text on colour, colour on panel)
    ("on-high", "high", 4.5),
    ("high-text", "panel", 4.5),
    ("on-medium", "medium", 4.5),
    ("medium", "panel", 4.5),
    ("on-low", "low", 4.5),
    ("low", "panel", 4.5),
    # large numerics (>= 24 px bold): 3:1, every panel of vital signs in its colour
    *((key.lower(), "panel", 3.0) for key in channels.panels()),
    ("stale", "panel", 3.0),
    ("on-high", "high", 3.0),
]


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4))
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio between two colours (1..21)."""
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def css_variables(path: Path = STYLESHEET) -> dict[str, str]:
    """The ``--name: #hex`` custom properties declared in the stylesheet."""
    text = path.read_text(encoding="utf-8")
    return dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})\b", text))


def channel_style(info: channels.ChannelInfo) -> dict[str, str]:
    """The inline style that colours a box of ``info``'s (CSS reads ``var(--ch)``)."""
    return {"--ch": info.colour}
