"""Memory management for bounded bursts of work."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bounded burst of allocations.

    A bulk filing batch creates tens of thousands of short-lived objects (forms, bound fields,
    model instances) that stay alive until the batch ends. The collector, counting allocations,
    then runs full collections over the whole heap several times per batch, and finds nothing to
    free: measured on a 300-row file as 100–300 ms of a 450–750 ms job (docs/PERFORMANCE.md).
    Reference counting still frees what is not in a cycle; what is, the collector frees when it
    runs again after the block. Only for work whose size is bounded (a batch of at most a few
    hundred rows), never around a loop of unknown length.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
