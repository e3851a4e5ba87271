"""Read YAML data field by field, collecting a Problem for every wrong value."""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
import reprlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from katern.errors import Problem
from katern.labels import MONTHS

MAX_DEPTH = 20
"""Lists and mappings may sit at most this many levels inside each other (real content needs about four)."""

MAX_NODES = 10_000
"""A YAML text may stand for at most this many values once its aliases (*name) are expanded."""

_MONTHS = MONTHS["en"]  # for messages, which are English
_DATE_LIKE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ].*)?", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MERGE_TAG = "tag:yaml.org,2002:merge"

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxset = 2, 5, 4, 5
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 40


def shorten(value: Any, limit: int = 60) -> str:
    """Return `value` as one line of at most `limit` characters, for quoting it in a message."""
    try:
        if isinstance(value, str):
            text = value
        elif isinstance(value, (_Int, _Float)):
            text = value.source
        elif isinstance(value, (list, tuple, dict, set, frozenset)):
            text = _REPR.repr(value)
        else:
            text = str(value)
    except Exception:  # a number with thousands of digits, a structure too deep to print
        text = f"({type_name(value)})"
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ' Did you mean ...?' for the closest choices, or ''."""
    value = shorten(value)
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if value.lower() in lowered:
        return f" Did you mean '{lowered[value.lower()]}'? (names are case-sensitive)"
    close = difflib.get_close_matches(value, choices, n=3, cutoff=0.6)
    if not close:
        close = [lowered[c] for c in difflib.get_close_matches(value.lower(), list(lowered), n=3, cutoff=0.6)]
    if not close:
        return ""
    return " Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


class _Int(int):
    """An integer read from YAML, remembering how it was written (12:30 is 750)."""

    source: str

    def __new__(cls, value: int, source: str) -> _Int:
        number = super().__new__(cls, value)
        number.source = source
        return number


class _Float(float):
    """A decimal number read from YAML, remembering how it was written."""

    source: str

    def __new__(cls, value: float, source: str) -> _Float:
        number = super().__new__(cls, value)
        number.source = source
        return number


class _NotADate(str):
    """What was written as a date but is none (2024-02-30): kept as the text written."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys, keeps how numbers were written and never crashes on dates."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.own_keys: dict[int, list] = {}  # id(mapping node) -> its (key, value) pairs before merging '<<'
        self.paths: dict[int, str] = {}  # id(mapping node) -> field name, e.g. 'sources[1]'
        self.root: yaml.Node | None = None
        self.root_keys: list[tuple[Any, yaml.Node]] = []
        self.duplicates: list[tuple[yaml.Node, yaml.Node, yaml.Node]] = []  # (second key, first key, mapping)
        self.current: yaml.Node | None = None

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        self.current = node
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _value in self.own_keys.get(id(node), node.value):
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=deep)
                if node is self.root:
                    self.root_keys.append((key, key_node))
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    continue  # unhashable: SafeLoader reports it below
                if first is not key_node:
                    self.duplicates.append((key_node, first, node))
        return super().construct_mapping(node, deep=deep)


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> _Int:
    return _Int(yaml.SafeLoader.construct_yaml_int(loader, node), str(node.value))


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> _Float:
    return _Float(yaml.SafeLoader.construct_yaml_float(loader, node), str(node.value))


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, TypeError, AttributeError, OverflowError):
        return _NotADate(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

_OPEN = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSE = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _too_deep_message() -> str:
    return (
        f"is nested more than {MAX_DEPTH} levels deep (lists or mappings inside each other). "
        "Look for stray '[', '{' or '- ' characters, or put the text between quotation marks."
    )


def _scan_depth(text: str) -> tuple[int, str | None] | None:
    """Return (0-based line, top-level field) where lists/mappings nest deeper than MAX_DEPTH, or None.

    Works on the scanner's tokens, without recursion, so that the recursive composer never sees such text.
    """
    scanner = _Loader(text)
    try:
        depth, field, after_key = 0, None, False
        while True:
            token = scanner.get_token()
            if token is None or isinstance(token, yaml.StreamEndToken):
                return None
            if isinstance(token, _OPEN):
                depth += 1
                if depth > MAX_DEPTH:
                    return token.start_mark.line, field
            elif isinstance(token, _CLOSE):
                depth -= 1
            elif depth == 1 and isinstance(token, yaml.KeyToken):
                field, after_key = None, True
                continue
            elif after_key and depth == 1 and isinstance(token, yaml.ScalarToken):
                field = token.value
            after_key = False
    finally:
        scanner.dispose()


class _Cycle(Exception):
    """An alias used inside its own anchor: the value never ends."""


class _Measure:
    """Count the values a node tree stands for (aliases expanded) and its depth, without recursion."""

    def __init__(self, loader: _Loader):
        self.loader = loader
        self.memo: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth)

    def __call__(self, top: yaml.Node, path: str) -> tuple[int, int]:
        memo, loader = self.memo, self.loader
        on_path: set[int] = set()
        stack: list[tuple[yaml.Node, str, bool]] = [(top, path, False)]
        while stack:
            node, where, done = stack.pop()
            nid = id(node)
            if done:
                on_path.discard(nid)
                if isinstance(node, yaml.ScalarNode):
                    memo[nid] = (1, 0)
                    continue
                children = _children(node)
                size = 1 + sum(memo[id(c)][0] for c in children)
                depth = 1 + max((memo[id(c)][1] for c in children), default=0)
                memo[nid] = (min(size, MAX_NODES + 1), depth)
                continue
            if nid in memo:
                continue
            if nid in on_path:
                raise _Cycle
            on_path.add(nid)
            stack.append((node, where, True))
            if isinstance(node, yaml.MappingNode):
                loader.own_keys[nid] = list(node.value)
                loader.paths.setdefault(nid, where)
                for key, value in node.value:
                    name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                    stack.append((key, where, False))
                    stack.append((value, f"{where}.{name}" if where else name, False))
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    stack.append((item, f"{where}[{i + 1}]", False))
        return memo[id(top)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_size(loader: _Loader, root: yaml.Node, path: Path, line_offset: int) -> Problem | None:
    """Refuse a tree that nests too deep, refers to itself or expands to more than MAX_NODES values."""
    measure = _Measure(loader)
    if isinstance(root, yaml.MappingNode):
        parts = []
        for key, value in root.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else None
            parts.append((name, key, [(key, ""), (value, name or "?")]))
        loader.own_keys[id(root)] = list(root.value)
        loader.paths[id(root)] = ""
    elif isinstance(root, yaml.SequenceNode):
        parts = [(f"[{i + 1}]", item, [(item, f"[{i + 1}]")]) for i, item in enumerate(root.value)]
    else:
        parts = [(None, root, [(root, "")])]
    total = 1
    for field, start, nodes in parts:
        line = start.start_mark.line + 1 + line_offset
        field = shorten(field) if field is not None else None
        try:
            sizes = [measure(node, where) for node, where in nodes]
        except _Cycle:
            return Problem(
                path,
                "a YAML alias (*name) is used inside its own anchor (&name), so the value never ends. "
                "Write the values out instead.",
                field,
                line,
            )
        total += sum(size for size, _depth in sizes)
        if total > MAX_NODES:
            return Problem(
                path,
                f"YAML aliases (&name / *name) expand this to more than {MAX_NODES:,} values. "
                "Write the values out instead of repeating them with aliases.",
                field,
                line,
            )
        if 1 + max(depth for _size, depth in sizes) > MAX_DEPTH:
            return Problem(path, _too_deep_message(), field, line)
    return None


def _yaml_error(exc: yaml.YAMLError, text: str, path: Path, line_offset: int) -> Problem:
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    mark = problem_mark or context_mark
    reason = getattr(exc, "problem", None) or str(exc)
    if problem_mark is not None and context_mark is not None and problem_mark.index >= len(text.rstrip()):
        # The parser ran off the end (an unclosed quote or bracket): point at where that began.
        mark = context_mark
        reason = f"{reason} {getattr(exc, 'context', None) or ''}".rstrip()
    line = mark.line + 1 + line_offset if mark is not None else None
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1 + line_offset
        character = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        message = f"contains the special character #x{character:04x}, which is not allowed. Remove it."
    elif reason == "found unhashable key":
        message = (
            "a field name (before ':') must be plain text, not a list or mapping. "
            "Remove the '?', '[' or '{' in front of it, or put the name between quotation marks."
        )
    else:
        message = (
            f"malformed YAML: {shorten(reason, 160)}. Check the indentation and put text that "
            "contains ': ' or starts with a quote between quotation marks."
        )
    return Problem(path, message, line=line)


def load_yaml(text: str, path: Path, line_offset: int = 0) -> tuple[Any, dict[str, int], Problem | None]:
    """Parse YAML text; return (data, line of each top-level key, problem if malformed).

    Never raises: anything wrong with the text comes back as the one problem, with data None. Besides
    malformed YAML that covers duplicate keys, lists/mappings nested deeper than MAX_DEPTH and aliases
    that expand to more than MAX_NODES values.
    """

    def at(node: yaml.Node | None) -> int | None:
        return node.start_mark.line + 1 + line_offset if node is not None else None

    loader: _Loader | None = None
    try:
        deep = _scan_depth(text)
        if deep is not None:
            line, field = deep
            return (
                None,
                {},
                Problem(path, _too_deep_message(), shorten(field) if field else None, line + 1 + line_offset),
            )
        loader = _Loader(text)
        root = loader.get_single_node()
        if root is None:
            return None, {}, None
        problem = _check_size(loader, root, path, line_offset)
        if problem is not None:
            return None, {}, problem
        loader.root = root
        data = loader.construct_document(root)
        if loader.duplicates:
            second, first, mapping = min(loader.duplicates, key=lambda d: d[0].start_mark.index)
            name = shorten(second.value)
            where = loader.paths.get(id(mapping), "")
            return (
                None,
                {},
                Problem(
                    path,
                    f"the field '{name}' appears twice (also on line {at(first)}). Keep one.",
                    f"{where}.{name}" if where else name,
                    at(second),
                ),
            )
        lines = {str(key): at(key_node) for key, key_node in loader.root_keys}
        return data, lines, None
    except yaml.YAMLError as exc:
        return None, {}, _yaml_error(exc, text, path, line_offset)
    except RecursionError:
        return None, {}, Problem(path, _too_deep_message())
    except Exception as exc:  # whatever else PyYAML lets through: never a traceback
        node = loader.current if loader is not None else None
        if isinstance(node, yaml.ScalarNode):
            message = (
                f"YAML cannot read the value '{shorten(node.value)}'. Put it between quotation marks "
                "to use it as text, and remove any '!!' in front of it."
            )
        else:
            message = (
                f"cannot be read as YAML ({shorten(exc, 100)}). Check the indentation and put text "
                "between quotation marks."
            )
        return None, {}, Problem(path, message, line=at(node))
    finally:
        if loader is not None:
            loader.dispose()


class FieldReader:
    """Take typed values out of one mapping, reporting problems with file, line and field."""

    def __init__(
        self,
        data: dict,
        path: Path,
        lines: dict[str, int],
        problems: list[Problem],
        prefix: str = "",
    ):
        self.data = data
        self.path = path
        self.lines = lines
        self.problems = problems
        self.prefix = prefix
        self.seen: set[str] = set()

    def problem(self, name: str, message: str, severity: str = "error") -> None:
        """Record a problem with field `name`."""
        top = (self.prefix + name).split(".")[0].split("[")[0]
        self.problems.append(Problem(self.path, message, self.prefix + name, self.lines.get(top), severity))

    def _get(self, name: str, required: bool) -> Any:
        self.seen.add(name)
        value = self.data.get(name)
        if value is None or value == "" or value == []:
            if required:
                self.problem(name, "is required but missing. Add it to the front matter.")
            return None
        return value

    def _text(self, name: str, value: Any, key: str | None) -> str | None:
        """Return `value` as text, or report it under `name`; `key` is how the fix is written ('title')."""
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            written = shorten(getattr(value, "source", value))
            number = shorten(int(value) if isinstance(value, int) else float(value))
            reads = "a number" if number == written else f"the number {number}"
            self.problem(name, f"YAML reads {written} as {reads}, not as text. {_quote_it(key, written)}")
            return None
        if isinstance(value, dt.date):
            written = value.isoformat() if not isinstance(value, dt.datetime) else str(value)
            self.problem(name, f"YAML reads {written} as a date, not as text. {_quote_it(key, written)}")
            return None
        self.problem(name, f"must be text, not {type_name(value)}.")
        return None

    def text(self, name: str, required: bool = False) -> str | None:
        """Return a text field."""
        value = self._get(name, required)
        if value is None:
            return None
        return self._text(name, value, name)

    def text_list(self, name: str) -> list[str]:
        """Return a list of texts (a single text is accepted as a list of one)."""
        value = self._get(name, False)
        if value is None:
            return []
        if isinstance(value, (str, int, float, dt.date)) and not isinstance(value, bool):
            text = self._text(name, value, name)
            return [text] if text is not None else []
        if not isinstance(value, list):
            self.problem(
                name,
                f"must be a list, not {type_name(value)}. Write it as [a, b] or one '- item' per line.",
            )
            return []
        result = []
        for i, item in enumerate(value):
            text = self._text(f"{name}[{i + 1}]", item, None)
            if text is not None:
                result.append(text)
        return result

    def date(self, name: str, required: bool = False) -> dt.date | None:
        """Return a date field written as YYYY-MM-DD."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and (reason := _impossible_date(value.strip())):
            self.problem(
                name,
                f"'{shorten(value)}' is not a real date ({reason}). Write it as YYYY-MM-DD, for example 2018-10-08.",
            )
            return None
        try:
            if not isinstance(value, (str, int)):
                raise ValueError
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.problem(
                name,
                f"'{shorten(value)}' is not a date. Write it as YYYY-MM-DD, for example 2018-10-08.",
            )
            return None

    def integer(self, name: str, minimum: int = 1) -> int | None:
        """Return a whole number of at least `minimum`."""
        value = self._get(name, False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(name, f"must be a whole number of at least {minimum}, not '{shorten(value)}'.")
            return None
        return int(value)

    def boolean(self, name: str) -> bool:
        """Return a true/false field."""
        self.seen.add(name)
        value = self.data.get(name, False)
        if not isinstance(value, bool):
            self.problem(name, f"must be true or false, not '{shorten(value)}'.")
            return False
        return value

    def choice(
        self,
        name: str,
        choices: Iterable[str],
        required: bool = False,
        default: str | None = None,
    ) -> str | None:
        """Return a text that must be one of `choices`."""
        choices = list(choices)
        value = self.text(name, required)
        if value is None:
            return default
        if value not in choices:
            self.problem(
                name,
                f"'{shorten(value)}' is not one of: {', '.join(choices)}.{did_you_mean(value, choices)}",
            )
            return default
        return value

    def mapping(self, name: str, required: bool = False) -> FieldReader | None:
        """Return a reader for a nested mapping."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(
                name,
                f"must be a mapping of 'key: value' lines, not {type_name(value)}.",
            )
            return None
        return FieldReader(value, self.path, self.lines, self.problems, f"{self.prefix}{name}.")

    def mappings_by_key(self, name: str) -> list[tuple[str, FieldReader]]:
        """Return (key, reader) for a mapping whose values are mappings (`layouts: {brochure: {...}}`)."""
        outer = self.mapping(name)
        if outer is None:
            return []
        readers = []
        for key, value in outer.data.items():
            outer.seen.add(key)
            if isinstance(value, dict):
                readers.append(
                    (str(key), FieldReader(value, self.path, self.lines, self.problems, f"{outer.prefix}{key}."))
                )
            else:
                outer.problem(str(key), f"must be a mapping of 'key: value' lines, not {type_name(value)}.")
        return readers

    def mappings(self, name: str) -> list[FieldReader]:
        """Return readers for a list of mappings."""
        value = self._get(name, False)
        if value is None:
            return []
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            self.problem(name, f"must be a list of mappings, not {type_name(value)}.")
            return []
        readers = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.problem(
                    f"{name}[{i + 1}]",
                    f"must be a mapping of 'key: value' lines, not {type_name(item)}.",
                )
                continue
            readers.append(
                FieldReader(
                    item,
                    self.path,
                    self.lines,
                    self.problems,
                    f"{self.prefix}{name}[{i + 1}].",
                )
            )
        return readers

    def warn_unknown(self, known: Iterable[str] | None = None) -> None:
        """Warn about keys nobody read (typos such as 'titel')."""
        known = set(known or ()) | self.seen
        for key in self.data:
            if key not in known:
                name = str(key)
                hint = did_you_mean(name, sorted(known))
                line = (
                    self.lines.get(name) if not self.prefix else self.lines.get(self.prefix.split(".")[0].split("[")[0])
                )
                self.problems.append(
                    Problem(
                        self.path,
                        f"unknown field; it is ignored.{hint}",
                        self.prefix + shorten(name),
                        line,
                        "warning",
                    )
                )


def _quote_it(key: str | None, written: str) -> str:
    return f'Put it in quotes: {key}: "{written}"' if key else f'Put it in quotes: "{written}"'


def _impossible_date(text: str) -> str | None:
    """Say why text written as YYYY-MM-DD is no real date ('February 2024 has 29 days'), or None."""
    match = _DATE_LIKE.fullmatch(text)
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    if year < 1:
        return "the year must be 1 or later"
    if not 1 <= month <= 12:
        return "the month must be 1-12"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{_MONTHS[month - 1]} {year} has {days} days"
    return None


def type_name(value: Any) -> str:
    """Describe a YAML value's type in words."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (set, frozenset)):
        return "a set"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "text"
    return "an unusual value"
