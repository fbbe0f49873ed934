"""Session review in a real browser: the debrief's numbers, the values toggle, downloads,
escaped notes, unknown sessions and a 6-hour session that opens quickly.

The sessions reviewed here are written into the clinic's store by a second runtime (same
store, its own chairs, never started, so the clinic's sessions are left alone): one with
alarms, trainee actions and a hostile note, and one of six hours.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from infusion_start import start_infusion
from playwright.sync_api import Page, expect

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import (
    Debrief,
    SessionData,
    compute_debrief,
    done_words,
    response_words,
    session_from_store,
)
from vitalsdash.feed import Feed
from vitalsdash.report import clock, duration, table_bytes, timeline_figure
from vitalsdash.runtime import Runtime

pytestmark = pytest.mark.browser

HOSTILE = "<script>alert(1)</script> & <b>not bold</b>"
LONG_S = 6 * 3600
OPEN_BUDGET_S = 2.0
TRACE_Y = """(name) => {
    const gd = document.querySelector('#review-timeline .js-plotly-plot');
    if (!gd || !gd._fullData) return null;
    const t = gd._fullData.find(d => d.name === name);  // typed arrays decoded
    return t ? Array.from(t.y, v => (v === null ? NaN : Number(v))) : null;
}"""
RENDERED = """() => {
    const gd = document.querySelector('#review-timeline .js-plotly-plot');
    return !!(gd && gd._fullLayout && gd.data && gd.data.length
              && gd.querySelector('.scatterlayer .trace')
              && document.querySelector('#review-episodes'));
}"""


@dataclass
class Reviews:
    alarms: int
    long: int


def _debrief(store, session_id: int) -> tuple[SessionData, Debrief]:
    data = session_from_store(store, session_id)
    return data, compute_debrief(data)


def _alarm_session(rt: Runtime, bed: str) -> int:
    """Hypertensive responder through its surge: two alarms acknowledged, the pump paused
    at the first SYS alarm, a note and an alertness score charted, then discharged."""
    sid = rt.submit(bed, "start_session", {}, "instructor")["session_id"]
    acked: set[str] = set()
    paused = False
    for _ in range(330):
        rt.advance(10)
        if rt.bed_summary(bed)["session"]["t_s"] == 600:  # the end of the baseline
            start_infusion(rt, bed)
        for a in rt.bed_summary(bed)["session"]["alarms"]:
            c = a["condition"]
            if not a["acknowledged"] and len(acked) < 2 and c not in acked:
                rt.submit(bed, "acknowledge", {"condition": c})
                acked.add(c)
            if c.startswith("SYS") and not paused:
                rt.submit(bed, "pause_pump", {})
                paused = True
    rt.submit(bed, "chart", {"kind": "note", "text": HOSTILE})
    rt.submit(bed, "chart", {"kind": "alertness", "value": 9})
    rt.submit(bed, "end_session", {}, "instructor")
    return sid


def _long_session(rt: Runtime, bed: str) -> int:
    sid = rt.submit(bed, "start_session", {}, "instructor")["session_id"]
    rt.advance(900)  # the scenario's 15-minute baseline, then its infusion starts
    start_infusion(rt, bed)
    rt.advance(300)
    for _ in range(LONG_S // 600 - 2):
        rt.advance(600)
    rt.submit(bed, "chart", {"kind": "note", "text": "six hours"})
    rt.submit(bed, "end_session", {}, "instructor")
    return sid


@pytest.fixture(scope="module")
def reviews(clinic) -> Reviews:
    beds = [
        BedConfig(id="rv-alarms", label="Review A", scenario="hypertensive-responder", seed=12),
        BedConfig(
            id="rv-long",
            label="Review B",
            scenario="chronic-pain-4h",
            protocol="chronic-pain-4h",
            seed=5,
        ),
    ]
    store = clinic.runtime.store
    rt = Runtime(
        ClinicConfig(clinic=ClinicSection(name="review", speed=60), beds=beds),
        store,
        Feed(store),
        clock=ManualClock(),
    )
    return Reviews(_alarm_session(rt, "rv-alarms"), _long_session(rt, "rv-long"))


def _wait_for_new_values(page: Page, trace: str, before: list[float]) -> None:
    """Until the trace's plotted values are no longer ``before`` (NaN-safe)."""
    page.wait_for_function(
        """([name, before]) => {
            const gd = document.querySelector('#review-timeline .js-plotly-plot');
            const t = gd && gd._fullData && gd._fullData.find(d => d.name === name);
            if (!t) return false;
            const y = Array.from(t.y, v => (v === null ? null : Number(v)));
            const key = a => JSON.stringify(a.map(v => (Number.isFinite(v) ? v : null)));
            return key(y) !== key(before);
        }""",
        arg=[trace, before],
    )


def _cells(page: Page, table_id: str) -> list[list[str]]:
    return page.evaluate(
        """(id) => Array.from(document.querySelectorAll('#' + id + ' tbody tr'),
            tr => Array.from(tr.cells, td => td.innerText.trim()))""",
        table_id,
    )


def test_the_review_shows_the_debrief(page: Page, clinic, reviews: Reviews, errors) -> None:
    data, db = _debrief(clinic.runtime.store, reviews.alarms)
    assert db.episodes, "the session must exercise every metric"
    assert db.expected
    assert db.suppressed
    page.goto(f"{clinic.url}/review/{reviews.alarms}")
    s = db.summary()
    expect(page.locator("#review-card-episodes")).to_have_text(str(s["episodes"]))
    expect(page.locator("#review-card-never-acked")).to_have_text(str(s["never_acknowledged"]))
    expect(page.locator("#review-card-silenced")).to_have_text(str(s["silenced_unresolved"]))
    expect(page.locator("#review-card-suppressed")).to_have_text(str(s["suppressed"]))
    expect(page.locator("#review-card-median-ack")).to_have_text(
        duration(s["median_time_to_ack_s"])
    )
    expect(page.locator("#review-card-median-action")).to_have_text(
        duration(s["median_time_to_action_s"])
    )
    exp = s["expected"]
    expect(page.locator("#review-card-expected")).to_have_text(
        f"{exp['met']} / {exp['late']} / {exp['missed']}"
    )

    rows = _cells(page, "review-episodes")
    assert len(rows) == len(db.episodes)
    for row, e in zip(rows, db.episodes, strict=True):
        assert row[0] == f"{db.words(e.condition)} #{e.number}"
        assert row[1].endswith(e.priority)
        assert row[2] == clock(e.start_t_s)
        assert row[3].startswith("still active" if e.end_t_s is None else clock(e.end_t_s))
        assert ("latched" in row[3]) == e.latched
        assert row[4] == duration(e.duration_s)
        ack = "never" if e.ack_t_s is None else f"{duration(e.time_to_ack_s)} ({e.ack_actor})"
        assert row[7] == ack
        act = e.first_action_kind and f"{e.first_action_kind} after {duration(e.time_to_action_s)}"
        assert row[8] == (act or "–")
    assert sum(r[7] == "never" for r in rows) == len(db.never_acknowledged)

    silenced = _cells(page, "review-silenced") if db.silenced_unresolved else []
    assert [r[0] for r in silenced] == [
        f"{db.words(x.episode.condition)} #{x.episode.number}" for x in db.silenced_unresolved
    ]
    counts = page.evaluate(
        """() => Object.fromEntries(Array.from(
            document.querySelectorAll('#review-suppressed-by li'),
            li => [li.dataset.condition, Number(li.querySelector('.count').innerText)]))"""
    )
    assert counts == db.suppressed_by_condition

    expected = _cells(page, "review-expected")
    assert len(expected) == len(db.expected)
    for row, r in zip(expected, db.expected, strict=True):
        assert row[0] == r.status.replace("_", " ")
        assert row[1:3] == [db.words(r.trigger_condition), clock(r.trigger_t_s)]
        assert row[3] == response_words(r.do)  # "pause the pump or change the rate"
        assert row[5] == clock(r.deadline_t_s)
        done = f"{done_words(r.action_kind)} at {clock(r.action_t_s)}" if r.action_kind else "–"
        assert row[6] == done
        assert row[7] == (duration(r.response_s) or "–")

    d = db.discharge
    expect(page.locator("#review-discharge .review-verdict")).to_have_text(d.verdict)
    if d.decided:
        expect(page.locator("#review-discharge-lines")).to_contain_text(
            f"Session ended by {d.actor} at {clock(d.t_s)}."
        )
    marks = page.locator("#review-criteria .crit-mark").all_inner_texts()
    assert marks == ["✓" if c.met else "✗" for c in d.criteria]
    assert len(_cells(page, "review-actions")) == len(data.actions)
    assert errors == []


def test_the_values_toggle_redraws_from_the_true_values(
    page: Page, clinic, reviews: Reviews, errors
) -> None:
    data, db = _debrief(clinic.runtime.store, reviews.alarms)
    page.goto(f"{clinic.url}/review/{reviews.alarms}")
    page.wait_for_function(RENDERED)
    measured = page.evaluate(TRACE_Y, "HR")
    page.get_by_text("Noise-free", exact=True).click()
    _wait_for_new_values(page, "HR", measured)
    true_y = np.array(page.evaluate(TRACE_Y, "HR"), dtype=float)
    fig = timeline_figure(data, db, width=None, values="true")
    want = np.array(next(t for t in fig.data if t.name == "HR").y, dtype=float)
    assert true_y.shape == want.shape
    np.testing.assert_allclose(true_y, want, rtol=1e-6)
    assert not np.allclose(np.nan_to_num(true_y), np.nan_to_num(np.array(measured, float)))
    page.get_by_text("Measured", exact=True).click()
    _wait_for_new_values(page, "HR", true_y.tolist())
    assert page.evaluate(TRACE_Y, "HR") == pytest.approx(measured, nan_ok=True)
    assert errors == []


@pytest.mark.parametrize(("table", "fmt", "label"), [
    ("samples", "csv", "Samples"),
    ("alarm_events", "csv", "Alarm log"),
    ("observations", "parquet", "Charted observations"),
])  # fmt: skip
def test_a_download_is_the_export_table(
    page: Page, clinic, reviews: Reviews, errors, table: str, fmt: str, label: str
) -> None:
    data, db = _debrief(clinic.runtime.store, reviews.alarms)
    page.goto(f"{clinic.url}/review/{reviews.alarms}")
    button = page.locator(f'[title="{label} as {"CSV" if fmt == "csv" else "Parquet"}"]')
    with page.expect_download() as dl:
        button.click()
    got = Path(dl.value.path()).read_bytes()
    assert dl.value.suggested_filename.endswith(f".{fmt}")
    assert got == table_bytes(data, table, fmt, debrief=db)
    assert errors == []


def test_the_html_report_downloads(page: Page, clinic, reviews: Reviews, errors) -> None:
    page.goto(f"{clinic.url}/review/{reviews.alarms}")
    with page.expect_download() as dl:
        page.locator("#review-report-btn").click()
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert f"Debrief — Session {reviews.alarms}" in text
    assert HOSTILE not in text  # escaped there too
    assert errors == []


def test_a_note_is_shown_as_text(page: Page, clinic, reviews: Reviews, errors) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{clinic.url}/review/{reviews.alarms}")
    note = page.locator("#review-observations td", has_text="alert(1)")
    expect(note).to_have_text(HOSTILE)
    assert page.locator("#review-observations script, #review-observations b").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []
    assert errors == []


@pytest.mark.parametrize(("path", "says"), [
    ("/review/999999", "There is no session 999999"),
    ("/review/abc", "There is no session 'abc'"),
])  # fmt: skip
def test_an_unknown_session_says_so(page: Page, clinic, errors, path: str, says: str) -> None:
    response = page.goto(clinic.url + path)
    assert response is not None
    assert response.status == 404  # and the page says why
    expect(page.locator("#review-error")).to_contain_text(says)
    assert "Traceback" not in page.content()
    expect(page.get_by_role("link", name="← All sessions")).to_be_visible()
    assert [e for e in errors if "status of 404" not in e] == []  # Chromium logs the 404


def test_a_running_session_can_be_reviewed(page: Page, clinic, errors) -> None:
    sid = clinic.runtime.beds["chair2"].session.session_id
    _, db = _debrief(clinic.runtime.store, sid)
    page.goto(f"{clinic.url}/review/{sid}")
    expect(page.locator("#review-running")).to_contain_text(f"as of {clock(db.end_t_s)}")
    expect(page.locator("#review-card-episodes")).to_have_text(str(len(db.episodes)))
    page.wait_for_function(RENDERED)
    assert errors == []


def test_the_session_list_is_newest_first(page: Page, clinic, reviews: Reviews, errors) -> None:
    page.goto(clinic.url + "/review")
    expect(page.locator(f"#review-session-{reviews.long}")).to_be_visible()
    ids = [int(i.split("-")[-1]) for i in page.locator("#review-list tbody tr").evaluate_all(
        "rows => rows.map(r => r.id)")]  # fmt: skip
    stored = [s["id"] for s in clinic.runtime.store.sessions()]
    assert ids == sorted(stored, reverse=True)
    row = page.locator(f"#review-session-{reviews.alarms}")
    expect(row).to_contain_text("Review A")
    expect(row).to_contain_text("ended")
    row.get_by_role("link", name=f"Session {reviews.alarms}").click()
    expect(page.locator("#review-card-episodes")).to_be_visible()
    expect(page).to_have_url(f"{clinic.url}/review/{reviews.alarms}")
    assert errors == []


def test_the_navbar_links_to_the_review(page: Page, clinic, errors) -> None:
    page.goto(clinic.url + "/")
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.locator("#review-list")).to_be_visible()
    assert errors == []


def test_a_phase_button_zooms_and_the_toggle_keeps_it(
    page: Page, clinic, reviews: Reviews, errors
) -> None:
    _, db = _debrief(clinic.runtime.store, reviews.alarms)
    span = next(p for p in db.phases if p.phase == "infusion")
    page.goto(f"{clinic.url}/review/{reviews.alarms}")
    page.wait_for_function(RENDERED)
    page.locator(".review-zoom", has_text="Infusion").click()
    rng = """() => document.querySelector('#review-timeline .js-plotly-plot')
        ._fullLayout.xaxis.range"""
    want = [span.start_t_s / 60, span.end_t_s / 60]
    page.wait_for_function(f"Math.abs(({rng})()[0] - {want[0]}) < 1e-6")
    assert page.evaluate(rng) == pytest.approx(want)
    before = page.evaluate(TRACE_Y, "HR")
    page.get_by_text("Noise-free", exact=True).click()  # a new figure, the same view
    _wait_for_new_values(page, "HR", before)
    assert page.evaluate(rng) == pytest.approx(want)
    page.locator(".review-zoom", has_text="Whole session").click()
    page.wait_for_function(f"Math.abs(({rng})()[1] - {db.end_t_s / 60}) < 1e-6")
    assert errors == []


def test_a_six_hour_session_opens_quickly(page: Page, clinic, reviews: Reviews, errors) -> None:
    url = f"{clinic.url}/review/{reviews.long}"
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function(RENDERED)
    cold = time.perf_counter() - t0
    times = []
    for _ in range(3):
        page.goto("about:blank")
        page.goto(url)
        page.wait_for_function(RENDERED)
        times.append(page.evaluate("performance.now()") / 1000)  # from navigation start
    warm = min(times)
    print(f"\n6 h review: cold {cold:.2f} s, warm {', '.join(f'{t:.2f}' for t in times)} s")
    assert warm <= OPEN_BUDGET_S, times
    points = page.evaluate(TRACE_Y, "HR")
    assert 0 < len(points) <= 1500 + 2  # min/max per bucket, not 21,600 points
    _, db = _debrief(clinic.runtime.store, reviews.long)
    assert db.end_t_s >= LONG_S
    expect(page.locator("#review-meta")).to_contain_text(clock(db.end_t_s))
    assert errors == []


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_the_page_fits_the_window(page: Page, clinic, reviews: Reviews, errors, size) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{clinic.url}/review/{reviews.alarms}")
    page.wait_for_function(RENDERED)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    graph_w = page.locator("#review-timeline").bounding_box()["width"]
    assert graph_w >= size[0] * 0.85
    assert errors == []
