"""Show a build's progress: a line per publication as it finishes, a live line on a terminal, a summary.

`ConsoleProgress` is what `katern build` hands to build.build. Every line goes through the `katern`
logger (so -q keeps only warnings and errors). When standard error is a terminal, one more line at
the bottom says how far the build is, rewritten in place ("[2/7] building van-nul-tot-later … 12 s");
a log line printed meanwhile clears it and draws it again below. Not a terminal (CI, a pipe, the
tests): no live line, only the log lines.
"""

from __future__ import annotations

import logging
import shutil
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from katern.build import BuildResult, BuildResults

CLEAR = "\r\x1b[K"  # back to the start of the line, and erase it


class _LiveStream:
    """A terminal stream with a status line kept at the bottom, below what is written to it."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.status = ""

    def write(self, text: str) -> int:
        if self.status:
            self.stream.write(CLEAR)
        written = self.stream.write(text)
        if self.status and text.endswith("\n"):
            self.stream.write(self.status)
        self.stream.flush()
        return written

    def show(self, status: str) -> None:
        self.status = status
        self.stream.write(CLEAR + status)
        self.stream.flush()

    def clear(self) -> None:
        if self.status:
            self.stream.write(CLEAR)
            self.stream.flush()
        self.status = ""

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def _size(size: int) -> str:
    return f"{size / 1024:.0f} KiB"


def result_line(result: BuildResult) -> str:
    """Say what one publication's build did: the files written, those up to date, the time."""
    built = [o for o in result.outputs if o.status != "up to date"]
    fresh = [o for o in result.outputs if o.status == "up to date"]
    parts = []
    for out in built:
        pages = f", {out.pages} pages" if out.pages is not None else ""
        parts.append(f"{out.path} ({_size(out.size)}{pages})")
    if not built:
        return f"{result.name}: up to date ({', '.join(str(o.path) for o in fresh if o.kind != 'accessibility')})"
    line = f"{result.name}: {'; '.join(parts)} in {result.seconds:.1f} s"
    if fresh:
        line += f"; up to date: {', '.join(str(o.path) for o in fresh)}"
    return line


class ConsoleProgress:
    """Log a line per publication as it finishes and a closing summary; on a terminal, a live status line."""

    def __init__(self, logger: logging.Logger | None = None, live: bool | None = None) -> None:
        self.logger = logger or logging.getLogger("katern")
        self.total = 0
        self.done = 0
        self.active: list[str] = []
        self.started = time.perf_counter()
        self._streams: list[tuple[logging.StreamHandler, object, _LiveStream]] = []
        handlers = [
            h
            for h in self.logger.handlers
            if isinstance(h, logging.StreamHandler) and getattr(h.stream, "isatty", lambda: False)()
        ]
        wanted = bool(handlers) if live is None else live
        if wanted and handlers and self.logger.isEnabledFor(logging.INFO):
            for handler in handlers:
                live_stream = _LiveStream(handler.stream)
                self._streams.append((handler, handler.stream, live_stream))
                handler.setStream(live_stream)  # type: ignore[arg-type]

    @property
    def live(self) -> bool:
        return bool(self._streams)

    def start(self, total: int, jobs: int) -> None:
        self.total, self.done, self.started = total, 0, time.perf_counter()
        self._draw()

    def working(self, names: list[str]) -> None:
        self.active = list(names)
        self._draw()

    def finished(self, result: BuildResult) -> None:
        self.done += 1
        self.active = [n for n in self.active if n != result.name]
        if not result.ok:
            self.logger.error("%s failed: %s", result.name, result.error)
        else:
            self.logger.info("%s", result_line(result))
            for note in result.notes if not result.skipped else ():  # said when it was built
                self.logger.info("%s", note)
        self._draw()

    def close(self, results: BuildResults | None = None) -> None:
        """Clear the live line; say the notes, the stale files and the summary of `results`."""
        for _handler, _stream, live in self._streams:
            live.clear()
        for handler, stream, _live in self._streams:
            handler.setStream(stream)  # type: ignore[arg-type]
        self._streams = []
        if results is None:
            return
        for note in results.notes:
            self.logger.info("%s", note)
        for stale in results.stale:
            self.logger.info("%s", stale)
        self.logger.info("%s", results.summary())

    def _draw(self) -> None:
        if not self._streams:
            return
        elapsed = time.perf_counter() - self.started
        status = f"[{self.done}/{self.total}] building"
        if self.active:
            status += " " + ", ".join(self.active)
        status += f" … {elapsed:.0f} s"
        if self.done >= self.total:
            status = ""
        width = shutil.get_terminal_size(fallback=(80, 24)).columns - 1
        if len(status) > width:
            status = status[: max(0, width - 1)] + "…"
        for _handler, _stream, live in self._streams:
            if status:
                live.show(status)
            else:
                live.clear()

    def __enter__(self) -> ConsoleProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
