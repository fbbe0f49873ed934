"""`vitalsdash alarms replay` end to end on a small generated recording."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from vitalsdash.cli import main
from vitalsdash.recording import RecordingError, read_recording

pytestmark = pytest.mark.integration
LOG_COLUMNS = ["t", "condition", "event", "priority", "value", "limit"]


def make_recording(path: Path, *, minutes: int = 32, pump_from: int = 600, pump_to: int = 1500):
    """A session in the `vitalsim run` format: a 60 s tachycardia at 900 s, an 8 s HR spike
    at 300 s, a high SBP reading at 1200 s, the probe off 1300-1330 s, a failed cuff."""
    rows = []
    for t in range(minutes * 60):
        hr, hq = 72.0, "ok"
        if 300 <= t < 308:
            hr, hq = 125.0, "artefact"
        if 900 <= t < 960:
            hr = 128.0
        rows.append((t, "HR", hr, hq, hr if hq == "ok" else 72.0))
        off = 1300 <= t < 1330
        rows.append((t, "SPO2", math.nan if off else 97.0, "invalid" if off else "ok", 97.0))
        if t % 5 == 0:
            rows.append((t, "RR", 14.0, "ok", 14.0))
        rate = 0.75 if pump_from <= t < pump_to else 0.0
        rows.append((t, "PUMP_RATE", rate, "ok", rate))
        if t % 300 == 40:
            sys_ = 185.0 if t == 1240 else 125.0
            failed = t == 1540
            for ch, v in (("NIBP_SYS", sys_), ("NIBP_DIA", 80.0), ("NIBP_MAP", 95.0)):
                rows.append((t, ch, math.nan if failed else v, "invalid" if failed else "ok", v))
    df = pd.DataFrame(rows, columns=["t", "channel", "value", "quality", "true_value"])
    if path.suffix == ".parquet":
        df.to_parquet(path)
    else:
        df.to_csv(path, index=False)
    return df


def replay(tmp_path: Path, *args: str, rec: str = "rec.csv") -> tuple[int, pd.DataFrame | None]:
    out = tmp_path / "log.csv"
    code = main(
        ["alarms", "replay", str(tmp_path / rec), "--out", str(out), "--no-progress", *args]
    )
    log = pd.read_csv(out, keep_default_na=False) if out.exists() and code == 0 else None
    return code, log


def events(log: pd.DataFrame, condition: str) -> list[tuple[float, str]]:
    rows = log[(log.condition == condition) & (log.event != "limit_changed")]
    return list(zip(rows.t.tolist(), rows.event.tolist(), strict=True))


def test_replay_writes_the_log_and_prints_a_summary(tmp_path, capsys):
    make_recording(tmp_path / "rec.csv")
    code, log = replay(tmp_path, "--profile", "ketamine-infusion")
    assert code == 0
    assert list(log.columns) == LOG_COLUMNS
    # phases derived from PUMP_RATE: infusion from 600 s, observation from 1500 s
    phases = log[log.event == "set_phase"].t.tolist()
    assert phases == [600, 1500]
    # the 8 s spike is suppressed by the 10 s delay; the 60 s tachycardia alarms
    assert events(log, "HR_HI")[:2] == [(300, "pending"), (308, "suppressed")]
    assert (910, "active") in events(log, "HR_HI")
    assert events(log, "SYS_HI")[0] == (1240, "active")
    assert events(log, "SENSOR_OFF") == [(1300, "active"), (1330, "normal")]
    assert events(log, "CUFF_FAIL") == [(1540, "active"), (1840, "normal")]
    active = log[(log.condition == "HR_HI") & (log.event == "active")].iloc[0]
    assert (active.priority, float(active.value), float(active.limit)) == ("MEDIUM", 128, 109)
    out = capsys.readouterr().out
    assert "HR_HI" in out
    assert "suppressed: " in out
    assert "time in alarm" in out


def test_replay_is_identical_for_csv_and_parquet(tmp_path):
    make_recording(tmp_path / "rec.csv")
    make_recording(tmp_path / "rec.parquet")
    _, a = replay(tmp_path, "--profile", "adult-default")
    _, b = replay(tmp_path, "--profile", "adult-default", rec="rec.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_sidecar_phases_take_precedence(tmp_path):
    make_recording(tmp_path / "rec.csv")
    (tmp_path / "rec.events.csv").write_text(
        "t,kind,source,detail\n100,phase,system,infusion\n200,note,x,y\n1000,phase,system,observation\n"
    )
    _, log = replay(tmp_path, "--profile", "ketamine-infusion")
    assert log[log.event == "set_phase"].t.tolist() == [100, 1000]


def test_actions_file_acknowledges_and_rejects(tmp_path):
    make_recording(tmp_path / "rec.csv")
    (tmp_path / "actions.csv").write_text(
        "t,action,actor,target,value\n"
        "915,acknowledge,trainee,HR_HI,\n"
        "916,acknowledge,trainee,SPO2_LO,\n"
        "920,set_limit,instructor,HR.high,130\n"
        "1250,pause_audio,trainee,,\n"
    )
    code, log = replay(
        tmp_path,
        "--profile",
        "ketamine-infusion",
        "--actions",
        str(tmp_path / "actions.csv"),
        "--full",
    )
    assert code == 0
    assert list(log.columns)[:6] == LOG_COLUMNS
    ack = log[log.event == "acknowledged"].iloc[0]
    assert (ack.t, ack.condition, ack.actor) == (915, "HR_HI", "trainee")
    rejected = log[log.event == "rejected"].iloc[0]
    assert rejected.t == 916
    assert "not active" in rejected.detail
    assert "escalated" not in set(log[log.condition == "HR_HI"].event)
    change = log[(log.event == "limit_changed") & (log.condition == "HR_HI") & (log.t == 920)]
    assert pd.to_numeric(change.limit).tolist() == [130]
    assert change.actor.tolist() == ["instructor"]


def test_bad_inputs_exit_2_with_one_error_line(tmp_path, capsys):
    make_recording(tmp_path / "rec.csv", minutes=2)
    assert replay(tmp_path, "--profile", "no-such-profile")[0] == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "no alarm profile named 'no-such-profile'" in err
    (tmp_path / "bad.csv").write_text("t,channel,value,quality\n0,HR,70,ok\n1,HX,70,ok\n")
    assert replay(tmp_path, "--profile", "adult-default", rec="bad.csv")[0] == 2
    err = capsys.readouterr().err
    assert "bad.csv: line 3, column channel" in err
    assert "HX" in err
    assert replay(tmp_path, "--profile", "adult-default", rec="missing.csv")[0] == 2
    (tmp_path / "a.csv").write_text("t,action,target\n10,dance,HR\n")
    code, _ = replay(tmp_path, "--profile", "adult-default", "--actions", str(tmp_path / "a.csv"))
    assert code == 2
    assert "a.csv: line 2: column action: unknown action 'dance'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("t,channel,value\n0,HR,70\n", "missing column(s): quality"),
        ("t,channel,value,quality\n0,HR,seventy,ok\n", "line 2, column value"),
        ("t,channel,value,quality\n0,HR,70,good\n", "line 2, column quality"),
        ("t,channel,value,quality\n5,HR,70,ok\n4,HR,70,ok\n", "line 3, column t"),
        ("t,channel,value,quality\n,HR,70,ok\n", "line 2, column t"),
    ],
)
def test_recording_errors_name_file_row_column_and_reason(tmp_path, text, where):
    path = tmp_path / "r.csv"
    path.write_text(text)
    with pytest.raises(RecordingError) as err:
        read_recording(path)
    assert str(path) in str(err.value)
    assert where in str(err.value)


def test_recording_reader_keeps_empty_values_as_nan(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("t,channel,value,quality,true_value\n0,SPO2,,invalid,97\n0,HR,70,ok,70\n")
    df = read_recording(path)
    assert math.isnan(df.value[0])
    assert df.value[1] == 70
    assert list(df.channel) == ["SPO2", "HR"]


def test_console_script_runs(tmp_path):
    make_recording(tmp_path / "rec.csv", minutes=2)
    exe = Path(sys.executable).with_name("vitalsdash")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "vitalsdash.cli"]
    res = subprocess.run(
        [
            *cmd,
            "alarms",
            "replay",
            str(tmp_path / "rec.csv"),
            "--profile",
            "adult-default",
            "--out",
            str(tmp_path / "log.csv"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert "samples:" in res.stdout


def test_check_config_validates_the_shipped_profiles(capsys):
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "adult-default.toml: OK" in out
    assert "ketamine-infusion.toml: OK" in out


def test_check_config_reports_a_bad_profile(tmp_path, capsys):
    bad = tmp_path / "alarms" / "x.toml"
    bad.parent.mkdir()
    bad.write_text("[channels.HR]\nlow = 130\nhigh = 120\n")
    assert main(["check-config", str(bad)]) == 1
    assert f"{bad}: channels.HR.high: 120 must be above low (130)" in capsys.readouterr().out


def test_progress_reports_every_row(tmp_path):
    from vitalsdash.alarms import load_profile
    from vitalsdash.alarms.replay import replay as run

    rec = make_recording(tmp_path / "rec.csv", minutes=90)
    done: list[int] = []
    run(read_recording(tmp_path / "rec.csv"), load_profile("adult-default"), progress=done.append)
    assert len(done) > 1
    assert sum(done) == len(rec)


# --- capnography: one EtCO2 reading per breath ------------------------------------------------

APNOEA_FROM_S, APNOEA_TO_S = 1000.0, 1041.0  # no breath for 41 s in the infusion


def capno_recording(path: Path, *, others: bool = True) -> pd.DataFrame:
    """Breaths every 4.3 s at fractional times, EtCO2 40 mmHg before the infusion (from
    600 s) and 52 in it, a 41 s apnoea, and (``others``) HR each second and the pump."""
    rows = []
    if others:
        for t in range(1500):
            rows.append((float(t), "HR", 72.0, "ok", 72.0))
            rate = 0.75 if t >= 600 else 0.0
            rows.append((float(t), "PUMP_RATE", rate, "ok", rate))
    b = 3.2
    while b < 1500:
        if not APNOEA_FROM_S < b < APNOEA_TO_S:
            v = 40.0 if b < 600 else 52.0
            rows.append((round(b, 1), "ETCO2", v, "ok", v))
        b += 4.3
    df = pd.DataFrame(rows, columns=["t", "channel", "value", "quality", "true_value"])
    df = df.sort_values("t", kind="stable").reset_index(drop=True)
    df.to_csv(path, index=False)
    return df


def _second_by_second(rec: pd.DataFrame, profile: str) -> list[tuple]:
    """What the runtime does with the same readings: second by second, at its start the
    baseline and phase actions the replay derives, then the second's samples, the engine
    stepped at each time they have (the second's start when there are actions)."""
    from vitalsdash.alarms import AlarmEngine, load_profile
    from vitalsdash.alarms.replay import baseline_action, phase_actions
    from vitalsdash.model import Sample

    actions = list(phase_actions(rec, None))
    base = baseline_action(rec, actions)
    actions = ([base] if base is not None else []) + actions
    engine = AlarmEngine(load_profile(profile))
    log = list(engine.log)
    by_sec: dict[int, list[Sample]] = {}
    for t, ch, v in zip(rec.t.tolist(), rec.channel.tolist(), rec.value.tolist(), strict=True):
        by_sec.setdefault(math.floor(t), []).append(Sample(t, ch, v))
    for sec in range(math.floor(rec.t.max()) + 1):
        todo = [a for a in actions if math.floor(a.t_s) == sec]
        at: dict[float, list[Sample]] = {}
        for s in by_sec.get(sec, []):
            at.setdefault(s.t_s, []).append(s)
        if todo or not at:
            at.setdefault(float(sec), [])
        for now in sorted(at):
            log += engine.step(at[now], todo, now_s=now)
            todo = []
    return [
        (e.t_s, e.condition, e.event, e.priority.name if e.priority else "", e.value, e.limit)
        for e in log
    ]


def _as_rows(log: pd.DataFrame) -> list[tuple]:
    def num(x: str) -> float | None:
        return None if x == "" else float(x)

    return [
        (float(r.t), r.condition, r.event, r.priority, num(r.value), num(r.limit))
        for r in log.astype(str).replace("nan", "").itertuples(index=False)
    ]


def test_replay_and_the_live_engine_agree_on_capnography(tmp_path):
    """An apnoea between two breaths, the EtCO2 high limit and the rise over the baseline
    measured before the infusion: the replay of the recording logs what the engine
    stepped second by second logs, to the fraction of a second."""
    rec = capno_recording(tmp_path / "rec.csv")
    code, log = replay(tmp_path, "--profile", "ketamine-infusion")
    assert code == 0
    assert _as_rows(log) == _second_by_second(rec, "ketamine-infusion")
    last = rec[(rec.channel == "ETCO2") & (rec.t < APNOEA_FROM_S)].t.max()
    after = rec[(rec.channel == "ETCO2") & (rec.t > APNOEA_TO_S)].t.min()
    assert events(log, "APNEA") == [(last + 20, "active"), (after, "latched")]
    infused = rec[(rec.channel == "ETCO2") & (rec.t >= 600)].t.tolist()
    held = next(t for t in infused if t - infused[0] >= 15)  # the 15 s delay
    assert events(log, "ETCO2_HI")[:2] == [(infused[0], "pending"), (held, "active")]
    # the rise is counted from the baseline's median EtCO2 (40): above 40 + 9
    rise = log[(log.condition == "ETCO2_RISE") & (log.event == "active")].iloc[0]
    assert (float(rise.value), float(rise.limit), rise.priority) == (52.0, 49.0, "MEDIUM")


def test_replay_fires_the_apnoea_with_no_other_reading_in_the_recording(tmp_path):
    """A recording of breaths alone: nothing but the next breath follows the silence, and
    the apnoea is still logged when it began, as live. (The other channels' NO_DATA,
    which the replay can only notice at the next row, are not compared.)"""
    rec = capno_recording(tmp_path / "rec.csv", others=False)
    code, log = replay(tmp_path, "--profile", "adult-default")
    assert code == 0
    last = rec[rec.t < APNOEA_FROM_S].t.max()
    after = rec[rec.t > APNOEA_TO_S].t.min()
    assert events(log, "APNEA") == [(last + 20, "active"), (after, "latched")]

    def capno(rows: list[tuple]) -> list[tuple]:
        return [r for r in rows if r[1] == "APNEA" or r[1].startswith("ETCO2")]

    assert capno(_as_rows(log)) == capno(_second_by_second(rec, "adult-default"))
