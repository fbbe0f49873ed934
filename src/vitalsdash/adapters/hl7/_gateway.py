"""The gateway: one HL7 message in, one ACK out, and AA only once the message is stored.

:class:`Hl7Gateway` ties an :class:`MllpListener` to the runtime (``ingest``, i.e.
``Runtime.ingest_hl7``, which stores each message before it is answered and recognises
resends durably) or, without a runtime, to :class:`Hl7Source` objects through
``bed_for(key)`` (:class:`SourceRegistry` is a ready one; the listener then remembers
accepted MSH-10s in memory). Either way the ACK goes out only after the message was
taken; with the runtime AA therefore means stored, and a device may drop the message
once it has its AA. The contract is in docs/hl7.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vitalsdash.adapters.hl7._listener import DEFAULT_HOST, DEFAULT_PORT, MllpListener
from vitalsdash.adapters.hl7._parse import Hl7Error, ObservationBatch
from vitalsdash.adapters.hl7._source import Hl7Source


class Hl7Gateway:
    """A listener whose messages go to the runtime (``ingest``) or to a bed's source.

    ``ingest(batch)`` (``Runtime.ingest_hl7``) stores a message before it is answered AA,
    de-duplicates resends durably and returns a result with ``source`` (the bed's
    Hl7Source, for connection notes), ``duplicate`` and ``text``; it raises Hl7Error to
    refuse. Without a runtime, ``bed_for(source_key)`` returns the bed's
    :class:`Hl7Source` (or None: AR "unknown source") and the batch is pushed to it. Both
    run on the listener's thread. Listener options pass through.
    """

    def __init__(self, bed_for: Callable[[str], Hl7Source | None] | None = None, *,
                 ingest: Callable[[ObservationBatch], Any] | None = None,
                 **listener_kwargs: Any) -> None:  # fmt: skip
        if (bed_for is None) == (ingest is None):
            raise ValueError("give bed_for or ingest (not both)")
        self.bed_for = bed_for
        self.ingest = ingest
        if ingest is not None:
            listener_kwargs.setdefault("dedupe", 0)  # the runtime's check is durable
        self._sources: dict[str, Hl7Source] = {}
        self.listener = MllpListener(self._on_batch, on_event=self._on_event, **listener_kwargs)

    @classmethod
    def for_runtime(cls, runtime: Any, host: str = DEFAULT_HOST,
                    port: int = DEFAULT_PORT) -> Hl7Gateway:  # fmt: skip
        """A gateway into ``runtime.ingest_hl7`` with the clinic's MLLP limits."""
        c = runtime.clinic.clinic
        return cls(ingest=runtime.ingest_hl7, host=host, port=port,
                   max_connections=c.mllp_max_connections,
                   idle_timeout_s=c.mllp_idle_timeout_s,
                   frame_timeout_s=c.mllp_frame_timeout_s)  # fmt: skip

    def health(self) -> dict[str, Any]:
        """The listener's state for ``/api/health`` (``ok``, ``listening``, ``port``,
        ``connections``, ``rejected``...)."""
        return self.listener.health()

    @property
    def port(self) -> int:
        return self.listener.port

    def start(self) -> Hl7Gateway:
        self.listener.start()
        return self

    def stop(self) -> None:
        self.listener.stop()

    def stats(self) -> dict[str, Any]:
        return self.listener.stats()

    def __enter__(self) -> Hl7Gateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_batch(self, batch: ObservationBatch) -> Any:
        if self.ingest is not None:
            result = self.ingest(batch)
            src = getattr(result, "source", None)
            if src is not None:
                self._sources[batch.source_key] = src
            return result
        assert self.bed_for is not None
        src = self.bed_for(batch.source_key)
        if src is None:
            where = {"location": "PV1-3", "device": "MSH-3", "patient": "PID-3"}
            raise Hl7Error("AR", f"unknown source {batch.source_key!r}",
                           where.get(batch.source_kind), kind="unknown_source",
                           err_code=204)  # fmt: skip
        self._sources[batch.source_key] = src
        src.push(batch)

    def _on_event(self, kind: str, key: str, peer: str) -> None:
        src = self._sources.get(key)
        if src is not None:
            src.device_event(kind, key, peer)
