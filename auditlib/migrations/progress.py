"""Progress lines on stderr for the long passes over a migration folder (splitting, parsing, applying)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Progress lines on stderr for a long pass: silent at first, then one line every few seconds at most.

    On a terminal the first line comes after 5 s and then every 2 s; in a log (CI) after 30 s and then every 30 s,
    so a short run prints nothing and a long one a handful of lines.
    """

    def __init__(self, stream: TextIO | None = None, clock=time.monotonic):
        self.stream, self.clock = stream or sys.stderr, clock
        interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.first_after, self.every = (5.0, 2.0) if interactive else (30.0, 30.0)
        self.started = clock()
        self.last: float | None = None

    def update(self, what: str, done: int, total: int | None, unit: str = "statements") -> None:
        """Print ``auditlib: <what>: <done> of <total> <unit>`` (``<done> <unit>`` while the total is not known)
        when it is time to."""
        now = self.clock()
        if now - self.started < self.first_after or (self.last is not None and now - self.last < self.every):
            return
        self.last = now
        counted = f"{done:,} {unit}" if total is None else f"{done:,} of {total:,} {unit}"
        print(f"auditlib: {what}: {counted}", file=self.stream, flush=True)
