"""The ``vitalsim`` command line: recordings, the PK table, the population check, errors.

Called in-process through ``vitalsim.cli.main`` (fast), and once through the installed
console script in a subprocess to check the entry point itself.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vitalsim.cli import main
from vitalsim.pk import concentration_table
from vitalsim.symptoms import SCORE_CHANNELS

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
SAMPLE_COLUMNS = ["t", "channel", "value", "quality", "true_value"]
EVENT_COLUMNS = ["t", "kind", "source", "detail"]
CHANNELS = {"HR", "SPO2", "RR", "ETCO2", "NIBP_SYS", "NIBP_DIA", "NIBP_MAP", "PUMP_RATE",
            "KET_CP", "KET_CE", *SCORE_CHANNELS.values()}  # fmt: skip
POPULATION_KEYS = {
    "mean_peak_dsbp_mmhg",
    "mean_peak_ddbp_mmhg",
    "mean_peak_dhr_bpm",
    "mean_dsbp_30min_mmhg",
    "mean_ddbp_30min_mmhg",
    "frac_rise_40_25",
    "p99_peak_dsbp_mmhg",
    "median_time_to_peak_min",
}
NOISE_FREE_KEYS = {
    "mean_peak_dsbp_mmhg",
    "median_time_to_peak_min",
    "median_time_to_baseline_min",
    "frac_baseline_within_90min_of_end",
}


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``vitalsim ARGV`` in-process: (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_user_error(code: int, err: str, *mentions: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1, err
    for text in mentions:
        assert text in lines[0], lines[0]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole uneventful session, written once as CSV."""
    out = tmp_path_factory.mktemp("run") / "session.csv"
    assert main(["run", "uneventful-depression", "--seed", "4", "--out", str(out)]) == 0
    return out


# --------------------------------------------------------------------------- run


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_run_twice_with_the_same_seed_gives_byte_identical_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    paths = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}{suffix}"
        args = ("run", "hypertensive-responder", "--seed", "3", "--duration-min", "30")
        code, _, err = cli(capsys, *args, "--out", str(out))
        assert code == 0, err
        paths.append(out)
    a, b = paths
    events_a, events_b = (p.with_name(p.stem + ".events" + suffix) for p in paths)
    assert a.read_bytes() == b.read_bytes()
    assert events_a.read_bytes() == events_b.read_bytes()
    # Another seed gives another recording.
    other = tmp_path / f"c{suffix}"
    args = ("run", "hypertensive-responder", "--seed", "4", "--duration-min", "30")
    assert cli(capsys, *args, "--out", str(other))[0] == 0
    assert other.read_bytes() != a.read_bytes()


def test_csv_and_parquet_hold_the_same_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = []
    for suffix in (".csv", ".parquet"):
        out = tmp_path / f"rec{suffix}"
        code, _, err = cli(
            capsys, "run", "artefact-heavy", "--duration-min", "50", "--out", str(out)
        )
        assert code == 0, err
        frames.append(pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out))
    csv, parquet = frames
    assert list(parquet.columns) == SAMPLE_COLUMNS
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False, rtol=1e-9)


def test_the_recording_has_the_documented_columns_and_channels(full_run: Path) -> None:
    header = full_run.read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(SAMPLE_COLUMNS)
    df = pd.read_csv(full_run)
    assert set(df["channel"]) == CHANNELS
    documented = README[README.index("`channel` (") : README.index("`value`")]
    assert set(re.findall(r"`([A-Z0-9_]+)`", documented)) == CHANNELS
    assert set(df["quality"]) <= {"ok", "artefact", "invalid"}
    assert df["true_value"].notna().all()
    assert df["t"].is_monotonic_increasing
    assert df["t"].max() == 6600 - 1
    assert (df.loc[df["channel"] == "SPO2", "true_value"] <= 100).all()


def test_the_events_sidecar_lists_the_phases(full_run: Path) -> None:
    events_path = full_run.with_name("session.events.csv")
    ev = pd.read_csv(events_path)
    assert list(ev.columns) == EVENT_COLUMNS
    phases = ev[ev["kind"] == "phase"]
    assert [json.loads(d)["phase"] for d in phases["detail"]] == [
        "baseline",
        "infusion",
        "observation",
    ]
    assert list(phases["t"]) == [0, 600, 3000]
    assert set(phases["source"]) == {"protocol"}
    start = ev[ev["kind"] == "start_infusion"]
    assert len(start) == 1
    assert start["source"].iloc[0] == "action"
    assert ev["t"].is_monotonic_increasing


def test_the_events_sidecar_lists_scripted_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "surge.csv"
    assert cli(capsys, "run", "hypertensive-responder", "--out", str(out))[0] == 0
    ev = pd.read_csv(tmp_path / "surge.events.csv")
    surge = ev[ev["kind"] == "hypertensive_surge"]
    assert len(surge) == 1
    assert surge["source"].iloc[0] == "scenario"
    assert surge["t"].iloc[0] == 600 + 25 * 60
    assert json.loads(surge["detail"].iloc[0])["sbp_rise_mmhg"] == 35  # as the file writes it


def test_no_script_leaves_out_the_scripted_actions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kinds = {}
    for flag in ((), ("--no-script",)):
        out = tmp_path / f"run{len(flag)}.csv"
        assert cli(capsys, "run", "example-annotated", *flag, "--out", str(out))[0] == 0
        ev = pd.read_csv(out.with_name(out.stem + ".events.csv"))
        kinds[bool(flag)] = set(ev.loc[ev["source"] == "action", "kind"])
    assert kinds[False] == {"start_infusion", "reassure", "give_antiemetic"}
    assert kinds[True] == {"start_infusion"}


def test_the_console_script_writes_what_main_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = Path(sys.executable).with_name("vitalsim")
    assert script.is_file(), f"console script not installed at {script}"
    args = ["run", "vasovagal-observation", "--seed", "11", "--duration-min", "20"]
    sub = tmp_path / "sub.csv"
    done = subprocess.run(
        [str(script), *args, "--out", str(sub)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    here = tmp_path / "here.csv"
    assert cli(capsys, *args, "--out", str(here))[0] == 0
    assert sub.read_bytes() == here.read_bytes()
    assert (
        sub.with_name("sub.events.csv").read_bytes()
        == here.with_name("here.events.csv").read_bytes()
    )
    # A user mistake through the real entry point: exit 2, one error line, no traceback.
    bad = subprocess.run(
        [str(script), "run", "no-such-scenario", "--out", str(tmp_path / "x.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_user_error(bad.returncode, bad.stderr, "no-such-scenario")


# --------------------------------------------------------------------------- pk


@pytest.mark.parametrize(
    ("regimen", "kwargs"),
    [
        (["--dose-mg-per-kg", "0.5", "--over-min", "40"], {"dose_mg_per_kg": 0.5, "over_min": 40}),
        (["--rate-mg-per-kg-h", "1", "--for-min", "240"], {"rate_mg_per_kg_h": 1, "for_min": 240}),
    ],
)
@pytest.mark.parametrize("model", ["kamp", "domino"])
def test_pk_csv_matches_the_concentration_table(
    capsys: pytest.CaptureFixture[str], model: str, regimen: list[str], kwargs: dict
) -> None:
    times = [0, 10, 40, 41, 60, 90, 300]
    code, out, err = cli(
        capsys, "pk", "--model", model, "--weight", "82", *regimen,
        "--times", ",".join(map(str, times)), "--csv",
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines()[0] == "t_min,cp_ng_ml,ce_ng_ml"
    got = pd.read_csv(io.StringIO(out))
    want = concentration_table(model, 82.0, times, **kwargs)
    assert list(got["t_min"]) == times
    np.testing.assert_allclose(got["cp_ng_ml"], want["cp_ng_ml"], atol=1e-4)
    np.testing.assert_allclose(got["ce_ng_ml"], want["ce_ng_ml"], atol=1e-4)


def test_pk_text_table_names_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("pk", "--weight", "70", "--dose-mg-per-kg", "0.5", "--over-min", "40")
    code, out, _ = cli(capsys, *args, "--times", "40")
    assert code == 0
    assert out.startswith("kamp model, 70 kg")
    t, cp, ce = (float(x) for x in out.splitlines()[-1].split())
    want = concentration_table("kamp", 70.0, [40.0], dose_mg_per_kg=0.5, over_min=40.0)
    assert t == 40.0
    assert cp == pytest.approx(want["cp_ng_ml"].iloc[0], abs=0.05)
    assert ce == pytest.approx(want["ce_ng_ml"].iloc[0], abs=0.05)


# --------------------------------------------------------------------------- population


def test_population_json_has_the_documented_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = cli(capsys, "population", "--n", "50", "--seed", "1", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == {"n", "seed", "protocol", "measured", "noise_free", "published"}
    assert set(report["measured"]) >= POPULATION_KEYS
    assert set(report["noise_free"]) >= NOISE_FREE_KEYS
    for k in POPULATION_KEYS | NOISE_FREE_KEYS:
        assert f"`{k}`" in README, f"{k} is not documented in README.md"
    assert report["n"] == report["measured"]["n"] == 50
    assert 0 <= report["measured"]["frac_rise_40_25"] <= 1
    free = report["noise_free"]
    assert free["median_time_to_peak_min"] < free["median_time_to_baseline_min"]
    # Same arguments, same numbers.
    assert cli(capsys, "population", "--n", "50", "--seed", "1", "--json")[1] == out


def test_population_table_shows_the_published_ranges(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "population", "--n", "20", "--seed", "2")
    assert code == 0
    assert "Vankawala 2021" in out
    assert "10.4-14.8" in out
    assert "uneventful-depression" in out


# --------------------------------------------------------------------------- mistakes


def test_unknown_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "run", "no-such-scenario", "--out", str(tmp_path / "x.csv"))
    assert_user_error(code, err, "no-such-scenario", "uneventful-depression")
    assert not (tmp_path / "x.csv").exists()


def test_bad_out_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.txt"
    args = ("run", "uneventful-depression", "--duration-min", "1")
    code, _, err = cli(capsys, *args, "--out", str(out))
    assert_user_error(code, err, ".txt", ".csv", ".parquet")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("times", ["0,ten", "-5", ",", "1,,x"])
def test_bad_times(capsys: pytest.CaptureFixture[str], times: str) -> None:
    args = ("pk", "--weight", "70", "--dose-mg-per-kg", "0.5", "--over-min", "40")
    code, out, err = cli(capsys, *args, f"--times={times}")
    assert_user_error(code, err, "--times")
    assert out == ""


def test_both_dosing_forms(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys, "pk", "--weight", "70", "--dose-mg-per-kg", "0.5", "--over-min", "40",
        "--rate-mg-per-kg-h", "0.5", "--for-min", "60", "--times", "0,10",
    )  # fmt: skip
    assert_user_error(code, err, "--dose-mg-per-kg", "--rate-mg-per-kg-h")
    assert out == ""


def test_no_dosing_form(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "pk", "--weight", "70", "--times", "0,10")
    assert_user_error(code, err, "--dose-mg-per-kg")


def test_population_needs_at_least_one_patient(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "population", "--n", "0")
    assert_user_error(code, err, "--n")


def test_a_bad_scenario_file_names_file_key_and_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(
        '[scenario]\nname = "Broken"\n\n'
        "[protocol]\ndose_mg = 35\nover_min = 40\n",
        encoding="utf-8",
    )  # fmt: skip
    code, _, err = cli(capsys, "run", str(path), "--out", str(tmp_path / "x.csv"))
    assert code == 2
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines
    assert all(line.startswith("error: ") for line in lines)
    unknown = [line for line in lines if "protocol.dose_mg:" in line]
    assert len(unknown) == 1
    assert str(path) in unknown[0]
    assert "unknown key" in unknown[0]
    assert "dose_mg_per_kg" in unknown[0]
    assert not (tmp_path / "x.csv").exists()


def test_a_bad_value_in_a_scenario_file_is_reported_with_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "toofast.toml"
    path.write_text(
        '[scenario]\nname = "Too fast"\n\n'
        "[protocol]\nrate_mg_per_kg_h = 9\nfor_min = 40\n",
        encoding="utf-8",
    )  # fmt: skip
    code, _, err = cli(capsys, "run", str(path), "--out", str(tmp_path / "x.csv"))
    assert_user_error(code, err, str(path), "protocol.rate_mg_per_kg_h", "9")
