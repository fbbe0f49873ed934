"""Untrusted input through the API: file names, text, numbers, drugs, events, hover text.

Every refusal is a 400 that says which key, the value (cut short) and why, and changes
nothing (``Clinic.state()`` before and after). Files are read only from the catalogue over
the API; the clinic file and the command line (trusted) may name paths, and even then a
FIFO, a device or a file over the size cap is refused without blocking or reading it all.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from test_api import Clinic

from vitalsdash import cli
from vitalsdash.adapters.simulator import load_scenario
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection, load_clinic
from vitalsdash.debrief import compute_debrief, session_from_store
from vitalsdash.errors import ConfigError
from vitalsdash.feed import Feed
from vitalsdash.protocol import load_protocol
from vitalsdash.report import render_report, timeline_figure
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.tomlconfig import MAX_TOML_BYTES
from vitalsdash.ui.live.bedside import bedside_tick

pytestmark = pytest.mark.integration

WAIT_S = 60.0  # generous: only a hang reaches it
FAKE = '<b style="font-size:60px">FAKE ALARM</b> <a href="https://evil.example/">log in</a>'


@pytest.fixture
def clinic(tmp_path: Path):
    c = Clinic(tmp_path / "input.sqlite")
    yield c
    c.store.close()


def _start(c: Clinic, params: dict[str, Any], bed: str = "chair2"):
    return c.post(bed, {"kind": "start_session", "actor": "instructor", "params": params})


def _refused(c: Clinic, bed: str, body: dict[str, Any], *words: str) -> str:
    """Post ``body``; it must be a 400 naming ``words`` and change nothing."""
    before = c.state()
    r = c.post(bed, body)
    assert r.status_code == 400, r.get_json()
    err = r.get_json()
    assert set(err) == {"error", "message"}
    for w in words:
        assert w in err["message"], (w, err["message"])
    assert len(err["message"]) < 2000  # a 60 KB value is not echoed back
    assert c.state() == before
    return err["message"]


# --- files: names from the catalogue over the API ---------------------------------------------


@pytest.mark.parametrize("key", ["scenario", "protocol", "alarm_profile"])
@pytest.mark.parametrize(
    "value",
    [
        "/etc/passwd",
        "/dev/zero",
        "../config/scenarios/artefact-heavy",
        "config/protocols/depression-40min.toml",
        "artefact-heavy.toml",
        "Artefact-Heavy",
        "..",
        "x" * 65,
    ],
)
def test_a_path_is_no_name_and_nothing_is_read(clinic: Clinic, key: str, value: str):
    assert clinic.post("chair2", {"kind": "end_session", "actor": "instructor"}).status_code == 200
    message = _refused(
        clinic,
        "chair2",
        {"kind": "start_session", "actor": "instructor", "params": {key: value}},
        key,
        "not a path",
        "known:",
    )
    assert "root:" not in message  # nothing of /etc/passwd is echoed
    assert "line" not in message  # nor a parse position
    # the names it lists work
    known = message.split("known: ", 1)[1].split(" (got", 1)[0].split(", ")
    assert {"scenario": "artefact-heavy", "protocol": "depression-40min",
            "alarm_profile": "ketamine-infusion"}[key] in known  # fmt: skip


def test_an_unknown_name_lists_the_catalogue(clinic: Clinic):
    assert clinic.post("chair2", {"kind": "end_session", "actor": "instructor"}).status_code == 200
    _refused(
        clinic,
        "chair2",
        {"kind": "start_session", "actor": "instructor", "params": {"protocol": "no-such"}},
        "protocol",
        "no-such",
        "chronic-pain-4h",
        "depression-40min",
    )
    ok = _start(clinic, {"scenario": "vasovagal-observation", "protocol": "chronic-pain-4h",
                         "alarm_profile": "adult-default", "seed": 4})  # fmt: skip
    assert ok.status_code == 200, ok.get_json()
    row = clinic.store.session(ok.get_json()["session_id"])
    assert row["protocol"].startswith("Chronic pain")
    assert row["alarm_profile"] == "adult-default"


def _fifo_clinic(tmp_path: Path, fifo: Path) -> Clinic:
    """A clinic whose chair3 has a FIFO for its protocol in the clinic file (trusted)."""
    c = Clinic.__new__(Clinic)
    c.path = tmp_path / "fifo.sqlite"
    c.store = Store(c.path)
    c.clock = ManualClock()
    beds = [
        BedConfig(id="chair1", scenario="uneventful-depression", seed=11),
        BedConfig(id="chair2", scenario="hypertensive-responder", seed=12),
        BedConfig(id="chair3", scenario="artefact-heavy", protocol=str(fifo), autostart=False),
    ]
    clinic = ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0), beds=beds)
    c.rt = Runtime(clinic, c.store, Feed(c.store), clock=c.clock)
    c.rt.start()
    c.rt.advance(60)
    from vitalsdash.api import create_server

    c.client = create_server(c.rt).test_client()
    return c


def test_a_fifo_is_refused_at_once_and_no_tick_waits(tmp_path: Path):
    fifo = tmp_path / "protocol.toml"
    os.mkfifo(fifo)
    c = _fifo_clinic(tmp_path, fifo)
    try:
        # over the API its path is no name at all
        body = {"kind": "start_session", "actor": "instructor", "params": {"protocol": str(fifo)}}
        _refused(c, "chair3", body, "protocol", "not a path")
        # from the clinic file (trusted), the FIFO is refused without opening it, and the
        # tick goes on meanwhile (no request holds the runtime's lock while reading files)
        result: dict[str, Any] = {}

        def request() -> None:
            r = _start(c, {}, bed="chair3")
            result["status"], result["body"] = r.status_code, r.get_json()

        worker = threading.Thread(target=request, daemon=True)
        worker.start()
        got = c.rt.lock.acquire(timeout=WAIT_S)
        assert got, "the runtime's lock is held by the request"
        c.rt.lock.release()
        ticks = c.rt.tick_count
        c.rt.advance(1)
        assert c.rt.tick_count == ticks + 1
        worker.join(WAIT_S)
        assert not worker.is_alive(), "the request blocked on the FIFO"
        assert result["status"] == 400
        assert str(fifo) in result["body"]["message"]
        assert "FIFO" in result["body"]["message"]
        assert c.rt.beds["chair3"].session is None
        with pytest.raises(ConfigError, match="FIFO"):
            load_protocol(fifo)
    finally:
        if "worker" in locals() and worker.is_alive():  # old code: release the reader
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        c.store.close()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused_from_the_clinic_file_too(device: str):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    for load in (load_protocol, load_scenario, load_clinic):
        with pytest.raises(ConfigError) as err:
            load(device)
        assert err.value.path == device
        assert "not a regular file" in str(err.value)


def _big_toml(path: Path) -> Path:
    line = "# " + "x" * 1021 + "\n"  # 1 KiB of comment
    path.write_text('name = "big"\n' + line * (MAX_TOML_BYTES // len(line) + 2))
    assert path.stat().st_size > MAX_TOML_BYTES
    return path


def test_a_too_large_toml_is_refused_naming_file_and_cap(tmp_path: Path, capsys):
    big = _big_toml(tmp_path / "big.toml")
    for load in (load_protocol, load_scenario, load_clinic):
        with pytest.raises(ConfigError) as err:
            load(big)
        assert err.value.path == str(big)
        assert "256 KiB" in str(err.value)
    assert cli.main(["check-config", str(big)]) != 0
    out = capsys.readouterr().out
    assert str(big) in out
    assert "256 KiB" in out


# --- text, numbers, drugs, events ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"kind": "chart", "params": {"kind": "note", "text": "x\u0000y"}}, ["text", "U+0000"]),
        ({"kind": "chart", "params": {"kind": "note", "text": "\u001b[2J"}}, ["text", "U+001B"]),
        ({"kind": "chart", "params": {"kind": "note", "text": "abc\u202edcba"}}, ["U+202E"]),
        ({"kind": "chart", "params": {"kind": "note", "text": "n" * 501}}, ["text", "500"]),
        ({"kind": "acknowledge", "params": {"condition": "HR_HI\u0000"}}, ["condition"]),
        ({"kind": "alarm_off", "params": {"channel": "H" * 5000}}, ["channel", "64"]),
        ({"kind": "set_limit", "params": {"channel": "HR\n", "which": "high", "value": 100}},
         ["channel", "U+000A"]),
    ],
)  # fmt: skip
def test_control_characters_and_long_text_are_refused(clinic: Clinic, body, words):
    _refused(clinic, "chair1", body, *words)


def test_a_lone_surrogate_is_refused(clinic: Clinic):
    before = clinic.state()
    raw = b'{"kind": "chart", "params": {"kind": "note", "text": "a\\ud800b"}}'
    r = clinic.post("chair1", None, raw=raw)
    assert r.status_code == 400
    assert "text" in r.get_json()["message"]
    assert clinic.state() == before


def test_a_note_may_have_line_breaks_and_is_stored_as_typed(clinic: Clinic):
    text = "drowsy but rousable\n\tresponds to voice"
    r = clinic.post("chair1", {"kind": "chart", "params": {"kind": "note", "text": text}})
    assert r.status_code == 200
    assert clinic.store.observations(clinic.sid())[-1]["text"] == text


def test_a_60_kb_drug_name_is_refused_and_stores_nothing(clinic: Clinic):
    before = clinic.counts()
    for kind in ("give_antihypertensive", "give_antiemetic"):
        body = {"kind": kind, "params": {"drug": "d" * 60_000, "dose_mg": 5}}
        assert len(json.dumps(body)) < 64 * 1024  # under the body limit
        for _ in range(20):
            _refused(clinic, "chair1", body, "drug", "60002 characters")
    assert clinic.counts() == before


@pytest.mark.parametrize(
    ("kind", "drug", "known"),
    [("give_antihypertensive", "hydralazine", "labetalol"),
     ("give_antiemetic", "<b>ondansetron</b>", "ondansetron")],
)  # fmt: skip
def test_drugs_come_from_the_simulators_list(clinic: Clinic, kind: str, drug: str, known: str):
    _refused(
        clinic, "chair1", {"kind": kind, "params": {"drug": drug, "dose_mg": 5}}, "drug", known
    )
    ok = clinic.post("chair1", {"kind": kind, "params": {"drug": known, "dose_mg": 5}})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("body", "raw", "key"),
    [
        ({"kind": "set_rate", "params": {"rate_mg_per_kg_h": True}}, None, "rate_mg_per_kg_h"),
        ({"kind": "set_rate", "params": {"rate_mg_per_kg_h": "0.5"}}, None, "rate_mg_per_kg_h"),
        (None, b'{"kind": "set_rate", "params": {"rate_mg_per_kg_h": NaN}}', "rate_mg_per_kg_h"),
        (None, b'{"kind": "set_limit", "params": {"channel": "HR", "which": "high", '
               b'"value": Infinity}}', "value"),
        (None, b'{"kind": "oxygen_on", "params": {"flow_l_min": 1e999}}', "flow_l_min"),
        ({"kind": "give_antihypertensive", "params": {"dose_mg": False}}, None, "dose_mg"),
        ({"kind": "chart", "params": {"kind": "pain", "value": True}}, None, "value"),
        ({"kind": "oxygen_on", "params": {"flow_l_min": 10**400}}, None, "flow_l_min"),
    ],
)  # fmt: skip
def test_a_number_must_be_a_finite_json_number(clinic: Clinic, body, raw, key):
    before = clinic.state()
    r = clinic.post("chair1", body, raw=raw)
    assert r.status_code == 400, r.get_json()
    assert key in r.get_json()["message"]
    assert clinic.state() == before


def test_a_seed_must_be_a_whole_number(clinic: Clinic):
    assert clinic.post("chair2", {"kind": "end_session", "actor": "instructor"}).status_code == 200
    for seed in (True, "5", 1.5):
        _refused(clinic, "chair2", {"kind": "start_session", "actor": "instructor",
                                    "params": {"seed": seed}}, "seed")  # fmt: skip


def _inject(kind: Any, params: Any) -> dict[str, Any]:
    return {
        "kind": "inject_event",
        "actor": "instructor",
        "params": {"kind": kind, "params": params},
    }


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (_inject("meteor", {}), ["kind", "meteor", "vasovagal"]),
        (_inject("m" * 60_000, {}), ["kind", "60002 characters"]),
        (_inject("tachycardia", {"hr_rise_bpm": True, "duration_min": 5}), ["hr_rise_bpm"]),
        (_inject("tachycardia", {"hr_rise_bpm": 1e9, "duration_min": 5}), ["hr_rise_bpm"]),
        (_inject("tachycardia", {"hr_rise_bpm": 30, "duration_min": 5, "x" * 60_000: 1}),
         ["params", "64"]),
        (_inject("tachycardia", {"hr_rise_bpm": 30, "duration_min": 5, "colour": "red"}),
         ["colour", "unknown key"]),
        (_inject("tachycardia", {"hr_rise_bpm": 30, "duration_min": 5, "at": "start"}), ["at"]),
        (_inject("desaturation", {"spo2_drop_pct": 5, "duration_min": 5, "cause": "c" * 60_000}),
         ["cause", "200"]),
        (_inject("desaturation", {"spo2_drop_pct": 5, "duration_min": 5, "cause": {"a": [1]}}),
         ["cause"]),
        (_inject("probe_off", {f"k{i}": 1 for i in range(200)}), ["params", "12"]),
    ],
)  # fmt: skip
def test_an_injected_event_is_checked_before_anything_changes(clinic: Clinic, body, words):
    _refused(clinic, "chair1", body, *words)


def test_a_valid_event_is_still_injected(clinic: Clinic):
    body = _inject("desaturation", {"spo2_drop_pct": 8, "duration_min": 5, "cause": "opioid"})
    assert clinic.post("chair1", body).status_code == 200
    acts = [a for a in clinic.store.actions(clinic.sid()) if a["kind"] != "start_infusion"]
    assert [(a["kind"], a["outcome"]) for a in acts] == [("inject_event", "ok")]
    assert acts[0]["params"]["params"]["cause"] == "opioid"


# --- hover text: escaped wherever a person's text reaches a chart --------------------------------


def test_a_note_with_html_is_escaped_in_the_review_figure_and_the_report(clinic: Clinic):
    r = clinic.post("chair1", {"kind": "chart", "params": {"kind": "note", "text": FAKE}})
    assert r.status_code == 200  # a note may say anything printable; it is shown, not run
    data = session_from_store(clinic.store, clinic.sid())
    debrief = compute_debrief(data)
    fig = timeline_figure(data, debrief).to_plotly_json()
    texts = [t for tr in fig["data"] for t in (tr.get("text") or []) if isinstance(t, str)]
    assert any('&lt;a href="https://evil.example/"&gt;' in t for t in texts)
    assert not any("<a " in t or "<b " in t for t in texts)
    html = render_report(data, debrief)
    assert "evil.example" in html
    assert '<a href="https://evil.example/"' not in html
    assert "<b style" not in html


def test_stored_text_reaches_the_bedside_hover_escaped(clinic: Clinic):
    """Rows written before these checks (or by any other way in) are shown, not run."""
    cursor = bedside_tick(clinic.rt, "chair1", None)["cursor"]
    with clinic.rt.lock:
        s = clinic.rt.beds["chair1"].session
        s.pending.actions.append(
            {"session_id": s.session_id, "t_s": float(s.t_s), "actor": "trainee",
             "kind": "give_antihypertensive", "params": {"drug": FAKE, "dose_mg": 5},
             "outcome": "ok", "reason": None})  # fmt: skip
    clinic.rt.advance(1)
    out = bedside_tick(clinic.rt, "chair1", cursor)
    wire = json.dumps(out.get("wire"))
    assert "fake alarm" in wire.lower()
    assert "&lt;a href=" in wire.lower()
    assert "<a href" not in wire.lower()
    assert "<b style" not in wire.lower()
