"""The class pages' layouts and their callbacks' work, as plain functions.

``pages/classroom.py`` registers ``/class`` and ``/results/<user_id>`` (``me``: the
trainee asking) and wires the callbacks to the functions here, so they can be tested
without an app. Every function checks who is asking itself (``_who.viewer``): the
integrator's route guard comes first, this is the second lock on the same door.
"""

from __future__ import annotations

import logging
from typing import Any

from dash import dcc, html, no_update

from vitalsdash.classroom import class_table, summary_of, trainee_name, trainee_results
from vitalsdash.ui._runtime import get_runtime
from vitalsdash.ui.classroom import _who
from vitalsdash.ui.classroom import chairs as class_chairs
from vitalsdash.ui.classroom import code as class_code
from vitalsdash.ui.classroom import results as class_results
from vitalsdash.ui.classroom import table as class_table_ui

__all__ = [
    "ONLY_INSTRUCTOR",
    "class_layout",
    "new_code",
    "parse_user_ref",
    "results_layout",
    "save_chair",
]

log = logging.getLogger(__name__)

ONLY_INSTRUCTOR = "Only the instructor can see the class and every trainee's results."
NOT_LOGGED_IN = "Log in to see your results."
OWN_ONLY_TRAINEES = (
    "Results are kept for each trainee: yours show here once you log in as a trainee."
)
OPEN_DEMO_ME = (
    "Results are kept per trainee once logins are on. Until then, the class "
    "page shows every trainee's."
)


class UserRefError(ValueError):
    """An address naming no trainee; ``str()`` says why."""


def parse_user_ref(raw: Any) -> int:
    """The trainee's id from the address (``/results/3``), or UserRefError."""
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or len(text) > 18:
        raise UserRefError(
            f"There is no trainee {text[:40]!r}: open a trainee from the class page."
        )
    return int(text)


def notice(
    title: str, message: str, link: tuple[str, str] | None = None, element_id: str = "class-refused"
) -> html.Div:
    """A page that says why it shows nothing (refused, or nobody to show)."""
    parts: list[Any] = [
        html.H1(title, className="review-title"),
        html.P(message, id=element_id, className="review-error", role="alert"),
    ]
    if link is not None:
        parts.append(dcc.Link(link[0], href=link[1], id=f"{element_id}-link"))
    return html.Div(parts, className="page review-page class-page")


def refused(message: str = ONLY_INSTRUCTOR) -> html.Div:
    return notice("Not available", message)


# --- /class ---------------------------------------------------------------------------


def class_layout(**_: Any) -> html.Div:
    """``/class``: the class code, chair assignment and the class table (instructor)."""
    who = _who.viewer()
    if not who.instructor:
        return refused()
    rt = get_runtime()
    store = rt.store
    beds = rt.views().beds
    rows = class_table(store)
    return html.Div(
        [
            html.Header(
                [
                    html.H1("Class", className="review-title"),
                    html.P(
                        "The class code for trainees to join, who looks after which "
                        "chair, and each trainee's results. Reload the page for trainees "
                        "who joined since.",
                        className="review-note",
                    ),
                ],
                className="review-head",
            ),
            html.Div(
                [
                    class_code.card(class_code.current(store, rt.wall())),
                    class_chairs.section(beds, store.users("trainee"), store.chair_assignments()),
                ],
                className="class-top",
            ),
            class_table_ui.section(rows),
        ],
        className="page review-page class-page",
    )


def new_code(n_clicks: int | None) -> Any:
    """The "New class code" button: a new code (instructor only), shown at once."""
    if not n_clicks:
        return no_update
    who = _who.viewer()
    if not who.instructor:
        return [html.P(ONLY_INSTRUCTOR, className="review-error", id="class-code-value")]
    rt = get_runtime()
    now = rt.wall()
    class_code.renew(rt.store, who.user_id, now)
    return class_code.code_body(class_code.current(rt.store, now))


def save_chair(trigger: Any, value: Any) -> tuple[str, str]:
    """A chair's dropdown changed: save it (instructor only). (message, its class)."""
    who = _who.viewer()
    if not who.instructor:
        return ONLY_INSTRUCTOR, "class-msg review-bad"
    if not isinstance(trigger, dict) or trigger.get("type") != "class-chair":
        return "", "class-msg"
    rt = get_runtime()
    try:
        words = class_chairs.assign(
            rt.store, rt.views().beds, trigger.get("bed"), value, who.user_id, rt.wall()
        )
    except class_chairs.ChairError as exc:
        return str(exc), "class-msg review-bad"
    return words, "class-msg review-ok"


# --- /results/<user_id> and /results/me --------------------------------------------------


def _trainee_page(
    user_id: int, name: str, who: _who.Viewer, user_ref: int | str, back: tuple[str, str] | None
) -> html.Div:
    store = get_runtime().store
    summary = summary_of(user_id, name, trainee_results(store, user_id))
    return class_results.page(
        summary, user_ref=user_ref, see_hidden=who.see_hidden, link_review=who.instructor, back=back
    )


def results_layout(user_id: str | None = None, **_: Any) -> html.Div:
    """``/results/<user_id>`` (instructor: anyone's) and ``/results/me`` (a trainee: theirs)."""
    who = _who.viewer()
    if str(user_id) == "me":
        return _me(who)
    if not who.instructor:
        return refused()
    try:
        uid = parse_user_ref(user_id)
    except UserRefError as exc:
        return notice("Nobody to show", str(exc), ("← Class", "/class"), "results-error")
    name = trainee_name(get_runtime().store, uid)
    if name is None:
        return notice(
            "Nobody to show",
            f"There is no trainee {uid} in this class.",
            ("← Class", "/class"),
            "results-error",
        )
    return _trainee_page(uid, name, who, uid, ("← Class", "/class"))


def _me(who: _who.Viewer) -> html.Div:
    if who.open_demo:
        return notice("Your results", OPEN_DEMO_ME, ("Class page", "/class"), "results-open-demo")
    if who.trainee and who.user_id is not None:
        name = trainee_name(get_runtime().store, who.user_id) or who.name
        return _trainee_page(who.user_id, name, who, "me", None)
    if who.instructor:
        return notice(
            "Your results", OWN_ONLY_TRAINEES, ("Class page", "/class"), "results-open-demo"
        )
    return refused(NOT_LOGGED_IN if who.user_id is None else OWN_ONLY_TRAINEES)
