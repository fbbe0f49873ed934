"""Chair assignment: which trainee looks after which chair.

One row per chair of the clinic (the runtime's views, in the configured order), a
dropdown of the trainees with an account; a choice is saved at once
(``Store.assign_chair``). A logged-in trainee then acts only on their own chairs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

__all__ = ["ChairError", "assign", "rows", "section", "trainee_options"]

NOBODY = "Nobody"


class ChairError(ValueError):
    """A choice that cannot be saved; ``str()`` says why, in words."""


def trainee_options(trainees: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The dropdown's choices: nobody, then every trainee by name (the value is their
    user id, as text: a native select's values are)."""
    return [
        {"label": NOBODY, "value": ""},
        *({"label": str(u["name"]), "value": str(int(u["id"]))} for u in trainees),
    ]


def rows(
    beds: Sequence[Any],
    trainees: Sequence[Mapping[str, Any]],
    assigned: Mapping[str, Mapping[str, Any]],
) -> list[html.Tr]:
    """One row per chair: its name, the trainee on it (a dropdown) and a link to it."""
    options = trainee_options(trainees)
    out = []
    for bed in beds:
        who = assigned.get(bed.bed_id)
        value = "" if who is None else str(int(who["user_id"]))
        options_here = options
        if who is not None and all(o["value"] != value for o in options):
            # assigned to someone who is no longer a trainee: still shown as such
            options_here = [*options, {"label": str(who["name"]), "value": value}]
        out.append(
            html.Tr(
                [
                    html.Th(bed.label or bed.bed_id, scope="row", id=f"class-chair-{bed.bed_id}"),
                    html.Td(
                        html.Label(
                            [
                                html.Span(
                                    f"Trainee on {bed.label or bed.bed_id}",
                                    className="visually-hidden",
                                ),
                                dbc.Select(
                                    id={"type": "class-chair", "bed": bed.bed_id},
                                    options=options_here,
                                    value=value,
                                    size="sm",
                                    className="class-chair-select",
                                ),
                            ],
                            className="class-chair-label",
                        )
                    ),
                    html.Td(dcc.Link("Bedside", href=f"/bed/{bed.bed_id}")),
                ]
            )
        )
    return out


def section(
    beds: Sequence[Any],
    trainees: Sequence[Mapping[str, Any]],
    assigned: Mapping[str, Mapping[str, Any]],
) -> html.Section:
    if not beds:
        body: Any = html.P("This clinic has no chairs.", className="review-empty")
    else:
        body = html.Div(
            html.Table(
                [
                    html.Thead(
                        html.Tr(
                            [
                                html.Th("Chair", scope="col"),
                                html.Th("Trainee", scope="col"),
                                html.Th("", scope="col"),
                            ]
                        )
                    ),
                    html.Tbody(rows(beds, trainees, assigned)),
                ],
                className="table table-sm review-table class-chairs",
                id="class-chairs",
            ),
            className="review-table-wrap",
        )
    note = (
        "No trainee has joined yet: they join with the class code."
        if not trainees
        else "A trainee acts only on the chairs assigned to them; anyone can watch."
    )
    return html.Section(
        [
            html.H2("Chairs", className="review-h2"),
            html.P(note, className="review-note", id="class-chairs-note"),
            body,
            html.P(
                "",
                id="class-chair-msg",
                className="class-msg",
                role="status",
                **{"aria-live": "polite"},
            ),
        ],
        className="review-card",
        id="class-chairs-section",
    )


def assign(
    store: Any,
    beds: Sequence[Any],
    bed_id: Any,
    user_id: Any,
    by_user_id: int | None,
    now: datetime,
) -> str:
    """Save a dropdown's choice (from the browser: checked here); the words saying what
    was saved, or ChairError."""
    chairs = {b.bed_id: b for b in beds}
    if not isinstance(bed_id, str) or bed_id not in chairs:
        raise ChairError(f"There is no chair {str(bed_id)[:40]!r}.")
    label = chairs[bed_id].label or bed_id
    if user_id in (None, ""):
        store.assign_chair(bed_id, None, by_user_id, now)
        return f"{label}: nobody assigned."
    text = str(user_id)
    if isinstance(user_id, bool) or not text.isdigit() or len(text) > 18:
        raise ChairError("Choose a trainee from the list.")
    user = store.user(int(text))
    if user is None or user.get("role") != "trainee":
        raise ChairError("That trainee is no longer in the class: reload the page.")
    store.assign_chair(bed_id, int(text), by_user_id, now)
    return f"{label}: assigned to {user['name']}."
