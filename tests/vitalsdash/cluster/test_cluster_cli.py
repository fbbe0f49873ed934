"""`vitalsdash runtime` and `vitalsdash web` refuse what they must before anything starts:
a web tier open to the network without an instructor account, and impossible options,
each with one `error:` line and exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vitalsdash.cli import main
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["web", "--port", "0"], "--port must be 1-65535, got 0"),
        (["web", "--port", "70000"], "--port must be 1-65535, got 70000"),
        (["web", "--workers", "0"], "--workers must be 1-64, got 0"),
        (["web", "--workers", "500"], "--workers must be 1-64, got 500"),
        (["web", "--redis", "http://cache:6379"], "--redis must be a Redis URL"),
        (["web", "--redis", "localhost:6379"], "--redis must be a Redis URL"),
        (["runtime", "--redis", "postgresql://db/x"], "--redis must be a Redis URL"),
        (["runtime", "--speed", "500"], "--speed must be between 1 and 120, got 500"),
        (["runtime", "--mllp-port", "0"], "--mllp-port must be 1-65535, got 0"),
        (["runtime", "--host", "0.0.0.0"], "give --mllp-port too"),
    ],
)
def test_impossible_options_are_refused_with_the_reason(
    args: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert reason in err
    assert "Traceback" not in err


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_a_web_tier_on_the_network_without_an_instructor_account_is_refused(
    tmp_path: Path, host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "clinic.sqlite")
    assert main(["web", "--host", host, "--port", "18999", "--db", db]) == 2
    out = capsys.readouterr()
    assert "refusing to start" in out.err
    assert "vitalsdash users add NAME --role instructor" in out.err
    assert "vitalsdash (dashboard" not in out.out  # nothing was served


def test_require_login_on_loopback_needs_an_account_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "clinic.sqlite")
    assert main(["web", "--require-login", "--db", db]) == 2
    assert "no instructor account" in capsys.readouterr().err


def test_an_observer_account_does_not_open_the_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "clinic.sqlite")
    with Store(db) as store:
        store.add_user("Projector", "observer", password_hash="x" * 20)
    assert main(["web", "--host", "0.0.0.0", "--db", db]) == 2
    assert "refusing to start" in capsys.readouterr().err


def test_the_refusal_from_the_command_line(tmp_path: Path) -> None:
    """As an operator sees it: exit 2, the reason on stderr, no gunicorn started."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'simulators'}"}
    r = subprocess.run([sys.executable, "-m", "vitalsdash.cli", "web", "--host", "0.0.0.0",
                        "--port", "18999", "--db", str(tmp_path / "c.sqlite")],
                       capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)  # fmt: skip
    assert r.returncode == 2
    assert "refusing to start on 0.0.0.0" in r.stderr
    assert "Traceback" not in r.stderr
    assert "gunicorn" not in r.stderr.lower()
