"""What the simulated patient says reaches the trainee, the logs and the debrief.

A hypertensive responder (seed 3) complains of a pounding head as its blood pressure
climbs past 200 during the infusion. The words go from the simulator adapter through the
runtime to the bed's view and the bedside's "Patient says" line, into the session's event
log (stored, shown in the instructor's activity and answered by the API), and into the
debrief's timeline and report; a sedation score charted then is set against the
patient's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from infusion_start import start_infusion

from vitalsdash import channels
from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import compute_debrief, session_from_store
from vitalsdash.feed import Feed
from vitalsdash.report import render_report, timeline_figure
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui.instructor import live as instructor_live
from vitalsdash.ui.live.bedside import bedside_tick
from vitalsdash.ui.review import metrics as review_metrics

pytestmark = pytest.mark.integration


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    bed = BedConfig(id="c", scenario="hypertensive-responder", seed=3)
    store = Store(str(tmp_path / "words.sqlite"))
    runtime = Runtime(ClinicConfig(clinic=ClinicSection(), beds=[bed]), store, Feed(store),
                      clock=ManualClock())  # fmt: skip
    runtime.start()
    runtime.advance(600)
    start_infusion(runtime, "c")
    yield runtime
    store.close()


def _until_said(rt: Runtime, words_in: str, limit_s: int = 3600) -> None:
    """Advance 5 s at a time until the patient's last words contain ``words_in``."""
    for _ in range(limit_s // 5):
        rt.advance(5)
        said = rt.view("c").patient_said  # type: ignore[union-attr]
        if said is not None and words_in in said.words.lower():
            return
    raise AssertionError(f"the patient never said anything with {words_in!r}")


def test_the_patient_s_words_reach_the_bedside_the_logs_and_the_api(rt: Runtime) -> None:
    view = rt.view("c")
    assert view is not None
    assert view.patient_said is None  # a calm baseline: nothing said yet
    _until_said(rt, "head")
    view = rt.view("c")
    said = view.patient_said  # type: ignore[union-attr]
    assert said is not None
    assert said.symptom == "headache"
    sid = view.session_id  # type: ignore[union-attr]

    tick = bedside_tick(rt, "c", None)  # a page opened now
    assert tick["patient-says-words"] == f"“{said.words}”"
    assert tick["patient-says-time"].startswith("at 0:")
    assert tick["patient-says-class"] == "patient-says"
    trend_texts = [t for tr in tick["figure"]["data"] for t in (tr.get("text") or [])]
    assert any(f"Patient: “{said.words}”" in str(t) for t in trend_texts)

    stored = [e for e in rt.store.session_events(sid) if e["kind"] == "symptom"]
    assert {e["source"] for e in stored} == {"patient"}
    assert (stored[-1]["t_s"], stored[-1]["detail"]["words"]) == (said.t_s, said.words)

    activity = str(instructor_live.bed_tick(rt, "c", None)["activity"])
    assert said.words in activity
    assert "Patient" in activity

    client = create_server(rt).test_client()
    beds = client.get("/api/beds").get_json()
    assert beds[0]["session"]["patient_said"]["words"] == said.words
    events = client.get(f"/api/sessions/{sid}/events").get_json()["session_events"]
    assert any(e["kind"] == "symptom" and e["detail"]["words"] == said.words for e in events)


def test_a_new_cue_updates_an_open_bedside_page(rt: Runtime) -> None:
    cursor = bedside_tick(rt, "c", None)["cursor"]
    seen = []
    for _ in range(360):  # an hour, a tick every 10 s
        rt.advance(10)
        out = bedside_tick(rt, "c", cursor)
        cursor = out["cursor"]
        if "patient-says-words" in out:
            seen.append(out["patient-says-words"])
    assert any("head" in w.lower() for w in seen)
    assert all(w.startswith("“") and w.endswith("”") for w in seen)


def test_the_debrief_lists_the_words_and_sets_charted_scores_against_the_patient(
    rt: Runtime,
) -> None:
    _until_said(rt, "head")
    rt.advance(30)
    rt.submit("c", "chart", {"kind": "sedation", "value": 9}, "trainee")
    rt.submit("c", "chart", {"kind": "pain", "value": 3}, "trainee")  # no truth: not compared
    rt.advance(60)
    sid = rt.view("c").session_id  # type: ignore[union-attr]
    said = rt.view("c").patient_said  # type: ignore[union-attr]
    data = session_from_store(rt.store, sid)
    db = compute_debrief(data)

    (check,) = db.scores
    samples = data.samples
    truth = samples[(samples["channel"] == channels.charted_truth()["sedation"])
                    & (samples["t_s"] <= check.t_s)]  # fmt: skip
    assert check.actual == float(int(truth["true_value"].iloc[-1] + 0.5))
    assert check.charted == 9
    assert check.verdict == "over-scored"  # this patient is barely drowsy
    assert db.summary()["scores_compared"] == 1
    assert db.summary()["scores_close"] == 0

    fig = timeline_figure(data, db)
    lane = [tr for tr in fig.data if tr.name == "patient said"]
    assert lane
    assert any(said.words in t for t in lane[0].text)
    review = str(review_metrics.scores_section(db))  # the review page: the same table
    assert f"Charted 9, patient's actual {check.actual:g} — over-scored" in review
    assert "1 score compared: 0 within ±2 points" in review
    html = render_report(data, db)
    assert f"Charted 9, patient&#x27;s actual {check.actual:g} — over-scored" in html
    assert "patient said" in html
    assert said.words.replace("'", "&#x27;") in html
