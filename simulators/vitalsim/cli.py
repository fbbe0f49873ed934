"""``vitalsim``: run a virtual patient, tabulate concentrations, check a population.

User mistakes (a bad scenario, a wrong option) print one ``error:`` line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from vitalsim._tomlconfig import ConfigError
from vitalsim.course import MAX_SESSIONS, check_session_number
from vitalsim.dosing import Dosing
from vitalsim.engine import ActionError, Chunk, Cohort, samples_of, simulate_scenario
from vitalsim.pk import ALL_PK_MODELS, concentration_table
from vitalsim.population import PUBLISHED
from vitalsim.recording import (
    RecordingFormatError,
    check_suffix,
    check_waveform_suffix,
    events_frame,
    phase_changes,
    samples_frame,
    write_recording,
    write_waveforms,
)
from vitalsim.scenario import find_scenario, load_scenario
from vitalsim.study import measure_population, noise_free_stats, write_patients_csv
from vitalsim.waveforms import generate_waves, wave_inputs, wave_state

DEFAULT_PROTOCOL = "uneventful-depression"


class UsageError(Exception):
    """A mistake in how the command was called."""


def _times(text: str) -> list[float]:
    try:
        times = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--times takes minutes separated by commas (e.g. 0,10,40), got {text!r}"
        ) from None
    if not times or any(t < 0 for t in times):
        raise argparse.ArgumentTypeError("--times needs at least one time, none negative")
    return sorted(times)


def _session(text: str) -> int:
    try:
        return check_session_number(int(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"--session takes a session number from 1 to {MAX_SESSIONS}, got {text!r}"
        ) from exc


def cmd_run(args: argparse.Namespace) -> int:
    check_suffix(args.out)  # before minutes of simulation, not after
    if args.waveforms is not None:
        check_waveform_suffix(args.waveforms)
    scenario = load_scenario(find_scenario(args.scenario))
    seed = args.seed if args.seed is not None else (scenario.seed or 0)
    duration = None if args.duration_min is None else int(args.duration_min * 60)
    cohort, chunk = simulate_scenario(
        scenario, seed, follow_script=not args.no_script, duration_s=duration,
        session_number=args.session,
    )  # fmt: skip
    if args.waveforms is not None and len(cohort.patient_ids) != 1:
        raise UsageError(
            f"--waveforms writes one patient's waveforms; this run has "
            f"{len(cohort.patient_ids)} patients"
        )
    samples = samples_frame(samples_of(chunk))
    events = events_frame(phase_changes(chunk.t_s, chunk.phases), scenario.events, chunk.notes)
    ev_path = write_recording(args.out, samples, events)
    print(
        f"{scenario.name}: {len(samples)} samples -> {args.out}; {len(events)} events -> {ev_path}",
        file=sys.stderr,
    )
    if args.waveforms is not None:
        _write_run_waveforms(args.waveforms, cohort, chunk)
    return 0


def _write_run_waveforms(path: str, cohort: Cohort, chunk: Chunk) -> None:
    """The ECG, pleth and capnogram of the run's patient, from its numerics."""
    state = wave_state(cohort.noise_seed, cohort.patient_ids[0])
    waves, _ = generate_waves(wave_inputs(chunk, 0), state)
    write_waveforms(path, waves)
    print(f"waveforms (ECG II, pleth, CO2) -> {path}", file=sys.stderr)


def cmd_pk(args: argparse.Namespace) -> int:
    if (args.dose_mg_per_kg is None) == (args.rate_mg_per_kg_h is None):
        raise UsageError(
            "give either --dose-mg-per-kg with --over-min, or --rate-mg-per-kg-h with --for-min"
        )
    if args.dose_mg_per_kg is not None:
        regimen = {"dose_mg_per_kg": args.dose_mg_per_kg, "over_min": args.over_min}
    else:
        regimen = {"rate_mg_per_kg_h": args.rate_mg_per_kg_h, "for_min": args.for_min}
    try:
        table = concentration_table(args.model, args.weight, args.times, **regimen)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.csv:
        sys.stdout.write(table.to_csv(index=False, float_format="%.4f", lineterminator="\n"))
    else:
        print(f"{args.model} model, {args.weight:g} kg")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    return 0


def cmd_population(args: argparse.Namespace) -> int:
    if args.n < 1:
        raise UsageError("--n must be at least 1")
    scenario = load_scenario(find_scenario(args.protocol))
    proto = scenario.protocol
    out_csv = _writable_csv(args.patients) if args.patients else None
    from tqdm import tqdm

    with tqdm(total=args.n, desc="patients", unit="pt", file=sys.stderr, disable=None) as bar:
        measured = measure_population(scenario, args.n, args.seed, progress=bar.update)
    if out_csv is not None:
        write_patients_csv(measured, out_csv)
    stats = measured.stats()
    noise_free = noise_free_stats(scenario, args.n, args.seed)
    if args.json:
        report = {"n": args.n, "seed": args.seed, "protocol": args.protocol,
                  "measured": stats, "noise_free": noise_free,
                  "published": {k: {"value": v[0], "low": v[1], "high": v[2], "source": v[3]}
                                for k, v in PUBLISHED.items()}}  # fmt: skip
        print(json.dumps(report, indent=2, allow_nan=False, default=_json_number))
        return 0
    print(
        f"{args.n} virtual patients, seed {args.seed}, protocol {args.protocol} "
        f"({_regimen_words(proto.dosing, proto.infusion_min)}), "
        "measured as the studies did (NIBP readings, 1-min median HR)"
    )
    print(f"{'figure':36} {'measured':>9} {'noise-free':>11}   published")
    for key, value in stats.items():
        if key == "n" or value is None:
            continue
        ref = PUBLISHED.get(key)
        pub = (
            ""
            if ref is None
            else (f"{'' if ref[0] is None else f'{ref[0]:g} '}({ref[1]:g}-{ref[2]:g}) {ref[3]}")
        )
        free = noise_free.get(key)
        free_text = "" if free is None else f"{free:11.2f}"
        print(f"{key:36} {value:9.2f} {free_text:>11}   {pub}")
    if out_csv is not None:
        print(f"wrote {args.n} patients to {out_csv}")
    return 0


def _json_number(value: object) -> object:
    """NaN has no JSON spelling: a figure nobody could measure is null."""
    return None


def _writable_csv(path: str) -> Path:
    out = Path(path)
    if out.suffix.lower() != ".csv":
        raise UsageError(f"--patients {path}: the patient table is written as CSV (.csv)")
    if not out.parent.is_dir():
        raise UsageError(f"--patients {path}: the folder {out.parent} does not exist")
    return out


def _regimen_words(dosing: Dosing, infusion_min: float) -> str:
    """ "0.5 mg/kg over 40 min", "0.5 mg/kg over 40 min per kg of ideal body weight",
    "esketamine 56 mg nasal spray, 2 devices 5 min apart"."""
    if dosing.intranasal:
        return (f"{dosing.drug} {dosing.dose_mg:g} mg nasal spray, {dosing.devices} devices "
                f"{dosing.device_interval_min:g} min apart")  # fmt: skip
    words = f"{dosing.dose_mg_per_kg:g} mg/kg over {infusion_min:g} min"
    if dosing.drug != "ketamine":
        words = f"{dosing.drug} {words}"
    if dosing.dose_weight != "actual":
        words += f" per kg of {dosing.dose_weight} body weight"
    return words


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="vitalsim",
        description="The vitalsdash virtual patient (training tool, not a medical device).",
    )
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="simulate a scenario into a recording")
    run.add_argument("scenario", help="scenario name (config/scenarios) or path to a TOML file")
    run.add_argument("--seed", type=int, help="random seed (default: the scenario's, else 0)")
    run.add_argument("--out", required=True, help="recording to write (.csv or .parquet)")
    run.add_argument("--no-script", action="store_true", help="ignore scripted [[actions]]")
    run.add_argument("--duration-min", type=float, help="simulate this long instead")
    run.add_argument(
        "--waveforms",
        metavar="FILE.parquet",
        help="also write the ECG II, pleth and CO2 waveforms (t, ECG_II, PLETH, CO2)",
    )
    run.add_argument(
        "--session",
        type=_session,
        default=1,
        metavar="N",
        help="session N of the patient's course (default 1: a single session)",
    )
    run.set_defaults(func=cmd_run)

    pk = sub.add_parser("pk", help="plasma and effect-site concentrations over time")
    pk.add_argument("--model", choices=sorted(ALL_PK_MODELS), default="kamp")
    pk.add_argument("--weight", type=float, required=True, metavar="KG")
    pk.add_argument("--dose-mg-per-kg", type=float)
    pk.add_argument("--over-min", type=float)
    pk.add_argument("--rate-mg-per-kg-h", type=float)
    pk.add_argument("--for-min", type=float)
    pk.add_argument("--times", type=_times, required=True, help="minutes, e.g. 0,10,20,40,60")
    pk.add_argument("--csv", action="store_true", help="CSV: t_min,cp_ng_ml,ce_ng_ml")
    pk.set_defaults(func=cmd_pk)

    pop = sub.add_parser("population", help="a virtual population beside published figures")
    pop.add_argument("--n", type=int, default=1000)
    pop.add_argument("--seed", type=int, default=0)
    pop.add_argument(
        "--protocol",
        default=DEFAULT_PROTOCOL,
        help="scenario whose [protocol] to give (default: %(default)s)",
    )
    pop.add_argument("--json", action="store_true", help="measured and noise-free figures as JSON")
    pop.add_argument(
        "--patients", metavar="FILE.csv", help="write one row per patient (measured) to this CSV"
    )
    pop.set_defaults(func=cmd_population)

    from vitalsim import stream as _stream

    stream = sub.add_parser("stream", help="act as a bedside monitor: PCD-01 ORU^R01 over MLLP")
    _stream.add_arguments(stream)
    stream.set_defaults(func=_stream.cmd_stream)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, UsageError, RecordingFormatError, ActionError) as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
