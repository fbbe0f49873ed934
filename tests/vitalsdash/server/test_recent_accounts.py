"""Accounts remembered for a few seconds: fewer database reads, and a removed account or
revoked token still stops working within the time-to-live."""

from __future__ import annotations

from vitalsdash.server._login import Account, RecentAccounts


def test_an_account_is_read_again_after_its_time_to_live() -> None:
    now = [100.0]
    recent = RecentAccounts(clock=lambda: now[0])
    reads: list[str] = []
    store = {"id:1": Account(1, "Ana", "trainee")}

    def read(key: str):
        reads.append(key)
        return store.get(key)

    assert recent.get("id:1", lambda: read("id:1")).name == "Ana"
    assert recent.get("id:1", lambda: read("id:1")).name == "Ana"
    assert reads == ["id:1"]  # the second request did not ask the database
    del store["id:1"]  # removed
    now[0] += RecentAccounts.TTL_S - 0.1
    assert recent.get("id:1", lambda: read("id:1")) is not None
    now[0] += 0.2
    assert recent.get("id:1", lambda: read("id:1")) is None  # gone within the TTL
    assert reads == ["id:1", "id:1"]


def test_guessed_keys_cannot_grow_it_without_bound() -> None:
    recent = RecentAccounts()
    for i in range(RecentAccounts.MAX_ENTRIES * 2):
        recent.get(f"token:{i}", lambda: None)
    assert len(recent._seen) <= RecentAccounts.MAX_ENTRIES
