"""Building many repositories at once."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


def run_parallel(func: Callable[[int], object], count: int) -> None:
    """Call ``func(0) .. func(count - 1)`` in a thread pool; re-raise failures."""
    # Threads are enough: the heavy lifting happens in git subprocesses, and
    # the Python part (YAML) interleaves with them even on two cores.
    workers = max(1, min(16, (os.cpu_count() or 1) * 2, count))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # list() re-raises the first worker exception here.
        list(pool.map(func, range(count)))
