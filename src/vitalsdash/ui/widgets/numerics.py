"""Large bedside numerics: one box per panel of the channel registry (a periodic panel
with the age of its reading), with units and limits.

A numeric box takes the colour class of the highest active alarm on its parameter; a
cuff reading older than the program interval + 60 s is greyed. The periodic box says how
old its reading is and the cuff's program in this phase ("4 min ago · every 5 min").
"""

from __future__ import annotations

from dash import html

from vitalsdash import channels
from vitalsdash.runtime import SignalsView
from vitalsdash.ui import fmt
from vitalsdash.ui.state import BedView
from vitalsdash.ui.theme import channel_style

__all__ = ["BOXES", "boxes", "every", "layout", "values"]


def boxes() -> tuple[tuple[str, str, str, tuple[str, str]], ...]:
    """One box per panel of the channel registry, in rank order: (key, label, unit, limit
    conditions (lo, hi)). A periodic panel (NIBP) shows sys/dia with its mean below."""
    out = []
    for key, chans in channels.panels().items():
        head = chans[0]
        out.append((key, head.panel_label, head.unit, (f"{head.short}_LO", f"{head.short}_HI")))
    return tuple(out)


def channel_box() -> dict[str, str]:
    """Channel id -> the key of the box that shows it."""
    return {c.id: key for key, chans in channels.panels().items() for c in chans}


BOXES = boxes()
"""The boxes of the channels registered at import: the bedside's declared outputs."""


def _box(key: str, label: str, unit: str) -> html.Div:
    chans = channels.panels()[key]
    head = [html.Span(label, className="num-label"), html.Span(unit, className="num-unit")]
    value: list = [html.Span(fmt.DASH, id=f"num-{key}-value", className="num-value")]
    if chans[0].periodic:
        head.append(html.Span("", id=f"num-{key}-age", className="num-age"))
        sub = next((c for c in chans if c.secondary), chans[0])
        value.append(
            html.Span("", id=f"num-{key}-map", className="num-sub", style=channel_style(sub))
        )
    head.append(html.Span("", id=f"num-{key}-limits", className="num-limits"))
    return html.Div(
        [html.Div(head, className="num-head"), html.Div(value, className="num-line")],
        id=f"num-{key}-box",
        className=f"num-box num-{key.lower()}",
        style=channel_style(chans[0]),
    )


def layout() -> html.Div:
    return html.Div([_box(k, label, unit) for k, label, unit, _ in boxes()], className="numerics")


def alarm_classes(signals: SignalsView | None) -> dict[str, str]:
    """Per numeric box, the class of its highest active alarm ("" when none)."""
    out: dict[str, str] = {}
    if signals is None:
        return out
    box_of = channel_box()
    for a in signals.alarms:  # highest priority first
        box = box_of.get(str(a.channel))
        if box and box not in out and not a.technical:
            out[box] = f"alarm-{a.priority.lower()}"
    return out


def values(view: BedView) -> dict[str, str]:
    """Every numeric's text and class, keyed like the component ids."""
    limits = view.limits or {}
    classes = alarm_classes(view.signals)
    out: dict[str, str] = {}
    panels = channels.panels()
    for key, _, _, (lo, hi) in boxes():
        out[f"num-{key}-limits"] = fmt.limit_pair(limits.get(lo), limits.get(hi))
        out[f"num-{key}-box"] = f"num-box num-{key.lower()} {classes.get(key, '')}".strip()
        if panels[key][0].periodic:
            out.update(_periodic(view, key, panels[key]))
            if view.nibp_stale() and out[f"num-{key}-value"] != fmt.DASH:
                out[f"num-{key}-box"] += " stale"
        else:
            c = panels[key][0]
            out[f"num-{key}-value"] = fmt.num(view.value(c.id), c.precision)
    return out


def _periodic(view: BedView, key: str, chans: tuple[channels.ChannelInfo, ...]) -> dict[str, str]:
    """A measured panel: main/second value (NIBP sys/dia), the mean in brackets, its age."""
    last = view.last_nibp or {}
    main = [last.get(c.id, (None, None))[1] for c in chans if not c.secondary]
    sub = [last.get(c.id, (None, None))[1] for c in chans if c.secondary]
    digits = chans[0].precision
    first = main[0] if main else None
    out = {
        f"num-{key}-value": "/".join(fmt.num(v, digits) for v in main)
        if first is not None
        else fmt.DASH,
        f"num-{key}-map": f"({fmt.num(sub[0], digits)})" if sub and sub[0] is not None else "",
    }
    age = view.nibp_age_s()
    out[f"num-{key}-age"] = ("no reading yet" if age is None else fmt.age(age)) + every(view)
    return out


def every(view: BedView) -> str:
    """The cuff's program in this phase, as the nurse reads it: " · every 5 min" (the
    interval the session's protocol runs, with the scenario's own [nibp] in force)."""
    if view.nibp_interval_s is None:
        return ""
    return f" · every {view.nibp_interval_s / 60:g} min"
