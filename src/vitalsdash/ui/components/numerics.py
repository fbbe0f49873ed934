"""Large bedside numerics: HR, SpO2, NIBP (with its age) and RR, with units and limits.

A numeric box takes the colour class of the highest active alarm on its parameter; an
NIBP reading older than the program interval + 60 s is greyed.
"""

from __future__ import annotations

from dash import html

from vitalsdash.alarms import Signals
from vitalsdash.ui import fmt
from vitalsdash.ui.state import BedView

BOXES = (
    # key, label, unit, limit conditions (lo, hi)
    ("HR", "HR", "bpm", ("HR_LO", "HR_HI")),
    ("SPO2", "SpO₂", "%", ("SPO2_LO", "SPO2_HI")),
    ("NIBP", "NIBP", "mmHg", ("SYS_LO", "SYS_HI")),
    ("RR", "RR", "/min", ("RR_LO", "RR_HI")),
)
CHANNEL_BOX = {
    "HR": "HR",
    "SPO2": "SPO2",
    "RR": "RR",
    "NIBP_SYS": "NIBP",
    "NIBP_DIA": "NIBP",
    "NIBP_MAP": "NIBP",
}


def _box(key: str, label: str, unit: str) -> html.Div:
    head = [html.Span(label, className="num-label"), html.Span(unit, className="num-unit")]
    value: list = [html.Span(fmt.DASH, id=f"num-{key}-value", className="num-value")]
    if key == "NIBP":
        head.append(html.Span("", id="num-NIBP-age", className="num-age"))
        value.append(html.Span("", id="num-NIBP-map", className="num-sub"))
    head.append(html.Span("", id=f"num-{key}-limits", className="num-limits"))
    return html.Div(
        [html.Div(head, className="num-head"), html.Div(value, className="num-line")],
        id=f"num-{key}-box",
        className=f"num-box num-{key.lower()}",
    )


def layout() -> html.Div:
    return html.Div([_box(k, label, unit) for k, label, unit, _ in BOXES], className="numerics")


def alarm_classes(signals: Signals | None) -> dict[str, str]:
    """Per numeric box, the class of its highest active alarm ("" when none)."""
    out: dict[str, str] = {}
    if signals is None:
        return out
    for a in signals.alarms:  # highest priority first
        box = CHANNEL_BOX.get(a.channel.value)
        if box and box not in out and not a.technical:
            out[box] = f"alarm-{a.priority.name.lower()}"
    return out


def values(view: BedView) -> dict[str, str]:
    """Every numeric's text and class, keyed like the component ids."""
    limits = view.limits or {}
    classes = alarm_classes(view.signals)
    out: dict[str, str] = {}
    for key, _, _, (lo, hi) in BOXES:
        out[f"num-{key}-limits"] = fmt.limit_pair(limits.get(lo), limits.get(hi))
        out[f"num-{key}-box"] = f"num-box num-{key.lower()} {classes.get(key, '')}".strip()
    for ch in ("HR", "SPO2", "RR"):
        out[f"num-{ch}-value"] = fmt.num(view.value(ch))
    nibp = view.last_nibp or {}
    sys_, dia, mean = (nibp.get(c, (None, None))[1] for c in ("NIBP_SYS", "NIBP_DIA", "NIBP_MAP"))
    out["num-NIBP-value"] = f"{fmt.num(sys_)}/{fmt.num(dia)}" if sys_ is not None else fmt.DASH
    out["num-NIBP-map"] = f"({fmt.num(mean)})" if mean is not None else ""
    age = view.nibp_age_s()
    out["num-NIBP-age"] = "no reading yet" if age is None else fmt.age(age)
    if view.nibp_stale() and sys_ is not None:
        out["num-NIBP-box"] += " stale"
    return out
