"""A whole scaled-out cluster (scripts/cluster.py) for integration and fault tests.

``running_cluster(...)`` starts Redis, PostgreSQL, the runtime and the web workers in a
folder PostgreSQL can reach (as root it runs as its own user, and pytest's temporary
folders are private), yields a :class:`Cluster`, and always stops it. ``needed_or_skip``
skips with the reason when a part is missing, and fails under CI=true.
``Cluster.connections()`` says which worker serves each open client connection, for
fault tests that end the worker under one client.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "cluster.py"
NAMES = ("redis", "postgres", "runtime", "web")
TCP_ESTABLISHED = "01"
"""The state column of /proc/net/tcp for an open connection."""


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cluster_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cluster_script = _load_script()


def script(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run scripts/cluster.py with this checkout's code."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'simulators'}"}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=ROOT)  # fmt: skip


def needed_or_skip() -> None:
    if importlib.util.find_spec("vitalsdash.bus") is None:
        pytest.skip("the message bus (vitalsdash.bus) is not in this checkout")
    missing = []
    if not cluster_script.REDIS_SERVER.is_file():
        missing.append(f"a Redis server at {cluster_script.REDIS_SERVER} (Debian's "
                       "'redis-server')")  # fmt: skip
    if cluster_script.find_postgres_bin() is None:
        missing.append("PostgreSQL's server binaries (Debian's 'postgresql')")
    for module, what in (("redis", "the Redis client (the 'cluster' extra)"),
                         ("gunicorn", "gunicorn (the 'cluster' extra)"),
                         ("psycopg", "psycopg (the 'cluster' extra)")):  # fmt: skip
        if importlib.util.find_spec(module) is None:
            missing.append(what)
    if not missing:
        return
    why = "the cluster needs " + ", ".join(missing)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {why}", pytrace=False)
    pytest.skip(why)


@contextlib.contextmanager
def cluster_folder() -> Iterator[Path]:
    """A fresh var folder under a world-reachable temporary root; the cluster in it is
    stopped and the folder removed afterwards."""
    needed_or_skip()
    root = Path(tempfile.mkdtemp(prefix="vitalsdash-cluster-"))
    root.chmod(0o755)
    var = root / "var"
    try:
        yield var
    finally:
        script("stop", "--var", str(var), "--grace", "10")
        shutil.rmtree(root, ignore_errors=True)


def request(port: int, path: str, body: dict[str, Any] | None = None,
            timeout_s: float = 30) -> tuple[int, bytes]:  # fmt: skip
    """(status, body) of a GET, or of a JSON POST when ``body`` is given."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as r:
            return int(r.status), r.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def until(what: str, check: Callable[[], Any], timeout_s: float = 60,
          every_s: float = 0.25, detail: Callable[[], str] | None = None) -> Any:  # fmt: skip
    """``check()``'s first truthy answer, or the test fails saying what was not seen (and
    what ``detail()`` says of the state it was in)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every_s)
    why = f"{what}: not seen within {timeout_s:g} s"
    if detail is not None:
        try:
            why += "\n" + detail()
        except Exception as exc:  # the failure itself must still be reported
            why += f"\n(no detail: {exc!r})"
    pytest.fail(why, pytrace=False)


@dataclass(frozen=True)
class Connection:
    """A client's open connection to the web port: the worker process holding the server's
    end, and the client's own port (what ``socket.getsockname()`` says on its side)."""

    worker: int
    client_port: int


def _open_on_port(port: int) -> dict[str, int]:
    """Socket inode -> the remote port, for the server ends of open TCP connections whose
    local port is ``port`` (/proc/net/tcp and tcp6: local, remote, state ... inode)."""
    found: dict[str, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                f = line.split()
                local, remote, state, inode = f[1], f[2], f[3], f[9]
                if state == TCP_ESTABLISHED and int(local.rsplit(":", 1)[1], 16) == port:
                    found[inode] = int(remote.rsplit(":", 1)[1], 16)
    return found


@dataclass
class Cluster:
    var: Path
    port: int

    def pid(self, name: str) -> int:
        return int((self.var / f"{name}.pid").read_text())

    def state(self) -> dict[str, Any]:
        """cluster.json: url, port, redis_url, db_url, workers."""
        return dict(json.loads((self.var / "cluster.json").read_text()))

    def log(self, name: str, lines: int = 60) -> str:
        return str(cluster_script.log_tail(self.var, name, lines))

    def logs(self) -> str:
        return "\n".join(f"--- {n}.log\n{self.log(n)}" for n in NAMES)

    def request(self, path: str, body: dict[str, Any] | None = None,
                timeout_s: float = 30) -> tuple[int, bytes]:  # fmt: skip
        return request(self.port, path, body, timeout_s)

    def json(self, path: str, body: dict[str, Any] | None = None) -> Any:
        status, raw = self.request(path, body)
        assert status in (200, 503), f"{path}: {status} {raw[:300]!r}"
        return json.loads(raw)

    def stop_part(self, name: str, grace_s: float = 30) -> str:
        """Stop one part (its stop signal: Redis SIGTERM, PostgreSQL's fast shutdown),
        leaving the others running; what happened ("stopped", ...)."""
        return str(cluster_script.stop_part(self.var, name, grace_s))

    def start_part(self, name: str, timeout_s: float = 120) -> None:
        """Start Redis or PostgreSQL again on its port, as it was started."""
        cluster_script.start_part(self.var, name, timeout_s)

    def health(self) -> dict[str, Any]:
        """/api/health's answer (ok or degraded)."""
        return dict(self.json("/api/health"))

    def workers(self) -> list[int]:
        """The web server's worker processes (children of gunicorn's master)."""
        master = self.pid("web")
        kids = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [int(k) for k in kids]

    def connections(self) -> list[Connection]:
        """The clients' open connections to the web port, each with the worker serving it:
        the workers' socket inodes (/proc/<worker>/fd) matched with the kernel's table of
        TCP connections. A keep-alive connection stays with its worker between requests."""
        remote_port = _open_on_port(self.port)
        out: list[Connection] = []
        for worker in self.workers():
            fds = Path(f"/proc/{worker}/fd")
            with contextlib.suppress(OSError):  # the worker ended meanwhile
                for fd in fds.iterdir():
                    with contextlib.suppress(OSError):
                        link = os.readlink(fd)
                        inode = link.removeprefix("socket:[").removesuffix("]")
                        if link.startswith("socket:[") and inode in remote_port:
                            out.append(Connection(worker, remote_port[inode]))
        return out


@contextlib.contextmanager
def running_cluster(clinic_toml: str | None = None, workers: int = 2,
                    timeout_s: float = 600) -> Iterator[Cluster]:  # fmt: skip
    """A started cluster (the demo clinic, or ``clinic_toml``'s), stopped afterwards."""
    with cluster_folder() as var:
        var.mkdir(parents=True)
        args = ["start", "--port", str(cluster_script.free_port()), "--var", str(var),
                "--workers", str(workers)]  # fmt: skip
        if clinic_toml is not None:
            clinic = var.parent / "clinic.toml"
            clinic.write_text(clinic_toml)
            args += ["--clinic", str(clinic)]
        r = script(*args, timeout=timeout_s)
        c = Cluster(var, int(args[2]))
        assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{c.logs()}"
        yield c


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright, closed afterwards. Without it: a skip with the
    reason, or a failure under CI=true (CI must never pass by skipping)."""
    from playwright.sync_api import sync_playwright

    from vitalsdash.report import CHROMIUM_FLAGS, chromium_path

    if not chromium_path():
        why = "Chromium not found at /usr/bin/chromium (Debian's 'chromium')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {why}", pytrace=False)
        pytest.skip(why)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_FLAGS))
        try:
            yield browser
        finally:
            browser.close()
