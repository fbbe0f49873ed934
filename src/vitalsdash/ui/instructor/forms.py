"""Form pieces shared by the instructor console and the settings page.

Buttons use the monitor palette (assets/console.css) rather than Bootstrap's colours, whose
white-on-green and white-on-orange do not reach WCAG AA contrast.
"""

from __future__ import annotations

import json
from typing import Any

from dash import Patch, html

__all__ = ["button", "dom_id", "labelled", "prepend_capped"]

VARIANTS = ("go", "warn", "danger", "plain")


def dom_id(component_id: Any) -> str:
    """The DOM id Dash gives a component: a dict id as sorted, compact JSON."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return str(component_id)


def labelled(label: Any, control: Any, hint: str = "", cls: str = "field") -> html.Div:
    """A form field: a label that names its control (``for`` its DOM id), the hint below."""
    return html.Div(
        [
            html.Label(label, htmlFor=dom_id(control.id), className="field-label"),
            control,
            html.Span(hint, className="field-hint") if hint else None,
        ],
        className=cls,
    )


def button(
    text: str, id: Any = None, variant: str = "plain", cls: str = "", **kw: Any
) -> html.Button:
    """A small console button: go (green), warn (yellow), danger (red outline), plain."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
    extra = {} if id is None else {"id": id, "n_clicks": 0}
    return html.Button(
        text, className=f"cbtn cbtn-{variant} {cls}".strip(), type="button", **extra, **kw
    )


def prepend_capped(new: list[Any], shown: int, cap: int) -> tuple[Patch, int]:
    """A Patch that puts ``new`` (newest first) on top of a list showing ``shown`` items
    and drops what falls past ``cap``; ``shown`` 0 means a placeholder, which goes.
    Returns the patch and how many items the list then shows."""
    p = Patch()
    if shown == 0:
        p.clear()
    for it in reversed(new):  # oldest first, so the newest ends on top
        p.prepend(it)
    total = shown + len(new)
    for i in range(total - 1, cap - 1, -1):
        del p[i]
    return p, min(total, cap)
