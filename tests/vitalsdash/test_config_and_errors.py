"""vitalsdash's own config lookup and TOML errors, its one error base, its one H:MM:SS
formatter and its one list of patient actions."""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import pytest

from vitalsdash import actions, configdir, debrief, errors
from vitalsdash.adapters import simulator
from vitalsdash.alarms import list_profiles
from vitalsdash.durations import hms, span_in_columns, span_in_words
from vitalsdash.protocol import list_protocols
from vitalsdash.tomlconfig import MAX_TOML_BYTES, ConfigError, load_toml_model, read_toml

pytestmark = pytest.mark.unit


# --- config lookup -----------------------------------------------------------------------


def test_the_current_directory_comes_before_the_shipped_config(tmp_path: Path, monkeypatch):
    mine = tmp_path / "config" / "alarms"
    mine.mkdir(parents=True)
    (mine / "zz-local.toml").write_text("[channels]\n")
    monkeypatch.chdir(tmp_path)
    assert configdir.config_dirs("alarms") == [mine, configdir.shipped_config() / "alarms"]
    assert configdir.config_root() == tmp_path / "config"
    assert "zz-local" in list_profiles()
    assert "ketamine-infusion" in list_profiles()  # the shipped ones still count


def test_without_a_local_config_the_shipped_one_is_used(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert configdir.config_root() == configdir.shipped_config()
    assert (configdir.shipped_config() / "clinic.toml").is_file()
    assert "depression-40min" in list_protocols()
    assert "uneventful-depression" in [p.stem for p in simulator.list_scenarios()]


def test_the_same_folder_is_listed_once(monkeypatch):
    monkeypatch.chdir(configdir.shipped_config().parent)
    assert configdir.config_dirs("scenarios") == [Path.cwd() / "config" / "scenarios"]


# --- TOML loading --------------------------------------------------------------------------


def test_a_toml_error_names_file_key_and_reason(tmp_path: Path):
    from pydantic import BaseModel, ConfigDict

    class Model(BaseModel):
        model_config = ConfigDict(extra="forbid")
        rate_mg_per_kg_h: float

    path = tmp_path / "x.toml"
    path.write_text("rate_mg_per_kg_h = 'fast'\nspeeed = 2\n")
    with pytest.raises(ConfigError) as err:
        load_toml_model(path, Model)
    lines = str(err.value).splitlines()
    assert lines[0].startswith(f"{path}: rate_mg_per_kg_h: ")
    assert lines[1] == f"{path}: speeed: unknown key (check its spelling and its unit suffix)"
    assert err.value.key == "rate_mg_per_kg_h"


def test_only_small_regular_files_are_read(tmp_path: Path):
    with pytest.raises(ConfigError, match="a directory, not a regular file"):
        read_toml(tmp_path)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * MAX_TOML_BYTES + "\n")
    with pytest.raises(ConfigError, match="256 KiB"):
        read_toml(big)
    with pytest.raises(ConfigError, match="no such file"):
        read_toml(tmp_path / "missing.toml")


def test_the_simulators_config_errors_come_out_as_vitalsdashs(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 1\n")
    with pytest.raises(ConfigError) as err:
        simulator.load_scenario(bad)
    assert err.value.path == str(bad)
    with pytest.raises(ConfigError, match="no such scenario file"):
        simulator.find_scenario("no-such-scenario")
    with pytest.raises(ConfigError, match="unknown event kind"):
        simulator.check_event("meteor", {})


# --- one error base ------------------------------------------------------------------------


def _subclasses(cls: type) -> set[type]:
    out = set(cls.__subclasses__())
    for sub in list(out):
        out |= _subclasses(sub)
    return out


def test_every_vitalsdash_error_derives_from_one_base():
    for module in ("cli", "report", "store", "adapters.hl7", "render_slots", "ui.live.stream",
                   "ui.review.data", "debrief"):  # fmt: skip
        importlib.import_module(f"vitalsdash.{module}")

    names = {c.__name__ for c in _subclasses(errors.VitalsdashError)}
    expected = {"ConfigError", "ActionError", "StoreError", "StoreWriteError", "ReportError",
                "RecordingError", "SourceActionError", "Hl7Error", "AlarmActionError",
                "DebriefSourceError", "UsageError", "StreamsFullError",
                "RenderBusyError", "ReviewError"}  # fmt: skip
    assert expected <= names
    assert issubclass(errors.ConfigError, ValueError)  # callers catching ValueError still do


# --- one H:MM:SS -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t_s", "text"),
    [(None, ""), (math.nan, ""), (0, "0:00:00"), (59.9996, "0:01:00"), (3725, "1:02:05"),
     (360000, "100:00:00"), (-5, "-0:00:05")],
)  # fmt: skip
def test_session_time_reads_as_h_mm_ss(t_s, text):
    assert hms(t_s) == text


def test_a_running_clock_shows_whole_seconds_passed():
    assert hms(13.9, elapsed=True) == "0:00:13"
    assert hms(-3, elapsed=True) == "0:00:00"


# --- one list of patient actions ---------------------------------------------------------


def test_patient_actions_are_the_simulators_less_starting_the_infusion():
    from vitalsim.engine import PATIENT_ACTIONS as SIM

    assert tuple(k for k in SIM if k != "start_infusion") == simulator.PATIENT_ACTIONS
    assert tuple(actions.PATIENT_ACTIONS) == simulator.PATIENT_ACTIONS
    assert debrief.PATIENT_ACTIONS == simulator.PATIENT_ACTIONS
    assert simulator.SimulatorSource.actions == frozenset(simulator.PATIENT_ACTIONS)


@pytest.mark.parametrize(
    ("seconds", "columns", "words"),
    [(None, "", ""), (45, "45 s", "45 s"), (185, "3 min 05 s", "3 min 5 s"),
     (120, "2 min 00 s", "2 min"), (3725, "1 h 02 min", "1 h 2 min"), (3600, "1 h 00 min", "1 h")],
)  # fmt: skip
def test_a_span_reads_in_columns_or_in_words(seconds, columns, words):
    assert span_in_columns(seconds) == columns
    assert span_in_words(seconds) == words
