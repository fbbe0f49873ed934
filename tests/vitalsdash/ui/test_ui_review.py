"""The review page's pieces and callbacks called as plain functions (no browser)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from dash import html, no_update

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import compute_debrief, session_from_store
from vitalsdash.feed import Feed
from vitalsdash.report import clock, duration, table_bytes, timeline_figure
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui import _runtime, theme
from vitalsdash.ui.review import data as review_data
from vitalsdash.ui.review import downloads as review_downloads
from vitalsdash.ui.review import figure as review_figure
from vitalsdash.ui.review import list as review_list
from vitalsdash.ui.review import metrics as review_metrics
from vitalsdash.ui.review import page as review_page

pytestmark = pytest.mark.unit

NOTE = "<script>alert(1)</script> <img src=x onerror=alert(2)>"
REVIEW_CSS = theme.ASSETS / "review.css"


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A short hypertensive session (an alarm, an acknowledgement, a note), ended."""
    beds = [BedConfig(id="rv", scenario="hypertensive-responder", seed=12, autostart=False)]
    store = Store(str(tmp_path_factory.mktemp("review") / "review.sqlite"))
    runtime = Runtime(ClinicConfig(clinic=ClinicSection(), beds=beds), store, Feed(store),
                      clock=ManualClock())  # fmt: skip
    runtime.start()
    runtime.submit("rv", "start_session", {}, "instructor")
    for _ in range(80):
        runtime.advance(10)
        for a in runtime.bed_summary("rv")["session"]["alarms"]:
            if not a["acknowledged"]:
                runtime.submit("rv", "acknowledge", {"condition": a["condition"]})
    runtime.submit("rv", "chart", {"kind": "note", "text": NOTE})
    yield runtime
    store.close()


@pytest.fixture
def app_runtime(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """The runtime the page's callbacks see, restored afterwards."""
    monkeypatch.setattr(_runtime, "_runtime", rt)
    review_data.clear_cache()
    return rt


def _sid(rt: Runtime) -> int:
    return rt.beds["rv"].session.session_id


def _texts(component: Any) -> list[str]:
    """Every string in a component tree, in order."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [t for c in component for t in _texts(c)]
    children = getattr(component, "children", None)
    return [] if children is None else _texts(children)


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


@pytest.mark.parametrize("raw", ["abc", "", None, "-1", "1.5", "9" * 30])
def test_a_session_id_that_is_not_a_number_is_refused(raw: Any) -> None:
    with pytest.raises(review_data.ReviewError, match="There is no session"):
        review_data.parse_session_id(raw)


def test_loading_is_cached_until_the_session_moves_on(rt: Runtime) -> None:
    review_data.clear_cache()
    sid = _sid(rt)
    first = review_data.load(rt.store, sid)
    assert review_data.load(rt.store, sid) is first
    assert first.figure("measured") is first.figure("measured")
    rt.advance(5)
    again = review_data.load(rt.store, sid)
    assert again is not first
    assert again.debrief.end_t_s == first.debrief.end_t_s + 5
    with pytest.raises(review_data.ReviewError, match="There is no session 4242"):
        review_data.load(rt.store, 4242)


def test_the_figure_is_the_reports_timeline_in_dark_colours(rt: Runtime) -> None:
    loaded = review_data.load(rt.store, _sid(rt))
    fig = loaded.figure("measured")
    report = timeline_figure(loaded.data, loaded.debrief, width=None)
    assert [t["name"] for t in fig["data"]] == [t.name for t in report.data]
    hr = fig["data"][review_figure.trace_index(fig, "HR")]
    assert hr["line"]["color"] == theme.PALETTE["hr"]
    assert fig["layout"]["paper_bgcolor"] == theme.PALETTE["panel"]
    assert fig["layout"]["uirevision"] == f"review-{loaded.session_id}"
    ack = review_figure.trace_index(fig, "acknowledged")
    assert ack is not None
    assert fig["data"][ack]["marker"]["color"] == theme.PALETTE["text"]


def test_the_true_values_come_from_the_noise_free_column(rt: Runtime) -> None:
    data = session_from_store(rt.store, _sid(rt))
    db = compute_debrief(data)
    hr = data.samples[data.samples["channel"] == "HR"]
    measured = timeline_figure(data, db, values="measured")
    true = timeline_figure(data, db, values="true")
    y_measured = np.asarray(next(t for t in measured.data if t.name == "HR").y, dtype=float)
    y_true = np.asarray(next(t for t in true.data if t.name == "HR").y, dtype=float)
    np.testing.assert_allclose(y_true, hr["true_value"].to_numpy(np.float32), rtol=1e-6)
    assert not np.allclose(np.nan_to_num(y_measured), np.nan_to_num(y_true))
    with pytest.raises(ValueError, match="values must be one of"):
        timeline_figure(data, db, values="smoothed")


def test_the_values_callback_swaps_the_figure(app_runtime: Runtime) -> None:
    sid = _sid(app_runtime)
    measured = review_page.figure_for(sid, "measured")
    true = review_page.figure_for(sid, "true")
    i = review_figure.trace_index(measured, "HR")
    assert measured["data"][i]["y"] != true["data"][i]["y"]
    assert measured["layout"]["uirevision"] == true["layout"]["uirevision"]  # zoom kept
    zoomed = review_page.figure_for(sid, "true", [5.0, 9.5])
    axes = [k for k in zoomed["layout"] if k.startswith("xaxis")]
    assert len(axes) == 8  # HR, SpO2, RR, EtCO2, NIBP, the pump, the alarms, the activity
    assert all(zoomed["layout"][k]["range"] == [5.0, 9.5] for k in axes)
    assert true["layout"]["xaxis"].get("range") != [5.0, 9.5]  # the cached figure is intact
    assert review_page.figure_for(sid, "true", [9, 1]) == true  # not a range: whole session


@pytest.mark.parametrize(("table", "fmt"), [("samples", "csv"), ("episodes", "parquet")])
def test_a_download_is_the_export_table(app_runtime: Runtime, table: str, fmt: str) -> None:
    sid = _sid(app_runtime)
    got = review_page.download_for(sid, review_downloads.button_id(table, fmt))
    data = session_from_store(app_runtime.store, sid)
    assert base64.b64decode(got["content"]) == table_bytes(data, table, fmt)
    assert got["filename"] == f"session-{sid}-{table}.{fmt}"
    assert review_page.download_for(sid, "review-report-btn") is no_update
    assert review_page.report_for(sid, None) is no_update


def test_the_report_download_is_one_escaped_html_file(app_runtime: Runtime) -> None:
    loaded = review_data.load(app_runtime.store, _sid(app_runtime))
    got = review_downloads.report_download(loaded)
    assert got["filename"].endswith("-report.html")
    assert got["content"].startswith("<!DOCTYPE html>")
    assert NOTE not in got["content"]


def test_the_metrics_are_the_debriefs(rt: Runtime) -> None:
    loaded = review_data.load(rt.store, _sid(rt))
    db = loaded.debrief
    s = db.summary()
    items = {k: v for k, v, _ in review_metrics.summary_items(db)}
    assert items["episodes"] == str(s["episodes"])
    assert items["never-acked"] == str(s["never_acknowledged"])
    assert items["median-ack"] == (duration(s["median_time_to_ack_s"]) or "–")
    rows = review_metrics.episode_rows(db)
    assert [r[1][0] for r in rows] == [f"{db.words(e.condition)} #{e.number}" for e in db.episodes]
    assert [r[1][2] for r in rows] == [clock(e.start_t_s) for e in db.episodes]
    acked = [e for e in db.episodes if e.ack_t_s is not None]
    assert acked, "the fixture acknowledges its alarms"
    assert {r[1][7] for r in rows if isinstance(r[1][7], str)} == {
        f"{duration(e.time_to_ack_s)} ({e.ack_actor})" for e in acked
    }


def test_a_note_is_a_plain_string_in_the_page(rt: Runtime) -> None:
    section = review_metrics.observations_section(review_data.load(rt.store, _sid(rt)).data)
    assert NOTE in _texts(section)  # a text child: Dash escapes it
    assert "dangerouslySetInnerHTML" not in repr(section)


def test_an_unknown_session_gets_a_message(app_runtime: Runtime) -> None:
    page = review_page.review_layout(session_id="777777")
    error = _find(page, "review-error")
    assert error is not None
    assert "There is no session 777777" in error.children


def test_a_review_that_cannot_be_drawn_gets_a_message(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_loaded: Any) -> None:
        raise RuntimeError("no figure")

    monkeypatch.setattr(review_page, "_review", broken)
    page = review_page.review_layout(session_id=str(_sid(app_runtime)))
    assert "cannot be shown: no figure" in _find(page, "review-error").children


def test_the_cache_tells_stores_apart(rt: Runtime, tmp_path) -> None:
    other = Store(str(tmp_path / "other.sqlite"))
    try:
        beds = [BedConfig(id="o", scenario="uneventful-depression", seed=3, autostart=False)]
        o = Runtime(ClinicConfig(clinic=ClinicSection(), beds=beds), other, Feed(other),
                    clock=ManualClock())  # fmt: skip
        sid = o.submit("o", "start_session", {}, "instructor")["session_id"]
        o.advance(30)
        assert sid == _sid(rt)  # the same number in two stores
        mine, theirs = review_data.load(rt.store, sid), review_data.load(other, sid)
        assert theirs is not mine
        assert theirs.debrief.end_t_s == 30
    finally:
        other.close()


def test_the_review_layout_has_every_section(app_runtime: Runtime) -> None:
    page = review_page.review_layout(session_id=str(_sid(app_runtime)))
    for cid in ("review-summary", "review-timeline", "review-episodes", "review-discharge",
                "review-downloads", "review-observations", "review-values"):  # fmt: skip
        assert _find(page, cid) is not None, cid
    ranges = _find(page, "review-zoom-ranges").data
    assert ranges[0][0] == 0
    assert ranges[0][1] > 0


def test_the_session_list_is_newest_first(rt: Runtime) -> None:
    sessions = [
        {"id": i, "bed_id": "rv", "label": "RV", "status": s, "last_t_s": 65.0}
        for i, s in ((1, "ended"), (2, "interrupted"), (3, "running"))
    ]
    page = review_list.layout(sessions, {"rv"})
    body = _find(page, "review-list")
    rows = body.children[1].children
    assert [r.id for r in rows] == ["review-session-3", "review-session-2", "review-session-1"]
    assert "0:01:05" in _texts(rows[0])
    assert any("No session yet" in t for t in _texts(review_list.layout([], set())))


def test_phase_shades_turn_light_on_the_dark_panel() -> None:
    assert review_figure.on_dark("rgba(0,0,0,0.04)") == "rgba(255,255,255,0.06)"
    assert review_figure.on_dark("rgba(31,119,180,0.10)") == "rgba(31,119,180,0.15)"
    assert review_figure.on_dark("#123456") == "#123456"


def test_the_review_stylesheet_uses_only_the_checked_palette() -> None:
    """Every colour comes from monitor.css's palette, whose pairs test_ui_theme checks."""
    css = REVIEW_CSS.read_text(encoding="utf-8")
    assert re.findall(r"#[0-9a-fA-F]{3,8}\b", css) == []
    used = set(re.findall(r"var\(--([a-z0-9-]+)\)", css))
    assert used <= set(theme.PALETTE) | {"c"}, used - set(theme.PALETTE)


@pytest.mark.parametrize("bg", ["panel", "panel-2"])
@pytest.mark.parametrize("fg", ["text", "muted", "link", "ok", "medium", "high-text", "low"])
def test_review_text_colours_reach_aa_on_both_panels(fg: str, bg: str) -> None:
    """Cards and tables are panel; hovered rows, counts and buttons are panel-2."""
    assert theme.contrast(theme.PALETTE[fg], theme.PALETTE[bg]) >= 4.5


@pytest.mark.parametrize("bg", ["link", "ok", "medium", "muted"])
def test_dark_text_on_the_bright_fills_reaches_aa(bg: str) -> None:
    """The checked toggle and report button (link), the status badges, a disabled button."""
    assert theme.contrast(theme.PALETTE["bg"], theme.PALETTE[bg]) >= 4.5


def test_pieces_render_without_a_runtime() -> None:
    assert isinstance(review_metrics.table(("a",), [], "t", "empty"), html.P)
    assert review_metrics.num(float("nan")) == ""
    assert review_metrics.num(118.5) == "118.5"
