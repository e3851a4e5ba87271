"""Load records: Markdown files with YAML front matter under `content/records/`."""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from katern.errors import Problem
from katern.models import EDITION_FIELDS, KINDS, Box, Image, Link, Reaction, Record, Source
from katern.paths import RefusedPath, Resolver
from katern.schema import FieldReader, did_you_mean, load_yaml, shorten

if TYPE_CHECKING:
    from katern.recordcache import RecordCache

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# The fields of a record that are the same in every publication (an edition cannot give them).
RECORD_ONLY_FIELDS = (
    "kind",
    "date",
    "municipalities",
    "province",
    "themes",
    "factors",
    "images",
    "sources",
    "draft",
    "editions",
)


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Split a record into (front matter, body, line number where the body starts)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return None, text, 1
    end = re.search(r"^(---|\.\.\.)[ \t]*$", text[4:], re.MULTILINE)
    if end is None:
        return None, text, 1
    front = text[4 : 4 + end.start()]
    body = text[4 + end.end() :]
    # The rest of the closing '---' line, then blank lines, come before the body's first line.
    skipped = len(body) - len(body.lstrip("\n")) if body.strip() else 1
    body_line = front.count("\n") + 2 + max(skipped - 1, 0) + 1
    return front, body.strip("\n"), body_line


def parse_record(path: Path, text: str, problems: list[Problem], publications: Collection[str] | None = None) -> Record:
    """Parse one record's text; add every problem found to `problems`.

    `publications` are the names a record's `editions` may use (None: they are not checked).
    A record that cannot be read is still returned, with the fields it lacks marked unreadable, so
    that no publication can leave it out without saying so.
    """
    slug = path.stem
    first = len(problems)
    if not SLUG_RE.match(slug):
        problems.append(
            Problem(
                path,
                f"the file name '{path.name}' is not a valid slug. Rename it to lower-case letters, "
                "digits and hyphens, for example 'zwolle-think-op-school.md'.",
            )
        )
    front, body, body_line = split_front_matter(text)
    if front is None:
        problems.append(
            Problem(
                path,
                "has no front matter. Start the file with a line '---', the YAML fields, and another '---'.",
                line=1,
            )
        )
        return unreadable_record(path, body)
    data, lines, problem = load_yaml(front, path, line_offset=1)
    if problem:
        problems.append(problem)
        return unreadable_record(path, body)
    if not isinstance(data, dict):
        problems.append(Problem(path, "the front matter must be 'field: value' lines.", line=2))
        return unreadable_record(path, body)
    r = FieldReader(data, path, lines, problems)
    title = r.text("title", required=True)
    kind = r.choice("kind", KINDS, required=True)
    date = r.date("date", required=True)
    record = Record(
        slug=slug,
        path=path,
        title=title or "",
        kind=kind or "",
        date=date,
        body=body,
        place=r.text("place"),
        municipalities=r.text_list("municipalities"),
        province=r.text("province"),
        themes=r.text_list("themes"),
        lead=r.text("lead"),
        quotes=r.text_list("quotes"),
        boxes=[Box(b.text("title", True) or "", b.text("body", True) or "") for b in r.mappings("boxes")],
        tips=r.text_list("tips"),
        reaction=_reaction(r.mapping("reaction")),
        links=[_link(link) for link in r.mappings("links")],
        links_intro=r.text("links_intro"),
        contact=r.text("contact"),
        factors=r.text_list("factors"),
        images=[_image(i) for i in r.mappings("images")],
        sources=[_source(s) for s in r.mappings("sources")],
        draft=r.boolean("draft"),
        body_line=body_line,
        editions=_editions(r, publications),
    )
    if not record.sources and "sources" not in data:
        r.problem(
            "sources",
            "is required but missing. Say where the text came from: - {title: ..., seed: ...}.",
        )
    if not body.strip():
        problems.append(
            Problem(
                path,
                "the body is empty. Write the story below the closing '---' line.",
                field="body",
                line=body_line,
            )
        )
    r.warn_unknown()
    record.unreadable = error_fields(problems[first:])
    return record


def unreadable_record(path: Path, body: str = "") -> Record:
    """Return a placeholder for a record whose front matter could not be read at all."""
    return Record(slug=path.stem, path=path, title="", kind="", date=None, body=body, unreadable={"*"})


def error_fields(problems: list[Problem]) -> set[str]:
    """Return the top-level fields that the errors among `problems` concern."""
    return {p.field.split(".")[0].split("[")[0] for p in problems if p.is_error and p.field}


def _reaction(r: FieldReader | None) -> Reaction | None:
    if r is None:
        return None
    reaction = Reaction(
        quote=r.text("quote", True) or "",
        name=r.text("name", True) or "",
        title=r.text("title"),
        role=r.text("role"),
    )
    r.warn_unknown()
    return reaction


def _link(r: FieldReader) -> Link:
    link = Link(label=r.text("label", True) or "", url=r.text("url"))
    if link.url and not re.match(r"^(https?://|mailto:)", link.url):
        r.problem(
            "url",
            f"'{shorten(link.url)}' is not a web address. Start it with https:// (or mailto: for e-mail).",
        )
    r.warn_unknown()
    return link


def _image(r: FieldReader) -> Image:
    src = r.text("src", True) or ""
    alt = r.text("alt")
    if not alt:
        r.problem(
            "alt",
            "is missing: every image needs alt text describing it for readers who cannot see it. "
            "Add 'alt: ...' to the image.",
        )
    image = Image(src=src, alt=alt or "", caption=r.text("caption"))
    r.warn_unknown()
    return image


def _editions(r: FieldReader, publications: Collection[str] | None) -> dict[str, dict[str, Any]]:
    """Read `editions`: per publication name, the printed fields that differ there."""
    editions: dict[str, dict[str, Any]] = {}
    for name, e in r.mappings_by_key("editions"):
        if publications is not None and name not in publications:
            r.problem(
                f"editions.{name}",
                f"unknown publication '{shorten(name)}'.{did_you_mean(name, publications)} "
                "Under 'editions', give the name of a publication file in content/publications/ "
                "(without .yaml), for example 'integraal-werken-zuid'.",
            )
        changes: dict[str, Any] = {}
        for key in e.data:
            key = str(key)
            if key in RECORD_ONLY_FIELDS:
                e.problem(
                    key,
                    f"'{key}' cannot differ per publication: it is the record's own, and decides which "
                    f"publications select it. An edition can print its own: {', '.join(EDITION_FIELDS)}.",
                )
            elif key not in EDITION_FIELDS:
                e.problem(
                    key,
                    f"'{shorten(key)}' is not a field an edition can give.{did_you_mean(key, EDITION_FIELDS)} "
                    f"An edition can print its own: {', '.join(EDITION_FIELDS)}.",
                )
        for key in EDITION_FIELDS:
            if key not in e.data:
                continue
            if key in ("quotes", "tips"):
                value: Any = e.text_list(key)
            elif key == "boxes":
                value = [Box(b.text("title", True) or "", b.text("body", True) or "") for b in e.mappings(key)]
            elif key == "reaction":
                value = _reaction(e.mapping(key))
            elif key == "links":
                value = [_link(link) for link in e.mappings(key)]
            else:
                value = e.text(key, required=key in ("title", "body"))
                if value is None:
                    continue
            changes[key] = value
        editions[name] = changes
    return editions


def _source(r: FieldReader) -> Source:
    source = Source(
        title=r.text("title", True) or "",
        seed=r.text("seed"),
        edition=r.text("edition"),
        page=r.integer("page"),
    )
    r.warn_unknown()
    return source


def discover_records(folder: Path) -> list[Path]:
    """Return the record files under `folder`, sorted."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.md") if not any(part.startswith(".") for part in p.parts))


def publication_names(folder: Path) -> list[str]:
    """Return the names of the publication files in `folder` (content/publications), which `editions` may use."""
    if not folder.is_dir():
        return []
    return sorted({p.stem for p in [*folder.glob("*.yaml"), *folder.glob("*.yml")]})


def load_records(
    folder: Path, problems: list[Problem], resolver: Resolver, cache: RecordCache | None = None
) -> list[Record]:
    """Parse every record under `folder`; problems go to `problems`.

    With a `cache` (katern.recordcache), a record whose text was parsed before is not parsed again:
    the cache gives the same record and problems.

    A record's `editions` are checked against the publication files next to `folder`
    (content/publications).

    Files that cannot be read (outside the project through a link, not UTF-8) are returned as
    unreadable records, so a publication that might select them fails instead of leaving them out.
    """
    records = []
    publications = publication_names(folder.parent / "publications")
    for path in discover_records(folder):
        try:
            resolver.confine(path)
            text = path.read_text(encoding="utf-8")
        except RefusedPath as exc:
            problems.append(Problem(path, exc.message))
            records.append(unreadable_record(path))
            continue
        except UnicodeDecodeError as exc:
            problems.append(Problem(path, f"is not UTF-8 text ({exc.reason}). Save it as UTF-8."))
            records.append(unreadable_record(path))
            continue
        except OSError as exc:
            problems.append(Problem(path, f"cannot be read: {exc.strerror}."))
            records.append(unreadable_record(path))
            continue
        if cache is not None:
            records.append(cache.parse(path, text, problems, publications))
        else:
            records.append(parse_record(path, text, problems, publications))
    return records
