"""Fixtures of the bus tests: throwaway Redis servers and a published clinic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bus_clinic import Clinic, close_clinic, make_clinic
from redis_server import bus_prefix, own_redis_server, redis_server  # noqa: F401  (fixtures)


@pytest.fixture
def clinic(tmp_path: Path, redis_server: Any, bus_prefix: str) -> Iterator[Clinic]:  # noqa: F811
    c = make_clinic(tmp_path, redis_server.url, bus_prefix)
    yield c
    close_clinic(c)
