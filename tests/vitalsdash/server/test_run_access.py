"""The command line as an educator uses it: accounts from standard input, and a server
that will not open the clinic to the network without an instructor account."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vitalsdash.access import verify_password
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def _cli(*args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'simulators'}"}
    return subprocess.run([sys.executable, "-m", "vitalsdash.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=ROOT)  # fmt: skip


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_a_network_start_without_an_instructor_account_exits_with_the_reason(
    tmp_path: Path, host: str
) -> None:
    db = tmp_path / "clinic.sqlite"
    r = _cli("run", "--host", host, "--port", "18999", "--db", str(db))
    assert r.returncode == 2
    assert "refusing to start" in r.stderr
    assert "vitalsdash users add NAME --role instructor" in r.stderr
    assert "Traceback" not in r.stderr
    assert "vitalsdash (dashboard) on" not in r.stdout  # nothing was served


def test_require_login_on_loopback_also_needs_an_account(tmp_path: Path) -> None:
    r = _cli("run", "--require-login", "--port", "18999", "--db", str(tmp_path / "c.sqlite"))
    assert r.returncode == 2
    assert "no instructor account" in r.stderr


def test_an_observer_account_does_not_open_the_network(tmp_path: Path) -> None:
    db = str(tmp_path / "c.sqlite")
    assert _cli("users", "add", "Projector", "--role", "observer", "--db", db,
                stdin="projector-pass\n").returncode == 0  # fmt: skip
    r = _cli("run", "--host", "0.0.0.0", "--port", "18999", "--db", db)
    assert r.returncode == 2


def test_users_add_reads_the_password_from_standard_input(tmp_path: Path) -> None:
    db = str(tmp_path / "c.sqlite")
    r = _cli("users", "add", "Ines  Moreau", "--role", "instructor", "--db", db,
             stdin="a long passphrase\nignored second line\n")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "added Ines Moreau (instructor)" in r.stdout
    with Store(db) as store:
        row = store.user_by_name("ines moreau")
        assert row["role"] == "instructor"
        assert verify_password(row["password_hash"], "a long passphrase")
        assert "a long passphrase" not in row["password_hash"]
        assert store.has_accounts()
    again = _cli("users", "add", "INES MOREAU", "--role", "observer", "--db", db, stdin="x" * 9)
    assert again.returncode == 2
    assert "already a user" in again.stderr
    short = _cli("users", "add", "Otto", "--role", "observer", "--db", db, stdin="short\n")
    assert short.returncode == 2
    assert "at least 8 characters" in short.stderr
    empty = _cli("users", "add", "Otto", "--role", "observer", "--db", db, stdin="")
    assert empty.returncode == 2
    assert "no password on standard input" in empty.stderr
    bad_role = _cli("users", "add", "Otto", "--role", "admin", "--db", db, stdin="x" * 9)
    assert bad_role.returncode == 2
    listed = _cli("users", "list", "--db", db)
    assert "Ines Moreau\tinstructor\tpassword" in listed.stdout
    assert "Otto" not in listed.stdout  # refused adds added nothing
    assert _cli("users", "remove", "ines moreau", "--db", db).returncode == 0
    assert _cli("users", "remove", "ines moreau", "--db", db).returncode == 2


def test_a_new_password_revokes_tokens_and_signs_every_browser_out(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    db = str(tmp_path / "c.sqlite")
    assert _cli("users", "add", "Ines", "--role", "instructor", "--db", db,
                stdin="first passphrase\n").returncode == 0  # fmt: skip
    now = datetime.now(UTC)
    with Store(db) as store:
        ines = store.user_by_name("ines")["id"]
        store.add_token(ines, "t" * 64)
        for digest in ("a" * 64, "b" * 64):  # two browsers
            store.add_sign_in(ines, digest, now, now + timedelta(hours=12))
    r = _cli("users", "password", "Ines", "--db", db, stdin="second passphrase\n")
    assert r.returncode == 0, r.stderr
    assert "new password for Ines; 1 API token(s) revoked; signed out of 2 browser(s)" in r.stdout
    with Store(db) as store:
        assert store.user_for_token("t" * 64) is None
        assert store.user_for_sign_in("a" * 64, now) is None
        assert store.user_for_sign_in("b" * 64, now) is None
