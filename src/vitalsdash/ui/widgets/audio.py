"""The audio state a page exposes: ``data-audio`` says which pattern should sound now.

assets/alarm_audio.js reads the attribute (of whichever page is shown) and plays the
pattern with Web Audio once sound is enabled; pages without it are silent.
"""

from __future__ import annotations

from dash import html

from vitalsdash.runtime import SignalsView

__all__ = ["NONE", "element", "state"]

NONE = "none"


def state(signals: SignalsView | None) -> tuple[str, str, str]:
    """(pattern, pulses, repeat seconds) from the engine's audio signal."""
    a = None if signals is None else signals.audio
    if a is None:
        return NONE, "0", "0"
    return a.priority, str(a.pulses), f"{a.repeat_s:g}"


def element(element_id: str) -> html.Div:
    return html.Div(
        "",
        id=element_id,
        className="audio-state",
        hidden=True,
        **{"data-audio": NONE, "data-audio-pulses": "0", "data-audio-repeat": "0"},
    )
