"""Random streams addressed by (seed, patient, purpose, block) instead of by draw order.

The live engine computes ahead and may recompute a stretch after an action; the batch
engine computes hours at once. Both must draw the same numbers for the same simulated
second, so every draw is keyed by what it is for, never by how many came before.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np

BLOCK_S = 600

# Per-second noise streams, drawn together per patient and block (one generator each).
# New streams go at the end: a block is drawn row by row, so the rows before keep their
# numbers (every seed's drift and sensor noise stayed what it was when breathing came).
STREAMS: tuple[str, ...] = (
    "ou:hr0", "ou:hr1", "ou:sbp0", "ou:sbp1", "ou:dbp0", "ou:dbp1",
    "ou:spo20", "ou:spo21", "ou:rr0", "ou:rr1", "meas:hr", "meas:spo2", "meas:rr",
    "meas:etco2",
)  # fmt: skip
_STREAM_INDEX = {name: i for i, name in enumerate(STREAMS)}


def generator(seed: int, patient: int, name: str, index: int = 0) -> np.random.Generator:
    """An independent generator for one purpose (``name``) and one item (``index``)."""
    key = zlib.crc32(name.encode("utf-8"))
    seq = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(patient), key, int(index)])
    return np.random.Generator(np.random.PCG64(seq))


# Reuse is within a block (a live patient recomputes its current block after an action):
# 64 blocks (62 KB each, 4 MB) serve a clinic of 32 live patients; a miss costs ~0.1 ms. At
# 8192 a long-running clinic kept every block it ever drew (12 MB an hour for 32 beds).
@lru_cache(maxsize=64)
def _noise_block(seed: int, patient: int, block: int) -> np.ndarray:
    out = generator(seed, patient, "noise", block).standard_normal((len(STREAMS), BLOCK_S))
    out.flags.writeable = False
    return out


def normals(seed: int, patient: int, name: str, t0_s: int, t1_s: int) -> np.ndarray:
    """Standard normal innovations of stream ``name`` for the seconds ``t0_s <= t < t1_s``."""
    if t1_s <= t0_s:
        return np.empty(0)
    return noise(seed, patient, t0_s, t1_s)[_STREAM_INDEX[name]]


def noise(seed: int, patient: int, t0_s: int, t1_s: int) -> np.ndarray:
    """All per-second streams at once, (len(STREAMS), T), for the seconds [t0_s, t1_s)."""
    b0, b1 = t0_s // BLOCK_S, (t1_s - 1) // BLOCK_S
    off = t0_s - b0 * BLOCK_S
    if b0 == b1:
        return _noise_block(seed, patient, b0)[:, off : off + (t1_s - t0_s)]
    whole = np.concatenate([_noise_block(seed, patient, b) for b in range(b0, b1 + 1)], axis=1)
    return whole[:, off : off + (t1_s - t0_s)]


@lru_cache(maxsize=64)
def _occasional_block(seed: int, patient: int, name: str, block: int) -> np.ndarray:
    out = generator(seed, patient, name, block).standard_normal(BLOCK_S)
    out.flags.writeable = False
    return out


def occasional_normals(
    seed: int, patients: tuple[int, ...], name: str, t0_s: int, t1_s: int
) -> np.ndarray:
    """Standard normals (N, T) of a stream drawn only when something needs it (a rare
    event's draws), keyed per block like the others, for the seconds [t0_s, t1_s)."""
    b0, b1 = t0_s // BLOCK_S, (t1_s - 1) // BLOCK_S
    off = t0_s - b0 * BLOCK_S
    rows = [
        np.concatenate([_occasional_block(seed, p, name, b) for b in range(b0, b1 + 1)])
        for p in patients
    ]
    return np.stack(rows)[:, off : off + (t1_s - t0_s)]


def stream_index(name: str) -> int:
    return _STREAM_INDEX[name]
