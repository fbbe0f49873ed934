"""The wheel carries its configuration: installed outside the repository, it runs.

Builds the wheel, installs it (no index, no dependencies) into a fresh virtual environment
that borrows the dependencies of the one running the tests, and runs the three commands a
new user would from an empty directory: check the shipped configuration, serve the JSON API
until /api/health answers, and simulate a scenario to CSV. No network is needed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WAIT_S = 60.0
PRINT_PURELIB = "import sysconfig; print(sysconfig.get_path('purelib'))"
PRINT_PACKAGES = "import vitalsdash, vitalsim; print(vitalsdash.__file__, vitalsim.__file__)"

pytestmark = pytest.mark.integration


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv with only the wheel installed in it."""
    root = tmp_path_factory.mktemp("wheel")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root), str(REPO)]
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = root.glob("vitalsdash-*.whl")
    venv = root / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    # the dependencies come from the test environment's site-packages, appended after the
    # venv's own (a plain path in a .pth: that folder's .pth files, such as an editable
    # install of this repository, are not read)
    asked = _run([str(venv / "bin" / "python"), "-c", PRINT_PURELIB])
    site = Path(asked.stdout.strip())
    (site / "borrowed_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    done = _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                 "install", "--no-index", "--no-deps", "-q", str(wheel)])  # fmt: skip
    assert done.returncode == 0, done.stderr
    return venv / "bin"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path):
    where = _run([str(installed / "python"), "-c", PRINT_PACKAGES], cwd=tmp_path, env=_env())
    assert where.returncode == 0, where.stderr
    for line in where.stdout.split():
        assert not Path(line).resolve().is_relative_to(REPO), line


def test_check_config_validates_the_shipped_configuration(installed: Path, tmp_path: Path):
    done = _run([str(installed / "vitalsdash"), "check-config"], cwd=tmp_path, env=_env())
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for name in ("clinic.toml", "uneventful-depression.toml", "ketamine-infusion.toml"):
        assert name in out
    assert str(REPO) not in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def test_run_headless_answers_health(installed: Path, tmp_path: Path):
    port = _free_port()
    server = subprocess.Popen(
        [str(installed / "vitalsdash"), "run", "--headless", "--port", str(port),
         "--db", str(tmp_path / "v.sqlite")],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        health = None
        deadline = time.monotonic() + WAIT_S
        while health is None and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            health = _health(port)
        if health is None:
            server.kill()
            pytest.fail(f"no /api/health answer; exit {server.poll()}\n{server.communicate()[0]}")
        assert health["status"] == "ok"
        assert health["beds"] >= 1  # the shipped clinic
    finally:
        server.send_signal(signal.SIGINT)
        try:
            out, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            out, _ = server.communicate()
    assert "Traceback" not in out, out


def test_vitalsim_runs_a_shipped_scenario(installed: Path, tmp_path: Path):
    done = _run([str(installed / "vitalsim"), "run", "uneventful-depression", "--seed", "1",
                 "--out", "x.csv"], cwd=tmp_path, env=_env())  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = (tmp_path / "x.csv").read_text().splitlines()
    assert lines[0].split(",")[:2] == ["t", "channel"]
    assert len(lines) > 100
