"""The instructor's patient files: a named virtual patient for a course of sessions, and
the form that starts the session of that patient's course that comes next.

A patient file is a scenario's patient drawn with one seed (the chair's Scenario and Seed
fields when it is created); every session of the course is that patient on another day
(docs/clinical-workflow.md, "A course of sessions"). What the form says comes from the
store through ``vitalsdash.course``, the numbering the runtime uses too.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from vitalsdash.course import (
    DEFAULT_SESSIONS,
    MAX_COURSE_SESSIONS,
    next_session_number,
    session_words,
)
from vitalsdash.store import Store
from vitalsdash.ui.instructor.forms import button, labelled

__all__ = ["next_words", "options", "panel", "parse_patient", "started_words"]


def ids(kind: str, bed_id: str) -> dict[str, str]:
    return {"type": f"ins-{kind}", "bed": bed_id}


def _facts(facts: dict[str, Any]) -> str:
    parts = []
    if facts.get("age_years"):
        parts.append(f"{facts['age_years']:.0f} y")
    if facts.get("sex"):
        parts.append(str(facts["sex"]))
    if facts.get("weight_kg"):
        parts.append(f"{facts['weight_kg']:g} kg")
    if facts.get("hypertension") and facts["hypertension"] != "none":
        parts.append(f"hypertension {facts['hypertension']}")
    return " ".join(parts)


def options(patients: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The patient files as the chair's list shows them, newest first:
    "Mrs Jane Doe · uneventful-depression · 2 of 6 given"."""
    return [
        {"label": f"{p['name']} · {p['scenario']} · {p.get('sessions_given', 0)} of "
                  f"{p['sessions_planned']} given", "value": str(p["id"])}
        for p in reversed(patients)
    ]  # fmt: skip


def parse_patient(value: Any) -> int | None:
    """The chosen patient's id (the list's value, from the browser), or None."""
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def next_words(store: Store, value: Any) -> tuple[str, str]:
    """(what the form will start, who the patient is) for the chosen patient:
    ("Session 3 of 6 for Mrs Jane Doe", "52 y female 71 kg · seed 4242 · last 2026-04-06")."""
    pid = parse_patient(value)
    row = None if pid is None else store.patient(pid)
    if row is None:
        return "Choose a patient, or create one below.", ""
    given = store.course(pid)  # type: ignore[arg-type]
    n = next_session_number(c["session_number"] for c in given)
    about = [_facts(row["facts"] or {}), f"{row['scenario']}, seed {row['seed']}"]
    if given and given[-1]["started_wall"] is not None:
        about.append(f"last session {given[-1]['started_wall']:%Y-%m-%d}")
    who = " · ".join(x for x in about if x)
    if n > MAX_COURSE_SESSIONS:
        return f"{row['name']} has had all {MAX_COURSE_SESSIONS} sessions.", who
    return session_words(n, row["sessions_planned"], row["name"]), who


def started_words(store: Store, session_id: int) -> str:
    """ "Session 3 of 6 for Mrs Jane Doe started" (after start_session with a patient)."""
    found = store.course_of(session_id)
    row = None if found is None else store.patient(found["patient_id"])
    if found is None or row is None:
        return "Session started"
    return f"{session_words(found['session_number'], row['sessions_planned'], row['name'])} started"


def panel(bed_id: str) -> html.Div:
    """The chair's patient files: choose one and start its next session, or create one
    from the Scenario and Seed above."""
    return html.Div(
        [
            html.H4("Course of sessions", className="ins-sub"),
            labelled(
                "Patient",
                dbc.Select(id=ids("course-patient", bed_id), options=[], size="sm",
                           placeholder="Choose a patient"),
                cls="field field-wide",
            ),
            html.Div(
                [
                    html.Span("", id=ids("course-next", bed_id), className="ins-course-next"),
                    html.Span("", id=ids("course-who", bed_id), className="ins-course-who"),
                ],
                className="ins-course-line",
                role="status",
            ),
            html.Div(
                button("Start this session", ids("course-btn", bed_id), "go",
                       title="Start the session of the chosen patient's course that comes next"),
                className="btn-row",
            ),
            html.Details(
                [
                    html.Summary("New patient file"),
                    html.Div(
                        [
                            labelled("Name", dbc.Input(id=ids("pname", bed_id), type="text",
                                                       size="sm", maxLength=64,
                                                       placeholder="e.g. Mrs Jane Doe"),
                                     cls="field field-wide"),
                            labelled("Sessions", dbc.Input(id=ids("psessions", bed_id),
                                                           type="number", step=1, min=1,
                                                           max=MAX_COURSE_SESSIONS, size="sm",
                                                           value=DEFAULT_SESSIONS),
                                     cls="field field-seed"),
                            html.Div(
                                button("Create patient", ids("newpatient-btn", bed_id),
                                       title="The Scenario above with the Seed above (a new "
                                       "seed when empty) becomes this patient"),
                                className="btn-row field-buttons",
                            ),
                        ],
                        className="start-form",
                    ),
                ],
                className="ins-new-patient",
            ),
        ],
        className="course-form",
    )  # fmt: skip
