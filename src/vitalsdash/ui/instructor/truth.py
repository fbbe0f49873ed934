"""The patient's hidden state, for the instructor only: true vitals, Ce and the felt effects.

``source.truth()`` is noise-free and artefact-free (what the monitor would show with
perfect sensors), plus what no monitor measures: the effect-site concentration, the
dissociation, nausea and anxiety the simulated patient feels. Never shown to trainees.
"""

from __future__ import annotations

from typing import Any

from dash import html

from vitalsdash.ui import fmt

# key, label, unit, css class (colour of the matching monitor channel)
ITEMS: tuple[tuple[str, str, str, str], ...] = (
    ("hr", "HR", "bpm", "t-hr"),
    ("bp", "BP", "mmHg", "t-nibp"),
    ("spo2", "SpO₂", "%", "t-spo2"),
    ("rr", "RR", "/min", "t-rr"),
    ("ce", "Ce", "ng/mL", "t-drug"),
    ("dissociation", "Dissociation", "0–10", "t-feel"),
    ("nausea", "Nausea", "0–10", "t-feel"),
    ("anxiety", "Anxiety", "0–1", "t-feel"),
    ("pump", "Pump", "mg/kg/h", "t-drug"),
)
KEYS = tuple(k for k, *_ in ITEMS)


def truth_id(bed_id: str, key: str) -> dict[str, str]:
    return {"type": "ins-truth", "bed": bed_id, "k": key}


def values(truth: dict[str, float] | None) -> dict[str, str]:
    """The text of every item (a dash for what the source does not know)."""
    t = truth or {}

    def g(key: str, digits: int = 0) -> str:
        return fmt.num(t.get(key), digits)

    bp = fmt.DASH
    if t.get("sbp") is not None and t.get("dbp") is not None:
        bp = f"{g('sbp')}/{g('dbp')}"
        if t.get("map") is not None:
            bp += f" ({g('map')})"
    return {
        "hr": g("hr"),
        "bp": bp,
        "spo2": g("spo2"),
        "rr": g("rr"),
        "ce": g("ce"),
        "dissociation": g("dissociation", 1),
        "nausea": g("nausea", 1),
        "anxiety": g("anxiety", 2),
        "pump": g("pump_rate_mg_per_kg_h", 2),
    }


def panel(bed_id: str) -> html.Div:
    """The truth strip of one chair (values filled in by the tick)."""
    return html.Div(
        [
            html.Div(
                [
                    html.Div(label, className="truth-label"),
                    html.Div(
                        [
                            html.Span(fmt.DASH, id=truth_id(bed_id, key), className="truth-value"),
                            html.Span(unit, className="truth-unit"),
                        ],
                        className="truth-line",
                    ),
                ],
                className=f"truth {cls}",
                title=f"{label} ({unit}), true value",
                **{"data-key": key},
            )
            for key, label, unit, cls in ITEMS
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
