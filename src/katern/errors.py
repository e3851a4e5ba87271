"""The one exception family of katern, and the problems validation collects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click


class KaternError(click.ClickException):
    """Base of every error katern reports to the user."""

    exit_code = 1

    def __init__(self, message: str, path: Path | str | None = None, field: str | None = None):
        self.path = Path(path) if path is not None else None
        self.field = field
        super().__init__(message)

    def format_message(self) -> str:
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ContentError(KaternError):
    """A record, factor or table in `content/` is wrong."""


class ConfigError(KaternError):
    """A publication file or project setting is wrong."""


class BuildError(KaternError):
    """A publication could not be rendered or written."""


class SeedImportError(KaternError):
    """A seed text could not be imported."""


@dataclass(frozen=True)
class Problem:
    """One thing validation found: where, what, and what to do about it."""

    path: Path
    message: str
    field: str | None = None
    line: int | None = None
    severity: str = "error"  # "error" or "warning"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f": field '{self.field}'"
        return f"{where}: {self.severity}: {self.message}"


class ValidationFailed(ContentError):
    """Raised once, after validation, when any error (or warning under --strict) was found."""

    def __init__(self, problems: list[Problem], strict: bool = False):
        self.problems = problems
        errors = sum(p.is_error for p in problems)
        warnings = len(problems) - errors
        super().__init__(
            f"{errors} error(s) and {warnings} warning(s) in the content"
            + (" (warnings are fatal with --strict)" if strict and warnings else "")
        )
