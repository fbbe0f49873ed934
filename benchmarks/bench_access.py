"""What logins cost per request: the guard, Flask-Login's user lookup, a bearer token.

Prints figures, asserts nothing. One clinic of 16 chairs 15 minutes into their infusions
serves ``GET /api/beds`` through Flask's test client (the WSGI app without a socket, so
the figures are the app's own CPU per request): as the open demo, signed in with a session
cookie (Flask-Login reads the user from the database each request), and with a bearer
token (the token's digest looked up). Then what a sign-in costs (argon2id verifying the
password), which the rate limit bounds for an attacker.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vitalsdash.access import hash_password
from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.server._serve import install_access
from vitalsdash.store import Store

CHAIRS = 16
REQUESTS = 400
PASSWORD = "correct horse battery"


def _per_request_us(client, headers: dict[str, str]) -> float:
    for _ in range(20):
        client.get("/api/beds", headers=headers)
    t0 = time.perf_counter()
    for _ in range(REQUESTS):
        r = client.get("/api/beds", headers=headers)
        assert r.status_code == 200, r.status_code
    return (time.perf_counter() - t0) / REQUESTS * 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        beds = [BedConfig(id=f"chair{i}", scenario="uneventful-depression", seed=i)
                for i in range(1, CHAIRS + 1)]  # fmt: skip
        store = Store(Path(tmp) / "access.sqlite")
        rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0), beds=beds),
                     store, Feed(store), clock=ManualClock())  # fmt: skip
        rt.start()
        rt.advance(900)
        store.add_user("Ines", "instructor", hash_password(PASSWORD))
        store.new_class_code("K7QX2M", None, rt.wall(), rt.wall() + timedelta(hours=1))

        open_app = create_server(rt)
        install_access(open_app, rt, require_login=False)
        open_us = _per_request_us(open_app.test_client(), {})

        app = create_server(rt)
        install_access(app, rt, require_login=True)
        client = app.test_client()
        t0 = time.perf_counter()
        token = client.post("/api/token", json={"name": "Ines", "password": PASSWORD})
        sign_in_ms = (time.perf_counter() - t0) * 1e3
        bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
        bearer_us = _per_request_us(client, bearer)
        browser = app.test_client()
        browser.post("/login", data={"name": "Ines", "password": PASSWORD},
                     headers={"Origin": "http://localhost"})  # fmt: skip
        cookie_us = _per_request_us(browser, {})
        t0 = time.perf_counter()
        client.post("/api/token", json={"class_code": "K7QX2M", "name": "Tara"})
        join_ms = (time.perf_counter() - t0) * 1e3
        store.close()
    print(f"GET /api/beds ({CHAIRS} chairs), app CPU per request, {REQUESTS} requests:")
    print(f"  open demo (no login)       {open_us:8.0f} us")
    print(f"  session cookie (browser)   {cookie_us:8.0f} us  (+{cookie_us - open_us:.0f} us)")
    print(f"  bearer token (script)      {bearer_us:8.0f} us  (+{bearer_us - open_us:.0f} us)")
    print(f"sign-in with a password (argon2id verify + token): {sign_in_ms:.0f} ms")
    print(f"joining with the class code (no password):         {join_ms:.0f} ms")


if __name__ == "__main__":
    main()
