"""What a build read and wrote: input tracing, file digests and the build manifest.

Tracing. While an output is produced, `tracing()` notes every file that is opened for reading:
an audit hook (`sys.addaudithook`) sees every `open()` of the process, and the template loader
(render.ConfinedLoader), the URL fetcher (pdf.ProjectURLFetcher) and the font subsetter
(resources.web_font) also note what they load, with `note_read()`. Files that were looked for and
not found (a project override of a layout that does not exist yet) are noted with `note_missing()`:
when one appears, the output is out of date. What was read before production (at `load_project`:
the records, the publication file, the tables, the theme and layout registries) is not seen here;
build.static_inputs() lists it. A trace also keeps the warnings and notes of what it produced, so an
output that is up to date can report them again without being rebuilt.

The manifest, `.katern-manifest.json` in the output folder, keeps for every output file the
digest (SHA-256) of each of its inputs, a key made of the options that shape it and the versions
of katern and the programs it uses, and the digests of the files written. An output whose key,
inputs and files are unchanged is up to date. The manifest is written together with the outputs
(fsutil.atomic_write_many), so it never describes files that were not written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

MANIFEST_NAME = ".katern-manifest.json"
CACHE_NAME = ".katern-cache"  # the build's cache folder (font subsets), beside the outputs
SCHEMA = 1  # the manifest's format; another number is read as no manifest

# The programs whose version changes what katern writes (layout, PDF writing, fonts, repair, validators).
TOOLS = (
    "weasyprint",
    "pydyf",
    "tinycss2",
    "fonttools",
    "pyphen",
    "pillow",
    "pikepdf",
    "pypdf",
    "page-validation",
    "outloud",
    "jinja2",
    "markdown",
    "nh3",
)


# --- tracing ----------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Trace:
    """What producing something read (and looked for in vain), warned and noted."""

    reads: dict[str, None] = field(default_factory=dict)  # paths as opened, in order (a set that keeps order)
    missing: dict[str, None] = field(default_factory=dict)  # paths looked for that did not exist
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


_local = threading.local()
_hook_installed = False
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | getattr(os, "O_CREAT", 0)


def _active() -> list[Trace]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def _audit(event: str, args: tuple) -> None:
    """Note every file opened for reading while a trace is active (called for every audit event)."""
    if event != "open":
        return
    stack = getattr(_local, "stack", None)
    if not stack:
        return
    path, mode, flags = (tuple(args) + (None, None, None))[:3]
    if isinstance(path, int) or path is None:
        return
    if mode is not None:
        if any(c in str(mode) for c in "wax+"):
            return
    elif isinstance(flags, int) and flags & _WRITE_FLAGS:
        return
    try:
        name = os.fsdecode(path)
    except (TypeError, ValueError):
        return
    for trace in stack:
        trace.reads[name] = None


def _install_hook() -> None:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)  # cannot be removed; does nothing while no trace is active
        _hook_installed = True


@contextmanager
def tracing(trace: Trace | None = None) -> Iterator[Trace]:
    """Note what is read, warned and noted meanwhile in `trace` (and in every trace around it)."""
    _install_hook()
    trace = trace if trace is not None else Trace()
    stack = _active()
    stack.append(trace)
    try:
        yield trace
    finally:
        for index in range(len(stack) - 1, -1, -1):
            if stack[index] is trace:
                del stack[index]
                break


def note_read(path: Path | str) -> None:
    """Note that `path` was read, for the traces active now."""
    for trace in _active():
        trace.reads[os.fspath(path)] = None


def note_missing(path: Path | str) -> None:
    """Note that `path` was looked for and did not exist: when it appears, what was traced is out of date."""
    for trace in _active():
        trace.missing[os.fspath(path)] = None


def note_warning(text: str) -> None:
    for trace in _active():
        trace.warnings.append(text)


def note_note(text: str) -> None:
    for trace in _active():
        trace.notes.append(text)


def replay(trace: Trace) -> None:
    """Add what `trace` saw to the traces active now (a result computed once and used again)."""
    for active in _active():
        if active is trace:
            continue
        active.reads.update(trace.reads)
        active.missing.update(trace.missing)
        active.warnings += trace.warnings
        active.notes += trace.notes


def traced_inputs(trace: Trace, roots: tuple[Path, ...], exclude: tuple[Path, ...] = ()) -> list[Path]:
    """Return the input files of a trace: real paths inside `roots`, that exist, not Python code.

    `roots[0]` is the project; the others are katern's own files and the font packages. Files that no
    longer exist (a validator's temporary copy), files under `exclude` (the build's own cache) and the
    installed programs (a virtual environment inside the project: their versions are in the key) are
    left out; files looked for in vain are returned by `traced_missing`.
    """
    project, others = roots[0], roots[1:]
    installed = tuple(dict.fromkeys(Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)))
    found: dict[Path, None] = {}
    for name in trace.reads:
        path = Path(name)
        if path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        try:
            real = path.resolve()
            if not real.is_file():
                continue
        except OSError:
            continue
        if any(real.is_relative_to(e) for e in exclude):
            continue
        if any(real.is_relative_to(r) for r in others) or (
            real.is_relative_to(project) and not any(real.is_relative_to(i) for i in installed)
        ):
            found[real] = None
    return list(found)


def traced_missing(trace: Trace) -> list[Path]:
    """Return the files a trace looked for in vain and that still do not exist."""
    return [Path(name).absolute() for name in trace.missing if not Path(name).exists()]


# --- digests ----------------------------------------------------------------------------------------------


class Digests:
    """SHA-256 of files, each computed once (per build): None for a file that does not exist."""

    def __init__(self) -> None:
        self._known: dict[Path, str | None] = {}

    def of(self, path: Path) -> str | None:
        path = Path(path).absolute()
        if path not in self._known:
            try:
                self._known[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
                self._known[path] = None
        return self._known[path]

    def forget(self, path: Path) -> None:
        self._known.pop(Path(path).absolute(), None)


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@cache
def code_digest() -> str:
    """Return a digest of katern's own code: an edited katern (a checkout) rebuilds, like a new version.

    Computed once per process: the code a process runs is the code it found when it started building.
    """
    package = Path(__file__).resolve().parent
    sha = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        sha.update(path.relative_to(package).as_posix().encode() + b"\0")
        sha.update(path.read_bytes() + b"\0")
    return sha.hexdigest()


def tool_versions() -> dict[str, str]:
    """Return katern's version (and a digest of its code) and the versions of the programs it builds with."""
    import katern

    return {"katern": katern.__version__, "katern-code": code_digest(), **_installed_versions()}


@cache
def _installed_versions() -> dict[str, str]:
    import importlib.metadata

    versions = {}
    for name in TOOLS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def fingerprint(data: object) -> str:
    """Return a digest of JSON-able `data` (the same on every machine and run)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the manifest -----------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One output file in the manifest: what it was made of, and what was written."""

    publication: str
    kind: str  # pdf, html, booklet, press
    key: str  # fingerprint of the options and tool versions that shape it
    files: dict[str, str]  # file written (name in the output folder) -> SHA-256; the output's own file first
    inputs: dict[str, str | None]  # input (relative to the project, else absolute) -> SHA-256, None: absent
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    options: dict = field(default_factory=dict)  # the build options of the run that wrote it (for people)
    family: str | None = None  # for an edition made by `each:`: the name of its publication file

    @classmethod
    def from_json(cls, data: dict) -> Entry:
        return cls(
            publication=str(data["publication"]),
            kind=str(data["kind"]),
            key=str(data["key"]),
            files={str(k): str(v) for k, v in dict(data["files"]).items()},
            inputs={str(k): (None if v is None else str(v)) for k, v in dict(data["inputs"]).items()},
            pages=data.get("pages"),
            warnings=[str(w) for w in data.get("warnings", [])],
            notes=[str(n) for n in data.get("notes", [])],
            seconds=float(data.get("seconds", 0.0)),
            options=dict(data.get("options", {})),
            family=None if data.get("family") is None else str(data["family"]),
        )


@dataclass
class Manifest:
    """Every output katern wrote into one folder, by file name."""

    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    tools: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, out_dir: Path) -> Manifest:
        """Read the manifest of `out_dir`; a missing, damaged or older one is an empty manifest."""
        path = Path(out_dir) / MANIFEST_NAME
        manifest = cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return manifest
        except (OSError, ValueError) as exc:
            log.info("cannot read %s (%s): every output is rebuilt", path, exc)
            return manifest
        try:
            if data.get("schema") != SCHEMA:
                log.info("%s was written by another version of katern: every output is rebuilt", path)
                return manifest
            manifest.tools = {str(k): str(v) for k, v in dict(data.get("tools", {})).items()}
            for name, entry in dict(data["outputs"]).items():
                manifest.entries[str(name)] = Entry.from_json(entry)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            log.info("%s is damaged (%s): every output is rebuilt", path, exc)
            return cls(path)
        return manifest

    def dumps(self) -> bytes:
        """Return the manifest as JSON (sorted, so the same content gives the same bytes)."""
        data = {
            "schema": SCHEMA,
            "comment": "Written by katern build: what each output was made of. Delete it to rebuild everything.",
            "tools": self.tools,
            "outputs": {name: asdict(entry) for name, entry in sorted(self.entries.items())},
        }
        return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    def copy(self) -> Manifest:
        return Manifest(self.path, dict(self.entries), dict(self.tools))
