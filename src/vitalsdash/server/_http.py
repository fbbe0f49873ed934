"""waitress with a connection limit, a receive timeout and an idle timeout.

waitress closes a connection only after ``channel_timeout`` seconds without a byte, and
stops accepting at ``connection_limit`` open connections. A client that sends one header
byte every few seconds therefore keeps its connection for ever, and ~100 such clients
stall every page, API call and push stream ("slowloris"). waitress has no timeout for a
request that arrives slowly, so this adds one: a channel remembers when the first byte
of the request it is still receiving came in, and the server's maintenance pass (every
``cleanup_interval`` seconds, from its own loop) closes channels whose request is not
whole (headers and body) ``receive_timeout_s`` after that byte. A connection with a
request running (a push stream holds one for as long as the page is open) is never cut
by either timeout, and counts within the limit like any other.
"""

from __future__ import annotations

import time
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

CLEANUP_INTERVAL_S = 1
"""How often the maintenance pass looks at every open channel (a dict walk: cheap)."""


class _Channel(HTTPChannel):
    receiving_since: float | None = None
    """When the first byte of the request still being received came in (None: none is)."""

    def received(self, data: bytes) -> bool:
        started = time.time()
        more = super().received(data)
        partial = self.request is not None and not self.request.completed
        if not partial:
            self.receiving_since = None
        elif self.receiving_since is None:
            self.receiving_since = started
        return more


class _Server(TcpWSGIServer):
    channel_class = _Channel

    def __init__(self, *args: Any, receive_timeout_s: float, **kw: Any) -> None:
        self.receive_timeout_s = receive_timeout_s
        super().__init__(*args, **kw)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle channels (adj.channel_timeout)
        cutoff = now - self.receive_timeout_s
        for channel in list(self.active_channels.values()):
            since = getattr(channel, "receiving_since", None)
            if since is not None and since < cutoff and not channel.requests:
                channel.will_close = True  # closed by the loop, on its next pass


def create_http_server(
    app: Any,
    host: str,
    port: int,
    *,
    threads: int,
    max_connections: int,
    receive_timeout_s: float,
    idle_timeout_s: int,
    **adjustments: Any,
) -> Any:
    """A waitress server (not yet running) for ``app`` on ``host:port``, as
    ``waitress.create_server`` builds it, with the limits above; ``.run()``, ``.close()``,
    and ``.effective_port`` when it listens on one socket."""
    adj = Adjustments(
        host=host,
        port=port,
        threads=threads,
        connection_limit=max_connections,
        channel_timeout=idle_timeout_s,
        cleanup_interval=CLEANUP_INTERVAL_S,
        **adjustments,
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    sockets: dict[int, Any] = {}  # each server registers itself here
    servers = [
        _Server(app, sockets, dispatcher=dispatcher, adj=adj, sockinfo=info,
                receive_timeout_s=receive_timeout_s)
        for info in adj.listen
    ]  # fmt: skip
    if len(servers) == 1:
        return servers[0]
    listen = [(s.effective_host, s.effective_port) for s in servers]
    return MultiSocketServer(sockets, adj, listen, dispatcher, servers[0].log_info)
