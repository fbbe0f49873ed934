"""Failed sign-ins are counted once for the whole web tier: its workers share the count in
Redis, so N workers do not allow N times the limit; with Redis down, signing in still
answers (limited per worker) and the shared count comes back with Redis.

Two apps in one process are two workers here (each has its own limiter and memory, as a
forked worker has): what they share is the throwaway Redis alone. The last test runs
``vitalsdash web --workers 2`` itself.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster_run import request, until
from redis_server import RedisServer, own_redis_server  # noqa: F401  (fixture)

from vitalsdash.access import hash_password
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.server._login import LIMITS_KEY_PREFIX
from vitalsdash.server._serve import create_wsgi_app
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery"
RECOVERY_TIMEOUT_S = 120.0
"""Not the property under test: the limiter tries a Redis that failed again after 1, 2,
4 ... 32 s, and other work shares these cores."""
_addresses = (f"10.0.{i // 250}.{i % 250 + 1}" for i in itertools.count())


class Worker:
    """One web worker's app (the API, with logins required) and its test client."""

    def __init__(self, rt: Runtime, limits_redis: str | None) -> None:
        app = create_wsgi_app(rt, headless=True, require_login=True, limits_redis=limits_redis)
        self.client = app.test_client()

    def sign_in(self, name: str, password: str, address: str = "127.0.0.1") -> Any:
        return self.client.post("/api/token", json={"name": name, "password": password},
                                environ_base={"REMOTE_ADDR": address})  # fmt: skip


def _clinic() -> ClinicConfig:
    return ClinicConfig(clinic=ClinicSection(speed=1.0),
                        beds=[BedConfig(id="chair1", scenario="uneventful-depression",
                                        seed=1)])  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "clinic.sqlite")
    with Store(path) as store:
        store.add_user("Ines", "instructor", hash_password(PASSWORD))
    return path


@pytest.fixture
def runtime(db: str) -> Iterator[Runtime]:
    store = Store(db)
    yield Runtime(_clinic(), store, Feed(store), clock=ManualClock())
    store.close()


@pytest.fixture
def workers(runtime: Runtime, own_redis_server: RedisServer) -> list[Worker]:  # noqa: F811
    return [Worker(runtime, own_redis_server.url) for _ in range(2)]


def _redis_keys(server: RedisServer) -> list[bytes]:
    import redis

    client = redis.Redis.from_url(server.url, socket_timeout=5)
    try:
        return list(client.scan_iter(match=f"{LIMITS_KEY_PREFIX}:*"))
    finally:
        client.close()


def _statuses(worker: Worker, name: str, times: int, address: str = "127.0.0.1") -> list[int]:
    return [worker.sign_in(name, "a guess", address).status_code for _ in range(times)]


def test_workers_share_the_failed_sign_ins_of_a_name(
    workers: list[Worker],
    own_redis_server: RedisServer,  # noqa: F811
) -> None:
    a, b = workers
    assert _statuses(a, "Ines", 3) == [401, 401, 401]
    # the sixth failure in a minute is refused, whichever worker it reaches
    assert _statuses(b, "Ines", 3) == [401, 401, 429]
    refused = a.sign_in("Ines", PASSWORD)  # while limited, even the right password waits
    assert refused.status_code == 429
    assert refused.headers["Retry-After"]
    assert "wait a minute" in refused.get_json()["message"]
    assert _redis_keys(own_redis_server)  # counted in Redis, not in either worker
    # another name has its own count
    assert a.sign_in("Nobody", PASSWORD).status_code == 401


def test_workers_share_the_failed_sign_ins_of_an_address(workers: list[Worker]) -> None:
    a, b = workers
    address = next(_addresses)
    names = (f"guess{i}" for i in itertools.count())
    got = [w.sign_in(next(names), "a guess", address).status_code for w in (a, b) * 5]
    assert got == [401] * 10
    assert a.sign_in(next(names), "a guess", address).status_code == 429
    assert b.sign_in("Ines", PASSWORD, address).status_code == 429


def test_one_process_without_redis_counts_in_its_own_memory(runtime: Runtime) -> None:
    """``vitalsdash run``: no Redis anywhere, so two such servers count apart."""
    a, b = Worker(runtime, None), Worker(runtime, None)
    assert _statuses(a, "Ines", 5) == [401] * 5
    assert _statuses(a, "Ines", 1) == [429]
    assert _statuses(b, "Ines", 1) == [401]


def test_sign_in_answers_with_redis_down_and_shares_again_once_it_is_back(
    workers: list[Worker],
    own_redis_server: RedisServer,  # noqa: F811
) -> None:
    a, b = workers
    own_redis_server.stop()
    # no server error: a wrong password is refused as always, the right one signs in
    assert a.sign_in("Ines", "a guess").status_code == 401
    ok = b.sign_in("Ines", PASSWORD)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert ok.get_json()["token"]
    # and guessing is still limited, per worker while Redis is away
    assert _statuses(a, "Ines", 5) == [401, 401, 401, 401, 429]

    own_redis_server.start()  # the same port, empty
    for w in workers:
        _until_back_on_redis(w, own_redis_server)
    assert _statuses(a, "Otto", 3) == [401, 401, 401]
    assert _statuses(b, "Otto", 3) == [401, 401, 429]


def _until_back_on_redis(worker: Worker, server: RedisServer) -> None:
    """Failed sign-ins of new names from new addresses until one is counted in Redis."""

    def counted_in_redis() -> bool:
        name = f"probe{time.monotonic_ns()}"
        assert worker.sign_in(name, "a guess", next(_addresses)).status_code == 401
        return any(name.encode() in key for key in _redis_keys(server))

    until("a failed sign-in counted in Redis again", counted_in_redis, RECOVERY_TIMEOUT_S, 0.5)


def test_vitalsdash_web_workers_count_in_redis_and_answer_without_it(
    tmp_path: Path,
    own_redis_server: RedisServer,  # noqa: F811
) -> None:
    """The real thing: gunicorn with two workers. Which worker a connection reaches is the
    kernel's choice, so the sharing itself is shown above; here, that the workers count
    in the Redis they are given, and answer with it stopped."""
    from cluster_run import cluster_script

    port = cluster_script.free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'simulators'}"}
    log = (tmp_path / "web.log").open("wb")
    web = subprocess.Popen([sys.executable, "-m", "vitalsdash.cli", "web", "--workers", "2",
                            "--port", str(port), "--redis", own_redis_server.url,
                            "--db", str(tmp_path / "web.sqlite")], env=env, cwd=ROOT,
                           stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        until("the web tier answering", lambda: _answers(port), timeout_s=180)
        guess = {"name": "Nobody", "password": "a guess"}
        got = [request(port, "/api/token", guess)[0] for _ in range(6)]
        assert got == [401] * 5 + [429]
        assert _redis_keys(own_redis_server)

        own_redis_server.stop()
        status, body = request(port, "/api/token", {"name": "Somebody", "password": "a guess"})
        assert status == 401, body  # not a server error
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(timeout=60)
        except subprocess.TimeoutExpired:
            web.kill()
            web.wait()
        log.close()
    assert "Traceback" not in (tmp_path / "web.log").read_text(errors="replace")


def _answers(port: int) -> bool:
    try:
        return request(port, "/api/health", timeout_s=5)[0] in (200, 503)
    except OSError:
        return False
