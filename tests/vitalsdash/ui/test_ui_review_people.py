"""The review page names the person for each action a logged-in person did (the report's
words: one row builder for both)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from named_session import NAME, named_session

from vitalsdash.report import clock
from vitalsdash.ui.review import data as review_data
from vitalsdash.ui.review import metrics as review_metrics

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, float]]:
    store, sid, paused_at, _ = named_session(tmp_path_factory.mktemp("people") / "s.sqlite")
    review_data.clear_cache()
    try:
        yield review_data.load(store, sid), paused_at
    finally:
        review_data.clear_cache()
        store.close()


def _texts(component: Any) -> list[str]:
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [t for c in component for t in _texts(c)]
    children = getattr(component, "children", None)
    return [] if children is None else _texts(children)


def test_the_action_log_names_the_person_or_the_role(loaded: tuple[Any, float]) -> None:
    got, paused_at = loaded
    texts = _texts(review_metrics.actions_section(got.data))
    assert texts.count(f"{NAME} (trainee)") == 2  # the start and the pause
    at = texts.index("pause_pump")  # a row reads: at, by, action, ...
    assert texts[at - 2 : at + 1] == [clock(paused_at), f"{NAME} (trainee)", "pause_pump"]
    assert "trainee" in texts  # the acknowledgements, with no login: as before


def test_the_expected_responses_say_who_did_it(loaded: tuple[Any, float]) -> None:
    got, paused_at = loaded
    rows = review_metrics.expected_rows(got.debrief)
    done = [t for _, cells in rows for t in _texts(cells) if t.startswith("Pump paused")]
    assert done == [f"Pump paused at {clock(paused_at)} by {NAME}"]
