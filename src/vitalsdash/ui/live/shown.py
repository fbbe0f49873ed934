"""What the browser has drawn, kept as a small checksum per panel in the page's cursor.

A panel is re-sent only when its checksum changes. The cursor travels with every poll,
so the checksums go as one base64 string of 32-bit words (6 characters a panel instead of
up to 11); the word 0xFFFFFFFF means "never sent" (a checksum that happens to equal it
only makes its panel go out once more).
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["Shown"]

_NEVER = 0xFFFFFFFF


def crc(value: Any) -> int:
    if isinstance(value, str):
        return zlib.crc32(value.encode())
    return zlib.crc32(repr(value).encode())


class Shown:
    def __init__(self, keys: Sequence[str], packed: str | list[Any] | None = None) -> None:
        self.keys = tuple(keys)
        sums: list[Any] = []
        if isinstance(packed, str):  # what pack() made; anything unreadable: resend all
            try:
                words = np.frombuffer(base64.b64decode(packed, validate=True), dtype="<u4")
                sums = [None if w == _NEVER else int(w) for w in words.tolist()]
            except ValueError:
                sums = []
        elif packed:
            sums = list(packed)
        self.sums: dict[str, Any] = dict(zip(self.keys, sums, strict=False))

    def pack(self) -> str:
        """For the cursor: the checksums in ``keys`` order, base64 of 32-bit words."""
        words = [_NEVER if (s := self.sums.get(k)) is None else s for k in self.keys]
        return base64.b64encode(np.asarray(words, dtype="<u4").tobytes()).decode("ascii")

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
