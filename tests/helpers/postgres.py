"""A throwaway PostgreSQL server for the tests that need one (``postgres`` marker).

Started once per test session from Debian's ``postgresql`` package, only with
VITALSDASH_TEST_POSTGRES=1 (.ci/run sets it); conftest.py and the store tests import
the fixtures from here.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ENV = "VITALSDASH_TEST_POSTGRES"


def postgres_enabled() -> bool:
    return os.environ.get(ENV, "") == "1"


def find_server_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl (or PATH's)."""

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.parent.name)) or (0,)

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for d in candidates:
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    uid: int | None
    gid: int | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self.uid is not None:
            kwargs = {"user": self.uid, "group": self.gid, "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **kwargs,  # type: ignore[arg-type]
        )

    def start(self) -> None:
        init = self._run(
            "initdb",
            "-D",
            str(self.data),
            "--auth=trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
        options = f"-k {self.root} -p {self.port} -h 127.0.0.1 -F -c max_connections=50"
        started = self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )
        if started.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"pg_ctl start failed ({started.returncode}):\n{started.stdout}\n"
                f"{started.stderr}\n--- server log ---\n{log}"
            )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)


def _server_user() -> tuple[int | None, int | None]:
    if os.geteuid() != 0:
        return None, None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pw = pwd.getpwnam(name)
            return pw.pw_uid, pw.pw_gid
    pytest.fail(
        "running as root and neither a 'postgres' nor a 'nobody' user exists: "
        "PostgreSQL cannot run as root",
        pytrace=False,
    )
    return None, None


_SERVER: PostgresServer | None = None
_START_ERROR: str | None = None


def _shared_server(config: pytest.Config) -> PostgresServer:
    """One server per test run, however many modules import these fixtures; it stops
    when pytest finishes (``config.add_cleanup``)."""
    global _SERVER, _START_ERROR
    if _START_ERROR is not None:
        pytest.fail(_START_ERROR, pytrace=False)
    if _SERVER is not None:
        return _SERVER
    bin_dir = find_server_bin()
    if bin_dir is None:
        _START_ERROR = (
            f"{ENV}=1 but no PostgreSQL server binaries (initdb, pg_ctl) were found under "
            "/usr/lib/postgresql/*/bin or on PATH: install them with "
            "'apt-get install postgresql' (.ci/run does this)"
        )
        pytest.fail(_START_ERROR, pytrace=False)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _START_ERROR = (
            f"{ENV}=1 but the PostgreSQL driver is missing: pip install 'psycopg[binary]'"
        )
        pytest.fail(_START_ERROR, pytrace=False)
    uid, gid = _server_user()
    root = Path(tempfile.mkdtemp(prefix="vitalsdash-pg-"))
    if uid is not None:
        os.chown(root, uid, gid if gid is not None else -1)
    server = PostgresServer(bin_dir, root, _free_port(), uid, gid)
    try:
        server.start()
    except Exception as exc:
        shutil.rmtree(root, ignore_errors=True)
        _START_ERROR = f"could not start PostgreSQL from {bin_dir}: {exc}"
        pytest.fail(_START_ERROR, pytrace=False)

    def stop() -> None:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)

    config.add_cleanup(stop)
    _SERVER = server
    return server


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> PostgresServer:
    if not postgres_enabled():
        pytest.skip(
            f"PostgreSQL tests run only with {ENV}=1 (they start a throwaway server from "
            "Debian's 'postgresql' package; .ci/run installs it and sets the variable)"
        )
    return _shared_server(request.config)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A URL of a new, empty database on the throwaway server (dropped afterwards)."""
    from sqlalchemy import create_engine, text

    name = f"vd_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield postgres_server.url(name)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# ---------------------------------------------------------------- PostgreSQL specifics
# (the shared tests live in test_store.py, parametrized over sqlite and postgres)
