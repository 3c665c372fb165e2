"""Ctrl-C and `kill` as a KeyboardInterrupt that native callbacks cannot swallow.

A signal handler raises in whatever Python code runs when the signal arrives. Inside a callback from native code
(nh3's attribute filter runs for every attribute of every page the sanitiser cleans) the exception is printed as
"Exception ignored in: …" with a traceback and dropped, so a killed batch went on to the end. Code that calls such
a library wraps the call in `deferred()`: a signal that arrives inside it is held and raised when the call
returns. Only the main thread's blocks defer, as signal handlers run there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_main = threading.main_thread().ident
_depth = 0  # the main thread's nesting of deferred() blocks
_pending = False


def interrupt(_signum: int, _frame: object) -> None:
    """A signal handler (SIGINT, SIGTERM): KeyboardInterrupt now, or when the deferred() block it landed in ends."""
    global _pending
    if _depth:
        _pending = True
        return
    raise KeyboardInterrupt


@contextmanager
def deferred() -> Iterator[None]:
    """Hold an interrupt that arrives inside the block until it ends, then raise it."""
    global _depth, _pending
    if threading.get_ident() != _main:
        yield
        return
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
    if not _depth and _pending:
        _pending = False
        raise KeyboardInterrupt
