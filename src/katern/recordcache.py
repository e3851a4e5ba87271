"""Keep what parsing a record found, so that the next `katern check` or build does not parse it again.

Parsing a record's YAML front matter and converting its Markdown texts to inspect them take most of
the time of loading a project. Both are pure: their result is a function of the record file's text,
of its name, and of the code that parses (katern's own, PyYAML, Python-Markdown, Python). This module
keeps those results from one run to the next:

- per record file: the fields `records.parse_record` read, and the problems (errors and warnings,
  with field, line and message) it reported, in their order. An entry is used only for the same
  file (its path relative to the project), the same text (SHA-256) and the same code (the digest of
  manifest.code_digest and the versions of PyYAML, Python-Markdown and Python). A record that gives
  publication-specific text under `editions` also depends on which publication files exist (those
  names are checked), so its entry also keeps a digest of those names. The body is not kept: it is
  cut from the file's text again (split_front_matter, a fraction of a millisecond).
- per Markdown text: what `markup.inspect_markdown` found (images, images without alt text, what
  cleaning would remove, or why the text cannot be converted) and `markup.long_words`, keyed by the
  SHA-256 of the text.

What depends on other files is never kept: municipalities, themes, factors, seeds, images, duplicate
slugs and the publications' queries are checked on every run (project.py).

Where. One JSON file per project in the user's cache folder, `$XDG_CACHE_HOME/katern/records/`
(`~/.cache/katern/records/` when XDG_CACHE_HOME is not set), named after a digest of the project's
folder. Not in the project: checking must change no file of the project, and a project is untrusted
input that could ship a crafted cache file; it cannot ship one here. Files not written for 30 days,
and the oldest beyond 200, are removed when a cache is written.

Trust. The file is JSON, never pickle: reading it runs no code. A file that cannot be read, is not
JSON, has another format number, comes from other code or another project is ignored as a whole;
an entry with a wrong type anywhere, another text's digest or another set of publication names is
ignored on its own. Whatever is ignored is parsed again and written anew: the cache can only save
time, never change what `check` says. Before an entry is kept, it is decoded again and compared
with what parsing gave; a result that would not come back exactly is not kept. The file is written
atomically (fsutil.atomic_write), and only when something changed; when it cannot be written (a
read-only home), katern works as before, without the cache. The cache folder is trusted as much as
katern's own installation: whoever can write there can also change katern's code. Only its format
is checked, never whether a well-formed entry tells the truth, which is why it must not live in the
project (a digest of a file's text is no secret: a crafted entry can name the right one).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Collection
from functools import cache
from pathlib import Path
from typing import Any

from katern import records
from katern.errors import Problem
from katern.fsutil import atomic_write
from katern.markup import Finding, Inspection, MarkupError, inspect_markdown, long_words
from katern.models import EDITION_FIELDS, Box, Image, Link, Reaction, Record, Source

log = logging.getLogger(__name__)

FORMAT = 1  # the cache file's layout; a file with another number is ignored
MAX_AGE = 30 * 24 * 3600  # seconds: a project's cache file not written for this long is removed
MAX_FILES = 200  # cache files kept in the folder (one per project), the most recently written
_NAME_RE = re.compile(r"^[0-9a-f]{32}\.json$")
_TEMP_RE = re.compile(r"^\.[0-9a-f]{32}\.json\.[a-z0-9_]{8}\.tmp$")
_SEVERITIES = ("error", "warning")


def cache_folder() -> Path | None:
    """Return the folder for record caches: $XDG_CACHE_HOME/katern/records, or ~/.cache/katern/records."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if base and os.path.isabs(base):
        return Path(base) / "katern" / "records"
    try:
        return Path.home() / ".cache" / "katern" / "records"
    except (RuntimeError, KeyError):  # no home folder
        return None


def cache_file(root: Path) -> Path | None:
    """Return the cache file of the project in folder `root` (None: there is no cache folder)."""
    folder = cache_folder()
    if folder is None:
        return None
    name = hashlib.sha256(os.fsencode(str(root))).hexdigest()[:32]
    return folder / f"{name}.json"


@cache
def environment() -> str:
    """Return a digest of the code that parsing depends on: katern's own, PyYAML, Python-Markdown, Python."""
    import markdown
    import yaml

    import katern
    from katern.manifest import code_digest, fingerprint

    return fingerprint(
        {
            "format": FORMAT,
            "katern": katern.__version__,
            "katern-code": code_digest(),
            "python": sys.version,
            "pyyaml": yaml.__version__,
            "markdown": markdown.__version__,
        }
    )


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class RecordCache:
    """The cache of one project while it is loaded: `parse` records, `inspect_markdown` and `long_words`
    texts through it, then `close` it to write what changed. Without a file it only computes."""

    def __init__(self, root: Path | None = None, path: Path | None = None, data: dict | None = None):
        self.root = root
        self.path = path
        self.active = root is not None and path is not None  # False: parse and inspect, keep nothing
        data = data or {}
        self._entries: dict[str, Any] = data.get("records", {})
        self._markdown: dict[str, Any] = data.get("markdown", {})
        self._words: dict[str, Any] = data.get("words", {})
        # What this run used or made: the next file holds only these (deleted records drop out).
        self._kept: dict[str, dict[str, Any]] = {"records": {}, "markdown": {}, "words": {}}
        self.changed = False
        self.hits = 0
        self.parsed = 0

    @classmethod
    def open(cls, root: Path) -> RecordCache:
        """Return the cache of the project in `root`, with what its file holds (nothing if it is unusable)."""
        root = Path(root)
        path = cache_file(root)
        if path is None:
            return cls(root, None)
        return cls(root, path, _read(path, root))

    # --- records ----------------------------------------------------------------------------------------

    def parse(
        self,
        path: Path,
        text: str,
        problems: list[Problem],
        publications: Collection[str] | None,
    ) -> Record:
        """Return what `records.parse_record(path, text, problems, publications)` returns, and add its
        problems to `problems`: from the cache when it holds this file's text, else by parsing."""
        parse = records.parse_record  # looked up on every call, so that it can be replaced (tests)
        key = self._key(path)
        if key is None:
            return parse(path, text, problems, publications)
        digest = text_digest(text)
        names = _names_digest(publications)
        entry = self._entries.get(key)
        if isinstance(entry, dict) and entry.get("digest") == digest:
            found = _decode_entry(entry, path, text)
            # A record with `editions` was checked against the publication names: they must be the same.
            if found is not None and entry.get("publications") == (names if found[0].editions else None):
                record, parsed = found
                problems.extend(parsed)
                self._kept["records"][key] = entry
                self.hits += 1
                return record
        first = len(problems)
        record = parse(path, text, problems, publications)
        self.parsed += 1
        self.changed = True
        entry = _encode_entry(record, problems[first:], path, text, digest, names if record.editions else None)
        if entry is not None:
            self._kept["records"][key] = entry
        return record

    def _key(self, path: Path) -> str | None:
        if not self.active or self.root is None:
            return None
        try:
            return Path(path).relative_to(self.root).as_posix()
        except ValueError:
            return None

    # --- Markdown texts ---------------------------------------------------------------------------------

    def inspect_markdown(self, text: str) -> Inspection:
        """Return markup.inspect_markdown(text), or raise its MarkupError, from the cache when it can."""
        if not self.active:
            return inspect_markdown(text)
        key = text_digest(text)
        found = _decode_inspection(self._markdown.get(key))
        if found is None:
            try:
                found = inspect_markdown(text)
            except MarkupError as exc:
                found = exc
            self.changed = True
        self._kept["markdown"][key] = _encode_inspection(found)
        if isinstance(found, MarkupError):
            raise MarkupError(found.message)
        return _copy_inspection(found)

    def long_words(self, text: str) -> list[str]:
        """Return markup.long_words(text), from the cache when it can."""
        if not self.active:
            return long_words(text)
        key = text_digest(text)
        found = self._words.get(key)
        if not _is_strings(found):
            found = long_words(text)
            self.changed = True
        self._kept["words"][key] = list(found)
        return list(found)

    # --- writing ----------------------------------------------------------------------------------------

    def close(self) -> None:
        """Write what this run used and made, if anything changed; forget it all (then it only computes)."""
        kept, self._kept = self._kept, {"records": {}, "markdown": {}, "words": {}}
        loaded = (self._entries, self._markdown, self._words)
        self._entries, self._markdown, self._words = {}, {}, {}
        if not self.active or self.path is None:
            return
        self.active = False
        dropped = any(set(old) - set(new) for old, new in zip(loaded, kept.values(), strict=True))
        if not (self.changed or dropped):
            return
        data = {
            "comment": "katern's cache of parsed records (see katern/recordcache.py). Safe to delete.",
            "format": FORMAT,
            "environment": environment(),
            "project": str(self.root),
            **kept,
        }
        try:
            # ASCII: a text may hold what UTF-8 cannot encode (YAML can write half a surrogate pair, "\\ud83d").
            payload = json.dumps(data, ensure_ascii=True, sort_keys=True, separators=(",", ":")) + "\n"
            atomic_write(self.path, payload.encode("ascii"))
        except (OSError, ValueError) as exc:  # a cache that cannot be written only costs time
            log.debug("cannot write the record cache %s: %s", self.path, getattr(exc, "strerror", None) or exc)
            return
        _prune(self.path.parent, self.path)
        log.debug("record cache %s: %d record(s) from the cache, %d parsed", self.path, self.hits, self.parsed)


def _read(path: Path, root: Path) -> dict:
    """Return the usable part of a cache file: {} if it is missing, damaged, or from other code or another project."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        log.debug("cannot read the record cache %s (%s): records are parsed again", path, exc.strerror or exc)
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        log.debug("ignoring the damaged record cache %s: records are parsed again", path)
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("project") != str(root):
        log.debug("ignoring the record cache %s: it is of another format or project", path)
        return {}
    if data.get("environment") != environment():
        log.debug("ignoring the record cache %s: it was written by other code", path)
        return {}
    usable = {}
    for part in ("records", "markdown", "words"):
        value = data.get(part)
        usable[part] = value if isinstance(value, dict) else {}
    return usable


def _prune(folder: Path, current: Path) -> None:
    """Remove the cache files of projects not loaded for MAX_AGE, the oldest beyond MAX_FILES, old temporaries."""
    try:
        entries = [(e.stat().st_mtime, e) for e in folder.iterdir() if e.is_file() and not e.is_symlink()]
    except OSError:
        return
    now = time.time()
    caches = sorted(((m, e) for m, e in entries if _NAME_RE.match(e.name) and e != current), reverse=True)
    old = [e for i, (m, e) in enumerate(caches) if now - m > MAX_AGE or i >= MAX_FILES - 1]
    old += [e for m, e in entries if _TEMP_RE.match(e.name) and now - m > 3600]  # left by a killed run
    for entry in old:
        with contextlib.suppress(OSError):
            entry.unlink()


# --- encoding: every value checked for its exact type both ways ------------------------------------------


class _Unfit(Exception):
    """A value that the cache does not keep (not of the type expected): the record is parsed every time."""


def _check(ok: bool) -> None:
    if not ok:
        raise _Unfit


def _str(value: Any) -> str:
    _check(type(value) is str)
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _opt_int(value: Any) -> int | None:
    _check(value is None or type(value) is int)
    return value


def _strs(value: Any) -> list[str]:
    _check(type(value) is list)
    return [_str(v) for v in value]


def _is_strings(value: Any) -> bool:
    return type(value) is list and all(type(v) is str for v in value)


def _tuple(value: Any, size: int) -> list:
    _check(type(value) is list and len(value) == size)
    return value


def _enc_date(value: Any) -> str | None:
    if value is None:
        return None
    _check(type(value) is dt.date)
    return value.isoformat()


def _dec_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(_str(value))
    except ValueError:
        raise _Unfit from None


def _enc_box(b: Any) -> list:
    _check(type(b) is Box)
    return [_str(b.title), _str(b.body)]


def _dec_box(v: Any) -> Box:
    title, body = _tuple(v, 2)
    return Box(_str(title), _str(body))


def _enc_reaction(r: Any) -> list | None:
    if r is None:
        return None
    _check(type(r) is Reaction)
    return [_str(r.quote), _str(r.name), _opt_str(r.title), _opt_str(r.role)]


def _dec_reaction(v: Any) -> Reaction | None:
    if v is None:
        return None
    quote, name, title, role = _tuple(v, 4)
    return Reaction(_str(quote), _str(name), _opt_str(title), _opt_str(role))


def _enc_link(link: Any) -> list:
    _check(type(link) is Link)
    return [_str(link.label), _opt_str(link.url)]


def _dec_link(v: Any) -> Link:
    label, url = _tuple(v, 2)
    return Link(_str(label), _opt_str(url))


def _enc_image(i: Any) -> list:
    _check(type(i) is Image)
    return [_str(i.src), _str(i.alt), _opt_str(i.caption)]


def _dec_image(v: Any) -> Image:
    src, alt, caption = _tuple(v, 3)
    return Image(_str(src), _str(alt), _opt_str(caption))


def _enc_source(s: Any) -> list:
    _check(type(s) is Source)
    return [_str(s.title), _opt_str(s.seed), _opt_str(s.edition), _opt_int(s.page)]


def _dec_source(v: Any) -> Source:
    title, seed, edition, page = _tuple(v, 4)
    return Source(_str(title), _opt_str(seed), _opt_str(edition), _opt_int(page))


def _many(each: Callable[[Any], Any]) -> Callable[[Any], list]:
    def convert(value: Any) -> list:
        _check(type(value) is list)
        return [each(v) for v in value]

    return convert


def _bool(value: Any) -> bool:
    _check(type(value) is bool)
    return value


def _int(value: Any) -> int:
    _check(type(value) is int)
    return value


# Record field -> (encode, decode). `slug` and `path` come from the file's path, `body` from its text.
_FIELDS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "title": (_str, _str),
    "kind": (_str, _str),
    "date": (_enc_date, _dec_date),
    "place": (_opt_str, _opt_str),
    "municipalities": (_strs, _strs),
    "province": (_opt_str, _opt_str),
    "themes": (_strs, _strs),
    "lead": (_opt_str, _opt_str),
    "quotes": (_strs, _strs),
    "boxes": (_many(_enc_box), _many(_dec_box)),
    "tips": (_strs, _strs),
    "reaction": (_enc_reaction, _dec_reaction),
    "links": (_many(_enc_link), _many(_dec_link)),
    "links_intro": (_opt_str, _opt_str),
    "contact": (_opt_str, _opt_str),
    "factors": (_strs, _strs),
    "images": (_many(_enc_image), _many(_dec_image)),
    "sources": (_many(_enc_source), _many(_dec_source)),
    "draft": (_bool, _bool),
    "body_line": (_int, _int),
}


def _unfit(value: Any) -> Any:
    raise _Unfit


# What an edition may print instead (records._editions): its texts are never None (it leaves them out).
_EDITION_TEXTS = ("title", "place", "lead", "body", "links_intro", "contact")
_EDITION_FIELDS = {
    name: (_str, _str) if name in _EDITION_TEXTS else _FIELDS.get(name, (_unfit, _unfit)) for name in EDITION_FIELDS
}


def _enc_editions(editions: Any) -> dict:
    _check(type(editions) is dict)
    out = {}
    for name, changes in editions.items():
        _check(type(changes) is dict and all(type(k) is str and k in _EDITION_FIELDS for k in changes))
        out[_str(name)] = {key: _EDITION_FIELDS[key][0](value) for key, value in changes.items()}
    return out


def _dec_editions(value: Any) -> dict:
    _check(type(value) is dict)
    out = {}
    for name, changes in value.items():
        _check(type(changes) is dict and all(k in _EDITION_FIELDS for k in changes))
        out[name] = {key: _EDITION_FIELDS[key][1](v) for key, v in changes.items()}
    return out


def _enc_problem(problem: Any, path: Path) -> list:
    _check(type(problem) is Problem and problem.path == path and problem.severity in _SEVERITIES)
    return [_str(problem.message), _opt_str(problem.field), _opt_int(problem.line), problem.severity]


def _dec_problem(value: Any, path: Path) -> Problem:
    message, field, line, severity = _tuple(value, 4)
    _check(severity in _SEVERITIES)
    return Problem(path, _str(message), _opt_str(field), _opt_int(line), severity)


def _names_digest(publications: Collection[str] | None) -> str:
    from katern.manifest import fingerprint

    return fingerprint(None if publications is None else sorted(publications))


def _body(text: str) -> str:
    return records.split_front_matter(text)[1]


# Every field of a record is kept (or made again from the path and text); a field added to Record but
# not here would be lost, so then nothing is kept until it is added.
_COMPLETE = {f.name for f in dataclasses.fields(Record)} == {*_FIELDS, "slug", "path", "body", "editions", "unreadable"}


def _encode_entry(
    record: Record, problems: list[Problem], path: Path, text: str, digest: str, names: str | None
) -> dict | None:
    """Return the cache entry for what parsing `text` gave, or None when it would not come back exactly."""
    if not _COMPLETE:
        return None
    try:
        _check(type(record) is Record and record.slug == path.stem and record.path == path)
        _check(record.body == _body(text))
        fields = {name: encode(getattr(record, name)) for name, (encode, _decode) in _FIELDS.items()}
        fields["editions"] = _enc_editions(record.editions)
        _check(type(record.unreadable) is set)
        fields["unreadable"] = sorted(_str(u) for u in record.unreadable)
        entry = {
            "digest": digest,
            "publications": names,
            "record": fields,
            "problems": [_enc_problem(p, path) for p in problems],
        }
    except _Unfit:
        return None
    again = _decode_entry(entry, path, text)
    if again is None or again != (record, problems):
        log.debug("not caching %s: it would not come back exactly", path)
        return None
    return entry


def _decode_entry(entry: dict, path: Path, text: str) -> tuple[Record, list[Problem]] | None:
    """Return (record, problems) from a cache entry, or None when anything in it is not as written."""
    try:
        fields = entry.get("record")
        _check(type(fields) is dict and set(fields) == {*_FIELDS, "editions", "unreadable"})
        values = {name: decode(fields[name]) for name, (_encode, decode) in _FIELDS.items()}
        record = Record(
            slug=path.stem,
            path=path,
            body=_body(text),
            editions=_dec_editions(fields["editions"]),
            unreadable=set(_strs(fields["unreadable"])),
            **values,
        )
        problems = entry.get("problems")
        _check(type(problems) is list)
        return record, [_dec_problem(p, path) for p in problems]
    except (_Unfit, TypeError, ValueError):
        return None


def _encode_inspection(found: Inspection | MarkupError) -> dict:
    if isinstance(found, MarkupError):
        return {"error": found.message}
    return {
        "images": list(found.images),
        "without_alt": list(found.without_alt),
        "refused": [[f.message, f.needle] for f in found.refused],
    }


def _decode_inspection(value: Any) -> Inspection | MarkupError | None:
    """Return the Inspection (or MarkupError) an entry holds; None when it is missing or not as written."""
    if type(value) is not dict:
        return None
    if set(value) == {"error"}:
        return MarkupError(value["error"]) if type(value["error"]) is str else None
    if set(value) != {"images", "without_alt", "refused"}:
        return None
    refused = value["refused"]
    if not (_is_strings(value["images"]) and _is_strings(value["without_alt"]) and type(refused) is list):
        return None
    if not all(type(f) is list and len(f) == 2 and _is_strings(f) for f in refused):
        return None
    return Inspection(list(value["images"]), list(value["without_alt"]), [Finding(m, n) for m, n in refused])


def _copy_inspection(found: Inspection) -> Inspection:
    return Inspection(
        list(found.images), list(found.without_alt), [Finding(f.message, f.needle) for f in found.refused]
    )
