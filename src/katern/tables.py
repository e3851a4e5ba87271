"""Load the project's reference data: municipalities, themes and werkende factoren."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from katern.errors import Problem
from katern.models import PROVINCES, Factor
from katern.paths import RefusedPath, Resolver
from katern.schema import FieldReader, load_yaml, shorten


def read_text(path: Path, problems: list[Problem], resolver: Resolver | None = None) -> str | None:
    """Read a UTF-8 file, reporting a missing or unreadable one, or one that leads outside the project."""
    try:
        if resolver is not None and path.exists():
            resolver.confine(path)
        return path.read_text(encoding="utf-8").lstrip("\ufeff")
    except RefusedPath as exc:
        problems.append(Problem(path, exc.message))
    except FileNotFoundError:
        problems.append(Problem(path, "is missing. Create it (see README, 'Content formats')."))
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, f"is not UTF-8 text ({exc.reason}). Save it as UTF-8."))
    except OSError as exc:
        problems.append(Problem(path, f"cannot be read: {exc.strerror}."))
    return None


def load_municipalities(path: Path, problems: list[Problem], resolver: Resolver | None = None) -> dict[str, str]:
    """Return {municipality: province} from a CSV file with columns name, province."""
    text = read_text(path, problems, resolver)
    if text is None:
        return {}
    table: dict[str, str] = {}
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"name", "province"} <= set(reader.fieldnames):
        problems.append(Problem(path, "must start with the header line 'name,province'.", line=1))
        return {}
    for row in reader:
        line = reader.line_num
        name, province = (
            (row.get("name") or "").strip(),
            (row.get("province") or "").strip(),
        )
        if not name:
            problems.append(Problem(path, "a row has no name.", field="name", line=line))
        elif province not in PROVINCES:
            problems.append(
                Problem(
                    path,
                    f"'{shorten(province)}' is not a province; use one of: {', '.join(PROVINCES)}.",
                    "province",
                    line,
                )
            )
        elif name in table:
            problems.append(Problem(path, f"'{shorten(name)}' is listed twice. Remove one row.", "name", line))
        else:
            table[name] = province
    return table


def load_themes(path: Path, problems: list[Problem], resolver: Resolver | None = None) -> dict[str, str]:
    """Return {theme id: label} from themes.yaml."""
    text = read_text(path, problems, resolver)
    if text is None:
        return {}
    data, lines, problem = load_yaml(text, path)
    if problem:
        problems.append(problem)
        return {}
    if not isinstance(data, dict):
        problems.append(Problem(path, "must be 'id: Label' lines, one theme each.", line=1))
        return {}
    themes = {}
    for key, label in data.items():
        if not isinstance(label, str) or not label.strip():
            problems.append(
                Problem(
                    path,
                    "needs a label: write 'id: Label'.",
                    field=str(key),
                    line=lines.get(str(key)),
                )
            )
        else:
            themes[str(key)] = label.strip()
    return themes


def load_factors(path: Path, problems: list[Problem], resolver: Resolver | None = None) -> list[Factor]:
    """Return the werkende factoren from factors.yaml, in file order."""
    text = read_text(path, problems, resolver)
    if text is None:
        return []
    data, _lines, problem = load_yaml(text, path)
    if problem:
        problems.append(problem)
        return []
    if not isinstance(data, list):
        problems.append(
            Problem(
                path,
                "must be a list of factors, each starting with '- id: ...'.",
                line=1,
            )
        )
        return []
    factors: list[Factor] = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        prefix = f"[{i + 1}]."
        if not isinstance(item, dict):
            problems.append(
                Problem(
                    path,
                    "each factor must be a mapping with id, text and municipalities.",
                    f"[{i + 1}]",
                )
            )
            continue
        r = FieldReader(item, path, {}, problems, prefix)
        fid, text_ = r.text("id", True), r.text("text", True)
        raw = item.get("municipalities")
        r.seen.add("municipalities")
        municipalities: tuple[str, ...] | None
        if raw == "all":
            municipalities = None
        elif isinstance(raw, list) and raw and all(isinstance(m, str) for m in raw):
            municipalities = tuple(m.strip() for m in raw)
        else:
            r.problem(
                "municipalities",
                "must be 'all' or a list of municipality names, e.g. [Apeldoorn, Oss].",
            )
            municipalities = ()
        r.warn_unknown()
        if fid and fid in seen:
            r.problem("id", f"'{shorten(fid)}' is used by two factors. Give each factor its own id.")
        elif fid and text_:
            seen.add(fid)
            factors.append(Factor(fid, text_, municipalities))
    return factors
