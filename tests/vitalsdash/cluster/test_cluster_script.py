"""`make cluster` / `make cluster-stop` (scripts/cluster.py): the whole scaled-out set-up
on this computer, started and stopped, and the stop that never signals a process it did
not start."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_run import NAMES, cluster_folder, cluster_script, request, script, until

cluster = cluster_script
_script = script


# --- stop and start refusals (nothing started) ------------------------------------------


@pytest.mark.unit
def test_stopping_a_cluster_that_is_not_running_says_so(tmp_path: Path) -> None:
    r = _script("stop", "--var", str(tmp_path))
    assert r.returncode == 0
    assert "the cluster is not running" in r.stdout


@pytest.mark.integration
def test_stop_never_signals_a_process_it_did_not_start(tmp_path: Path) -> None:
    """A pid file outlives its process and the pid is reused: stop checks whose it is."""
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        for name in NAMES:
            (tmp_path / f"{name}.pid").write_text(f"{stranger.pid}\n")
        r = _script("stop", "--var", str(tmp_path), "--grace", "1")
        assert r.returncode == 0
        assert stranger.poll() is None  # still running
        assert not list(tmp_path.glob("*.pid"))  # the stale files are gone
    finally:
        stranger.kill()
        stranger.wait()


@pytest.mark.integration
def test_start_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = _script("start", "--port", str(port), "--var", str(tmp_path / "var"))
    assert r.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in r.stderr
    assert not list((tmp_path / "var").glob("*.pid"))  # nothing was started


@pytest.mark.unit
def test_a_zombie_counts_as_ended() -> None:
    """Processes the script started are reparented when it exits; where nobody reaps them
    they linger as zombies, which have ended all the same."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    while Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
        time.sleep(0.05)
    assert cluster.alive(child.pid) is False
    child.wait()
    assert cluster.alive(os.getpid()) is True


# --- the whole set-up ---------------------------------------------------------------------


@pytest.fixture
def cluster_var() -> Iterator[Path]:
    with cluster_folder() as var:
        yield var


_request, _until = request, until


@pytest.mark.integration
def test_the_cluster_starts_serves_acts_and_stops(cluster_var: Path) -> None:
    port = cluster.free_port()
    r = _script("start", "--port", str(port), "--var", str(cluster_var), timeout=600)
    logs = {n: cluster.log_tail(cluster_var, n) for n in NAMES}
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{logs}"
    assert f"cluster running on http://127.0.0.1:{port}/" in r.stdout
    pids = {n: int((cluster_var / f"{n}.pid").read_text()) for n in NAMES}
    assert all(cluster.alive(pid) for pid in pids.values())
    assert len(set(pids.values())) == 4

    status, body = _request(port, "/api/health")
    assert status in (200, 503), body
    assert json.loads(body)["beds"] == 4
    status, page = _request(port, "/bed/chair1")
    assert status == 200
    assert b"<title>vitalsdash</title>" in page

    # an action goes through Redis to the runtime, and its effect comes back the same way
    status, body = _request(port, "/api/clinic/actions",
                            {"kind": "set_speed", "params": {"speed": 60}})  # fmt: skip
    assert status == 200, body
    _until("the clinic at x60 in /api/health",
           lambda: json.loads(_request(port, "/api/health")[1]).get("speed") == 60)  # fmt: skip

    again = _script("start", "--port", str(port), "--var", str(cluster_var))
    assert again.returncode == 0
    assert "already running" in again.stdout

    stopped = _script("stop", "--var", str(cluster_var), timeout=300)
    assert stopped.returncode == 0
    for name in NAMES:
        assert f"{name} ({pids[name]}) stopped" in stopped.stdout
    assert not any(cluster.alive(pid) for pid in pids.values())
    assert not list(cluster_var.glob("*.pid"))
    with pytest.raises(urllib.error.URLError):  # connection refused: nobody listens
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5)
