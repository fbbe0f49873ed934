"""The runtime and its readers in separate processes, talking through Redis.

The embedded set-up (``vitalsdash run``) never imports this package. In the scaled-out
one, the runtime process publishes with :class:`Publisher` and each web worker reads
through :class:`RemoteRuntime`, which stands in for ``Runtime`` wherever the pages, the
API and the push streams use it. Redis is a cache and a bus, never the truth: without
it the runtime goes on storing, and the workers read the store
(docs/architecture.md, "Scale").
"""

from vitalsdash.bus._publisher import Publisher
from vitalsdash.bus._remote import COMMAND_TIMEOUT_S, RemoteRuntime
from vitalsdash.bus._remote_feed import RemoteFeed
from vitalsdash.bus._wire import BUS_PREFIX

__all__ = ["BUS_PREFIX", "COMMAND_TIMEOUT_S", "Publisher", "RemoteFeed", "RemoteRuntime"]
