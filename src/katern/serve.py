"""`katern serve`: watch the project, rebuild what an edit touches, and serve a live preview on 127.0.0.1.

`Preview` is the library: `start()` loads the project, serves the preview page with Python's
http.server in a thread, watches content/, layouts/, styles/ and seeds/ with watchfiles, and builds
once; every change set then goes to `rebuild(changes)`, which reloads the project and builds the
publications the change touches, writing to build/ as a build would.

The HTML booklet comes first: `katern.build.build` for its html output alone, committed to build/ (and
shown) before the PDF is begun. Then the PDF and the outputs made from it, again with `build`, whose
print layout is laid out story by story by a katern.storylayout.StoryLayout the preview keeps per
publication (given to katern.build.build as that publication's renderer, in place of
katern.pdf.render_pdf): a story changed is the only part laid out again. Everything else is the build's:
blank pages, preflight warnings, make_accessible, the validators, the accessibility report and the
manifest, so build/ only ever gets outputs that passed the checks of `katern build`. A story sheet keeps
the whole-document layout; should the per-story layout fail, that PDF is laid out whole, and the log
says why.
`stop()` ends the watcher, the builder and the server. Nothing here prints: one line per rebuild
is logged (`katern.serve`), and the command line decides where it goes.

The preview page (`/`, `/p/NAME`) shows the HTML booklet beside the PDF and refreshes them after
each rebuild, through Server-Sent Events at `/events` (with `/status` as the JSON it reads and a
polling fallback). It uses no external script or style, so it works offline. Files are served
from the build folder only: `..`, absolute paths, hidden files and symlinks that lead out are 404.
"""

from __future__ import annotations

import contextlib
import errno
import html
import json
import logging
import mimetypes
import queue
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from katern.build import BuildResult, Hooks, build, lays_out_in_parts, plan_outputs
from katern.errors import BuildError, KaternError
from katern.project import Project, find_root, load_project
from katern.schema import did_you_mean

log = logging.getLogger(__name__)

HOST = "127.0.0.1"  # never 0.0.0.0: the preview shows unpublished work
DEFAULT_PORT = 8000
PORT_TRIES = 20  # with the default port: 8000, 8001, ... up to 8019
WATCHED = ("content", "layouts", "styles", "seeds")
MAX_PROBLEMS = 20  # project problems shown in the preview page; `katern check` lists them all
MAX_NAMED = 5  # changed files named in one terminal line

# The files of a publication the preview links to, by kind (file names as `katern build` writes them).
FILES = {
    "html": "{name}.html",
    "pdf": "{name}.pdf",
    "booklet": "{name}-booklet.pdf",
    "press": "{name}-press.pdf",
    "report": "{name}.accessibility.html",
}

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".json": "application/json; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
}

# Editor and tool temporary files a change to which is no edit (on top of watchfiles' defaults:
# *.swp, *~, .#*, .DS_Store, __pycache__, .git, ...).
IGNORED_NAMES = (
    r"^\..+\.[a-z0-9_]{8}\.tmp$",  # katern's own atomic writes
    r"\.(tmp|temp|bak|part|crdownload|kate-swp)$",
    r"^#.*#$",  # Emacs auto-save
    r"^4913$",  # Vim's check that it may write the folder
    r"^sed[A-Za-z0-9]{6}$",  # sed -i
    r"^\.~lock\..*#$",  # LibreOffice
    r"^~\$",  # Microsoft Office owner files
    r"^\.goutputstream-",  # GNOME's atomic saves
    r"^\.(nfs|fuse_hidden)",
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass
class Rebuild:
    """What one rebuild did: what changed, which publications it built, and what went wrong."""

    number: int
    changed: list[Path] | None  # None: everything (the first build)
    names: list[str] = field(default_factory=list)  # the publications it asked the build for
    results: list[BuildResult] = field(default_factory=list)
    error: str | None = None  # the project could not be loaded or the build not started
    seconds: float = 0.0

    @property
    def rebuilt(self) -> list[str]:
        return [r.name for r in self.results if r.ok and any(map(_written, r.outputs))]

    @property
    def unchanged(self) -> list[str]:
        return [r.name for r in self.results if r.ok and not any(map(_written, r.outputs))]

    @property
    def failed(self) -> list[BuildResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failed


@dataclass
class _PubState:
    title: str
    ok: bool | None = None  # None: not built in this session yet
    error: str | None = None
    seconds: float | None = None
    versions: dict[str, int] = field(default_factory=dict)  # output kind -> rebuild number that wrote it
    phase: str | None = None  # the PDF's: "laying out", "checking" (make_accessible, validators) or None
    draft: int | None = None  # while "checking": the revision of the laid-out PDF shown at /draft/NAME.pdf


class _Stop:
    """Tells the builder thread to end."""


class Preview:
    """Watch a project, rebuild what changes touch, and serve a live preview on 127.0.0.1.

    `names` limits the preview to these publications (or families); `formats` is passed to
    `build()` (None: each publication's own outputs). `port=0` lets the system choose a free port;
    with `port_fallback` the next free port after a taken one is used.
    """

    def __init__(
        self,
        root: Path | str = ".",
        names: Iterable[str] | None = None,
        *,
        port: int = DEFAULT_PORT,
        port_fallback: bool = True,
        formats: tuple[str, ...] | None = None,
        out_dir: Path | str | None = None,
        watch: bool = True,
        debounce_ms: int = 400,
        per_story: bool = True,
    ) -> None:
        self.root = find_root(Path(root), search_parents=False).resolve()
        self.names = list(names or []) or None
        self.port = port
        self.port_fallback = port_fallback
        self.formats = formats
        self.out_dir = Path(out_dir).resolve() if out_dir else (self.root / "build").resolve()
        self.watch = watch
        self.debounce_ms = debounce_ms
        self.per_story = per_story  # lay brochures and newsletters out story by story (see the docstring)
        self.layouts: dict[str, object] = {}  # publication -> its katern.storylayout.StoryLayout
        self.drafts: dict[str, bytes] = {}  # publication -> its PDF laid out and being checked (not in build/)
        self.revision = 0  # grows with every change the page shows (a build, an output written, a phase)
        self.project: Project | None = None
        self.last: Rebuild | None = None
        self.publications: dict[str, _PubState] = {}
        self.problems: list[str] = []
        self.problem_count = 0
        self.counter = 0  # completed rebuilds; the preview page reloads when it grows
        self.building = False
        self._state = threading.Condition()  # guards the fields above; notified after every rebuild
        self._build_lock = threading.Lock()  # one build at a time
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: ThreadingHTTPServer | None = None

    # --- life cycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The address of the preview page."""
        return f"http://{HOST}:{self.server_port}/"

    @property
    def server_port(self) -> int:
        """The port the preview serves on (the one asked for, or the free one chosen)."""
        if self._server is None:
            raise RuntimeError("the preview is not serving; call start() first")
        return self._server.server_address[1]

    def start(self, initial_build: bool = True) -> str:
        """Serve the preview and watch the project; return the URL. The first build runs in the background.

        Raises BuildError for a publication name the project does not have, and KaternError when
        no port is free.
        """
        if self._server is not None:
            raise RuntimeError("the preview is serving already; call stop() first")
        self._stop.clear()
        self._queue = queue.Queue()
        project = load_project(self.root)
        self._check_names(project)
        with self._state:
            self.project = project
            self._update_publications(project)
        self._server = server = self._bind()
        self._spawn("katern-serve-http", lambda: server.serve_forever(poll_interval=0.1))
        self._spawn("katern-serve-build", self._build_loop)
        if self.watch:
            self._spawn("katern-serve-watch", self._watch_loop)
        if initial_build:
            self._queue.put(None)
        return self.url

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the watcher, the builder (after the build in progress) and the server; idempotent."""
        if self.building:
            log.info("stopping after the build in progress")
        self._stop.set()
        self._queue.put(_Stop())
        with self._state:
            self._state.notify_all()  # ends the /events streams
        if self._server is not None:
            self._server.shutdown()
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("%s did not stop within %.0f s", thread.name, timeout)
        if self._server is not None:
            self._server.server_close()
            self._server = None
        self._threads = [t for t in self._threads if t.is_alive()]

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stop() (or `timeout` seconds); Ctrl-C interrupts it. Return whether it stopped."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stop.wait(0.25):
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    def __enter__(self) -> Preview:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def threads(self) -> list[threading.Thread]:
        """The threads the preview runs (for tests): the server, the builder, the watcher."""
        return [t for t in self._threads if t.is_alive()]

    def _spawn(self, name: str, target) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _bind(self) -> ThreadingHTTPServer:
        handler = type("Handler", (_Handler,), {"preview": self})
        tries = PORT_TRIES if self.port_fallback and self.port else 1
        for port in range(self.port, self.port + tries):
            try:
                server = _Server((HOST, port), handler)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    continue
                raise KaternError(f"cannot serve on {HOST}:{port}: {exc.strerror}. Choose another --port.") from exc
            if port != self.port:
                log.info("port %d is in use; serving on port %d instead", self.port, port)
            return server
        last = self.port + tries - 1
        span = f"ports {self.port} to {last} are" if tries > 1 else f"port {self.port} is"
        raise KaternError(f"{span} in use. Stop what uses it, or choose another with --port.")

    # --- watching and building ----------------------------------------------------------------

    def _watch_loop(self) -> None:
        import watchfiles  # only when watching

        watch_filter = _Filter(ignore_paths=[str(self.out_dir)])
        while not self._stop.is_set():
            folders = self._folders()
            if not folders:
                self._stop.wait(1.0)
                continue
            try:
                for changes in watchfiles.watch(
                    *folders,
                    watch_filter=watch_filter,
                    debounce=max(self.debounce_ms, 50),
                    step=20,  # yield 20 ms after the last event of a save: the HTML preview follows at once
                    stop_event=self._stop,
                    rust_timeout=1000,
                    yield_on_timeout=True,
                    raise_interrupt=False,
                ):
                    paths = _edits(changes)
                    if paths:
                        self._queue.put(paths)
                    if self._folders() != folders:
                        break  # a watched folder appeared or went: watch the ones there are now
            except Exception as exc:  # a folder removed while watching, too many files: say so, watch again
                if self._stop.is_set():
                    break
                log.warning("watching %s stopped (%s); watching again", self.root, exc)
                self._stop.wait(1.0)

    def _folders(self) -> list[Path]:
        return [self.root / name for name in WATCHED if (self.root / name).is_dir()]

    def _build_loop(self) -> None:
        while True:
            item = self._queue.get()
            if isinstance(item, _Stop) or self._stop.is_set():
                return
            changes: set[Path] | None = None if item is None else set(item)
            while True:  # coalesce what arrived during the previous build
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(more, _Stop):
                    return
                changes = None if more is None or changes is None else changes | set(more)
            try:
                self.rebuild(None if changes is None else sorted(changes))
            except Exception:  # never let one rebuild end the preview
                log.exception("the rebuild failed unexpectedly")

    def request_rebuild(self, changes: Iterable[Path | str] | None = None) -> None:
        """Queue a rebuild in the builder thread (None: everything), as the watcher does."""
        self._queue.put(None if changes is None else [Path(c) for c in changes])

    def rebuild(self, changes: Iterable[Path | str] | None = None) -> Rebuild:
        """Reload the project and build the publications `changes` touch (None: all); return what happened.

        Errors (a broken record, a failed publication, a project that does not load) are kept in
        the status the preview page shows and logged; they are never raised.
        """
        changed = None if changes is None else sorted({self._absolute(c) for c in changes})
        with self._build_lock, self._building():
            started = time.perf_counter()
            step = Rebuild(self.counter + 1, changed)
            old = self.project
            try:
                # The root itself, never a parent folder that has a content/ (when content/ is gone).
                project = load_project(find_root(self.root, search_parents=False))
                step.names = self.touched(project, old, changed)
                if step.names:
                    step.results = self._build(project, step.names, step.number)
            except KaternError as exc:
                project, step.error = None, exc.format_message()
            except Exception as exc:  # a bug in a layout or the library: keep serving, show it
                project, step.error = None, f"{type(exc).__name__}: {exc}"
                log.debug("the rebuild failed", exc_info=True)
            step.seconds = time.perf_counter() - started
            with self._state:
                self.counter = step.number
                if project is not None:
                    self.project = project
                    self._update_publications(project)
                for result in step.results:
                    self._record(result, step.number)
                self.last = step
            self._log(step, project)
        return step

    def _build(self, project: Project, names: list[str], number: int) -> list[BuildResult]:
        """Build `names` one by one: each HTML booklet first (written and shown), then its PDF."""
        results: list[BuildResult] = []
        for name in names:
            pub = project.publications.get(name)
            if pub is None or not self.per_story or not lays_out_in_parts(pub):
                results += build(project, [name], self.formats, self.out_dir)
                continue
            try:
                kinds = plan_outputs(pub, self.formats)
            except KaternError:
                results += build(project, [name], self.formats, self.out_dir)  # it says what is wrong
                continue
            results.append(self._build_parts(project, name, kinds, number))
        return results

    def _build_parts(self, project: Project, name: str, kinds: list[str], number: int) -> BuildResult:
        """The HTML booklet, committed and shown; then the other outputs, the print layout laid out per story."""
        done: list[BuildResult] = []
        if "html" in kinds:
            first = build(project, [name], ("html",), self.out_dir)[0]
            done.append(first)
            self._recorded(first, number)
            if not first.ok:
                return first
        rest = tuple(kind for kind in kinds if kind != "html")
        if rest:
            try:
                hooks = {name: Hooks(renderer=self._renderer(name), laid_out=self._drafted(name))}
                done.append(build(project, [name], rest, self.out_dir, hooks=hooks)[0])
            finally:
                self._set_phase(name, None)
                with self._state:
                    self.drafts.pop(name, None)  # written to build/ by now, or failed: the last good one shows
        if len(done) == 1:
            return done[0]
        html_result, rest_result = done
        return BuildResult(
            name,
            outputs=[*rest_result.outputs, *html_result.outputs],
            seconds=html_result.seconds + rest_result.seconds,
            error=rest_result.error,
            warnings=list(dict.fromkeys([*rest_result.warnings, *html_result.warnings])),
            notes=list(dict.fromkeys([*rest_result.notes, *html_result.notes])),
            inputs={**html_result.inputs, **rest_result.inputs},
        )

    def _renderer(self, name: str):
        """katern.pdf.render_pdf's stand-in for `name`: its warm StoryLayout, the whole layout if that fails."""
        from katern.pdf import render_pdf
        from katern.storylayout import StoryLayout, StoryLayoutError

        layout = self.layouts.get(name)
        if layout is None:
            layout = self.layouts[name] = StoryLayout()

        def render(*args, **kwargs):
            self._set_phase(name, "laying out")
            try:
                started = time.perf_counter()
                pdf = layout.render(*args, **{**kwargs, "lazy": True})  # written if it is kept
                log.debug(
                    "%s: laid out %d part(s), %d kept, in %.2f s",
                    name,
                    len(layout.laid_out),
                    len(layout.reused),
                    time.perf_counter() - started,
                )
            except StoryLayoutError as exc:
                log.info("%s: laid out whole, not story by story: %s", name, exc)
                pdf = render_pdf(*args, **kwargs)
            except Exception as exc:  # a fault of the per-story layout: the whole layout says what is wrong
                why = f"{type(exc).__name__}: {exc}"
                log.warning("%s: the per-story layout failed (%s); laying it out whole", name, why)
                log.debug("the per-story layout failed", exc_info=True)
                self.layouts.pop(name, None)
                pdf = render_pdf(*args, **kwargs)
            self._set_phase(name, "checking")
            return pdf

        return render

    def _drafted(self, name: str):
        """Show the PDF of `name` as soon as it is laid out, while the validators check it (a draft)."""

        def show(data: bytes) -> None:
            with self._state:
                state = self.publications.get(name)
                if state is None:
                    return
                self.drafts[name] = data
                self.revision += 1
                state.draft = self.revision
                state.phase = "checking"
                self._state.notify_all()

        return show

    def _recorded(self, result: BuildResult, number: int) -> None:
        """Show an output written before the rebuild ends (the HTML booklet, ahead of its PDF)."""
        with self._state:
            self._record(result, number)
            self.revision += 1
            self._state.notify_all()

    def _set_phase(self, name: str, phase: str | None) -> None:
        with self._state:
            state = self.publications.get(name)
            if state is not None and state.phase != phase:
                state.phase = phase
                if phase != "checking":
                    state.draft = None
                self.revision += 1
                self._state.notify_all()

    @contextlib.contextmanager
    def _building(self):
        """Say (to /status and /events) that a build runs, and after it, that none does."""
        with self._state:
            self.building = True
            self.revision += 1
            self._state.notify_all()
        try:
            yield
        finally:
            with self._state:
                self.building = False
                self.revision += 1
                self._state.notify_all()

    def touched(self, project: Project, old: Project | None, changed: list[Path] | None) -> list[str]:
        """The publications (among those served) a change can affect, in build order.

        A record touches the publications that select it, before or after the edit; a publication
        file touches its own editions; anything else (layouts, styles, seeds, tables, images)
        touches them all. Which of these are really out of date is the build's business.
        """
        served = self._served(project)
        if changed is None:
            return served
        records, publications = project.records_dir.resolve(), (project.content_dir / "publications").resolve()
        hit: set[str] = set()
        for path in changed:
            if path.suffix == ".md" and path.is_relative_to(records):
                slug = path.stem
                for proj in filter(None, (project, old)):
                    for pub in proj.publications.values():
                        named = slug in (pub.record_slugs or [])
                        if named or any(r.slug == slug or r.path == path for r in pub.records):
                            hit.add(pub.name)
            elif path.suffix in (".yaml", ".yml") and path.parent == publications:
                for proj in filter(None, (project, old)):
                    hit |= {pub.name for pub in proj.publications.values() if pub.path.resolve() == path}
                hit.add(path.stem)  # a publication file that does not load: its failure is reported
            else:
                return served
        return [name for name in served if name in hit]

    def _served(self, project: Project) -> list[str]:
        """The publications this preview shows, as `build` names them (editions expanded)."""
        empty = [name for name, editions in project.families.items() if not editions]  # build says why
        known = [*sorted({*project.publications, *empty}), *_unloaded(project)]
        if not self.names:
            return known
        wanted: list[str] = []
        for name in self.names:
            wanted += project.families.get(name) or [name]  # a family without editions: build says why
        return [name for name in dict.fromkeys(wanted) if name in known]

    def _check_names(self, project: Project) -> None:
        choices = sorted({*project.publications, *project.families, *_unloaded(project)})
        unknown = [n for n in self.names or () if n not in choices]
        if unknown:
            raise BuildError(
                "; ".join(f"no publication '{n}'.{did_you_mean(n, choices)}" for n in unknown)
                + (f" Available: {', '.join(choices)}." if choices else " The project has no publications yet.")
            )

    def _absolute(self, path: Path | str) -> Path:
        path = Path(path)
        return (path if path.is_absolute() else self.root / path).resolve()

    # --- the state the page shows -------------------------------------------------------------

    def _update_publications(self, project: Project) -> None:
        served = self._served(project)
        self.publications = {name: self.publications.get(name) or _PubState(title=name) for name in served}
        for name, state in self.publications.items():
            pub = project.publications.get(name)
            if pub is not None:
                state.title = f"{pub.title} ({pub.edition})" if pub.edition else pub.title
        errors = project.errors
        self.problem_count = len(errors)
        self.problems = [str(p) for p in errors[:MAX_PROBLEMS]]

    def _record(self, result: BuildResult, number: int) -> None:
        state = self.publications.get(result.name)
        if state is None:
            state = self.publications[result.name] = _PubState(title=result.name)
        state.ok, state.error, state.seconds = result.ok, result.error, result.seconds
        for output in filter(_written, result.outputs):
            state.versions[output.kind] = number

    def status(self) -> dict:
        """The state of the preview, as `/status` serves it."""
        with self._state:
            last = self.last
            return {
                "counter": self.counter,
                "building": self.building,
                "revision": self.revision,
                "error": last.error if last else None,
                "last": None
                if last is None
                else {
                    "number": last.number,
                    "changed": None if last.changed is None else [self._relative(p) for p in last.changed],
                    "built": last.names,
                    "rebuilt": last.rebuilt,
                    "unchanged": last.unchanged,
                    "failed": [r.name for r in last.failed],
                    "seconds": round(last.seconds, 3),
                },
                "problems": list(self.problems),
                "problem_count": self.problem_count,
                "publications": {
                    name: {
                        "title": state.title,
                        "ok": state.ok,
                        "error": state.error,
                        "seconds": None if state.seconds is None else round(state.seconds, 3),
                        "versions": dict(state.versions),
                        "phase": state.phase,
                        "draft": f"/draft/{name}.pdf?r={state.draft}" if state.draft and name in self.drafts else None,
                        "files": self._files(name),
                    }
                    for name, state in self.publications.items()
                },
            }

    def _files(self, name: str) -> dict[str, str]:
        """The outputs of `name` that exist in the build folder, as URLs."""
        files = {}
        for kind, pattern in FILES.items():
            file_name = pattern.format(name=name)
            if (self.out_dir / file_name).is_file():
                files[kind] = f"/build/{file_name}"
        return files

    def _relative(self, path: Path) -> str:
        with contextlib.suppress(ValueError):
            return path.relative_to(self.root.resolve()).as_posix()
        return str(path)

    def _log(self, step: Rebuild, project: Project | None) -> None:
        """One line per rebuild: what changed, what was rebuilt or failed, how long it took."""
        if step.changed is None:
            what = "first build"
        else:
            shown = [self._relative(p) for p in step.changed[:MAX_NAMED]]
            more = f" and {len(step.changed) - MAX_NAMED} more" if len(step.changed) > MAX_NAMED else ""
            what = f"changed {', '.join(shown)}{more}"
        parts = [what]
        if step.error:
            parts.append("not built")
        elif not step.names:
            parts.append("no publication uses it")
        else:
            if step.rebuilt:
                parts.append(f"rebuilt {', '.join(step.rebuilt)}")
            if step.unchanged:
                parts.append(f"up to date {', '.join(step.unchanged)}")
            if step.failed:
                parts.append(f"failed {', '.join(r.name for r in step.failed)}")
        line = f"[{step.number}] {'; '.join(parts)} ({step.seconds:.2f} s)"
        (log.info if step.ok else log.warning)("%s", line)
        if step.error:
            log.error("%s", step.error)
        for result in step.failed:
            log.error("%s failed: %s", result.name, result.error)
        if project is not None and step.changed:
            # A broken file that no failed publication reports (no served publication uses it): say so.
            changed, reported = set(step.changed), " ".join(r.error or "" for r in step.failed)
            for problem in project.errors:
                if problem.path.resolve() in changed and str(problem) not in reported:
                    log.error("%s", problem)


def _written(output) -> bool:
    """Whether the build wrote this output now (an incremental build reports up-to-date ones too)."""
    return getattr(output, "status", "built") != "up to date"


def _edits(changes: Iterable[tuple[object, str]]) -> list[Path]:
    """The paths of a watchfiles change set, without files made and removed within it (temporary files)."""
    from watchfiles import Change

    kinds: dict[Path, set] = {}
    for change, path in changes:
        kinds.setdefault(Path(path), set()).add(change)
    return sorted(path for path, seen in kinds.items() if Change.added not in seen or path.exists())


def _unloaded(project: Project) -> list[str]:
    """The names of publication files that did not load at all (the build reports them as failed)."""
    folder = project.content_dir / "publications"
    loaded = {pub.path for pub in project.publications.values()}
    return sorted({p.path.stem for p in project.errors if p.path.parent == folder and p.path not in loaded})


try:  # watchfiles is needed to watch; a Preview(watch=False) works without it
    from watchfiles import DefaultFilter as _DefaultFilter
except ImportError:  # pragma: no cover
    _DefaultFilter = object  # type: ignore[assignment,misc]


class _Filter(_DefaultFilter):  # type: ignore[misc,valid-type]
    """watchfiles' default filter, plus editor temporary files and the build folder."""

    ignore_entity_patterns = (*getattr(_DefaultFilter, "ignore_entity_patterns", ()), *IGNORED_NAMES)


# --- the HTTP side ------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # a restarted preview gets its port back at once (Linux: not while one listens)


class _Handler(BaseHTTPRequestHandler):
    preview: Preview  # set on the subclass made for each Preview
    server_version = "katern-serve"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def _dispatch(self, head: bool) -> None:
        host = self.headers.get("Host", "")
        port = self.server.server_address[1]
        if host not in (f"{HOST}:{port}", f"localhost:{port}"):  # DNS rebinding: only our own name
            self._send(HTTPStatus.FORBIDDEN, b"forbidden\n", "text/plain; charset=utf-8", head)
            return
        path = urlsplit(self.path).path
        try:
            if path == "/":
                self._page(_index_page(self.preview.status()), head)
            elif path.startswith("/p/"):
                name = unquote(path[3:]).rstrip("/")
                status = self.preview.status()
                if SLUG.match(name) and name in status["publications"]:
                    self._page(_publication_page(name, status), head)
                else:
                    self._not_found(head)
            elif path == "/status":
                body = json.dumps(self.preview.status(), ensure_ascii=False).encode("utf-8")
                self._send(HTTPStatus.OK, body, CONTENT_TYPES[".json"], head)
            elif path == "/events":
                self._events(head)
            elif path == "/preview.js":
                self._send(HTTPStatus.OK, SCRIPT.encode("utf-8"), CONTENT_TYPES[".js"], head)
            elif path.startswith("/build/"):
                self._file(path[len("/build/") :], head)
            elif path.startswith("/draft/") and path.endswith(".pdf"):
                self._draft(unquote(path[len("/draft/") : -len(".pdf")]), head)
            else:
                self._not_found(head)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _file(self, raw: str, head: bool) -> None:
        target = confined(self.preview.out_dir, raw)
        if target is None:
            self._not_found(head)
            return
        try:
            data = target.read_bytes()
        except OSError:
            self._not_found(head)
            return
        kind = CONTENT_TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0]
        self._send(HTTPStatus.OK, data, kind or "application/octet-stream", head)

    def _draft(self, name: str, head: bool) -> None:
        """The PDF of `name` laid out and being checked, from memory (it is not in build/ yet)."""
        with self.preview._state:
            data = self.preview.drafts.get(name) if SLUG.match(name) else None
        if data is None:
            self._not_found(head)
            return
        self._send(HTTPStatus.OK, data, CONTENT_TYPES.get(".pdf", "application/pdf"), head)

    def _events(self, head: bool) -> None:
        """Server-Sent Events: the build counter now, then after every rebuild (and a comment as keep-alive)."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if head:
            return
        preview = self.preview
        state = preview._state
        sent = None
        while not preview._stop.is_set():
            with state:
                now = (preview.counter, preview.building, preview.revision)
                if now == sent:
                    state.wait(15.0)
                    now = (preview.counter, preview.building, preview.revision)
            if preview._stop.is_set():
                break
            if now == sent:
                message = ": keep-alive\n\n"
            else:
                data = {"counter": now[0], "building": now[1], "revision": now[2]}
                message = f"event: status\ndata: {json.dumps(data)}\n\n"
                sent = now
            self.wfile.write(message.encode("utf-8"))
            self.wfile.flush()

    def _page(self, text: str, head: bool) -> None:
        self._send(HTTPStatus.OK, text.encode("utf-8"), CONTENT_TYPES[".html"], head, csp=PAGE_CSP)

    def _not_found(self, head: bool) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", head)

    def _send(self, status: HTTPStatus, body: bytes, kind: str, head: bool, csp: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if csp:
            self.send_header("Content-Security-Policy", csp)
        self.end_headers()
        if not head:
            self.wfile.write(body)


def confined(folder: Path, raw: str) -> Path | None:
    """The file `raw` (a URL path below /build/, still %-encoded) names inside `folder`, or None.

    None for anything that is not plainly a file in the folder: `..` or `.` segments (also
    %-encoded), absolute paths, backslashes, NUL, hidden files, and links that lead outside.
    """
    text = unquote(raw)
    if not text or "\\" in text or "\0" in text or text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        return None
    parts = text.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    base = folder.resolve()
    try:
        target = base.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(base) or not target.is_file():
        return None
    return target


# --- the pages ----------------------------------------------------------------------------------

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; "
    "frame-src 'self'; object-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
)

STYLE = """
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: #1a1a1a; background: #f4f4f2; }
header { display: flex; gap: 1em; align-items: baseline; padding: .5em 1em; background: #fff;
  border-bottom: 1px solid #ccc; flex-wrap: wrap; }
header h1 { font-size: 1.1em; margin: 0; }
header .state { color: #555; }
main { padding: 1em; }
a { color: #0b5394; }
.banner { margin: 0; padding: .6em 1em; background: #fbe3e4; border-bottom: 2px solid #b00020; color: #5c0010; }
.banner h2 { font-size: 1em; margin: 0 0 .3em; }
.banner pre { white-space: pre-wrap; margin: .2em 0; font: 13px/1.4 ui-monospace, monospace; }
.banner[hidden] { display: none; }
table { border-collapse: collapse; background: #fff; }
th, td { text-align: left; padding: .35em .8em; border-bottom: 1px solid #ddd; vertical-align: top; }
.ok { color: #1b6e20; } .failed { color: #b00020; font-weight: bold; } .pending { color: #666; }
.panes { display: flex; gap: .5em; height: calc(100vh - 3.2em); padding: .5em; }
.panes.with-banner { height: calc(100vh - 9em); }
.pane { flex: 1 1 0; display: flex; flex-direction: column; min-width: 0; }
.pane h2 { font-size: .9em; margin: 0 0 .3em; font-weight: normal; }
.pane iframe { flex: 1; width: 100%; border: 1px solid #bbb; background: #fff; }
.missing { flex: 1; display: flex; align-items: center; justify-content: center; border: 1px dashed #bbb; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var body = document.body;
  var page = body.getAttribute("data-page");
  var pub = body.getAttribute("data-publication");
  var seen = Number(body.getAttribute("data-counter"));

  function text(node, value) { node.textContent = value; }

  function pdfWords(info) {
    if (info.phase === "laying out") { return "PDF: laying out\u2026 (the one shown is the last good one)"; }
    if (info.phase === "checking" && info.draft) {
      return "PDF: the new layout, shown while it is checked (written to build/ when it passes)";
    }
    if (info.phase === "checking") { return "PDF: checking\u2026 (validators; written to build/ when it passes)"; }
    return info.versions.pdf !== undefined ? "PDF: written (build " + info.versions.pdf + ")" : "";
  }

  function showBanner(status) {
    var banner = document.getElementById("banner");
    if (!banner) { return; }
    var lines = [];
    if (status.error) { lines.push(status.error); }
    Object.keys(status.publications).forEach(function (name) {
      var p = status.publications[name];
      if (p.error && (!pub || name === pub)) { lines.push(name + " failed: " + p.error); }
    });
    status.problems.forEach(function (p) { lines.push(p); });
    var list = document.getElementById("banner-lines");
    list.replaceChildren();
    lines.forEach(function (line) { var pre = document.createElement("pre"); text(pre, line); list.appendChild(pre); });
    banner.hidden = lines.length === 0;
    var panes = document.querySelector(".panes");
    if (panes) { panes.classList.toggle("with-banner", lines.length > 0); }
  }

  function refreshFrame(frame, url) {
    var win = null, x = 0, y = 0;
    try { win = frame.contentWindow; x = win.scrollX; y = win.scrollY; } catch (e) { win = null; }
    frame.addEventListener("load", function restore() {
      frame.removeEventListener("load", restore);
      try { if (win) { frame.contentWindow.scrollTo(x, y); } } catch (e) { /* a PDF viewer */ }
    });
    frame.src = url;
  }

  function update(status) {
    var state = document.getElementById("state");
    if (state) {
      var last = status.last;
      var words = status.building ? "building\u2026"
        : last ? "build " + status.counter + " in " + last.seconds.toFixed(2) + " s" : "waiting";
      text(state, words);
    }
    if (page !== "publication") {
      if (!status.building && status.counter !== seen) { window.location.reload(); }
      return;
    }
    var info = status.publications[pub];
    if (!info) { if (!status.building) { window.location.reload(); } return; }
    var pdfState = document.getElementById("pdf-state");
    if (pdfState) { text(pdfState, pdfWords(info)); }
    // An output written during a rebuild (the HTML booklet comes before its PDF) is shown at once.
    document.querySelectorAll("iframe[data-kind]").forEach(function (frame) {
      var kind = frame.getAttribute("data-kind");
      var version = info.versions[kind];
      var url = info.files[kind];
      // The PDF laid out and being checked is shown at once; when it is written (or fails), build/'s.
      if (kind === "pdf" && info.draft) {
        if (frame.getAttribute("data-draft") !== info.draft) {
          frame.setAttribute("data-draft", info.draft);
          refreshFrame(frame, info.draft + "#view=FitH");
        }
        return;
      }
      if (kind === "pdf" && frame.getAttribute("data-draft")) {
        frame.removeAttribute("data-draft");
        frame.setAttribute("data-version", "");
      }
      if (url && version !== undefined && String(version) !== frame.getAttribute("data-version")) {
        frame.setAttribute("data-version", String(version));
        refreshFrame(frame, url + "?v=" + version + (kind === "pdf" ? "#view=FitH" : ""));
      }
    });
    if (status.building || status.counter === seen) { return; }
    seen = status.counter;
    showBanner(status);
    var missing = document.querySelector(".missing[data-kind]");
    if (missing && info.files[missing.getAttribute("data-kind")]) { window.location.reload(); }
  }

  function fetchStatus() {
    var request = new XMLHttpRequest();
    request.open("GET", "/status");
    request.onload = function () { if (request.status === 200) { update(JSON.parse(request.responseText)); } };
    request.send();
  }

  if (window.EventSource) {
    var events = new EventSource("/events");
    events.addEventListener("status", function () { fetchStatus(); });
  } else {
    window.setInterval(fetchStatus, 1000);
  }
})();
"""


def _layout(title: str, status: dict, main: str, page: str, publication: str = "", errors: list[str] = ()) -> str:
    last = status["last"]
    state = (
        "building…"
        if status["building"]
        else f"build {status['counter']} in {last['seconds']:.2f} s"
        if last
        else "waiting for the first build"
    )
    lines = "".join(f"<pre>{html.escape(line)}</pre>" for line in errors)
    hidden = "" if errors else " hidden"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(title)} · katern serve</title>
<style>{STYLE}</style>
</head>
<body data-page="{page}" data-publication="{html.escape(publication)}" data-counter="{status["counter"]}">
<header><h1>{html.escape(title)}</h1><a href="/">all publications</a>
<span class="state" id="state" aria-live="polite">{html.escape(state)}</span></header>
<section class="banner" id="banner" role="alert"{hidden}><h2>Problems</h2><div id="banner-lines">{lines}</div>
</section>
{main}
<script src="/preview.js"></script>
</body>
</html>
"""


def _banner_lines(status: dict, only: str | None = None) -> list[str]:
    lines = [status["error"]] if status["error"] else []
    for name, info in status["publications"].items():
        if info["error"] and (only is None or name == only):
            lines.append(f"{name} failed: {info['error']}")
    lines += status["problems"]
    if status["problem_count"] > len(status["problems"]):
        lines.append(f"… and {status['problem_count'] - len(status['problems'])} more: run 'katern check'.")
    return lines


def _index_page(status: dict) -> str:
    rows = []
    for name, info in status["publications"].items():
        state = (
            '<span class="pending">not built yet</span>'
            if info["ok"] is None
            else '<span class="ok">built</span>'
            if info["ok"]
            else '<span class="failed">failed</span>'
        )
        files = " · ".join(f'<a href="{url}">{kind}</a>' for kind, url in info["files"].items())
        rows.append(
            f'<tr><td><a href="/p/{name}">{html.escape(name)}</a></td><td>{html.escape(info["title"])}</td>'
            f"<td>{state}</td><td>{files or '—'}</td></tr>"
        )
    table = (
        "<table><thead><tr><th>publication</th><th>title</th><th>state</th><th>files</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>No publications yet. Add one to content/publications/ (katern new publication NAME).</p>"
    )
    return _layout("katern preview", status, f"<main>{table}</main>", "index", errors=_banner_lines(status))


def _pdf_words(info: dict) -> str:
    """What the PDF pane says about the PDF: being laid out, being checked, or written (as the script does)."""
    if info.get("phase") == "laying out":
        return "PDF: laying out… (the one shown is the last good one)"
    if info.get("phase") == "checking" and info.get("draft"):
        return "PDF: the new layout, shown while it is checked (written to build/ when it passes)"
    if info.get("phase") == "checking":
        return "PDF: checking… (validators; written to build/ when it passes)"
    version = info["versions"].get("pdf")
    return f"PDF: written (build {version})" if version is not None else ""


def _publication_page(name: str, status: dict) -> str:
    info = status["publications"][name]
    panes = []
    for kind, label in (("html", "HTML booklet"), ("pdf", "PDF")):
        url = info["files"].get(kind)
        version = info["versions"].get(kind, "")
        if url:
            src = f"{url}?v={version}" + ("#view=FitH" if kind == "pdf" else "")
            frame = (
                f'<iframe data-kind="{kind}" data-version="{version}" src="{html.escape(src)}" '
                f'title="{label} of {html.escape(name)}"></iframe>'
            )
            link = f' · <a href="{url}" target="_blank" rel="noopener">open</a>'
        else:
            frame = f'<div class="missing" data-kind="{kind}">no {label} (yet)</div>'
            link = ""
        if kind == "pdf":
            link += f' <span class="state" id="pdf-state" aria-live="polite">{html.escape(_pdf_words(info))}</span>'
        panes.append(f'<div class="pane"><h2>{label}{link}</h2>{frame}</div>')
    errors = _banner_lines(status, only=name)
    main = f'<main class="panes{" with-banner" if errors else ""}">{"".join(panes)}</main>'
    return _layout(f"{name}: {info['title']}", status, main, "publication", name, errors)
