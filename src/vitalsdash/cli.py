"""``vitalsdash`` command line: one function per subcommand, registered in SUBCOMMANDS.

User mistakes (missing file, unknown profile, bad CSV or TOML) print ``error: ...`` to
stderr and exit 2; a traceback always means a bug.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from vitalsdash._cli_users import add_users_command
from vitalsdash.errors import VitalsdashError
from vitalsdash.recording import RecordingError
from vitalsdash.tomlconfig import ConfigError, read_toml

__all__ = ["CONFIG_CHECKS", "UsageError", "build_parser", "main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class UsageError(VitalsdashError):
    """A mistake in what the user asked for; printed as one ``error:`` line, exit 2."""


# --- alarms replay -------------------------------------------------------------------------


def _alarms_replay(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from vitalsdash.alarms import load_profile
    from vitalsdash.alarms.replay import (
        baseline_action,
        phase_actions,
        print_summary,
        pump_actions,
        read_actions,
        replay,
        summarize,
        write_log,
    )
    from vitalsdash.recording import read_events, read_recording

    profile = load_profile(args.profile)
    rec = read_recording(args.recording)
    events = read_events(args.recording)
    actions = list(phase_actions(rec, events))
    base = baseline_action(rec, actions)
    if base is not None:
        actions.insert(0, base)
    actions += pump_actions(events)  # after the phases of the same second, as live
    if args.actions:
        actions += read_actions(args.actions)
    n = len(rec)
    bar = tqdm(
        total=n,
        unit="samples",
        unit_scale=True,
        file=sys.stderr,
        leave=False,
        disable=args.no_progress or n < 100_000 or None,
    )
    try:
        events, _ = replay(rec, profile, actions, bed=args.bed, progress=bar.update)
    finally:
        bar.close()
    out = Path(args.out)
    try:
        write_log(events, out, full=args.full)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    end_t = float(rec["t"].iloc[-1]) if n else 0.0
    start_t = float(rec["t"].iloc[0]) if n else 0.0
    print(f"profile {profile.name}: {args.recording} -> {out} ({len(events)} events)")
    print_summary(summarize(events, end_t), samples=n, duration_s=end_t - start_t)
    return EXIT_OK


def _add_alarms(sub: argparse._SubParsersAction) -> None:
    alarms = sub.add_parser("alarms", help="alarm engine tools")
    asub = alarms.add_subparsers(dest="alarms_command", required=True, metavar="COMMAND")
    rp = asub.add_parser("replay", help="evaluate a recording and write the alarm log")
    rp.add_argument("recording", help="recording in the `vitalsim run` format (.csv or .parquet)")
    rp.add_argument(
        "--profile", required=True, help="profile name (config/alarms/NAME.toml) or path"
    )
    rp.add_argument("--actions", help="CSV of actions: t,action,actor,target,value")
    rp.add_argument("--out", required=True, help="where to write the log (CSV)")
    rp.add_argument("--bed", default="", help="bed name written into the events")
    rp.add_argument(
        "--full", action="store_true", help="add base_priority, actor, bed and detail columns"
    )
    rp.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    rp.set_defaults(func=_alarms_replay)


# --- report and export ---------------------------------------------------------------------


def _open_store(db: str | None):
    """The store at ``--db`` (default: the one `vitalsdash run` uses); a missing SQLite file
    is a mistake, not a new empty database."""
    from vitalsdash.server import DEFAULT_DB
    from vitalsdash.store import Store, StoreError

    target = db or str(DEFAULT_DB)
    if "://" not in target and not Path(target).is_file():
        raise UsageError(f"no database at {target} (pass --db PATH or a database URL)")
    try:
        return Store(target)
    except StoreError as exc:
        raise UsageError(str(exc)) from None


def _session_id(text: str) -> int:
    from vitalsdash.ids import MAX_ROW_ID

    try:
        sid = int(text)
    except ValueError:
        raise UsageError(f"session id must be a whole number, got {text[:40]!r}") from None
    if sid < 1:
        raise UsageError(f"session id must be 1 or more, got {sid}")
    if sid > MAX_ROW_ID:
        raise UsageError(f"no session {text[:40]}: session ids go up to {MAX_ROW_ID}")
    return sid


@contextmanager
def _store_session(db: str | None, session: str, **kw):
    """The stored session's record, the store open until the block ends (a report reads
    the waveform strips at the alarm onsets while it is drawn)."""
    from vitalsdash.debrief import DebriefSourceError, session_from_store

    sid = _session_id(session)
    store = _open_store(db)
    try:
        try:
            data = session_from_store(store, sid, **kw)
        except DebriefSourceError as exc:
            raise UsageError(str(exc)) from None
        yield data
    finally:
        store.close()


def _report(args: argparse.Namespace) -> int:
    from vitalsdash.debrief import DEFAULT_PROFILE, session_from_recording
    from vitalsdash.report import ReportError, chromium_path, write_report

    if args.pdf and chromium_path() is None:
        raise UsageError(
            "--pdf needs Chromium, which is not installed (looked for /usr/bin/chromium): "
            "install Debian's 'chromium' package, or print the HTML report from a browser"
        )
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: no such folder {out.parent}")
    source = Path(args.source)
    with ExitStack() as stack:
        if args.source.isdigit() and not source.is_file():
            if args.actions:
                raise UsageError("--actions applies to a RECORDING; a stored session has its own")
            data = stack.enter_context(_store_session(args.db, args.source,
                                                      scenario=args.scenario,
                                                      protocol=args.protocol))  # fmt: skip
        else:
            if not source.is_file():
                raise UsageError(f"{source}: no such recording (nor a session id)")
            data = session_from_recording(
                source,
                actions=args.actions,
                profile=args.profile or DEFAULT_PROFILE,
                scenario=args.scenario,
                protocol=args.protocol,
            )
        try:
            files = write_report(data, out, pdf=args.pdf)
        except ReportError as exc:
            raise UsageError(str(exc)) from None
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    written = [str(p) for p in (files.html, files.pdf) if p is not None]
    s = files.debrief.summary()
    print(f"{data.title}: {' and '.join(written)}")
    print(
        f"episodes {s['episodes']}, never acknowledged {s['never_acknowledged']}, "
        f"silenced not resolved {s['silenced_unresolved']}, suppressed {s['suppressed']}; "
        f"expected met {s['expected']['met']}, late {s['expected']['late']}, "
        f"missed {s['expected']['missed']}; {s['discharge']}"
    )
    return EXIT_OK


def _add_report(sub: argparse._SubParsersAction) -> None:
    rp = sub.add_parser("report", help="debrief report of a session or a recording (HTML/PDF)")
    rp.add_argument(
        "source",
        metavar="SESSION_ID|RECORDING",
        help="a stored session's id, or a recording (.csv/.parquet)",
    )
    rp.add_argument("--out", required=True, help="the HTML file to write")
    rp.add_argument("--db", help="SQLite path or database URL (default: var/vitalsdash.sqlite)")
    rp.add_argument(
        "--scenario",
        help="scenario whose [[expected]] responses are scored "
        "(default: the session's own; none for a recording)",
    )
    rp.add_argument(
        "--actions",
        help="RECORDING only: actions CSV (replay's format, plus "
        "patient actions, chart and end_session)",
    )
    rp.add_argument("--profile", help="RECORDING only: alarm profile (default: ketamine-infusion)")
    rp.add_argument(
        "--protocol",
        help="protocol for discharge readiness (default: the "
        "session's; for a recording the scenario's, else depression-40min)",
    )
    rp.add_argument(
        "--pdf",
        action="store_true",
        help="also print it to PDF (OUT with .pdf) with headless Chromium",
    )
    rp.set_defaults(func=_report)


def _export(args: argparse.Namespace) -> int:
    from vitalsdash.report import EXPORT_FORMATS, export_session

    if args.format not in EXPORT_FORMATS:
        raise UsageError(f"unknown format {args.format!r} (use csv or parquet)")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"cannot write to {out}: it is a file, not a folder")
    with _store_session(args.db, args.session) as data:
        try:
            files = export_session(data, out, args.format)
        except OSError as exc:
            raise UsageError(f"cannot write to {out}: {exc.strerror or exc}") from None
    print(f"{data.title}: {len(files)} files in {out}: {', '.join(p.name for p in files)}")
    return EXIT_OK


def _add_export(sub: argparse._SubParsersAction) -> None:
    ex = sub.add_parser("export", help="write a stored session's data as CSV or Parquet files")
    ex.add_argument("session", metavar="SESSION_ID", help="the stored session's id")
    ex.add_argument("--format", default="csv", help="csv or parquet (default: csv)")
    ex.add_argument("--out", required=True, help="folder to write into (created if needed)")
    ex.add_argument("--db", help="SQLite path or database URL (default: var/vitalsdash.sqlite)")
    ex.set_defaults(func=_export)


# --- check-config --------------------------------------------------------------------------


def _check_alarm_profile(path: Path) -> str:
    from vitalsdash.alarms import load_profile

    load_profile(path)
    return "OK"


def _check_toml_syntax(path: Path) -> str:
    read_toml(path)
    return "OK (syntax only)"


def _check_protocol(path: Path) -> str:
    from vitalsdash.protocol import load_protocol

    load_protocol(path)
    return "OK"


def _check_scenario(path: Path) -> str:
    from vitalsdash.adapters.simulator import load_scenario

    load_scenario(path)
    return "OK"


def _check_clinic(path: Path) -> str:
    from vitalsdash.config import load_clinic

    load_clinic(path)
    return "OK"


CONFIG_CHECKS: dict[str, Callable[[Path], str]] = {
    "alarms": _check_alarm_profile,
    "protocols": _check_protocol,
    "scenarios": _check_scenario,
    "config": _check_clinic,  # config/clinic.toml
    "_config": _check_clinic,  # the clinic file shipped in the wheel
}
"""Validator per config folder name; files elsewhere get a TOML syntax check."""


def _checker(path: Path) -> Callable[[Path], str]:
    """By folder (config/alarms/...); elsewhere, an alarm profile is a file with [channels]."""
    if path.parent.name in CONFIG_CHECKS:
        return CONFIG_CHECKS[path.parent.name]
    if path.suffix == ".toml" and path.is_file() and "channels" in read_toml(path):
        return CONFIG_CHECKS["alarms"]
    return _check_toml_syntax


def _config_root() -> Path:
    from vitalsdash.configdir import config_root

    return config_root()


def _check_config(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or sorted(_config_root().rglob("*.toml"))
    if not paths:
        raise UsageError(f"no TOML files found under {_config_root()}")
    bad = 0
    for path in paths:
        try:
            print(f"{path}: {_checker(path)(path)}")
        except ConfigError as exc:
            bad += 1
            print(str(exc))
    return EXIT_INVALID if bad else EXIT_OK


def _add_check_config(sub: argparse._SubParsersAction) -> None:
    cc = sub.add_parser("check-config", help="validate configuration files (default: config/)")
    cc.add_argument("paths", nargs="*", help="TOML files (default: every file under config/)")
    cc.set_defaults(func=_check_config)


# --- run -----------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    from vitalsdash.server import ServeOptions, serve

    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port must be 1-65535, got {args.port}")
    if args.speed is not None and not 1 <= args.speed <= 120:
        raise UsageError(f"--speed must be between 1 and 120, got {args.speed:g}")
    from vitalsdash.store import StoreError

    try:
        return serve(ServeOptions(host=args.host, port=args.port, db=args.db, speed=args.speed,
                                  clinic=args.clinic, headless=args.headless,
                                  mllp_port=args.mllp_port,
                                  require_login=args.require_login))  # fmt: skip
    except StoreError as exc:  # the database cannot be opened: say why, no traceback
        raise UsageError(str(exc)) from None


def _add_run(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="start the clinic: runtime, dashboard and JSON API")
    run.add_argument("--headless", action="store_true", help="serve the JSON API only")
    run.add_argument("--host", default="127.0.0.1", help="bind address (default: %(default)s)")
    run.add_argument("--port", type=int, default=8050, help="HTTP port (default: %(default)s)")
    run.add_argument("--db", help="SQLite path or database URL (default: var/vitalsdash.sqlite)")
    run.add_argument("--speed", type=float, help="simulation speed x1-x120 (default: clinic's)")
    run.add_argument("--clinic", help="clinic TOML (default: config/clinic.toml)")
    run.add_argument("--mllp-port", type=int, help="also receive HL7 over MLLP on this port")
    run.add_argument("--require-login", action="store_true",
                     help="require logins on loopback too (always on beyond loopback; needs "
                     "an instructor account: vitalsdash users add)")  # fmt: skip
    run.set_defaults(func=_run)


# --- runtime and web: the scaled-out set-up (docs/scaling.md) -----------------------------


def _check_port(option: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise UsageError(f"{option} must be 1-65535, got {port}")


def _redis_url(url: str | None) -> str:
    from vitalsdash.server import DEFAULT_REDIS_URL, REDIS_SCHEMES

    if url is None:
        return DEFAULT_REDIS_URL
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in REDIS_SCHEMES:
        raise UsageError(f"--redis must be a Redis URL such as redis://HOST:6379/0, "
                         f"got {url[:60]!r}")  # fmt: skip
    return url


def _cluster_process(fn: Callable[[], int]) -> int:
    """Run one of the scaled-out set-up's processes, its refusals told as usage errors."""
    from vitalsdash.server import ClusterSetupError
    from vitalsdash.store import StoreError

    try:
        return fn()
    except (ClusterSetupError, StoreError) as exc:
        raise UsageError(str(exc)) from None


def _runtime(args: argparse.Namespace) -> int:
    from vitalsdash.server import RuntimeOptions, run_runtime

    if args.speed is not None and not 1 <= args.speed <= 120:
        raise UsageError(f"--speed must be between 1 and 120, got {args.speed:g}")
    if args.mllp_port is not None:
        _check_port("--mllp-port", args.mllp_port)
    elif args.host is not None:
        raise UsageError("--host is where the HL7 listener listens: give --mllp-port too "
                         "(the runtime serves no web pages)")  # fmt: skip
    opts = RuntimeOptions(db=args.db, redis=_redis_url(args.redis), clinic=args.clinic,
                          speed=args.speed, mllp_port=args.mllp_port,
                          host=args.host or "127.0.0.1")  # fmt: skip
    return _cluster_process(lambda: run_runtime(opts))


def _web(args: argparse.Namespace) -> int:
    from vitalsdash.server import MAX_WORKERS, WebOptions, serve_web

    _check_port("--port", args.port)
    if not 1 <= args.workers <= MAX_WORKERS:
        raise UsageError(f"--workers must be 1-{MAX_WORKERS}, got {args.workers}")
    opts = WebOptions(db=args.db, redis=_redis_url(args.redis), clinic=args.clinic,
                      host=args.host, port=args.port, workers=args.workers,
                      require_login=args.require_login)  # fmt: skip
    return _cluster_process(lambda: serve_web(opts))


def _add_cluster_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database URL, postgresql+psycopg://... (or a SQLite path; "
                   "default: var/vitalsdash.sqlite)")  # fmt: skip
    p.add_argument("--redis", help="Redis URL (default: redis://127.0.0.1:6379/0)")
    p.add_argument("--clinic", help="clinic TOML (default: config/clinic.toml)")


def _add_runtime(sub: argparse._SubParsersAction) -> None:
    rt = sub.add_parser("runtime", help="the clinic's runtime alone, publishing to Redis "
                        "for `vitalsdash web` (scaled-out set-up)")  # fmt: skip
    _add_cluster_options(rt)
    rt.add_argument("--speed", type=float, help="simulation speed x1-x120 (default: clinic's)")
    rt.add_argument("--mllp-port", type=int, help="also receive HL7 over MLLP on this port")
    rt.add_argument("--host", help="where the HL7 listener listens (default: 127.0.0.1)")
    rt.set_defaults(func=_runtime)


def _add_web(sub: argparse._SubParsersAction) -> None:
    web = sub.add_parser("web", help="the dashboard and JSON API in several worker processes, "
                         "reading a `vitalsdash runtime` through Redis")  # fmt: skip
    _add_cluster_options(web)
    web.add_argument("--host", default="127.0.0.1", help="bind address (default: %(default)s)")
    web.add_argument("--port", type=int, default=8050, help="HTTP port (default: %(default)s)")
    web.add_argument("--workers", type=int, default=4,
                     help="worker processes (default: %(default)s)")  # fmt: skip
    web.add_argument("--require-login", action="store_true",
                     help="require logins on loopback too (always on beyond loopback; needs "
                     "an instructor account: vitalsdash users add)")  # fmt: skip
    web.set_defaults(func=_web)


SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_run,
    _add_runtime,
    _add_web,
    _add_alarms,
    _add_report,
    _add_export,
    _add_check_config,
    add_users_command,
]
"""Each entry adds one subcommand (and sets ``func``); add ``run`` etc. here."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vitalsdash",
        description="Training monitor for ketamine infusion sessions (not a medical device).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its usage message
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except (ConfigError, RecordingError, UsageError) as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
