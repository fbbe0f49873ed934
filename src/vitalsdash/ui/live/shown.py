"""What the browser has drawn, kept as a small checksum per panel in the page's cursor.

A panel is re-sent only when its checksum changes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Shown"]


def crc(value: Any) -> int:
    if isinstance(value, str):
        return zlib.crc32(value.encode())
    return zlib.crc32(repr(value).encode())


class Shown:
    def __init__(self, keys: Sequence[str], packed: list[Any] | None = None) -> None:
        self.keys = tuple(keys)
        self.sums: dict[str, Any] = dict(zip(self.keys, packed or (), strict=False))

    def pack(self) -> list[Any]:
        """For the cursor: checksums in ``keys`` order (None for never sent)."""
        return [self.sums.get(k) for k in self.keys]

    def mark(self, key: str, data: Any) -> None:
        """Record ``data`` as drawn (it went out with a figure, say)."""
        self.sums[key] = crc(data)

    def put(self, out: dict[str, Any], key: str, data: Any,
            render: Callable[[Any], Any] | None = None) -> bool:  # fmt: skip
        """Put ``key`` in ``out`` when its data changed; return whether it did."""
        s = crc(data)
        if self.sums.get(key) == s:
            return False
        self.sums[key] = s
        out[key] = data if render is None else render(data)
        return True
