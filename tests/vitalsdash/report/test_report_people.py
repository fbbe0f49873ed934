"""The report names the person for each action a logged-in person did.

A stored session where "Ana Lima" (logged in as a trainee) started the infusion and
paused the pump at the systolic alarm, while the acknowledgements came from the bedside
with no login: the expected-responses table says "Pump paused at H:MM:SS by Ana Lima",
the actions table's "by" column "Ana Lima (trainee)", the start "Infusion started by Ana
Lima (trainee)"; the rows with no login read as before (the role alone).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
from named_session import NAME, named_session

from vitalsdash.debrief import compute_debrief, session_from_store
from vitalsdash.report import (
    ACTION_HEADERS,
    action_cells,
    clock,
    expected_rows,
    render_report,
    start_lines,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    store, sid, paused_at, user_id = named_session(tmp_path_factory.mktemp("people") / "s.sqlite")
    try:
        data = session_from_store(store, sid)
        yield {"data": data, "debrief": compute_debrief(data), "paused_at": paused_at,
               "rows": store.actions(sid), "user_id": user_id}  # fmt: skip
    finally:
        store.close()


def test_the_store_keeps_who_acted(stored: dict[str, Any]) -> None:
    named = {(r["kind"], r["user_id"], r["user_name"]) for r in stored["rows"] if r["user_name"]}
    ana = stored["user_id"]
    assert named == {("start_infusion", ana, NAME), ("pause_pump", ana, NAME)}
    acks = [r for r in stored["rows"] if r["kind"] == "acknowledge"]
    assert acks
    assert all(r["user_id"] is None and r["user_name"] is None for r in acks)


def test_the_expected_response_names_who_did_it(stored: dict[str, Any]) -> None:
    rows = expected_rows(stored["debrief"])
    done = [cells[6] for status, cells in rows if status in ("met", "late")]
    assert done == [f"Pump paused at {clock(stored['paused_at'])} by {NAME}"]


def test_the_actions_table_names_the_person_or_the_role(stored: dict[str, Any]) -> None:
    by = ACTION_HEADERS.index("by")
    cells = {a.kind: action_cells(a)[by] for a in stored["data"].actions}
    assert cells["pause_pump"] == f"{NAME} (trainee)"
    assert cells["start_infusion"] == f"{NAME} (trainee)"
    assert cells["acknowledge"] == "trainee"  # no login: as before
    assert cells["end_session"] == "instructor"


def test_the_report_shows_the_names(stored: dict[str, Any]) -> None:
    page = html.unescape(render_report(stored["data"], stored["debrief"], max_points=200))
    assert f"Pump paused at {clock(stored['paused_at'])} by {NAME}" in page
    assert f"<td>{NAME} (trainee)</td>" in page
    (cls, line), *_ = start_lines(stored["debrief"])
    assert cls == "caution"
    assert line.startswith(f"Infusion started by {NAME} (trainee) at {clock(600)} with caution")
    assert line in page
