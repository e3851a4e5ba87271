"""Produce publications in worker processes (`katern build --jobs N`); the parent commits and reports.

A worker only produces: it returns a publication's outputs as bytes, with what they were made of
(build.Outcome), and the parent writes them with the manifest (build.finish), one publication at a
time, atomically, as each one comes back. The outputs are the same bytes as a build in one process
(tests/test_parallel.py).

Start method. On Linux, when this process has a single thread, the workers are forked from it
after load_project ('fork'): they start with the loaded project in memory, nothing pickled or loaded
again. A process that already has threads is not forked: the validator page-validation runs a
native thread pool, and a child forked after it has validated a PDF waits forever for threads that
were not copied (after a first build in the same process: the tests, `katern serve`). Then, and on
other systems, the workers are started fresh ('spawn') and receive the project pickled: about 0.2 MB
and a millisecond for the shipped project, against a quarter of a second for load_project.

Fonts. The HTML booklet embeds subsets of the fonts (resources.web_font, about a second a font).
Subsets that are not in the build's cache yet are made first, one font per task spread over the
workers, and kept in `build/.katern-cache/fonts/`, where every worker (and every later build) reads them.

What a worker logs is collected and logged again by the parent, once, so it cannot break the
parent's progress line.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from katern.build import Outcome, Plan, Progress
    from katern.project import Project

log = logging.getLogger(__name__)

_state: dict = {}  # in a worker: the project, the output folder, --strict
_logs: list[tuple[str, int, str]] = []  # in a worker: what it logged during the current task


class _Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        _logs.append((record.name, record.levelno, record.getMessage()))


def single_threaded() -> bool:
    """Say whether this process has one thread, native threads (a validator's thread pool) included."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return threading.active_count() == 1


def start_method() -> str:
    """Return 'fork' where forking is safe (Linux, one thread), else 'spawn'."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods() and single_threaded():
        return "fork"
    return "spawn"


def _init(state: dict) -> None:
    """Set a worker up: the project (inherited or unpickled), the font cache, logging into `_logs`."""
    from katern import resources

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    _state.clear()
    _state.update(state)
    resources.set_font_cache(state.get("font_cache"))
    logger = logging.getLogger("katern")
    logger.handlers[:] = [_Collect()]
    logger.propagate = False
    logger.setLevel(state.get("level", logging.INFO))


def _produce(name: str, kinds: list[str]) -> Outcome:
    from katern.build import produce_publication

    _logs.clear()
    project = _state["project"]
    outcome = produce_publication(project, project.publications[name], _state["out_dir"], kinds, _state["strict"])
    outcome.logs = list(_logs)
    return outcome


def _warm(path: Path) -> list[tuple[str, int, str]]:
    from katern.resources import web_font

    _logs.clear()
    web_font(path)
    return list(_logs)


def run_pool(
    project: Project,
    plans: list[Plan],
    out_dir: Path,
    strict: bool,
    workers: int,
    fonts: list[Path],
    done: Callable[[Plan, Outcome], None],
    progress: Progress | None = None,
) -> None:
    """Produce `plans` (longest first) in `workers` processes; call `done` in this process as each one returns."""
    from katern import resources
    from katern.build import Outcome

    method = start_method()
    state: dict = {
        "project": project,  # forked: inherited as it is; spawned: pickled
        "out_dir": Path(out_dir),
        "strict": strict,
        "font_cache": resources.font_cache_folder(),
        "level": logging.getLogger("katern").getEffectiveLevel(),
    }
    said: set[tuple[str, int, str]] = set()

    def relog(logs: list[tuple[str, int, str]]) -> None:
        for entry in logs:
            if entry not in said:  # a notice each worker gives once (fontTools) is said once
                said.add(entry)
                logging.getLogger(entry[0]).log(entry[1], "%s", entry[2])

    log.debug("producing %d publication(s) in %d worker processes (start method %s)", len(plans), workers, method)
    context = multiprocessing.get_context(method)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init, initargs=(state,))
    try:
        warming = [pool.submit(_warm, path) for path in fonts]  # first: they are what the booklets wait for
        pending: dict[Future, Plan] = {pool.submit(_produce, plan.name, plan.todo): plan for plan in plans}
        while pending:
            if progress is not None:  # the workers take the plans in order: the first unfinished ones are running
                running = {id(plan) for plan in pending.values()}
                progress.working([plan.name for plan in plans if id(plan) in running][:workers])
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in finished:
                plan = pending.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    outcome = Outcome(
                        plan.name,
                        error="the worker process building it stopped unexpectedly (out of memory?). "
                        "Build it again, with --jobs 1 if it happens again.",
                    )
                except Exception as exc:  # a fault of katern in the worker: report it, build the others
                    outcome = Outcome(plan.name, error=f"katern failed in a worker process: {exc!r}")
                relog(outcome.logs)
                done(plan, outcome)
        for future in warming:
            if future.done() and future.exception() is None:
                relog(future.result())
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):  # our own workers: stop them now
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
