"""Fixtures shared by the integration tests: a store on either database."""

from __future__ import annotations

from pathlib import Path

import pytest
from postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store lives: a SQLite file in ``tmp_path``, or a new PostgreSQL database
    (``postgres`` cases need VITALSDASH_TEST_POSTGRES=1)."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite")
    return request.getfixturevalue("postgres_url")
