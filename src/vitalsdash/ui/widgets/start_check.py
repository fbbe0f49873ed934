"""Before the infusion: the pre-infusion checklist and the "Start infusion" button.

Shown while the session waits in its baseline (the bed view's ``pre_infusion``): one line
per item of the protocol's check, ✓ pass, ! caution, ✗ blocked, each with its words and
the limit used, drawn by assets/bedside.js from the tick's small parts (``wire_parts``).
The button sends ``start_infusion`` as the trainee; a caution start asks for a
confirmation first (pages/bedside.py), a blocked one is refused by the runtime and the
toast gives its reasons.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from vitalsdash.ui import dose_words

__all__ = ["MARK", "PART_KEYS", "card_class", "layout", "state", "status_data", "title",
           "wire_parts"]  # fmt: skip

MARK = {"pass": "✓", "caution": "!", "blocked": "✗"}
"""The marks and headlines are assets/bedside.js's (``startCheck``), by status."""
CARD = "panel-card start-card"

State = tuple[str, tuple[tuple[str, str, str], ...], str | None] | None
"""(status, items, hold reason), or None when the bed is not waiting to start."""


def state(view: Any) -> State:
    check = getattr(view, "pre_infusion", None)
    if check is None or view.phase != "baseline" or view.status != "running":
        return None
    return check.status, tuple(tuple(i) for i in check.items), view.infusion_hold_reason


def card_class(data: State) -> str:
    return CARD + (" start-hidden" if data is None else "")


def status_data(data: State, dose: Any = None) -> dict[str, Any] | None:
    """What the button's callback needs: the status, the reasons to confirm and what the
    button does (start an infusion, give a nasal dose)."""
    if data is None:
        return None
    status, items, _ = data
    verb = "Give the dose" if dose_words.is_nasal(dose) else "Start the infusion"
    return {"status": status, "reasons": [t for _, s, t in items if s != "pass"], "verb": verb}


def title(dose: Any) -> str:
    """The card's header: the check before an infusion, or before a nasal dose."""
    if dose_words.is_nasal(dose):
        return "Before the dose: pre-dose check"
    return "Before the infusion: pre-infusion check"


MAX_ITEMS = 16
"""Checklist lines the page can show (the protocol's check has 12)."""
CODE = {"pass": "p", "caution": "c", "blocked": "b"}
PART_KEYS = ("h", "n", *(f"i{k}" for k in range(MAX_ITEMS)))
"""The wire parts, each sent only when it changed (``ui/live/bedside``)."""


def wire_parts(data: State) -> dict[str, Any]:
    """The checklist as small parts: ``h`` [status, hold reason] (None: not waiting), ``n``
    the number of lines, ``i<k>`` [k, status code, words, item name] per line. The tick
    sends only the parts that changed (an HR going from 72 to 73 is one line, tens of
    bytes); assets/bedside.js keeps the lines and draws the list."""
    if data is None:
        return {"h": None, "n": 0}
    status, items, hold = data
    parts: dict[str, Any] = {"h": [CODE[status], hold], "n": min(len(items), MAX_ITEMS)}
    for k, (name, s, text) in enumerate(items[:MAX_ITEMS]):
        parts[f"i{k}"] = [k, CODE[s], text, name]
    return parts


def layout(dose: Any = None) -> dbc.Card:
    """The card for a session's ``dose`` (a DoseView); the tick keeps its words current."""
    return dbc.Card(
        [
            dbc.CardHeader(html.Span(title(dose), id="start-title")),
            dbc.CardBody(
                [
                    html.Div(id="start-check", className="start-check"),
                    dcc.Store(id="start-wire"),
                    html.Div(
                        [
                            dbc.Button(
                                dose_words.start_label(dose), id="start-infusion", color="success"
                            ),
                            html.Span(
                                dose_words.order_line(dose),
                                id="start-order",
                                className="start-order",
                            ),
                        ],
                        className="btn-row mt-2",
                    ),
                    dcc.ConfirmDialog(id="start-confirm"),
                    dcc.Store(id="start-status"),
                    dcc.Store(id="start-go", data=0),
                ]
            ),
        ],
        id="start-card",
        className=card_class(None),
    )
