"""`vitalsdash report` and `vitalsdash export` end to end: a live session in a temporary
store, the HTML in headless Chromium (offline, no console errors), PDF, escaping, the
export round trip through the alarm engine and the command line's errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from vitalsdash.actions import ActionError
from vitalsdash.cli import main
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import compute_debrief, session_from_recording, session_from_store
from vitalsdash.recording import read_recording
from vitalsdash.report import (
    CHROMIUM_FLAGS,
    EXPORT_TABLES,
    ReportError,
    chromium_path,
    render_report,
    table_bytes,
    timeline_figure,
)
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsim.cli import main as vitalsim

pytestmark = pytest.mark.integration
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A hypertensive responder run by the runtime on a manual clock: the trainee
    acknowledges, pauses the audio and the pump, charts a note with a script in it and
    ends the session. The bed's label has a script in it too."""
    tmp = tmp_path_factory.mktemp("live")
    db = tmp / "store.sqlite"
    store = Store(db)
    clinic = ClinicConfig(
        clinic=ClinicSection(speed=120),
        beds=[BedConfig(id="b1", label=f"Chair {XSS}", scenario="hypertensive-responder", seed=7)],
    )
    rt = Runtime(clinic, store, clock=ManualClock())
    rt.start()
    rt.advance(600)  # the end of the baseline: the trainee tries to start, the check
    with pytest.raises(ActionError):  # blocks it, and the instructor starts it anyway
        rt.submit("b1", "start_infusion", {}, "trainee")
    rt.submit("b1", "start_infusion", {"override_reason": f"consultant agrees {XSS}"},
              "instructor")  # fmt: skip
    rt.advance(1850)
    rt.submit("b1", "acknowledge", {"condition": "SYS_RISE"})
    rt.advance(20)
    rt.submit("b1", "pause_audio", {})
    rt.advance(40)
    rt.submit("b1", "pause_pump", {})
    rt.submit("b1", "chart", {"kind": "note", "text": f"patient anxious {XSS}"})
    rt.advance(2500)
    rt.submit("b1", "chart", {"kind": "alertness", "value": 9})
    rt.advance(600)
    rt.submit("b1", "end_session", {}, "instructor")
    sid = rt.beds["b1"].session.session_id
    store.close()
    return {"db": db, "sid": sid, "tmp": tmp}


def run_cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def report_html(live: dict[str, Any]) -> Path:
    out = live["tmp"] / "report.html"
    assert main(["report", str(live["sid"]), "--db", str(live["db"]), "--out", str(out)]) == 0
    return out


# --- the HTML ------------------------------------------------------------------------------


def test_report_is_one_self_contained_file(report_html: Path) -> None:
    text = report_html.read_text(encoding="utf-8")
    assert text.count("plotly.js (basic - minified) v") == 1  # the basic bundle, once
    assert text.count('<script type="application/json" id="timeline-data">') == 1
    assert "<script src" not in text
    assert '<link rel="stylesheet"' not in text
    assert "cdn.plot.ly" not in text.split("<script>", 1)[0]  # nothing before the bundle
    assert "Training tool — not a medical device" in text
    assert "@media print" in text
    assert "@page" in text
    for section in (
        "Starting the infusion",
        "Alarm episodes",
        "Expected responses",
        "Discharge decision",
        "Actions",
        "Suppressed nuisance excursions",
        "Silenced but not resolved",
    ):
        assert f"<h2>{section}</h2>" in text


def test_notes_and_labels_are_escaped(report_html: Path) -> None:
    text = report_html.read_text(encoding="utf-8")
    assert XSS not in text
    assert f"Chair {XSS_ESCAPED}" in text  # the label, in the title and the header
    assert f"patient anxious {XSS_ESCAPED}" in text  # the note, in the tables
    # the instructor's override reason, in the start section
    assert (f"Infusion started by instructor despite a blocked check: consultant agrees "
            f"{XSS_ESCAPED}") in text  # fmt: skip
    # in the figure's JSON (hover text) the markup is escaped for HTML and for the script tag
    data = text.split('id="timeline-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data
    assert "\\u0026lt;script\\u0026gt;" in data


def test_report_from_the_store_has_the_metrics(live: dict[str, Any]) -> None:
    with Store(live["db"]) as store:
        d = compute_debrief(session_from_store(store, live["sid"]))
    sys_rise = next(e for e in d.episodes if e.condition == "SYS_RISE")
    assert sys_rise.ack_actor == "trainee"
    assert sys_rise.time_to_ack_s is not None
    assert sys_rise.ack_t_s == 2450.0
    assert sys_rise.audio_paused_t_s == 2470.0
    assert (sys_rise.silenced_t_s, sys_rise.silenced_by) == (2450.0, "acknowledge")
    sys_hi = next(e for e in d.episodes if e.condition == "SYS_HI" and e.start_t_s > 600)
    assert (sys_hi.silenced_t_s, sys_hi.silenced_by) == (2470.0, "audio_pause")
    [met] = [r for r in d.expected if r.status != "not_applicable"]
    assert (met.status, met.action_kind) == ("met", "pause_pump")
    assert d.discharge.decided
    assert d.discharge.ready is False
    # the start: the trainee's attempt refused by the check, the instructor's override
    assert d.start is not None
    [refused] = d.start.refused
    assert (refused.t_s, refused.actor, refused.check) == (600.0, "trainee", "blocked")
    assert d.start.overridden
    assert (d.start.started.actor, d.start.started.override_reason) == (
        "instructor", f"consultant agrees {XSS}")  # fmt: skip
    assert d.summary()["start_overridden"] is True
    assert d.summary()["start_refused"] == 1
    assert "infusion not ended: 60 min observation follows" in d.discharge.missing


@pytest.mark.browser
def test_report_renders_offline_without_console_errors(
    report_html: Path, live: dict[str, Any]
) -> None:
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_FLAGS))
        try:
            page = browser.new_page()

            def route(r: Any) -> None:
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on(
                "request",
                lambda req: None if req.url.startswith("file://") else blocked.append(req.url),
            )
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
            page.goto(report_html.as_uri(), wait_until="load")
            page.wait_for_selector("#timeline .main-svg", timeout=20_000)
            traces = page.evaluate("document.getElementById('timeline').data.length")
            title = page.locator("h1").inner_text()
            note = page.locator("#observations td", has_text="patient anxious").inner_text()
            page.wait_for_timeout(300)
        finally:
            browser.close()
    assert blocked == []
    assert problems == []
    assert traces >= 10
    assert title == f"Debrief — Session {live['sid']}: Chair {XSS}"
    assert note == f"patient anxious {XSS}"


@pytest.mark.browser
def test_pdf_through_headless_chromium(
    live: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    out = live["tmp"] / "printed.html"
    code, stdout, err = run_cli(
        "report",
        str(live["sid"]),
        "--db",
        str(live["db"]),
        "--out",
        str(out),
        "--pdf",
        capsys=capsys,
    )
    assert (code, err) == (0, "")
    pdf = out.with_suffix(".pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size > 50_000
    assert str(pdf) in stdout


def test_pdf_without_chromium_is_a_clear_error(
    live: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("vitalsdash.report.chromium_path", lambda: None)
    out = live["tmp"] / "nopdf.html"
    code, _, err = run_cli(
        "report",
        str(live["sid"]),
        "--db",
        str(live["db"]),
        "--out",
        str(out),
        "--pdf",
        capsys=capsys,
    )
    assert code == 2
    assert err.splitlines() == [err.strip()]
    assert err.startswith("error: --pdf needs Chromium")
    assert not out.exists()


def test_report_of_a_recording_with_an_actions_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "hr.csv"
    assert vitalsim(["run", "hypertensive-responder", "--seed", "7", "--out", str(rec)]) == 0
    capsys.readouterr()
    actions = tmp_path / "actions.csv"
    actions.write_text(
        "t,action,actor,target,value,text\n"
        "2460,acknowledge,trainee,SYS_HI,,\n"
        "2500,pause_pump,trainee,,,\n"
        f'2510,chart,trainee,note,,"{XSS}"\n'
        "6000,end_session,trainee,,,\n"
    )
    out = tmp_path / "rec.html"
    code, stdout, err = run_cli(
        "report",
        str(rec),
        "--scenario",
        "hypertensive-responder",
        "--actions",
        str(actions),
        "--out",
        str(out),
        capsys=capsys,
    )
    assert (code, err) == (0, "")
    assert "expected met 1" in stdout
    assert "discharged before readiness was met" in stdout
    text = out.read_text(encoding="utf-8")
    assert XSS not in text
    assert XSS_ESCAPED in text
    assert "<h2>Waveforms at alarm onsets</h2>" in text  # a recording has none: it says so
    assert "No waveform was recorded in this session" in text
    assert 'id="strips-data"' not in text


# --- exports -------------------------------------------------------------------------------


def _log_rows(df: pd.DataFrame) -> list[tuple]:
    cols = ["t", "condition", "event", "priority", "value", "limit"]
    return sorted(df[cols].fillna("").astype(str).itertuples(index=False, name=None))


def test_export_round_trip_replays_to_the_same_alarm_log(
    live: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    out = live["tmp"] / "export-csv"
    code, _stdout, err = run_cli(
        "export",
        str(live["sid"]),
        "--db",
        str(live["db"]),
        "--format",
        "csv",
        "--out",
        str(out),
        capsys=capsys,
    )
    assert (code, err) == (0, "")
    names = {p.name for p in out.iterdir()}
    assert {
        "samples.csv",
        "samples.events.csv",
        "alarm_events.csv",
        "actions.csv",
        "observations.csv",
        "alarm_actions.csv",
        "episodes.csv",
        "expected.csv",
    } <= names
    with Store(live["db"]) as store:
        stored = [
            {k: v for k, v in r.items() if k not in ("session_id", "seq")}
            for r in store.alarm_events(live["sid"])
        ]
        stored_samples = store.samples(live["sid"])
    # the samples are the stored ones, bit for bit
    rec = read_recording(out / "samples.csv")
    assert rec["t"].tolist() == stored_samples["t_s"].tolist()
    assert rec["value"].equals(stored_samples["value"])
    # the report's replay (engine + sidecar phases + alarm actions) gives the very same log
    data = session_from_recording(out / "samples.csv", actions=out / "alarm_actions.csv")
    assert data.alarm_events == stored
    # and `vitalsdash alarms replay` on the exported files: the same events (it orders the
    # baseline before the phase change of the same second; everything else is identical)
    replayed = live["tmp"] / "replayed.csv"
    code, _, err = run_cli(
        "alarms",
        "replay",
        str(out / "samples.csv"),
        "--profile",
        "ketamine-infusion",
        "--actions",
        str(out / "alarm_actions.csv"),
        "--full",
        "--out",
        str(replayed),
        "--no-progress",
        capsys=capsys,
    )
    assert (code, err) == (0, "")
    exported = pd.read_csv(out / "alarm_events.csv", keep_default_na=False)
    again = pd.read_csv(replayed, keep_default_na=False)
    assert len(again) == len(exported) == len(stored)
    assert _log_rows(again) == _log_rows(exported)
    assert exported["event"].tolist().count("acknowledged") == 1


def test_export_parquet_replays_too(
    live: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    out = live["tmp"] / "export-parquet"
    code, _, err = run_cli(
        "export",
        str(live["sid"]),
        "--db",
        str(live["db"]),
        "--format",
        "parquet",
        "--out",
        str(out),
        capsys=capsys,
    )
    assert (code, err) == (0, "")
    assert (out / "samples.parquet").is_file()
    assert (out / "samples.events.parquet").is_file()
    with Store(live["db"]) as store:
        stored = [
            {k: v for k, v in r.items() if k not in ("session_id", "seq")}
            for r in store.alarm_events(live["sid"])
        ]
    data = session_from_recording(out / "samples.parquet", actions=out / "alarm_actions.csv")
    assert data.alarm_events == stored
    obs = pd.read_parquet(out / "observations.parquet")
    assert obs["text"].tolist()[0] == f"patient anxious {XSS}"


def test_table_bytes_for_download_buttons(live: dict[str, Any]) -> None:
    with Store(live["db"]) as store:
        data = session_from_store(store, live["sid"])
    for table in EXPORT_TABLES:
        csv = table_bytes(data, table, "csv")
        parquet = table_bytes(data, table, "parquet")
        assert parquet[:4] == b"PAR1"
        assert parquet[-4:] == b"PAR1"
        assert (
            pd.read_csv(io.BytesIO(csv)).columns.tolist()
            == pd.read_parquet(io.BytesIO(parquet)).columns.tolist()
        )
    assert table_bytes(data, "samples").startswith(b"t,channel,value,quality,true_value\n")
    assert table_bytes(data, "events").startswith(b"t,kind,source,detail\n")
    assert table_bytes(data, "alarm_actions").startswith(b"t,action,actor,target,value\n")
    with pytest.raises(ReportError, match="unknown table 'nope'"):
        table_bytes(data, "nope")
    with pytest.raises(ReportError, match="unknown format 'xls'"):
        table_bytes(data, "samples", "xls")


def test_render_report_api(live: dict[str, Any]) -> None:
    with Store(live["db"]) as store:
        data = session_from_store(store, live["sid"])
    html = render_report(data)
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<html") == 1


# --- command line errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "999", "--out", "{tmp}/x"], "error: no session 999 in "),
        (["export", "abc", "--out", "{tmp}/x"], "error: session id must be a whole number"),
        (
            ["export", "{sid}", "--format", "xml", "--out", "{tmp}/x"],
            "error: unknown format 'xml' (use csv or parquet)",
        ),
        (["export", "{sid}", "--out", "/proc/vitalsdash-nope"], "error: cannot write to "),
        (["export", "{sid}", "--out", "{db}"], "error: cannot write to "),
        (
            ["report", "{sid}", "--out", "{tmp}/r.html", "--actions", "{db}"],
            "error: --actions applies to a RECORDING",
        ),
        (
            ["report", "{tmp}/missing.csv", "--out", "{tmp}/r.html"],
            "error: {tmp}/missing.csv: no such recording",
        ),
        (["report", "{sid}", "--out", "{tmp}/no/such/dir/r.html"], "error: cannot write "),
    ],
)
def test_cli_mistakes_are_one_error_line(
    live: dict[str, Any], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    fill = {"tmp": str(live["tmp"]), "sid": str(live["sid"]), "db": str(live["db"])}
    argv = [a.format(**fill) for a in args]
    if "--db" not in argv:
        argv += ["--db", fill["db"]]
    code, _out, err = run_cli(*argv, capsys=capsys)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith(message.format(**fill)), err


def test_a_missing_database_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "none.sqlite"
    code, _, err = run_cli(
        "export", "1", "--db", str(db), "--out", str(tmp_path / "x"), capsys=capsys
    )
    assert code == 2
    assert err == f"error: no database at {db} (pass --db PATH or a database URL)\n"
    assert not db.exists()


def test_the_timeline_names_alarms_in_the_nurses_words(live: dict[str, Any]) -> None:
    """The alarm rows of the timeline (report and review page) read "Systolic high", not
    SYS_HI: code names stay in the exports."""
    with Store(live["db"]) as store:
        data = session_from_store(store, live["sid"])
    d = compute_debrief(data)
    fig = timeline_figure(data, d)
    shown = {y for tr in fig.data if tr.name in ("HIGH", "MEDIUM", "LOW", "acknowledged")
             for y in (tr.y or ()) if y is not None}  # fmt: skip
    conditions = {e.condition for e in d.episodes}
    assert "SYS_HI" in conditions
    assert shown
    assert not shown & conditions, shown & conditions
    assert d.words("SYS_HI") in shown
    assert d.words("SYS_HI").startswith("Systolic")


def test_the_timeline_leaves_room_for_the_alarm_names(live: dict[str, Any]) -> None:
    with Store(live["db"]) as store:
        data = session_from_store(store, live["sid"])
    d = compute_debrief(data)
    longest = max(len(d.words(e.condition)) for e in d.episodes)
    assert longest > 20  # "Systolic ≥ 160 for 5 min" and the like
    assert timeline_figure(data, d).layout.margin.l >= 5.6 * longest
