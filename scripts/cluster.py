"""The scaled-out set-up on this computer: ``make cluster`` and ``make cluster-stop``.

``start`` runs, each in the background with its log under the cluster's folder
(default var/cluster/): a Redis server (Debian's /usr/bin/redis-server), a PostgreSQL
server (Debian's, initialised on first use), ``vitalsdash runtime`` and ``vitalsdash web
--workers 4``; it writes a pid file for each ({redis,postgres,runtime,web}.pid, web's
being gunicorn's master) and returns once the dashboard's /api/health answers. ``stop``
ends them in reverse order: the stop signal (SIGTERM; PostgreSQL's fast shutdown,
SIGINT), then SIGKILL to what is left after a grace period; it removes the pid files.

The runtime runs under a small supervisor (this script's hidden ``supervise`` command,
runtime-supervisor.pid): when the runtime ends without being asked to (killed, or a
failure exit) the supervisor says so in runtime.log and starts it again, after 1 s, then
2, 4 ... up to 30 s (back to 1 s once a run lasted a minute); the new runtime marks the
sessions it finds running as interrupted and resumes them where the clinic says so. It
gives up after 5 starts in a row that each ended within 10 s. runtime.pid always holds
the runtime's own pid. ``stop`` ends the supervisor first, which passes SIGTERM on to the
runtime and starts nothing again.

Only the standard library here: ``stop`` runs with any Python 3. ``start`` runs the
vitalsdash processes with the Python that runs it (make uses the project's .venv).
Redis and PostgreSQL listen on 127.0.0.1 only, on free ports chosen at start;
cluster.json in the folder records the ports and the URLs. ``stop_part`` and
``start_part`` stop one part and start Redis or PostgreSQL again as it was (fault drills).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

REDIS_SERVER = Path("/usr/bin/redis-server")
ORDER = ("redis", "postgres", "runtime", "web")
"""Started in this order, stopped in the reverse one."""
SUPERVISOR = "runtime-supervisor"
"""The process that starts the runtime, and starts it again when it dies."""
PROCESSES = ("redis", "postgres", SUPERVISOR, "runtime", "web")
"""Every pid file of a running cluster."""
MARKS = {"redis": "redis-server", "postgres": "postgres", "runtime": "vitalsdash",
         SUPERVISOR: "cluster.py supervise", "web": "vitalsdash"}  # fmt: skip
"""What a process's command line holds when the pid file's process is still ours."""
STOP_SIGNAL = {"postgres": signal.SIGINT}  # fast shutdown: clients cut, a clean checkpoint
GRACE_S = 30.0
"""How long each process has to stop on its stop signal before SIGKILL."""
START_TIMEOUT_S = 120.0
DATABASE = "vitalsdash"
LOG_TAIL_LINES = 25


class ClusterError(Exception):
    """Starting failed: the message says what, and which log to read."""


# --- processes ----------------------------------------------------------------------------


def _pid_file(var: Path, name: str) -> Path:
    return var / f"{name}.pid"


def _write_pid(var: Path, name: str, pid: int) -> None:
    """Whole or not at all: a reader never sees half a pid."""
    part = var / f".{name}.pid.part"
    part.write_text(f"{pid}\n")
    os.replace(part, _pid_file(var, name))


def _read_pid(var: Path, name: str) -> int | None:
    try:
        return int(_pid_file(var, name).read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    """Running (a zombie that nobody has reaped yet has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, another user's (PostgreSQL run as its own user)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: kill(0) is all we know
    return stat.rpartition(")")[2].split()[0] != "Z"


def _ours(pid: int, name: str) -> bool:
    """The pid file's process is alive and still the one we started (pids are reused)."""
    if not alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return True
    return MARKS[name] in cmdline


def running(var: Path) -> dict[str, int]:
    """The cluster's processes that are running, by name."""
    found = {}
    for name in PROCESSES:
        pid = _read_pid(var, name)
        if pid is not None and _ours(pid, name):
            found[name] = pid
    return found


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _end(name: str, pid: int, grace_s: float) -> str:
    """Stop one process (and, on SIGKILL, its process group: it leads one)."""
    try:
        os.kill(pid, STOP_SIGNAL.get(name, signal.SIGTERM))
    except ProcessLookupError:
        return "already gone"
    if _wait_gone(pid, grace_s):
        return "stopped"
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    _wait_gone(pid, 10.0)
    return f"killed (still running {grace_s:g} s after the stop signal)"


def _spawn(var: Path, name: str, argv: list[str], *, env: dict[str, str] | None = None,
           cwd: Path | None = None, user: tuple[int, int] | None = None,
           log_name: str | None = None) -> int:  # fmt: skip
    """Start ``argv`` in its own session (a terminal's Ctrl+C does not reach it), its
    output appended to NAME.log (or LOG_NAME.log); write NAME.pid."""
    log = (var / f"{log_name or name}.log").open("ab")
    kwargs: dict[str, object] = {}
    if user is not None:
        kwargs = {"user": user[0], "group": user[1], "extra_groups": []}
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                start_new_session=True, **kwargs)  # type: ignore[arg-type]  # fmt: skip
    finally:
        log.close()
    _write_pid(var, name, proc.pid)
    return proc.pid


def _log_size(var: Path, name: str) -> int:
    try:
        return (var / f"{name}.log").stat().st_size
    except OSError:
        return 0


def _log_since(var: Path, name: str, offset: int) -> str:
    """What NAME.log gained past ``offset`` bytes (the log of earlier starts is kept)."""
    try:
        with (var / f"{name}.log").open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def log_tail(var: Path, name: str, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = (var / f"{name}.log").read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _wait_for(what: str, var: Path, name: str, pid: int, check: Callable[[], bool],
              timeout_s: float) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while not check():
        if not alive(pid):
            raise ClusterError(f"{what} ended while starting; the end of {var / name}.log:\n"
                               f"{log_tail(var, name)}")  # fmt: skip
        if time.monotonic() >= deadline:
            raise ClusterError(f"{what} did not start within {timeout_s:g} s; the end of "
                               f"{var / name}.log:\n{log_tail(var, name)}")  # fmt: skip
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


# --- Redis --------------------------------------------------------------------------------


def _redis_pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(var: Path, port: int, timeout_s: float) -> None:
    folder = var / "redis"
    folder.mkdir(exist_ok=True)
    argv = [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1",
            "--dir", str(folder), "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--logfile", ""]  # fmt: skip
    pid = _spawn(var, "redis", argv)
    _wait_for("Redis", var, "redis", pid, lambda: _redis_pong(port), timeout_s)


# --- PostgreSQL ---------------------------------------------------------------------------


def find_postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl (or PATH's)."""

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.parent.name)) or (0,)

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for d in candidates:
        if all((d / tool).is_file() for tool in ("initdb", "postgres", "createdb")):
            return d
    return None


def _postgres_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: as root, run it as 'postgres' (or 'nobody')."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pw = pwd.getpwnam(name)
            return pw.pw_uid, pw.pw_gid
    raise ClusterError("running as root, and neither a 'postgres' nor a 'nobody' user exists "
                       "to run PostgreSQL as (it refuses to run as root)")  # fmt: skip


def _pg_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def start_postgres(var: Path, bin_dir: Path, port: int, timeout_s: float) -> str:
    """Initialise var/postgres/data on first use, start the server and make sure the
    database exists; its URL."""
    root = var / "postgres"
    data = root / "data"
    user = _postgres_user()
    root.mkdir(exist_ok=True)
    if user is not None:
        os.chown(root, *user)
    if not (data / "PG_VERSION").is_file():
        run_as = {"user": user[0], "group": user[1], "extra_groups": []} if user else {}
        init = subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "--auth=trust",
                               "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"],
                              cwd=root, env=_pg_env(), capture_output=True, text=True,
                              timeout=timeout_s, check=False, **run_as)  # type: ignore[arg-type]  # fmt: skip
        if init.returncode != 0:
            hint = ""
            if user is not None:
                who = pwd.getpwuid(user[0]).pw_name
                hint = (f"\n(PostgreSQL runs as the user {who}, who must be able to reach "
                        f"{root}: every folder above it needs o+x)")  # fmt: skip
            raise ClusterError(f"initdb failed:\n{init.stdout}{init.stderr}{hint}")
    argv = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
            "-k", ""]  # fmt: skip
    pid = _spawn(var, "postgres", argv, env=_pg_env(), cwd=root, user=user)

    def created() -> bool:
        made = subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                               "-U", "postgres", DATABASE], env=_pg_env(), capture_output=True,
                              text=True, timeout=30, check=False)  # fmt: skip
        return made.returncode == 0 or "already exists" in made.stderr

    _wait_for("PostgreSQL", var, "postgres", pid, created, timeout_s)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE}"


# --- vitalsdash ---------------------------------------------------------------------------


def _vitalsdash(*args: str) -> list[str]:
    return [sys.executable, "-m", "vitalsdash.cli", *args]


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def start_runtime(var: Path, db_url: str, redis_url: str, timeout_s: float,
                  clinic: tuple[str, ...] = ()) -> None:  # fmt: skip
    """The runtime under its supervisor (``supervise``); returns once it publishes."""
    offset = _log_size(var, "runtime")
    runtime = _vitalsdash("runtime", "--db", db_url, "--redis", redis_url, *clinic)
    argv = [sys.executable, str(Path(__file__).resolve()), "supervise", "--var", str(var),
            "--", *runtime]  # fmt: skip
    pid = _spawn(var, SUPERVISOR, argv, env=_child_env(), log_name="runtime")

    def ready() -> bool:
        new = _log_since(var, "runtime", offset)
        if ENDED in new:  # a first start that fails is not retried: the start fails
            raise ClusterError(f"the runtime ended while starting; the end of "
                               f"{var / 'runtime.log'}:\n{log_tail(var, 'runtime')}")  # fmt: skip
        return "runtime ready" in new

    _wait_for("The runtime", var, "runtime", pid, ready, timeout_s)


def health_answers(port: int) -> int | None:
    """The HTTP status /api/health answers with (503 is an answer: degraded), or None."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return None


def start_web(var: Path, db_url: str, redis_url: str, port: int, workers: int,
              timeout_s: float, clinic: tuple[str, ...] = ()) -> int:  # fmt: skip
    argv = _vitalsdash("web", "--db", db_url, "--redis", redis_url, "--port", str(port),
                       "--workers", str(workers), *clinic)  # fmt: skip
    pid = _spawn(var, "web", argv, env=_child_env())
    status: list[int] = []

    def answered() -> bool:
        code = health_answers(port)
        if code is not None:
            status.append(code)
        return code is not None

    _wait_for("The web server", var, "web", pid, answered, timeout_s)
    return status[-1]


# --- the runtime's supervisor -------------------------------------------------------------

ENDED = "the runtime ended"
"""How the supervisor's line about a runtime that died begins."""


class Restarts:
    """When to start the runtime again after it ended: ``first_s``, then twice as long
    each time up to ``max_s``; back to ``first_s`` after a run of ``steady_s``. After
    ``give_up_after`` runs in a row that each ended within ``quick_s``, never (the fault
    is not passing: starting it again would only fill the log)."""

    def __init__(self, first_s: float = 1.0, max_s: float = 30.0, steady_s: float = 60.0,
                 quick_s: float = 10.0, give_up_after: int = 5) -> None:  # fmt: skip
        self.first_s, self.max_s, self.steady_s = first_s, max_s, steady_s
        self.quick_s, self.give_up_after = quick_s, give_up_after
        self.quick_in_a_row = 0
        self._next_s = first_s

    def after(self, ran_s: float) -> float | None:
        """The wait before the next start, given how long the last run lasted; None:
        give up."""
        if ran_s >= self.steady_s:
            self._next_s = self.first_s
        self.quick_in_a_row = self.quick_in_a_row + 1 if ran_s < self.quick_s else 0
        if self.quick_in_a_row >= self.give_up_after:
            return None
        wait_s = self._next_s
        self._next_s = min(wait_s * 2, self.max_s)
        return wait_s


def _say(text: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}", flush=True)


def _how_it_ended(code: int) -> str:
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


def _wait_child(child: subprocess.Popen[bytes], asked: list[int], grace_s: float) -> int:
    """The child's exit status (negative: the signal that ended it). Once a stop is
    ``asked`` it gets SIGTERM, and SIGKILL ``grace_s`` later."""
    term_at: float | None = None
    killed = False
    while True:
        try:
            return child.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            pass
        if asked and term_at is None:
            child.send_signal(signal.SIGTERM)
            term_at = time.monotonic()
        elif term_at is not None and not killed and time.monotonic() - term_at > grace_s:
            _say(f"the runtime is still running {grace_s:g} s after the stop signal: killing it")
            child.kill()
            killed = True


def supervise(var: Path, argv: list[str], grace_s: float = GRACE_S,
              restarts: Restarts | None = None) -> int:  # fmt: skip
    """Run ``argv`` (the runtime) and start it again whenever it ends unasked (a signal,
    or an exit code other than 0), waiting as ``restarts`` says; RUNTIME.pid holds its
    pid from each start. SIGTERM or SIGINT: pass SIGTERM on, wait for it (SIGKILL after
    ``grace_s``) and return. An exit code 0 is a runtime stopped on purpose: return too.
    Output goes where this process's goes (runtime.log)."""
    policy = restarts or Restarts()
    asked: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        asked.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    _write_pid(var, SUPERVISOR, os.getpid())
    starts = 0
    while not asked:
        started = time.monotonic()
        try:
            child = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
        except OSError as exc:
            _say(f"the runtime cannot be started ({exc}); giving up")
            return 1
        _write_pid(var, "runtime", child.pid)
        starts += 1
        if starts > 1:
            _say(f"the runtime started again (pid {child.pid})")
        code = _wait_child(child, asked, grace_s)
        if asked:
            break
        if code == 0:
            _say("the runtime stopped by itself (exit code 0): not starting it again")
            return 0
        wait_s = policy.after(time.monotonic() - started)
        if wait_s is None:
            _say(f"{ENDED} ({_how_it_ended(code)}); it ended {policy.quick_in_a_row} times "
                 f"in a row within {policy.quick_s:g} s of starting: giving up, not starting "
                 "it again (the lines above say why)")  # fmt: skip
            return 1
        _say(f"{ENDED} ({_how_it_ended(code)}); starting it again in {wait_s:g} s")
        deadline = time.monotonic() + wait_s
        while not asked and time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
    _say("the runtime's supervisor stopped: nothing starts the runtime again")
    return 0


# --- start and stop -----------------------------------------------------------------------


def start(var: Path, port: int, workers: int, timeout_s: float,
          clinic_file: str | None = None) -> int:  # fmt: skip
    clinic = ("--clinic", str(Path(clinic_file).resolve())) if clinic_file else ()
    var.mkdir(parents=True, exist_ok=True)
    up = running(var)
    if set(up) >= set(PROCESSES) - {"runtime"}:
        where = _state(var).get("url", "")
        again = "" if "runtime" in up else (" (its runtime ended and its supervisor is "
                                            "starting it again: see runtime.log)")  # fmt: skip
        print(f"the cluster is already running {where}{again} (pids in {var}); "
              "`make cluster-stop` ends it")  # fmt: skip
        return 0
    if up:
        print(f"error: the cluster is partly running ({', '.join(up)}): "
              "`make cluster-stop` first", file=sys.stderr)  # fmt: skip
        return 1
    for name in PROCESSES:
        _pid_file(var, name).unlink(missing_ok=True)  # left by a crash
    if port_taken(port):
        print(f"error: port {port} on 127.0.0.1 is in use: choose another with PORT=...",
              file=sys.stderr)  # fmt: skip
        return 1
    missing = _missing_tools()
    if missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    bin_dir = find_postgres_bin()
    assert bin_dir is not None  # _missing_tools said so
    try:
        redis_port = free_port()
        start_redis(var, redis_port, timeout_s)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        pg_port = free_port()
        db_url = start_postgres(var, bin_dir, pg_port, timeout_s)
        url = f"http://127.0.0.1:{port}/"
        _write_state(var, {"url": url, "port": port, "redis_url": redis_url,
                           "db_url": db_url, "workers": workers})  # fmt: skip
        start_runtime(var, db_url, redis_url, timeout_s, clinic)
        status = start_web(var, db_url, redis_url, port, workers, timeout_s, clinic)
    except (ClusterError, OSError, subprocess.SubprocessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("stopping what was started", file=sys.stderr)
        stop(var, quiet=True)
        return 1
    health = "ok" if status == 200 else f"answering {status}: see {url}api/health"
    print(f"cluster running on {url} (health {health})\n"
          f"  Redis      {redis_url}\n  PostgreSQL {db_url}\n"
          f"  runtime and web ({workers} workers): logs and pid files in {var}\n"
          "`make cluster-stop` ends it.")  # fmt: skip
    return 0


def stop(var: Path, quiet: bool = False, grace_s: float = GRACE_S) -> int:
    ended = []
    for name in reversed(ORDER):
        if name == "runtime":
            ended += _stop_runtime(var, grace_s)
            continue
        pid = _read_pid(var, name)
        if pid is not None and _ours(pid, name):
            ended.append(f"{name} ({pid}) {_end(name, pid, grace_s)}")
        _pid_file(var, name).unlink(missing_ok=True)
    if not quiet:
        print("\n".join(ended) if ended else "the cluster is not running")
    return 0


def _stop_runtime(var: Path, grace_s: float) -> list[str]:
    """The supervisor first, so that nothing starts the runtime again: it passes the stop
    signal on and waits for the runtime. Then the runtime itself, if it still runs (its
    supervisor was gone, or killed)."""
    ended = []
    before = _read_pid(var, "runtime")
    if before is not None and not _ours(before, "runtime"):
        before = None
    sup = _read_pid(var, SUPERVISOR)
    sup_line = ""
    if sup is not None and _ours(sup, SUPERVISOR):
        how = _end(SUPERVISOR, sup, grace_s)
        sup_line = f"{SUPERVISOR} ({sup}) {how}"
        if before is not None and not alive(before):
            what = "stopped" if how == "stopped" else "killed (with its supervisor)"
            ended.append(f"runtime ({before}) {what}")
    pid = _read_pid(var, "runtime")  # one its supervisor started meanwhile, too
    if pid is not None and _ours(pid, "runtime"):
        ended.append(f"runtime ({pid}) {_end('runtime', pid, grace_s)}")
    for name in ("runtime", SUPERVISOR):
        _pid_file(var, name).unlink(missing_ok=True)
        (var / f".{name}.pid.part").unlink(missing_ok=True)
    return ended + ([sup_line] if sup_line else [])


# --- one part at a time (fault drills) ------------------------------------------------------


def stop_part(var: Path, name: str, grace_s: float = GRACE_S) -> str:
    """Stop one part of a running cluster as ``stop`` would (its stop signal, SIGKILL after
    ``grace_s``), leaving the others running; what happened, in words."""
    pid = _read_pid(var, name)
    if pid is None or not _ours(pid, name):
        return "not running"
    return _end(name, pid, grace_s)


def start_part(var: Path, name: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Start Redis or PostgreSQL of a cluster again, on the port and with the arguments it
    had (cluster.json), after ``stop_part`` or a crash; ClusterError if it does not start."""
    state = _state(var)
    key = {"redis": "redis_url", "postgres": "db_url"}.get(name)
    if key is None:
        raise ClusterError(f"only redis and postgres can be started on their own, not {name}")
    pid = _read_pid(var, name)
    if pid is not None and _ours(pid, name):
        raise ClusterError(f"{name} is running already ({pid})")
    port = urllib.parse.urlsplit(str(state.get(key, ""))).port
    if port is None:
        raise ClusterError(f"{var / 'cluster.json'} has no {key}: was the cluster started?")
    if name == "redis":
        start_redis(var, port, timeout_s)
        return
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise ClusterError(_missing_tools() or "no PostgreSQL server binaries")
    start_postgres(var, bin_dir, port, timeout_s)


def _missing_tools() -> str | None:
    if not REDIS_SERVER.is_file():
        return (f"no Redis server at {REDIS_SERVER}: install Debian's 'redis-server' "
                "package (or start the processes yourself: README, \"Scaling out\")")  # fmt: skip
    if find_postgres_bin() is None:
        return ("no PostgreSQL server binaries (initdb, postgres) under /usr/lib/postgresql/"
                "*/bin or on PATH: install Debian's 'postgresql' package")  # fmt: skip
    return None


def _state(var: Path) -> dict[str, object]:
    try:
        return dict(json.loads((var / "cluster.json").read_text()))
    except (OSError, ValueError):
        return {}


def _write_state(var: Path, state: dict[str, object]) -> None:
    (var / "cluster.json").write_text(json.dumps(state, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cluster.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="{start,stop}")
    st = sub.add_parser("start", help="start Redis, PostgreSQL, the runtime and the web tier")
    st.add_argument("--port", type=int, default=8050, help="dashboard port (default: 8050)")
    st.add_argument("--workers", type=int, default=4, help="web workers (default: 4)")
    st.add_argument("--clinic", help="clinic TOML for the runtime and the web tier "
                    "(default: config/clinic.toml)")  # fmt: skip
    st.add_argument("--timeout", type=float, default=START_TIMEOUT_S,
                    help="seconds each part may take to start (default: %(default)g)")  # fmt: skip
    sp = sub.add_parser("stop", help="stop them, in reverse order")
    sp.add_argument("--grace", type=float, default=GRACE_S,
                    help="seconds before SIGKILL (default: %(default)g)")  # fmt: skip
    # not for people: start runs it as the runtime's parent (see supervise)
    sv = sub.add_parser("supervise")
    sv.add_argument("--grace", type=float, default=GRACE_S)
    for opt, default in (("--first", 1.0), ("--max", 30.0), ("--steady", 60.0),
                         ("--quick", 10.0)):  # fmt: skip
        sv.add_argument(opt, type=float, default=default)
    sv.add_argument("--give-up-after", type=int, default=5)
    sv.add_argument("argv", nargs=argparse.REMAINDER, help="the runtime's command, after --")
    for p in (st, sp, sv):
        p.add_argument("--var", default="var/cluster",
                       help="the cluster's folder (default: %(default)s)")  # fmt: skip
    args = parser.parse_args(argv)
    var = Path(args.var).resolve()
    if args.command == "supervise":
        command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
        if not command:
            parser.error("supervise: the command to run goes after --")
        policy = Restarts(args.first, args.max, args.steady, args.quick, args.give_up_after)
        return supervise(var, command, args.grace, policy)
    if args.command == "start":
        if not 1 <= args.port <= 65535:
            parser.error(f"--port must be 1-65535, got {args.port}")
        return start(var, args.port, args.workers, args.timeout, args.clinic)
    return stop(var, grace_s=args.grace)


if __name__ == "__main__":
    sys.exit(main())
