"""The store on a real PostgreSQL server that this module starts and stops itself.

Set VITALSDASH_TEST_POSTGRES=1 to run (.ci/run does, after installing Debian's
``postgresql``). Without it these tests skip; with it and no server binaries they FAIL.
The shared round-trip, transaction and crash tests in test_store.py run on both SQLite
and PostgreSQL through the ``postgres_url`` fixture of tests/helpers/postgres.py.

The server: ``initdb`` (trust auth, superuser ``postgres``) into a fresh temporary folder
and ``pg_ctl start`` listening on 127.0.0.1 and a free port, socket in the same folder.
PostgreSQL refuses to run as root, so under root both run as the ``postgres`` user that
Debian's package creates (else ``nobody``). Each test gets its own database.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vitalsdash.store import SCHEMA_VERSION, SchemaVersionError, Store

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_server_is_real_postgresql(postgres_url: str) -> None:
    from sqlalchemy import create_engine, text

    with Store(postgres_url) as store:
        assert store.dialect == "postgresql"
        assert store.integrity_check() == []
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
        jsonb = conn.execute(
            text(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = 'sessions' AND column_name = 'patient'"
            )
        ).scalar()
    engine.dispose()
    assert version
    assert jsonb == "jsonb"


def test_plain_postgresql_url_uses_psycopg(postgres_url: str) -> None:
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with Store(url) as store:
        assert store.url.drivername == "postgresql+psycopg"
        sid = store.create_session(
            "bed-1",
            label="x",
            scenario=None,
            seed=None,
            protocol=None,
            alarm_profile=None,
            patient={},
            started_wall=datetime(2025, 1, 1, tzinfo=UTC),
        )
        assert store.session(sid)["bed_id"] == "bed-1"


def test_newer_schema_on_postgresql_is_refused(postgres_url: str) -> None:
    from sqlalchemy import create_engine, text

    Store(postgres_url).close()
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE schema_meta SET value = :v WHERE key = 'schema_version'"),
            {"v": str(SCHEMA_VERSION + 3)},
        )
    engine.dispose()
    with pytest.raises(
        SchemaVersionError, match=rf"version {SCHEMA_VERSION + 3}.*{SCHEMA_VERSION}"
    ):
        Store(postgres_url)
