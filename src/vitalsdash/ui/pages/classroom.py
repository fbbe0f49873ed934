"""The class: ``/class`` for the instructor (the class code for the projector, chair
assignment, the class table) and the results pages, ``/results/<user_id>`` (the
instructor: any trainee's) and ``/results/me`` (a trainee: their own).

The layouts and the callbacks' work live in ui/classroom/page.py (plain functions that
check who is asking); the CSV downloads are Flask routes (ui/classroom/downloads.py).
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, callback, ctx, no_update

from vitalsdash.ui.classroom import page as class_page

__all__ = ["layout"]


def _results_title(user_id: str | None = None, **_: Any) -> str:
    return "Your results · vitalsdash" if str(user_id) == "me" else "Results · vitalsdash"


dash.register_page(__name__, path="/class", name="Class", title="Class · vitalsdash")
dash.register_page(
    f"{__name__}_results",
    path_template="/results/<user_id>",
    name="Results",
    title=_results_title,
    layout=class_page.results_layout,
)


def layout(**kwargs: Any) -> Any:
    """``/class``: the instructor's class page, or why it is not shown."""
    return class_page.class_layout(**kwargs)


@callback(
    Output("class-code-body", "children"),
    Input("class-code-new", "n_clicks"),
    prevent_initial_call=True,
)
def class_new_code(n_clicks: int | None) -> Any:
    return class_page.new_code(n_clicks)


@callback(
    Output("class-chair-msg", "children"),
    Output("class-chair-msg", "className"),
    Input({"type": "class-chair", "bed": ALL}, "value"),
    prevent_initial_call=True,
)
def class_save_chair(_values: list[Any]) -> Any:
    if not ctx.triggered or ctx.triggered_id is None:
        return no_update, no_update
    return class_page.save_chair(ctx.triggered_id, ctx.triggered[0].get("value"))
