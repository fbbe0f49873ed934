"""A course of sessions on the pages, called as plain functions (no browser): the
instructor console's patient file ("Session 2 of 6 for Mrs Jane Doe"), and the course table
on the review page and in the HTML report: per session its date, baseline, highest cuff
reading, highest heart rate, what was charted and what the patient felt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import course_for_session, session_from_store
from vitalsdash.feed import Feed
from vitalsdash.report import render_report
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui import _runtime
from vitalsdash.ui.instructor import actions as console
from vitalsdash.ui.instructor import course as console_course
from vitalsdash.ui.review import data as review_data
from vitalsdash.ui.review import page as review_page

pytestmark = pytest.mark.unit

NAME = "Mrs Jane Doe"
BED = "cr"


def _session(rt: Runtime, dissociation: float, nausea: float) -> int:
    """The chosen patient's next session through the console's form: the baseline, the
    infusion started by the trainee, the scores charted near its end, then ended."""
    out = console.perform(rt, BED, "course", {"patient": str(rt.course_pid)})  # type: ignore[attr-defined]
    assert out.ok, out.message
    sid = rt.beds[BED].session.session_id  # type: ignore[union-attr]
    rt.advance(600)
    try:
        rt.submit(BED, "start_infusion", {}, "trainee")
    except Exception:  # a blocked check: the instructor overrides, as the protocol's clock
        rt.submit(BED, "start_infusion", {"override_reason": "test"}, "instructor")
    rt.advance(2300)
    rt.submit(BED, "chart", {"kind": "dissociation", "value": dissociation})
    rt.submit(BED, "chart", {"kind": "nausea", "value": nausea})
    rt.advance(900)
    rt.submit(BED, "end_session", {}, "instructor")
    return sid


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A patient file made at the console, and its sessions 1 and 2 (dissociation charted
    6 then 3); and one session of no course."""
    beds = [BedConfig(id=BED, scenario="uneventful-depression", seed=3, autostart=False)]
    store = Store(str(tmp_path_factory.mktemp("course") / "course.sqlite"))
    runtime = Runtime(ClinicConfig(clinic=ClinicSection(), beds=beds), store, Feed(store),
                      clock=ManualClock())  # fmt: skip
    runtime.start()
    made = console.perform(runtime, BED, "newpatient", {"pname": NAME, "psessions": "6",
                                                        "scenario": "uneventful-depression",
                                                        "seed": "4242"})  # fmt: skip
    assert made.ok, made.message
    assert made.message == (f"Patient file created: {NAME} (uneventful-depression, seed 4242, "
                            "6 sessions)")  # fmt: skip
    runtime.course_pid = made.patient  # type: ignore[attr-defined]
    runtime.course_sessions = [_session(runtime, 6, 2), _session(runtime, 3, 1)]  # type: ignore[attr-defined]
    runtime.submit(BED, "start_session", {}, "instructor")
    runtime.advance(120)
    runtime.lonely = runtime.beds[BED].session.session_id  # type: ignore[attr-defined,union-attr]
    runtime.submit(BED, "end_session", {}, "instructor")
    yield runtime
    store.close()


@pytest.fixture
def app_runtime(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setattr(_runtime, "_runtime", rt)
    review_data.clear_cache()
    return rt


def _texts(component: Any) -> list[str]:
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


def test_the_console_says_which_session_comes_next(rt: Runtime) -> None:
    pid = rt.course_pid  # type: ignore[attr-defined]
    next_line, who = console_course.next_words(rt.store, str(pid))
    assert next_line == f"Session 3 of 6 for {NAME}"
    assert "uneventful-depression, seed 4242" in who
    assert "last session " in who
    opts = console_course.options(rt.store.patients())
    assert opts == [{"label": f"{NAME} · uneventful-depression · 2 of 6 given", "value": str(pid)}]
    assert console_course.next_words(rt.store, "999")[0] == "Choose a patient, or create one below."
    assert console_course.next_words(rt.store, "<b>")[0] == "Choose a patient, or create one below."
    assert not console.perform(rt, BED, "course", {"patient": None}).ok
    refused = console.perform(rt, BED, "newpatient", {"pname": " ", "scenario": "x"})
    assert refused.message == "Give the patient's name first."


def test_the_course_holds_both_sessions_from_their_record(rt: Runtime) -> None:
    s1, s2 = rt.course_sessions  # type: ignore[attr-defined]
    course = course_for_session(rt.store, s2)
    assert course is not None
    assert (course.name, course.planned, course.current) == (NAME, 6, s2)
    assert [(s.number, s.session_id) for s in course.sessions] == [(1, s1), (2, s2)]
    for s in course.sessions:  # the table's figures are the record's
        df = rt.store.samples(s.session_id)
        ok = df[df["quality"] == "ok"]
        events = rt.store.session_events(s.session_id)
        start = next(e["t_s"] for e in events if e["detail"].get("phase") == "infusion")
        sys_ = ok[ok["channel"] == "NIBP_SYS"]
        assert s.peak_sys == sys_[sys_["t_s"] >= start]["value"].max()
        assert s.baseline_sys == pytest.approx(sys_[sys_["t_s"] < start]["value"].mean())
        hr = ok[(ok["channel"] == "HR") & (ok["t_s"] >= start)]
        assert s.peak_heart_rate == hr["value"].max()
        assert s.rise_sys == pytest.approx(s.peak_sys - s.baseline_sys)  # type: ignore[operator]
    first, second = course.sessions
    assert (first.charted_dissociation, second.charted_dissociation) == (6.0, 3.0)
    assert (first.charted_nausea, second.charted_nausea) == (2.0, 1.0)
    assert first.felt_dissociation is not None
    assert second.felt_dissociation is not None
    assert second.felt_dissociation < first.felt_dissociation  # it fades
    assert course_for_session(rt.store, rt.lonely) is None  # type: ignore[attr-defined]


def test_the_review_page_shows_the_course_table(app_runtime: Runtime) -> None:
    s1, s2 = app_runtime.course_sessions  # type: ignore[attr-defined]
    page = review_page.review_layout(str(s2))
    section = _find(page, "review-course-section")
    assert section is not None
    texts = _texts(section)
    assert "Course of sessions" in texts
    assert f"Course of {NAME}: 2 of 6 sessions · uneventful-depression" in texts
    table = _find(section, "review-course")
    rows = table.children[1].children  # thead, tbody
    assert len(rows) == 2
    first, second = (_texts(r) for r in rows)
    assert first[0] == "1"
    assert second[0] == "2 (this session)"
    assert rows[1].className == "course-current"
    link = rows[0].children[0].children
    assert link.href == f"/review/{s1}"
    course = course_for_session(app_runtime.store, s2)
    assert course is not None
    peak = course.sessions[0]
    assert first[3] == f"{peak.peak_sys:.0f}/{peak.peak_dia:.0f}"
    assert first[6:8] == ["6.0", "2.0"]
    assert second[6:8] == ["3.0", "1.0"]
    trend = _find(section, "review-course-trend")
    assert [t["name"] for t in trend.figure["data"]] == [
        "Systolic rise (mmHg)", "Dissociation felt", "Dissociation charted"]  # fmt: skip
    assert list(trend.figure["data"][0]["x"]) == [1, 2]
    lonely = review_page.review_layout(str(app_runtime.lonely))  # type: ignore[attr-defined]
    assert _find(lonely, "review-course-section") is None


def test_the_report_has_the_course_table(rt: Runtime) -> None:
    s1, _s2 = rt.course_sessions  # type: ignore[attr-defined]
    html = render_report(session_from_store(rt.store, s1))
    assert '<section id="course"><h2>Course of sessions</h2>' in html
    assert f"Course of {NAME}: 2 of 6 sessions" in html
    assert '<tr class="course-current"><td>1 (this session)</td>' in html
    assert "<td>2</td>" in html
    assert "dissociation felt (hidden)" in html
    lonely = render_report(session_from_store(rt.store, rt.lonely))  # type: ignore[attr-defined]
    assert "Course of sessions" not in lonely
