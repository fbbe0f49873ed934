"""The review page's "Waveforms at alarm onsets", as plain functions (no browser): a
selector of every alarm onset and only the chosen strip drawn, from the store, every
sample on the dark panel; a session or an alarm without waves says so."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from dash import dcc, no_update
from wave_session import alarm_onsets, wave_values, write_session

from vitalsdash import channels
from vitalsdash.report import NO_WAVE_ALARM, NO_WAVES_SESSION, strip_trace_values
from vitalsdash.store import Store
from vitalsdash.ui import _runtime
from vitalsdash.ui.review import data as review_data
from vitalsdash.ui.review import page as review_page
from vitalsdash.ui.review import strips as review_strips

pytestmark = pytest.mark.unit

HOURS, ALARMS, GAP_ALARM = 0.5, 6, 4


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = Store(tmp_path_factory.mktemp("review-strips") / "strips.sqlite")
    gap = alarm_onsets(HOURS, ALARMS)[GAP_ALARM]
    write_session(s, hours=HOURS, n_alarms=ALARMS, missing=[(gap - 20, gap + 10)])
    write_session(s, hours=HOURS, n_alarms=ALARMS, waves=False, label="Chair 2")
    yield s
    s.close()


@pytest.fixture
def app(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The page's runtime (only its store is read here); the messages it shows."""
    monkeypatch.setattr(_runtime, "_runtime", SimpleNamespace(store=store, view=lambda _: None))
    review_data.clear_cache()
    said: list[str] = []
    monkeypatch.setattr(review_page, "notify", said.append)
    return said


def _find(component: Any, cid: str) -> Any:
    if getattr(component, "id", None) == cid:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, str):
            hit = _find(child, cid)
            if hit is not None:
                return hit
    return None


def _ids(component: Any) -> list[str]:
    out = [component.id] if isinstance(getattr(component, "id", None), str) else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, str):
            out += _ids(child)
    return out


def test_the_section_lists_every_onset_and_draws_only_the_first(app: list[str]) -> None:
    page = review_page.review_layout(session_id="1")
    ids = _ids(page)
    assert "review-strips-section" in ids
    assert ids.index("review-strips-section") > ids.index("review-episodes-section")
    section = _find(page, "review-strips-section")
    assert section.children[0].children == "Waveforms at alarm onsets"
    select = _find(section, "review-strip-select")
    labels = [o["label"] for o in select.options]
    assert len(labels) == ALARMS
    assert labels[0] == "0:02:00  HR high #1 (MEDIUM)"
    assert select.value == "0"
    graphs = [c for c in _find(section, "review-strip-body").children if isinstance(c, dcc.Graph)]
    assert len(graphs) == 1  # one strip drawn, whatever the number of alarms
    caption = _find(section, "review-strip-caption")
    assert caption.children == "HR high #1 · MEDIUM · onset 0:02:00 · 118 bpm (limit 110)"


def test_a_strip_has_every_sample_in_the_waves_colours(app: list[str]) -> None:
    body = review_page.strip_for(1, "2")
    graph = next(c for c in body if isinstance(c, dcc.Graph))
    onset = alarm_onsets(HOURS, ALARMS)[2]
    traces = {t["meta"]["wave"]: t for t in graph.figure["data"]}
    assert set(traces) == {c.id for c in channels.waves()}
    for wave, trace in traces.items():
        c = channels.get(wave)
        assert trace["line"]["color"] == c.colour
        t_rel, values = strip_trace_values(trace)
        assert values.size == 10 * c.sample_rate_hz  # not decimated on the page
        err = np.abs(values - wave_values(wave, onset + t_rel))
        assert err.max() <= trace["meta"]["scale"] + c.wave_scale
    assert graph.figure["layout"]["paper_bgcolor"] == review_strips.MONITOR.paper
    assert app == []


def test_an_alarm_without_waves_and_a_bad_choice(app: list[str]) -> None:
    body = review_page.strip_for(1, str(GAP_ALARM))
    assert not any(isinstance(c, dcc.Graph) for c in body)
    assert body[0].children == NO_WAVE_ALARM
    for bad in ("x", "99", None, "-1", "1" * 40):
        assert review_page.strip_for(1, bad) is no_update
    assert len(app) == 5
    assert "There is no alarm onset" in app[0]
    assert review_page.strip_for("nope", "0") is no_update  # an unknown session


def test_a_session_without_waves_says_so(app: list[str]) -> None:
    page = review_page.review_layout(session_id="2")
    section = _find(page, "review-strips-section")
    assert _find(section, "review-strips-none").children == NO_WAVES_SESSION
    assert _find(section, "review-strip-select") is None
