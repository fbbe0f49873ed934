"""Throwaway Redis servers for the bus tests, from Debian's ``redis-server``.

Without the binary the tests skip and say how to get it, except under CI=true, where a
missing server is a failure (CI must never pass by skipping). Each server listens on a
free loopback port, keeps nothing on disk (``--save ""``, no AOF) and lives in a temporary
directory. ``redis_server`` is shared by a test run (tests keep apart by key prefix);
``own_redis_server`` is a test's own, to stop and start again.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REDIS_SERVER = Path("/usr/bin/redis-server")
START_TIMEOUT_S = 20.0


def redis_server_bin() -> Path | None:
    if REDIS_SERVER.is_file():
        return REDIS_SERVER
    found = shutil.which("redis-server")
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """One redis-server process; ``stop`` and ``start`` again on the same port (empty)."""

    binary: Path
    root: Path
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.root / "redis.log"

    def start(self) -> RedisServer:
        args = [str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.root),
                "--logfile", str(self.log), "--daemonize", "no"]  # fmt: skip
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers_ping(self.port):  # a process coming up: nothing to wait on
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = self.log.read_text() if self.log.exists() else ""
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{log}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def _binary_or_skip() -> Path:
    binary = redis_server_bin()
    if binary is not None:
        return binary
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but redis-server is not installed: the bus tests cannot run "
                    "(install Debian's 'redis-server' package)", pytrace=False)  # fmt: skip
    pytest.skip(
        "redis-server not found at /usr/bin/redis-server: install Debian's "
        "'redis-server' package to run the bus tests (CI=true makes this a failure)"
    )
    raise AssertionError  # not reached


def _server(tmp: Path) -> RedisServer:
    try:
        return RedisServer(_binary_or_skip(), tmp).start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
        raise


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    root = Path(tempfile.mkdtemp(prefix="vitalsdash-redis-"))
    server = _server(root)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def own_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = _server(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def bus_prefix() -> str:
    """A key prefix of the test's own on the shared server."""
    return f"test-{uuid.uuid4().hex[:10]}"
