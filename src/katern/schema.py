"""Read YAML data field by field, collecting a Problem for every wrong value."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from katern.errors import Problem


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ' Did you mean ...?' for the closest choices, or ''."""
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


def load_yaml(text: str, path: Path, line_offset: int = 0) -> tuple[Any, dict[str, int], Problem | None]:
    """Parse YAML text; return (data, line of each top-level key, problem if malformed)."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem_mark = getattr(exc, "problem_mark", None)
        context_mark = getattr(exc, "context_mark", None)
        mark = problem_mark or context_mark
        reason = getattr(exc, "problem", None) or str(exc)
        if problem_mark is not None and context_mark is not None and problem_mark.index >= len(text.rstrip()):
            # The parser ran off the end (an unclosed quote or bracket): point at where that began.
            mark = context_mark
            reason = f"{reason} {getattr(exc, 'context', None) or ''}".rstrip()
        line = mark.line + 1 + line_offset if mark is not None else None
        return (
            None,
            {},
            Problem(
                path,
                f"malformed YAML: {reason}. Check the indentation and put text that "
                "contains ': ' or starts with a quote between quotation marks.",
                line=line,
            ),
        )
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, _value in node.value:
            lines[str(key.value)] = key.start_mark.line + 1 + line_offset
    return data, lines, None


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

    def text(self, name: str, required: bool = False) -> str | None:
        """Return a text field."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, (bool, dict, list)):
            self.problem(name, f"must be text, not {type_name(value)}.")
            return None
        return str(value).strip()

    def text_list(self, name: str) -> list[str]:
        """Return a list of texts (a single text is accepted as a list of one)."""
        value = self._get(name, False)
        if value is None:
            return []
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list):
            self.problem(
                name,
                f"must be a list, not {type_name(value)}. Write it as [a, b] or one '- item' per line.",
            )
            return []
        result = []
        for i, item in enumerate(value):
            if isinstance(item, (dict, list)) or item is None or isinstance(item, bool):
                self.problem(f"{name}[{i + 1}]", f"must be text, not {type_name(item)}.")
            else:
                result.append(str(item).strip())
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
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problem(
                name,
                f"'{value}' is not a date. Write it as YYYY-MM-DD, for example 2018-10-08.",
            )
            return None

    def integer(self, name: str, minimum: int = 1) -> int | None:
        """Return a whole number of at least `minimum`."""
        value = self._get(name, False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(name, f"must be a whole number of at least {minimum}, not '{value}'.")
            return None
        return value

    def boolean(self, name: str) -> bool:
        """Return a true/false field."""
        self.seen.add(name)
        value = self.data.get(name, False)
        if not isinstance(value, bool):
            self.problem(name, f"must be true or false, not '{value}'.")
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
                f"'{value}' is not one of: {', '.join(choices)}.{did_you_mean(value, choices)}",
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
                hint = did_you_mean(str(key), sorted(known))
                self.problem(str(key), f"unknown field; it is ignored.{hint}", severity="warning")


def type_name(value: Any) -> str:
    """Describe a YAML value's type in words."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "nothing"
    return "text"
