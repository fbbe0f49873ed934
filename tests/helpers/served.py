"""``vitalsdash run`` as a child process, talked to over HTTP on 127.0.0.1.

Shared by the integration tests that need a real server process (a crash and restart,
the HTTP edge, ``kill -9`` of the HL7 receiver). Test modules import it as
``from served import ...`` (tests/helpers is on ``sys.path``: pytest's ``pythonpath``).

"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vitalsdash(*args: str) -> list[str]:
    """The command line of the installed CLI: the console script next to this Python, or
    ``python -m vitalsdash.cli`` where there is none."""
    script = Path(sys.executable).parent / "vitalsdash"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "vitalsdash.cli"]
    return [*cmd, *args]


class HTTPStatusError(OSError):
    """A GET answered with 4xx or 5xx. An OSError, so ``wait_for`` polls on."""


class Served:
    """``vitalsdash run --port PORT *args`` in ``workdir``; ``start()`` again restarts it
    on the same ports and database (each run logs to a file of its own)."""

    def __init__(
        self,
        workdir: Path,
        *args: str,
        timeout_s: float = 60.0,
        poll_s: float = 0.1,
        http_timeout_s: float = 10.0,
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.cmd = vitalsdash("run", "--port", str(self.port), *args)
        self.timeout_s = timeout_s  # for anything the server must do by itself
        self.poll_s = poll_s
        self.http_timeout_s = http_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self.log_path = workdir / f"server-{self.port}-0.log"

    def start(self) -> Served:
        self.runs += 1
        self.log_path = self.workdir / f"server-{self.port}-{self.runs}.log"
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(
                self.cmd, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def output(self) -> str:
        """The end of this run's log, for failure messages."""
        return self.log_path.read_text()[-3000:] if self.log_path.exists() else ""

    def kill(self, sig: int = signal.SIGKILL) -> int:
        """Send ``sig`` (SIGKILL: the crash) and return the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=self.timeout_s)

    def stop(self) -> int | None:
        """A clean stop (SIGTERM), SIGKILL if it does not end in time; the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=self.timeout_s)
        return self.proc.returncode

    def wait_for(self, what: str, check: Callable[[], Any]) -> Any:
        """Bounded polling: the first truthy ``check()``, or fail after ``timeout_s`` or when
        the process exits. A check that raises OSError (not answering yet, a 4xx/5xx of
        ``get``) counts as not yet."""
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            assert self.proc is not None
            assert self.proc.poll() is None, f"server exited: {self.output()}"
            try:
                found = check()
            except OSError:
                found = None
            if found:
                return found
            time.sleep(self.poll_s)
        pytest.fail(f"timed out waiting for {what}: {self.output()}")

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request on a connection of its own: (status, headers, body)."""
        if timeout is None:
            timeout = self.http_timeout_s
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        hdrs = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            return r.status, r.headers, r.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        """A request whose answer must be JSON: (status, decoded body)."""
        status, headers, data = self.request(method, path, body, **kw)
        return status, _decoded(status, headers, data)

    def get(self, path: str) -> Any:
        """The JSON of a GET that succeeded; HTTPStatusError on 4xx or 5xx."""
        status, headers, data = self.request("GET", path)
        if status >= 400:
            raise HTTPStatusError(f"GET {path}: {status} {data[:200]!r}")
        return _decoded(status, headers, data)

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        return self.json("POST", path, body)


def _decoded(status: int, headers: http.client.HTTPMessage, data: bytes) -> Any:
    assert headers.get_content_type() == "application/json", (status, data[:200])
    return json.loads(data)
