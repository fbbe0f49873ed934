"""The report's waveform strips at the alarm onsets: a 6-hour session with 60 alarms and
full waveforms stays under 2 MB with a strip for every onset, and a strip's samples as
plotly.js decodes them are the stored waves; more alarms than fit get a fair share and a
note; a session or an alarm without waves says so. The HTML is parsed, not looked at in a
browser."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from wave_session import alarm_onsets, wave_values, write_session

from vitalsdash import channels
from vitalsdash.cli import main
from vitalsdash.debrief import compute_debrief, session_from_store
from vitalsdash.report import (
    CHROMIUM_FLAGS,
    MAX_REPORT_BYTES,
    NO_WAVE_ALARM,
    NO_WAVES_SESSION,
    PRINT_MAX_HZ,
    STRIP_AFTER_S,
    STRIP_BEFORE_S,
    alarm_strips,
    choose_strips,
    chromium_path,
    render_report,
    strip_trace_values,
)
from vitalsdash.store import Store

pytestmark = pytest.mark.integration
ALARMS = 60
GAP_ALARM = 7  # the alarm whose window has no waves at all


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Three 6-hour sessions in one store: 60 alarms with waves (one alarm's window
    without), 300 alarms with waves, and 60 alarms without any waves."""
    db = tmp_path_factory.mktemp("strips") / "strips.sqlite"
    store = Store(db)
    gap = alarm_onsets(6.0, ALARMS)[GAP_ALARM]
    full = write_session(store, n_alarms=ALARMS, missing=[(gap - 20, gap + 10)])
    many = write_session(store, n_alarms=300, label="Chair 2")
    none = write_session(store, n_alarms=ALARMS, waves=False, label="Chair 3")
    yield {"store": store, "db": db, "full": full, "many": many, "none": none}
    store.close()


def _report(store: Store, sid: int) -> str:
    data = session_from_store(store, sid)
    return render_report(data, compute_debrief(data))


def _strips_data(text: str) -> dict[str, Any]:
    raw = re.search(r'<script type="application/json" id="strips-data">(.*?)</script>', text)
    assert raw is not None
    return json.loads(raw.group(1))


@pytest.fixture(scope="module")
def full_report(sessions: dict[str, Any]) -> str:
    return _report(sessions["store"], sessions["full"])


def test_a_six_hour_report_with_60_alarms_is_small_and_has_every_strip(full_report: str) -> None:
    assert len(full_report.encode("utf-8")) <= MAX_REPORT_BYTES == 2_000_000
    assert "plotly.js (basic - minified) v" in full_report
    assert "<h2>Waveforms at alarm onsets</h2>" in full_report
    figures = re.findall(r'<figure class="strip[^"]*" id="strip-(\d+)">', full_report)
    assert [int(i) for i in figures] == list(range(ALARMS))  # every onset, in order
    plotted = re.findall(r'<div class="strip-plot" id="(strip-plot-\d+)">', full_report)
    data = _strips_data(full_report)
    assert [s["id"] for s in data["strips"]] == plotted
    assert len(plotted) == ALARMS - 1  # all but the alarm without waves
    assert "left out" not in full_report
    for s in data["strips"]:  # scatter only (the basic bundle), samples as 8-bit arrays
        assert {t["type"] for t in s["data"]} == {"scatter"}
        assert all(t["y"]["dtype"] == "u1" for t in s["data"])


def test_an_alarm_without_waves_says_so(full_report: str) -> None:
    figure = re.search(rf'<figure class="strip[^"]*" id="strip-{GAP_ALARM}">(.*?)</figure>',
                       full_report)  # fmt: skip
    assert figure is not None
    assert NO_WAVE_ALARM in figure.group(1)
    assert "strip-plot" not in figure.group(1)


def test_a_strips_decoded_samples_are_the_stored_waves(full_report: str) -> None:
    k = 3
    onset = alarm_onsets(6.0, ALARMS)[k]
    figure = re.search(rf'id="strip-{k}">.*?<figcaption>(.*?)</figcaption>', full_report)
    assert figure is not None
    assert figure.group(1) == "HR high #2 · MEDIUM · onset 0:19:48 · 118 bpm (limit 110)"
    data = _strips_data(full_report)
    (strip,) = [s for s in data["strips"] if s["id"] == f"strip-plot-{k}"]
    layout = {**data["base"], **strip["layout"]}
    assert layout["xaxis"]["range"] == [-STRIP_BEFORE_S, STRIP_AFTER_S]
    by_wave = {t["meta"]["wave"]: t for t in strip["data"]}
    assert set(by_wave) == {c.id for c in channels.waves()}
    for wave, trace in by_wave.items():
        rate = channels.get(wave).sample_rate_hz
        # decoded here as plotly.js does: base64 bytes -> uint8, then the axis' scale
        counts = np.frombuffer(base64.b64decode(trace["y"]["bdata"]), dtype=np.uint8)
        meta = trace["meta"]
        values = meta["offset"] + counts * meta["scale"]
        t_rel = trace["x0"] + np.arange(counts.size) * trace["dx"]
        assert np.allclose(strip_trace_values(trace)[1], values)
        step = max(1, rate // PRINT_MAX_HZ)  # ECG II printed at 125 Hz
        assert counts.size == (STRIP_BEFORE_S + STRIP_AFTER_S) * rate / step
        assert t_rel[0] == pytest.approx(-STRIP_BEFORE_S)
        tolerance = meta["scale"] + channels.get(wave).wave_scale  # one count of each
        t = onset + t_rel
        nearest = np.min([np.abs(values - wave_values(wave, t + j / rate))
                          for j in range(step)], axis=0)  # fmt: skip
        assert nearest.max() <= tolerance, wave
        axis = layout["yaxis" + trace["yaxis"][1:]]  # labelled in the wave's unit
        assert len(axis["tickvals"]) == len(axis["ticktext"]) >= 2


def test_many_alarms_get_a_fair_share_and_a_note(sessions: dict[str, Any]) -> None:
    text = _report(sessions["store"], sessions["many"])
    assert len(text.encode("utf-8")) <= MAX_REPORT_BYTES
    shown = [int(i) for i in re.findall(r'<figure class="strip[^"]*" id="strip-(\d+)">', text)]
    assert 60 <= len(shown) < 300
    note = re.search(r'<p class="note strips-left-out">(.*?)</p>', text)
    assert note is not None
    rounds = len(shown) // 3  # three alarms, in turn: the first N onsets of each
    assert len(shown) == 3 * rounds
    assert shown == list(range(len(shown)))
    assert (f"Shown: the first {rounds} onsets of each alarm ({len(shown)} of 300 onsets); "
            f"the {300 - len(shown)} later onsets are left out") in note.group(1)  # fmt: skip


def test_a_session_without_waves_says_so_once(sessions: dict[str, Any]) -> None:
    text = _report(sessions["store"], sessions["none"])
    section = re.search(r'<section id="strips">(.*?)</section>', text)
    assert section is not None
    assert NO_WAVES_SESSION.replace("'", "&#x27;") in section.group(1)
    assert "<figure" not in section.group(1)
    assert 'id="strips-data"' not in text


def test_a_session_read_without_a_store_has_no_strips(sessions: dict[str, Any]) -> None:
    data = dataclasses.replace(session_from_store(sessions["store"], sessions["full"]),
                               waves=None)  # as a recording  # fmt: skip
    text = render_report(data)
    assert NO_WAVES_SESSION.replace("'", "&#x27;") in text
    assert 'id="strips-data"' not in text


def test_the_command_line_report_has_the_strips(
    sessions: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    code = main(["report", str(sessions["full"]), "--db", str(sessions["db"]), "--out",
                 str(out)])  # fmt: skip
    capsys.readouterr()
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert len(_strips_data(text)["strips"]) == ALARMS - 1


@pytest.mark.browser
def test_every_strip_is_drawn_offline_without_errors(full_report: str, tmp_path: Path) -> None:
    """plotly.js (the basic bundle) decodes the 8-bit arrays and draws all 59 strips."""
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "report.html"
    page_file.write_text(full_report, encoding="utf-8")
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_FLAGS))
        try:
            page = browser.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://")
                       else (problems.append(r.request.url), r.abort()))  # fmt: skip
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(page_file.as_uri(), wait_until="load")
            page.wait_for_selector("#timeline .main-svg", timeout=30_000)
            drawn = page.evaluate(
                "[...document.querySelectorAll('.strip-plot.js-plotly-plot')]"
                ".filter(el => el.querySelector('.main-svg .scatterlayer .trace')).length"
            )
            points = page.evaluate(
                "document.getElementById('strip-plot-3').calcdata[0].length"
            )  # the first trace of a strip: ECG II, 1250 points at 125 Hz
        finally:
            browser.close()
    assert problems == []
    assert drawn == ALARMS - 1
    assert points == 1250


# --- the fair share, for any alarms and budget -------------------------------------------


@given(
    sizes=st.lists(st.integers(0, 12), min_size=1, max_size=6),
    costs=st.lists(st.integers(1, 9), min_size=80, max_size=80),
    budget=st.integers(0, 200),
)
def test_the_strips_taken_are_each_alarms_first_onsets_within_budget(
    sizes: list[int], costs: list[int], budget: int
) -> None:
    from vitalsdash.debrief import Debrief

    episodes = []
    for g, n in enumerate(sizes):
        for k in range(n):
            episodes.append(_episode(f"C{g}", k + 1, float(k * 100 + g)))
    db = Debrief(0.0, tuple(episodes), (), (), (), None, ())  # only the episodes count
    strips = alarm_strips(db)
    price = {s.index: costs[s.index % len(costs)] for s in strips}
    taken, rounds = choose_strips(strips, lambda s: price[s.index], budget)
    assert sum(price[s.index] for s in taken) <= budget
    assert [s.index for s in taken] == sorted(s.index for s in taken)
    per: dict[str, list[int]] = {}
    for s in taken:
        per.setdefault(s.group, []).append(s.episode.number)
    for numbers in per.values():  # each alarm's first onsets, none skipped
        assert numbers == list(range(1, len(numbers) + 1))
    for g, n in enumerate(sizes):  # a whole round for every alarm that has that many
        got = len(per.get(f"C{g}", []))
        assert got >= min(n, rounds)
        assert got <= max(rounds, 1)
    if len(taken) < len(strips) and rounds:  # the next whole round did not fit
        nxt = [s for s in strips if s.episode.number == rounds + 1]
        assert sum(price[s.index] for s in taken) + sum(price[s.index] for s in nxt) > budget


def _episode(condition: str, number: int, t_s: float) -> Any:
    from vitalsdash.debrief import Episode

    return Episode(condition=condition, number=number, channel=None, direction=None,
                   technical=False, base_priority="LOW", start_priority="LOW", priority="LOW",
                   start_t_s=t_s, end_t_s=t_s + 5, end_event="normal", reset_t_s=None,
                   visible_until_s=t_s + 5, duration_s=5.0, limit=None, start_value=None,
                   peak_value=None, peak_t_s=None, start_reason="", group=condition)  # fmt: skip
