"""The patient's hidden state, for the instructor only: true vitals, Ce and the felt effects.

``source.truth()`` is noise-free and artefact-free (what the monitor would show with
perfect sensors), plus what no monitor measures: the effect-site concentration, the
dissociation, nausea and anxiety the simulated patient feels. Never shown to trainees.
The boxes follow the simulator's truth keys: a channel is shown as the channel registry
says (label, unit, decimals, its panel's colour; a panel's channels in one box), a felt
item as the simulator adapter says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dash import html

from vitalsdash import channels
from vitalsdash.adapters.simulator import FELT, TRUTH_KEYS
from vitalsdash.ui import fmt


@dataclass(frozen=True, slots=True)
class Item:
    """One box of the strip: a panel of the channel registry (NIBP's systolic, diastolic
    and mean in one) or a felt item of the simulator. ``key`` is its panel id (or the felt
    item's key): the box's ``data-key`` and the tick's slot."""

    key: str
    label: str
    unit: str
    css: str  # the colour class (assets/console.css): its panel's, the drug's or the felt's
    main: tuple[str, ...]  # truth keys shown "sys/dia"
    extra: tuple[str, ...] = ()  # shown after them in brackets (the mean)
    precision: int = 0
    colour: str = ""  # its channel's colour from the registry ("": the class's)


def _item(key: str, keys: list[str]) -> Item | None:
    """The box of a panel's channels (``keys``) or of a felt item; None for a key the
    strip cannot name."""
    if not channels.is_known(keys[0]):
        f = FELT.get(key)
        return None if f is None else Item(key, f.label, f.unit, f.css, (key,), (), f.precision)
    chans = [channels.get(k) for k in keys]
    first = chans[0]
    css = f"t-{key.lower()}" if first.shown else "t-drug"
    if len(chans) > 1:
        css += " truth-wide"
    main = tuple(c.id for c in chans if not c.secondary)
    extra = tuple(c.id for c in chans if c.secondary)
    colour = first.colour if first.shown else ""
    return Item(key, first.panel_label, first.unit, css, main, extra, first.precision, colour)


def _items() -> tuple[Item, ...]:
    """The simulator's truth keys as boxes, in its order; a panel's channels in one box."""
    grouped: dict[str, list[str]] = {}
    for key in TRUTH_KEYS:
        panel = channels.get(key).panel if channels.is_known(key) else key
        grouped.setdefault(panel, []).append(key)
    items = (_item(key, keys) for key, keys in grouped.items())
    return tuple(i for i in items if i is not None)


ITEMS: tuple[Item, ...] = _items()
KEYS = tuple(i.key for i in ITEMS)


def truth_id(bed_id: str, key: str) -> dict[str, str]:
    return {"type": "ins-truth", "bed": bed_id, "k": key}


def _text(item: Item, t: dict[str, float]) -> str:
    """The box's text, "151/90 (111)": the main values joined, the extra ones in brackets;
    a dash unless every main value is known."""
    if any(t.get(k) is None for k in item.main):
        return fmt.DASH
    text = "/".join(fmt.num(t[k], item.precision) for k in item.main)
    extra = [fmt.num(t[k], item.precision) for k in item.extra if t.get(k) is not None]
    return text + "".join(f" ({x})" for x in extra)


def values(truth: dict[str, float] | None) -> dict[str, str]:
    """The text of every item (a dash for what the source does not know)."""
    t = truth or {}
    return {i.key: _text(i, t) for i in ITEMS}


def panel(bed_id: str) -> html.Div:
    """The truth strip of one chair (values filled in by the tick)."""
    return html.Div(
        [
            html.Div(
                [
                    html.Div(i.label, className="truth-label"),
                    html.Div(
                        [
                            html.Span(
                                fmt.DASH, id=truth_id(bed_id, i.key), className="truth-value"
                            ),
                            html.Span(i.unit, className="truth-unit"),
                        ],
                        className="truth-line",
                    ),
                ],
                className=f"truth {i.css}",
                style={"--ch": i.colour} if i.colour else None,
                title=f"{i.label} ({i.unit}), true value",
                **{"data-key": i.key},
            )
            for i in ITEMS
        ],
        className="truth-grid",
        role="group",
        **{"aria-label": "Hidden patient state (instructor only)"},
    )


def session_line(row: dict[str, Any] | None, seed_fallback: Any = None) -> str:
    """Scenario, seed and patient of a stored session, in one line."""
    if not row:
        return ""
    parts = [str(row.get("scenario") or "")]
    seed = row.get("seed", seed_fallback)
    if seed is not None:
        parts.append(f"seed {seed}")
    p = row.get("patient") or {}
    who = []
    if p.get("age_years"):
        who.append(f"{p['age_years']:.0f} y")
    if p.get("sex"):
        who.append(str(p["sex"]))
    if p.get("weight_kg"):
        who.append(f"{p['weight_kg']:g} kg")
    if p.get("hypertension") and p["hypertension"] != "none":
        who.append(f"hypertension {p['hypertension']}")
    if who:
        parts.append(" ".join(who))
    return " · ".join(x for x in parts if x)
