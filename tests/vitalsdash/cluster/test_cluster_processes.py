"""The two processes of the scaled-out set-up, without a Redis or a web server: a stand-in
bus records what the runtime process does with it, gunicorn is configured but not run.

What matters: the runtime publishes from before its first tick to after its last and
stops cleanly on SIGTERM; the web master builds nothing and starts no thread before it
forks its workers (each builds its own app); a missing piece is named, not a traceback.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import signal
import sys
import threading
import types
from pathlib import Path
from typing import Any

import pytest

import vitalsdash
from vitalsdash.cli import main
from vitalsdash.config import load_clinic
from vitalsdash.server import (
    ClusterSetupError,
    RuntimeOptions,
    WebOptions,
    load_bus,
    run_runtime,
    serve_web,
    shown_url,
)

pytestmark = pytest.mark.integration

CLINIC_TOML = """
[clinic]
name = "Cluster test clinic"
speed = 1

[[beds]]
id = "chair1"
scenario = "uneventful-depression"
seed = 1
autostart = false
"""


class FakeBus:
    """What the processes ask of vitalsdash.bus, recording the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.started = threading.Event()
        self.publishers: list[Any] = []
        self.remotes: list[Any] = []
        bus = self

        class Publisher:
            def __init__(self, runtime: Any, redis_url: str) -> None:
                self.runtime, self.redis_url = runtime, redis_url
                bus.publishers.append(self)

            def start(self) -> None:
                bus.calls.append(f"start (ticks so far: {self.runtime.tick_count})")
                bus.started.set()

            def stop(self) -> None:
                bus.calls.append(f"stop (runtime stopping: {self.runtime.stopping})")

            def health(self) -> dict[str, Any]:
                return {"ok": True, "publishing": True}

        class RemoteRuntime:
            def __init__(self, *args: Any) -> None:
                bus.remotes.append(args)

        self.module = types.ModuleType("vitalsdash.bus")
        self.module.Publisher = Publisher  # type: ignore[attr-defined]
        self.module.RemoteRuntime = RemoteRuntime  # type: ignore[attr-defined]


@pytest.fixture
def fake_bus(monkeypatch: pytest.MonkeyPatch) -> FakeBus:
    bus = FakeBus()
    monkeypatch.setitem(sys.modules, "vitalsdash.bus", bus.module)
    monkeypatch.setattr(vitalsdash, "bus", bus.module, raising=False)
    return bus


@pytest.fixture
def clinic_file(tmp_path: Path) -> str:
    path = tmp_path / "clinic.toml"
    path.write_text(CLINIC_TOML)
    return str(path)


# --- what is missing is named ---------------------------------------------------------


def test_without_the_bus_both_processes_say_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "vitalsdash.bus", None)  # "not installed"
    with pytest.raises(ClusterSetupError, match="no message bus"):
        load_bus()
    db = str(tmp_path / "c.sqlite")
    for command in (["runtime", "--db", db], ["web", "--db", db]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "no message bus" in err
        assert "vitalsdash run" in err
        assert "Traceback" not in err


class _BusNeedingRedis(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """vitalsdash.bus as it imports where the Redis client is not installed."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name == "vitalsdash.bus":
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        raise ModuleNotFoundError("No module named 'redis'", name="redis")


def test_without_the_redis_client_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "vitalsdash.bus", raising=False)
    monkeypatch.delattr(vitalsdash, "bus", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_BusNeedingRedis(), *sys.meta_path])
    with pytest.raises(ClusterSetupError, match=r"Redis client is not installed.*\[cluster\]"):
        load_bus()


def test_without_gunicorn_the_web_tier_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, fake_bus: FakeBus, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    import vitalsdash.server as server

    monkeypatch.setitem(sys.modules, "gunicorn.app.base", None)
    monkeypatch.delitem(sys.modules, "vitalsdash.server._workers", raising=False)
    monkeypatch.delattr(server, "_workers", raising=False)
    assert main(["web", "--db", str(tmp_path / "c.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "gunicorn is not installed" in err
    assert "vitalsdash[cluster]" in err


# --- the web tier ------------------------------------------------------------------------


def _web_application(opts: WebOptions) -> Any:
    from vitalsdash.server._workers import WebApplication

    return WebApplication(opts, load_clinic(None), "unused.sqlite", False, threads=40)


def test_workers_are_threaded_and_build_their_own_app_after_the_fork() -> None:
    app = _web_application(WebOptions(workers=3, port=18111))
    cfg = app.cfg
    assert cfg.worker_class_str == "gthread"  # a push stream holds a thread, not a worker
    assert cfg.threads == 40
    assert cfg.workers == 3
    assert cfg.preload_app is False
    assert cfg.bind == ["127.0.0.1:18111"]
    assert cfg.secure_scheme_headers == {}  # no proxy's word is taken, as with waitress
    assert cfg.forwarded_allow_ips == []
    if "control_socket_disable" in cfg.settings:
        assert cfg.control_socket_disable is True  # it would be a thread in the master


def test_an_ipv6_address_is_bound_in_brackets() -> None:
    assert _web_application(WebOptions(host="::1", port=8050)).cfg.bind == ["[::1]:8050"]


def test_the_master_builds_nothing_and_starts_no_thread_before_it_forks(
    monkeypatch: pytest.MonkeyPatch, fake_bus: FakeBus, tmp_path: Path
) -> None:
    from vitalsdash.server import _workers

    before = set(threading.enumerate())
    seen: dict[str, Any] = {}

    def run(self: Any) -> None:  # where gunicorn would fork the workers
        seen["threads"] = set(threading.enumerate()) - before
        seen["app"] = self.wsgi_app

    monkeypatch.setattr(_workers.WebApplication, "run", run)
    assert serve_web(WebOptions(db=str(tmp_path / "c.sqlite"), workers=2)) == 0
    assert seen == {"threads": set(), "app": None}
    assert fake_bus.remotes == []  # each worker makes its own RemoteRuntime


def test_the_web_tier_exits_with_gunicorns_status(
    monkeypatch: pytest.MonkeyPatch, fake_bus: FakeBus, tmp_path: Path
) -> None:
    from vitalsdash.server import _workers

    def run(self: Any) -> None:
        raise SystemExit(1)  # gunicorn's master could not bind, say

    monkeypatch.setattr(_workers.WebApplication, "run", run)
    assert serve_web(WebOptions(db=str(tmp_path / "c.sqlite"))) == 1


# --- the runtime process -----------------------------------------------------------------


def test_the_runtime_publishes_every_tick_and_stops_cleanly_on_sigterm(
    fake_bus: FakeBus, clinic_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def terminate_once_publishing() -> None:
        if fake_bus.started.wait(60):
            os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_once_publishing, daemon=True)
    killer.start()
    opts = RuntimeOptions(db=str(tmp_path / "c.sqlite"), redis="redis://cache.example:6379/0",
                          clinic=clinic_file)  # fmt: skip
    assert run_runtime(opts) == 0
    killer.join()
    publisher = fake_bus.publishers[0]
    assert publisher.redis_url == "redis://cache.example:6379/0"
    # published from before the first tick until the runtime had stopped
    assert fake_bus.calls == ["start (ticks so far: 0)", "stop (runtime stopping: True)"]
    assert publisher.runtime.health()["checks"]["redis"] == {"ok": True, "publishing": True}
    out = capsys.readouterr().out
    assert "runtime ready: 1 beds" in out
    assert "runtime stopped" in out
    assert {sig: signal.getsignal(sig) for sig in handlers} == handlers


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://vd:s3cret@db.example:5432/clinic",
         "postgresql+psycopg://vd:***@db.example:5432/clinic"),
        ("redis://:s3cret@cache.example:6379/0", "redis://:***@cache.example:6379/0"),
        ("rediss://user:p%40ss@[::1]:6380/1", "rediss://user:***@[::1]:6380/1"),
        ("redis://cache.example:6379/0", "redis://cache.example:6379/0"),
        ("var/vitalsdash.sqlite", "var/vitalsdash.sqlite"),
    ],
)  # fmt: skip
def test_passwords_in_urls_are_never_printed(url: str, shown: str) -> None:
    assert shown_url(url) == shown
