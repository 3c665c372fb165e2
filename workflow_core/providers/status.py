"""What a model call is waiting on, said as it happens: a free call slot, a local model loading, the prompt
being processed. The one model-call path (`run.calls`) installs a listener for the call it makes; code deep in
a provider (the local one, which alone knows its model is still loading) reports through it without every
provider's signature carrying a callback. A context variable: each node's task, and the threads it starts,
see their own call's listener."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

StatusListener = Callable[[str], None]

_listener: ContextVar[StatusListener | None] = ContextVar("call_status_listener", default=None)


def report(text: str) -> None:
    """Tell the current call's listener what the call now waits on (nothing happens without one)."""
    listener = _listener.get()
    if listener is not None:
        listener(text)


@contextmanager
def reporting(listener: StatusListener | None) -> Iterator[None]:
    """Send the statuses reported inside the block to `listener`."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)
