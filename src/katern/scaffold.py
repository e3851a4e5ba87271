"""Start a new project, and write new records and publications from commented templates."""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from katern.errors import ConfigError, ContentError, Problem
from katern.fsutil import atomic_write, atomic_write_many
from katern.importers.common import slug as make_slug
from katern.importers.common import slug_words
from katern.importers.enrich import place_municipalities
from katern.models import KINDS, PROVINCES, Record
from katern.publications import NAME_RE
from katern.query import normalise_province
from katern.records import SLUG_RE, discover_records
from katern.schema import did_you_mean, shorten
from katern.tables import load_municipalities

log = logging.getLogger(__name__)

STARTER_DIR = Path(__file__).resolve().parent / "starter"
"""The files a new project starts from, in the folders they are copied to."""

TODAY = "@TODAY@"
"""Replaced by the date of the day in the starter files (the example publication's date)."""

EXAMPLE_PUBLICATION = "voorbeeld"
NEW_LAYOUTS = ("brochure", "newsletter", "handout")
LISTED_RECORDS = 3  # records a new brochure lists to start with
TYPO_CUTOFF = 0.85  # a place this close to a municipality is taken for a misspelling ('Zwole'), not a region

# Characters a one-line text given on the command line must not contain (YAML cannot hold most of them).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


# --- katern init ----------------------------------------------------------------------------------


def starter_files() -> list[Path]:
    """Return the starter files, relative to the starter folder, sorted."""
    if not STARTER_DIR.is_dir():
        raise ConfigError("katern's starter files are missing; reinstall katern.", path=STARTER_DIR)
    return sorted(
        path.relative_to(STARTER_DIR)
        for path in STARTER_DIR.rglob("*")
        if path.is_file() and not any(part.startswith((".", "__")) for part in path.relative_to(STARTER_DIR).parts)
    )


def init_project(target: Path, date: dt.date | None = None) -> list[Path]:
    """Create a new project in `target` from the starter files; return the files written."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ConfigError("is a file, not a folder. Give the folder to create the new project in.", path=target)
    content = target / "content"
    if content.exists() or content.is_symlink():
        raise ConfigError(
            "already holds a 'content' folder, so it is a katern project already. Nothing was written. "
            "Give a new or empty folder, for example 'katern init mijn-project'.",
            path=target,
        )
    files = starter_files()
    existing = [str(rel) for rel in files if (target / rel).exists() or (target / rel).is_symlink()]
    if existing:
        raise ConfigError(
            f"already holds {', '.join(existing)}, and katern never overwrites a file. Nothing was written. "
            "Move those files away, or give another folder.",
            path=target,
        )
    today = (date or dt.date.today()).isoformat()
    payload = [(target / rel, (STARTER_DIR / rel).read_text(encoding="utf-8").replace(TODAY, today)) for rel in files]
    created = _missing_folders([path.parent for path, _text in payload])
    try:
        atomic_write_many(payload)
    except OSError as exc:
        for folder in reversed(created):  # only the empty folders this attempt made; never a file
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise ConfigError(
            f"cannot create the project: {exc.strerror or exc}. Nothing was written.", path=target
        ) from None
    return [path for path, _text in payload]


def _missing_folders(folders: list[Path]) -> list[Path]:
    """Return `folders` and their parents that do not exist yet, parents before children."""
    missing: set[Path] = set()
    for folder in folders:
        for f in (folder, *folder.parents):
            if f.exists():
                break
            missing.add(f)
    return sorted(missing, key=lambda f: len(f.parts))


# --- katern new record ----------------------------------------------------------------------------


def record_slug(place: str, title: str) -> str:
    """Return the slug of a new record: the place and the first words of the title, like `katern import`."""
    slug = make_slug(place, title)
    if not SLUG_RE.match(slug):  # make_slug only joins [a-z0-9]+ words with hyphens; this cannot happen
        raise ContentError(f"cannot make a file name of '{shorten(place)}' and '{shorten(title)}'.")
    return slug


def new_record(
    project: Path,
    place: str,
    title: str,
    kind: str = "praktijkverhaal",
    date: dt.date | None = None,
    municipalities: Sequence[str] = (),
) -> Path:
    """Write a draft record for `place` and `title` into the project's content/records/; return its path."""
    root = Path(project)
    place, title = _one_line(place, "--place"), _one_line(title, "--title")
    if kind not in KINDS:
        raise ContentError(
            f"'{shorten(kind)}' is not a kind; use one of: {', '.join(KINDS)}.{did_you_mean(kind, KINDS)}"
        )
    table = _municipalities(root)
    names = list(dict.fromkeys(_one_line(m, "--municipality") for m in municipalities))
    for name in names:
        if name not in table:
            raise ContentError(
                f"--municipality: '{shorten(name)}' is not in content/municipalities.csv.{did_you_mean(name, table)} "
                "Nothing was written."
            )
    province = normalise_province(place)
    if not names:
        names = place_municipalities(place, table)
    hint = did_you_mean(place, table) if not names and province not in PROVINCES else ""
    if hint and difflib.get_close_matches(place, table, n=1, cutoff=TYPO_CUTOFF):
        raise ContentError(
            f"--place: '{shorten(place)}' is not a municipality in content/municipalities.csv.{hint} "
            "Write the place as the table spells it. If it is right and not a municipality itself, name the "
            "municipalities it lies in with --municipality. Nothing was written."
        )
    provinces = sorted({table[name] for name in names})
    if names:
        province = provinces[0] if len(provinces) == 1 else None
    elif province not in PROVINCES:
        province = None
    slug = record_slug(place, title)
    folder = root / "content" / "records"
    target = folder / f"{slug}.md"
    clash = next((p for p in discover_records(folder) if p.stem == slug), None)
    if clash is not None or target.exists() or target.is_symlink():
        raise ContentError(
            "already exists, and katern never overwrites a record. Edit that file, or give another title. "
            "Nothing was written.",
            path=clash or target,
        )
    text = _record_text(place, title, kind, date or dt.date.today(), names, provinces, province, hint)
    _write_new(target, text)
    if not names:
        what = "a province" if province else "not a municipality in content/municipalities.csv"
        log.warning(
            "%s: '%s' is %s, so 'municipalities' is left empty.%s Fill in the municipalities the story is "
            "about, if any, as the table spells them (or give --municipality).",
            target,
            shorten(place),
            what,
            hint,
        )
    return target


def _one_line(text: str, option: str) -> str:
    """Return `text` with its white space collapsed, or raise if it is empty or holds control characters."""
    text = " ".join(text.split())
    if not text:
        raise ContentError(f'{option} is empty. Give a text, for example {option} "...".')
    if _UNPRINTABLE.search(text):
        raise ContentError(f"{option} '{shorten(text)}' contains a control character. Type the text again.")
    return text


def _municipalities(root: Path) -> dict[str, str]:
    """Return the project's municipalities table, or raise if it cannot be read."""
    from katern.project import project_resolver

    path = root / "content" / "municipalities.csv"
    problems: list[Problem] = []
    table = load_municipalities(path, problems, project_resolver(root))
    if not table:
        reason = next((p.message for p in problems if p.is_error), "has no municipalities.")
        raise ConfigError(
            f"{reason} katern needs it to fill in the municipality and province. Run 'katern check'.", path=path
        )
    return table


def _scalar(text: str) -> str:
    """Return `text` as a YAML value: as it is if YAML reads it back unchanged, alone and in a list; else quoted."""
    try:
        if yaml.safe_load(f"k: {text}\nl: [{text}]") == {"k": text, "l": [text]}:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted text


def _record_text(
    place: str,
    title: str,
    kind: str,
    date: dt.date,
    names: list[str],
    provinces: list[str],
    province: str | None,
    hint: str = "",
) -> str:
    """Return the text of a new draft record, every field with a comment saying what it is for."""
    listed = f"[{', '.join(_scalar(n) for n in names)}]"
    if names:
        municipalities = (
            "# The municipalities the story is about, spelled as in content/municipalities.csv.\n"
            f"municipalities: {listed}\n"
        )
    else:
        municipalities = (
            "# The municipalities the story is about, spelled as in content/municipalities.csv, for example\n"
            f"# [Zwolle]. '{place}' is not one of them.{hint}\n"
            "# Fill in the ones the story is about, or leave the list empty.\n"
            "municipalities: []\n"
        )
    if province:
        provinces_line = f"# The province; it must agree with the municipalities.\nprovince: {_scalar(province)}\n"
    else:
        why = f"the municipalities lie in {' and '.join(provinces)}" if provinces else "it is not clear from the place"
        provinces_line = (
            f"# The province, one of: {', '.join(PROVINCES)}.\n"
            f"# Left out: {why}. To give one, remove the '#' in front of the next line.\n"
            "# province:\n"
        )
    return (
        "---\n"
        "# The headline, as it is printed.\n"
        f"title: {json.dumps(title, ensure_ascii=False)}\n"
        f"# What sort of item this is: {', '.join(KINDS[:-1])} or {KINDS[-1]}.\n"
        f"kind: {kind}\n"
        "# The place line printed above the headline.\n"
        f"place: {_scalar(place)}\n"
        f"{municipalities}"
        f"{provinces_line}"
        "# The date of the source: when the story was published or written (YYYY-MM-DD).\n"
        f"date: {date.isoformat()}\n"
        "# Theme ids from content/themes.yaml, for example [jeugd, preventie].\n"
        "themes: []\n"
        "# Werkende factoren the story shows: ids from content/factors.yaml.\n"
        "factors: []\n"
        "# The lead: two or three sentences printed bold above the story. Remove the '#' to use it.\n"
        "# lead: >-\n"
        "#   Een korte inleiding.\n"
        "# More fields (quotes, tips, boxes, links, contact, images): see katern's README, 'Records'.\n"
        "# Where the text came from: a title; 'seed' (a file in seeds/), 'edition' and 'page' are optional.\n"
        "sources:\n"
        '  - title: "Bron nog invullen"\n'
        "# A draft is left out of queries, and 'katern check --strict' fails while this line is here.\n"
        "# Remove it when the record is finished.\n"
        "draft: true\n"
        "---\n"
        "\n"
        "## Het initiatief\n"
        "\n"
        f"Schrijf hier het verhaal uit {place}: wat is het initiatief, wie werken er samen en wat levert "
        "het op? Begin elk nieuw deel met een tussenkop: een regel die begint met ‘## ’.\n"
    )


def _write_new(target: Path, text: str) -> None:
    """Write a new file atomically, turning an OS failure into an error that names it."""
    try:
        atomic_write(target, text)
    except OSError as exc:
        raise ConfigError(f"cannot be written: {exc.strerror or exc}.", path=target) from None


# --- katern new publication -----------------------------------------------------------------------


def new_publication(
    project: Path,
    name: str,
    layout: str = "brochure",
    title: str | None = None,
    date: dt.date | None = None,
) -> Path:
    """Write a publication file content/publications/NAME.yaml that selects existing records; return its path."""
    root = Path(project)
    if not NAME_RE.match(name):
        suggestion = "-".join(slug_words(name)) or "regio-noord"
        raise ConfigError(
            f"'{shorten(name)}' is not a valid publication name: use lower-case letters, digits and hyphens, "
            f"for example '{suggestion}'. The name becomes the file names build/NAME.pdf and build/NAME.html."
        )
    if layout not in NEW_LAYOUTS:
        raise ConfigError(
            f"'{shorten(layout)}' is not a layout; use one of: {', '.join(NEW_LAYOUTS)}."
            f"{did_you_mean(layout, NEW_LAYOUTS)}"
        )
    folder = root / "content" / "publications"
    for suffix in (".yaml", ".yml"):
        existing = folder / f"{name}{suffix}"
        if existing.exists() or existing.is_symlink():
            raise ConfigError(
                "already exists, and katern never overwrites a publication. Edit that file, or choose another "
                "name. Nothing was written.",
                path=existing,
            )
    title = _one_line(title, "--title") if title is not None else name.replace("-", " ").capitalize()
    date = date or dt.date.today()
    if layout == "handout":
        selection = ""
    else:
        selection = _selection(root, name, layout)
    target = folder / f"{name}.yaml"
    _write_new(target, _publication_text(name, title, date, layout, selection))
    return target


def _finished_records(root: Path) -> list[Record]:
    """Return the project's records that a publication can use: no errors, not drafts; newest first."""
    from katern.project import load_project

    project = load_project(root)
    records = [r for r in project.records.values() if not r.unreadable and not r.draft and r.date]
    return sorted(records, key=lambda r: (-r.date.toordinal(), r.slug))


def _selection(root: Path, name: str, layout: str) -> str:
    """Return the `records:` or `query:` lines of a new publication, choosing records that exist."""
    records = _finished_records(root)
    if not records:
        raise ConfigError(
            f"content/records has no finished record to put in '{name}' yet (drafts and records with errors "
            "do not count). Write one first ('katern new record', then remove its 'draft: true'), or choose "
            "--layout handout, which prints the werkende factoren. Nothing was written."
        )
    with_province = next((r for r in records if r.province), None)
    if layout == "newsletter" and with_province is not None:
        # An edition is a selection by region or province: a query keeps it up to date as records are added.
        province = _scalar(with_province.province)
        return (
            "# The name of the edition, printed under the title, for example Noord-Nederland.\n"
            f"edition: {province}\n"
            "# Which records go in: every finished record that matches all criteria (a list means 'any of'):\n"
            "# province, region (Noord-, Oost-, West- or Zuid-Nederland), theme, kind, place, date_from, date_to.\n"
            f"# Try it first with: katern list --province {with_province.province}\n"
            "query:\n"
            f"  province: {province}\n"
            "# The order of the records chosen by the query: date, title or place.\n"
            "sort: date\n"
        )
    # A brochure is an ordered choice of stories: an explicit list, of the newest records to start from.
    listed = "".join(f"  - {r.slug}\n" for r in records[:LISTED_RECORDS])
    query = ""
    if with_province is not None:
        province = with_province.province
        query = (
            "# Or, instead of 'records', let a query choose them\n"
            f"# (try it first with 'katern list --province {province}'):\n"
            f"# query:\n#   province: {_scalar(province)}\n"
        )
    return (
        "# The records, in the order they are printed: their file names in content/records/ without .md.\n"
        "# These are the newest records of the project; put your own choice here.\n"
        f"records:\n{listed}{query}"
    )


def _publication_text(name: str, title: str, date: dt.date, layout: str, selection: str) -> str:
    """Return the text of a new publication file, every field with a comment saying what it is for."""
    layouts = {
        "brochure": "cover, contents, one story per page, back cover",
        "newsletter": "an edition with the records in sections by kind",
        "handout": "the werkende factoren on one page (no records)",
    }
    pages = "# The page budget: katern warns when the handout needs more (with --strict, the build fails).\n"
    pages += "max_pages: 1\n"
    extras = (
        pages
        if layout == "handout"
        else (
            "# Where the werkende factoren (content/factors.yaml) are printed; remove the '#' to add them:\n"
            "# factors:\n"
            "#   position: end\n"
            "# The colophon, printed at the end (Markdown); remove the '#' to add one:\n"
            "# colophon: |\n"
            "#   Dit is een uitgave van: ...\n"
        )
    )
    return (
        f"# The publication '{name}'. 'katern build {name}' writes build/{name}.pdf and build/{name}.html.\n"
        "# katern's README, 'Publications', lists every field.\n"
        "# The title on the cover and in the PDF's title bar.\n"
        f"title: {json.dumps(title, ensure_ascii=False)}\n"
        "# A line under the title; remove the '#' to use it.\n"
        '# subtitle: "..."\n'
        "# Who publishes it, printed on the cover; remove the '#' to use it.\n"
        "# publisher: Ministerie van Volksgezondheid, Welzijn en Sport\n"
        "# The date of this edition (YYYY-MM-DD). It is printed, and it is the date inside the PDF.\n"
        f"date: {date.isoformat()}\n"
        f"# The layout: brochure, newsletter or handout. {layout.capitalize()}: {layouts[layout]}.\n"
        f"layout: {layout}\n"
        "# The house style (a folder in styles/; katern's own is vws).\n"
        "theme: vws\n"
        "# The paper size: A4 or A5.\n"
        "page_size: A4\n"
        f"{selection}"
        f"{extras}"
        "# What 'katern build' writes: pdf and html; add booklet (to print and fold) or press (for a print shop).\n"
        "outputs: [pdf, html]\n"
    )
